// Decoding of BGP UPDATE messages (RFC 4271 section 4.3) into a reusable Update.
//
// What is decoded:
// - routes of every family below, withdrawn and announced, as one Nlri list each, whether
//   they come in the UPDATE's own fields (IPv4 unicast) or in MP_REACH_NLRI/MP_UNREACH_NLRI
//   (RFC 4760): IPv4/IPv6 unicast and multicast; labeled unicast (RFC 8277); VPNv4/VPNv6
//   (RFC 4364, RFC 4659); EVPN IP prefix routes (RFC 9136 route type 5). Other EVPN route
//   types and other families are skipped and counted (RFC 7606 section 5.4), never an error;
// - ADD-PATH path identifiers (RFC 7911) for the families SessionOptions names;
// - ORIGIN, AS_PATH, NEXT_HOP, MULTI_EXIT_DISC, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR,
//   COMMUNITIES (RFC 1997), ORIGINATOR_ID, CLUSTER_LIST (RFC 4456), EXTENDED_COMMUNITIES
//   (RFC 4360), AS4_PATH and AS4_AGGREGATOR (RFC 6793, merged on 2-octet sessions),
//   LARGE_COMMUNITY (RFC 8092); other attributes are skipped and their codes reported;
// - End-of-RIB markers (RFC 4724 section 2).
//
// Errors follow RFC 7606: every problem is recorded as a DecodeError and the message gets the
// strongest outcome among them (see ErrorAction). The decoder applies the outcome itself, so
// a caller applies `withdrawn` and `announced` as they are and only counts `action` and
// `errors`: attribute-discard leaves the bad attribute unset; treat-as-withdraw moves every
// announced route to `withdrawn`; a discarded message has no routes at all.
//
// Not judged, for want of knowing the session: whether it is iBGP or eBGP (RFC 7606 treats
// LOCAL_PREF and confederation segments from eBGP peers as errors), and whether next hops
// are sensible. The collector reports what the router received.
//
// Memory: an Update is meant to be reused for every message of a session. Decoding clears it
// but keeps the capacity of its vectors, so once they have grown to the largest message seen,
// decoding allocates nothing, per message or per route (an error allocates nothing either).
//
// Threading model: an Update belongs to one thread at a time; DecodeUpdate is reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/error.h"
#include "bgp/types.h"
#include "common/ip_address.h"
// The RIB's own LargeCommunity and AttributesView, so a decoded UPDATE feeds the RIB without
// copies; plain structs, no link to ribflow_rib.
#include "rib/attributes.h"

namespace ribflow::bgp {

// Path attribute type codes (IANA "BGP Path Attributes").
enum class AttributeType : uint8_t {
  kOrigin = 1,
  kAsPath = 2,
  kNextHop = 3,
  kMultiExitDisc = 4,
  kLocalPref = 5,
  kAtomicAggregate = 6,
  kAggregator = 7,
  kCommunities = 8,
  kOriginatorId = 9,
  kClusterList = 10,
  kMpReachNlri = 14,
  kMpUnreachNlri = 15,
  kExtendedCommunities = 16,
  kAs4Path = 17,
  kAs4Aggregator = 18,
  kLargeCommunity = 32,
};

enum class Origin : uint8_t { kIgp = 0, kEgp = 1, kIncomplete = 2 };

// One route of an UPDATE, whatever its family.
struct Nlri {
  // Host bits cleared. An IPv6 prefix within ::ffff:0:0/96 is held as the IPv4 prefix it
  // maps (IpAddress holds IPv4 that way); `afi` still says IPv6.
  Prefix prefix;
  uint32_t path_id = 0;       // RFC 7911 path identifier; 0 when ADD-PATH is off
  RouteDistinguisher rd = 0;  // VPN and EVPN routes; 0 otherwise
  // The first MPLS label (20 bits); 0 when none or in a withdrawal. For EVPN routes sent
  // with a VXLAN, NVGRE, VXLAN-GPE or Geneve Encapsulation extended community, the 24-bit
  // VNI the label field then carries (RFC 8365 section 5.1.3).
  uint32_t label = 0;
  Afi afi = Afi::kIpv4;
  Safi safi = Safi::kUnicast;
  // Carried in MP_REACH_NLRI/MP_UNREACH_NLRI rather than the UPDATE's own fields: tells which
  // next hop applies (Update::NextHopFor).
  bool from_mp_attribute = false;
  friend bool operator==(const Nlri&, const Nlri&) = default;
};

enum class AsPathSegmentType : uint8_t {
  kAsSet = 1,
  kAsSequence = 2,
  kAsConfedSequence = 3,  // RFC 5065
  kAsConfedSet = 4,
};

struct AsPathSegment {
  AsPathSegmentType type = AsPathSegmentType::kAsSequence;
  uint32_t begin = 0;  // index of its first ASN in AsPath::asns
  uint32_t size = 0;
  friend bool operator==(const AsPathSegment&, const AsPathSegment&) = default;
};

// An AS path as received: its segments, in order, over one array of ASNs (two vectors for
// the whole path rather than one per segment, so reuse keeps both capacities).
struct AsPath {
  std::vector<AsPathSegment> segments;
  std::vector<uint32_t> asns;

  void Clear() {
    segments.clear();
    asns.clear();
  }
  std::span<const uint32_t> AsnsOf(const AsPathSegment& segment) const {
    return std::span<const uint32_t>(asns).subspan(segment.begin, segment.size);
  }
  void Append(AsPathSegmentType type, std::span<const uint32_t> segment_asns);
  // The length used in route selection (RFC 4271 9.1.2.2, RFC 5065 5.3) and in the RFC 6793
  // merge: one per AS_SEQUENCE ASN, one per AS_SET, zero for confederation segments.
  size_t SelectionLength() const;
};

struct Aggregator {
  uint32_t asn = 0;
  uint32_t address = 0;  // IPv4, host order
  friend bool operator==(const Aggregator&, const Aggregator&) = default;
};

struct Update {
  // Routes. With ADD-PATH, one prefix may appear once per path identifier.
  std::vector<Nlri> withdrawn;
  std::vector<Nlri> announced;
  // Set when the message is an End-of-RIB marker (RFC 4724 section 2): an empty UPDATE for
  // IPv4 unicast, an UPDATE holding only an empty MP_UNREACH_NLRI for other families.
  std::optional<AfiSafi> end_of_rib;

  // Attributes. An attribute that was absent, or discarded as malformed, is unset or empty.
  std::optional<Origin> origin;
  // AS_PATH as received, or merged with AS4_PATH on a 2-octet session (RFC 6793 4.2.3).
  AsPath as_path;
  // AS4_PATH as received on a 2-octet session, whether or not the merge used it; always
  // empty on a 4-octet session, where RFC 6793 section 6 has it ignored.
  AsPath as4_path;
  std::optional<IpAddress> next_hop;  // NEXT_HOP: for routes of the UPDATE's NLRI field
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  bool atomic_aggregate = false;
  // AGGREGATOR, or AS4_AGGREGATOR when AGGREGATOR holds AS_TRANS on a 2-octet session.
  std::optional<Aggregator> aggregator;
  std::vector<uint32_t> communities;
  std::vector<uint64_t> extended_communities;  // the raw 8-byte values, big-endian
  std::vector<LargeCommunity> large_communities;
  std::optional<uint32_t> originator_id;  // host order
  std::vector<uint32_t> cluster_list;     // host order

  // MP_REACH_NLRI: its family and next hop (for routes with from_mp_attribute). The next hop
  // is unset for a family the codec does not decode.
  std::optional<AfiSafi> mp_reach_family;
  std::optional<IpAddress> mp_next_hop;             // global address (VPN RD dropped)
  std::optional<IpAddress> mp_link_local_next_hop;  // second address of a 32/48-byte next hop
  std::optional<AfiSafi> mp_unreach_family;

  // What the RIB keeps, derived from the attributes above.
  // The AS path flattened to the ASNs of its AS_SEQUENCE segments, in order. AS_SET members
  // are left out (an aggregate's unordered set is no path, and its order would be arbitrary);
  // confederation segments are left out as well (they are internal to the confederation and
  // not part of the path length, RFC 5065).
  std::vector<uint32_t> flat_as_path;
  uint32_t origin_asn = 0;              // last ASN of the last AS_SEQUENCE segment; 0 when none
  std::vector<uint64_t> route_targets;  // extended communities of type 0x00/0x01/0x02, sub 0x02

  // Skipped, not errors.
  std::vector<uint8_t> unknown_attributes;  // type codes of optional attributes not decoded
  uint32_t skipped_evpn_routes = 0;         // EVPN routes of types other than 5
  uint32_t skipped_nlri_fields = 0;         // MP_* attributes of families not decoded

  // Errors: the strongest outcome and every problem found, in message order.
  ErrorAction action = ErrorAction::kNone;
  std::vector<DecodeError> errors;

  // Empties every field and keeps every vector's capacity.
  void Clear();
  // The next hop of an announced route: MP_REACH's for routes from it, NEXT_HOP's otherwise;
  // nullptr when the message has none.
  const IpAddress* NextHopFor(const Nlri& route) const;
  // The attributes in the RIB's terms, as views into this Update (valid until its next use).
  AttributesView rib_attributes() const {
    return {origin_asn, flat_as_path, communities, large_communities, route_targets};
  }
};

// Decodes one UPDATE message, header included; `message` must hold exactly that message.
// Returns the RFC 7606 outcome (also in update->action). Never reads outside `message`.
ErrorAction DecodeUpdate(std::span<const uint8_t> message, const SessionOptions& options,
                         Update* update);

}  // namespace ribflow::bgp
