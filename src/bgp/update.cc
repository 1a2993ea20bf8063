#include "bgp/update.h"

#include <algorithm>
#include <bitset>
#include <cstddef>

#include "bgp/message.h"
#include "bgp/open.h"
#include "common/byte_reader.h"

namespace ribflow::bgp {

void AsPath::Append(AsPathSegmentType type, std::span<const uint32_t> segment_asns) {
  segments.push_back({type, uint32_t(asns.size()), uint32_t(segment_asns.size())});
  asns.insert(asns.end(), segment_asns.begin(), segment_asns.end());
}

size_t AsPath::SelectionLength() const {
  size_t length = 0;
  for (const AsPathSegment& segment : segments) {
    if (segment.type == AsPathSegmentType::kAsSequence) length += segment.size;
    if (segment.type == AsPathSegmentType::kAsSet) length += 1;
  }
  return length;
}

void Update::Clear() {
  withdrawn.clear();
  announced.clear();
  end_of_rib.reset();
  origin.reset();
  as_path.Clear();
  as4_path.Clear();
  next_hop.reset();
  med.reset();
  local_pref.reset();
  atomic_aggregate = false;
  aggregator.reset();
  communities.clear();
  extended_communities.clear();
  large_communities.clear();
  originator_id.reset();
  cluster_list.clear();
  mp_reach_family.reset();
  mp_next_hop.reset();
  mp_link_local_next_hop.reset();
  mp_unreach_family.reset();
  flat_as_path.clear();
  origin_asn = 0;
  route_targets.clear();
  unknown_attributes.clear();
  skipped_evpn_routes = 0;
  skipped_nlri_fields = 0;
  action = ErrorAction::kNone;
  errors.clear();
}

const IpAddress* Update::NextHopFor(const Nlri& route) const {
  const std::optional<IpAddress>& address = route.from_mp_attribute ? mp_next_hop : next_hop;
  return address ? &*address : nullptr;
}

namespace {

// Attribute flag bits (RFC 4271 section 4.3).
constexpr uint8_t kOptional = 0x80;
constexpr uint8_t kTransitive = 0x40;
constexpr uint8_t kExtendedLength = 0x10;

constexpr uint8_t kEvpnIpPrefixRoute = 5;  // RFC 9136
constexpr size_t kEvpnIpv4PrefixRouteLength = 34;
constexpr size_t kEvpnIpv6PrefixRouteLength = 58;
constexpr size_t kRouteDistinguisherSize = 8;
// RFC 9012 section 4.1: the Encapsulation extended community (transitive opaque, sub-type
// 0x0c) and the tunnel types whose EVPN label field carries a 24-bit VNI (RFC 8365 5.1.3;
// IANA "BGP Tunnel Encapsulation Attribute Tunnel Types").
constexpr uint16_t kEncapsulationCommunity = 0x030c;
constexpr uint16_t kTunnelVxlan = 8, kTunnelNvgre = 9, kTunnelVxlanGpe = 12, kTunnelGeneve = 19;
// RFC 8277 section 2.4: the label field of a withdrawal; it has no bottom-of-stack bit.
constexpr uint32_t kWithdrawalCompatibilityLabel = 0x800000;

// The Optional and Transitive bits of each attribute the codec decodes; nullopt for others.
std::optional<uint8_t> ExpectedFlags(uint8_t type) {
  switch (AttributeType(type)) {
    case AttributeType::kOrigin:
    case AttributeType::kAsPath:
    case AttributeType::kNextHop:
    case AttributeType::kLocalPref:
    case AttributeType::kAtomicAggregate:
      return kTransitive;  // well-known
    case AttributeType::kAggregator:
    case AttributeType::kCommunities:
    case AttributeType::kExtendedCommunities:
    case AttributeType::kAs4Path:
    case AttributeType::kAs4Aggregator:
    case AttributeType::kLargeCommunity:
      return kOptional | kTransitive;
    case AttributeType::kMultiExitDisc:
    case AttributeType::kOriginatorId:
    case AttributeType::kClusterList:
    case AttributeType::kMpReachNlri:
    case AttributeType::kMpUnreachNlri:
      return kOptional;
  }
  return std::nullopt;
}

enum class NlriEncoding { kPrefix, kLabeled, kVpn, kEvpn, kNotDecoded };

NlriEncoding EncodingOf(AfiSafi family) {
  if (!DecodedFamilyIndex(family.afi, family.safi)) return NlriEncoding::kNotDecoded;
  switch (family.safi) {
    case Safi::kUnicast:
    case Safi::kMulticast:
      return NlriEncoding::kPrefix;
    case Safi::kLabeledUnicast:
      return NlriEncoding::kLabeled;
    case Safi::kMplsVpn:
      return NlriEncoding::kVpn;
    case Safi::kEvpn:
      return NlriEncoding::kEvpn;
  }
  return NlriEncoding::kNotDecoded;
}

bool IsRouteTarget(uint64_t extended_community) {
  // RFC 4360 section 4: type high 0x00 (2-octet AS), 0x01 (IPv4), 0x02 (4-octet AS, RFC
  // 5668), all transitive, sub-type 0x02.
  const auto type = uint8_t(extended_community >> 56);
  const auto sub_type = uint8_t(extended_community >> 48);
  return type <= 0x02 && sub_type == 0x02;
}

bool IsVniEncapsulation(uint64_t extended_community) {
  if (uint16_t(extended_community >> 48) != kEncapsulationCommunity) return false;
  const auto tunnel_type = uint16_t(extended_community);
  return tunnel_type == kTunnelVxlan || tunnel_type == kTunnelNvgre ||
         tunnel_type == kTunnelVxlanGpe || tunnel_type == kTunnelGeneve;
}

bool IsConfederationSegment(AsPathSegmentType type) {
  return type == AsPathSegmentType::kAsConfedSequence || type == AsPathSegmentType::kAsConfedSet;
}

// Builds the prefix of `bits` bits (at most the family's) from the address bytes `bytes` (4
// or 16 of them). The bits past the prefix are cleared first: RFC 4271 makes them irrelevant,
// and only then can an IPv6 prefix look like a mapped IPv4 address alone when it is 96 bits or
// longer. Such a prefix comes out as the IPv4 prefix it maps, because IpAddress holds IPv4 as
// mapped addresses (common/ip_address.h).
std::optional<Prefix> MakePrefix(const uint8_t* bytes, bool v4, unsigned bits) {
  const unsigned size = v4 ? 4 : 16;
  if (bits > size * 8) return std::nullopt;
  uint8_t masked[16] = {};
  for (unsigned i = 0; i < size && i * 8 < bits; ++i) {
    const unsigned kept = std::min(8u, bits - i * 8);
    masked[i] = bytes[i] & uint8_t(0xff00 >> kept);
  }
  const IpAddress address = IpAddress::FromFamilyBytes(masked, v4);
  if (!v4 && address.is_v4()) return Prefix::Make(address, int(bits) - 96);
  return Prefix::Make(address, int(bits));
}

// Reads the ceil(bits/8) address bytes of a prefix. Returns what is wrong, or nullptr.
const char* ReadPrefixBits(ByteReader& in, bool v4, unsigned bits, Prefix* prefix) {
  if (bits > (v4 ? 32u : 128u)) return "prefix length exceeds the family's";
  uint8_t bytes[16] = {};
  if (!in.CopyBytes((bits + 7) / 8, bytes)) return "prefix cut short";
  auto made = MakePrefix(bytes, v4, bits);
  if (!made) return "prefix not representable";
  *prefix = *made;
  return nullptr;
}

// RFC 4271 section 4.3: length in bits, then the prefix.
const char* ReadPrefixRoute(ByteReader& in, bool v4, Nlri* route) {
  uint8_t bits;
  if (!in.ReadU8(&bits)) return "prefix length missing";
  return ReadPrefixBits(in, v4, bits, &route->prefix);
}

// RFC 8277 (labeled unicast) and RFC 4364/4659 (VPN, `with_rd`): length in bits covering a
// label stack (3 bytes per label, until the bottom-of-stack bit), the route distinguisher,
// then the prefix.
const char* ReadLabeledRoute(ByteReader& in, bool v4, bool withdrawal, bool with_rd, Nlri* route) {
  uint8_t length;
  if (!in.ReadU8(&length)) return "prefix length missing";
  unsigned bits = length;
  for (bool first = true;; first = false) {
    uint32_t label;
    if (bits < 24) return "label stack overruns the prefix length";
    if (!in.ReadU24(&label)) return "label cut short";
    bits -= 24;
    if (first) route->label = label >> 4;
    // A withdrawal carries one label field whose value is ignored: RFC 8277's compatibility
    // value 0x800000, or 0 from older speakers; neither has the bottom-of-stack bit.
    if (first && withdrawal && (label == kWithdrawalCompatibilityLabel || label == 0)) {
      break;
    }
    if (label & 1) break;  // bottom of stack
  }
  if (with_rd) {
    if (bits < kRouteDistinguisherSize * 8) return "route distinguisher overruns the length";
    if (!in.ReadU64(&route->rd)) return "route distinguisher cut short";
    bits -= kRouteDistinguisherSize * 8;
  }
  return ReadPrefixBits(in, v4, bits, &route->prefix);
}

// RFC 9136 section 3.1, the value of an IP prefix route: RD (8), ESI (10), Ethernet tag (4),
// prefix length (1), prefix (4|16), gateway address (4|16), label (3). The ESI, tag and
// gateway are not kept: the RIB joins flows on prefixes. The label field is kept whole:
// whether it is an MPLS label or a VNI depends on attributes maybe not read yet (see
// InterpretEvpnLabels).
const char* ReadEvpnIpPrefixRoute(ByteReader value, Nlri* route) {
  const bool v4 = value.remaining() == kEvpnIpv4PrefixRouteLength;
  if (!v4 && value.remaining() != kEvpnIpv6PrefixRouteLength) {
    return "EVPN IP prefix route is neither 34 nor 58 bytes";
  }
  const size_t address_size = v4 ? 4 : 16;
  uint8_t bits;
  uint8_t bytes[16] = {};
  uint32_t label;
  if (!value.ReadU64(&route->rd) || !value.Skip(10 + 4) || !value.ReadU8(&bits) ||
      !value.CopyBytes(address_size, bytes) || !value.Skip(address_size) ||
      !value.ReadU24(&label)) {
    return "EVPN IP prefix route cut short";
  }
  if (bits > address_size * 8) return "EVPN prefix length exceeds the family's";
  auto prefix = MakePrefix(bytes, v4, bits);
  if (!prefix) return "EVPN prefix not representable";
  route->prefix = *prefix;
  route->label = label;
  return nullptr;
}

// Reads one UPDATE into an Update. One function per section and per attribute type, in the
// order of RFC 4271 section 4.3; each reports through Report() and lets the caller go on
// unless the message is discarded.
class UpdateParser {
 public:
  UpdateParser(std::span<const uint8_t> message, const SessionOptions& options, Update* out)
      : message_(message), options_(options), out_(out) {}

  void Run() {
    ByteReader in(message_);
    in.Skip(kHeaderSize);  // DecodeUpdate checked the header first
    uint16_t withdrawn_length, attributes_length;
    ByteReader withdrawn, attributes;
    // RFC 4271 6.3 (kept by RFC 7606): section lengths beyond the message are unrecoverable.
    if (!in.ReadU16(&withdrawn_length) || !in.Sub(withdrawn_length, &withdrawn)) {
      return Report(ErrorKind::kMalformedAttributeList, ErrorAction::kDiscardMessage, OffsetOf(in),
                    0, "withdrawn routes length overruns the message");
    }
    if (!in.ReadU16(&attributes_length) || !in.Sub(attributes_length, &attributes)) {
      return Report(ErrorKind::kMalformedAttributeList, ErrorAction::kDiscardMessage, OffsetOf(in),
                    0, "path attributes length overruns the message");
    }
    const ByteReader nlri = in;
    withdrawn_field_empty_ = withdrawn.empty();
    nlri_field_empty_ = nlri.empty();
    attributes_offset_ = OffsetOf(attributes);

    constexpr AfiSafi kIpv4Unicast{Afi::kIpv4, Safi::kUnicast};
    if (!ParseNlri(withdrawn, kIpv4Unicast, /*withdrawal=*/true, /*attribute_type=*/0)) return;
    ParsePathAttributes(attributes);
    if (discarded()) return;
    if (!ParseNlri(nlri, kIpv4Unicast, /*withdrawal=*/false, /*attribute_type=*/0)) return;
    InterpretEvpnLabels();
    ApplyAs4Attributes();
    FlattenAsPath();
    CheckWellKnownAttributes();
    DetectEndOfRib();
  }

 private:
  struct Attribute {
    uint8_t flags = 0;
    uint8_t type = 0;
    uint32_t offset = 0;  // of its flags byte in the message
    ByteReader value;
  };

  // Offsets in error reports count from the message's first byte. Readers here are all views
  // into `message_`, so the distance says where one stands.
  uint32_t OffsetOf(const ByteReader& at) const {
    return uint32_t(at.rest().data() - message_.data());
  }
  bool discarded() const { return out_->action == ErrorAction::kDiscardMessage; }

  void Report(ErrorKind kind, ErrorAction action, uint32_t offset, uint8_t attribute_type,
              const char* detail) {
    out_->errors.push_back({kind, action, attribute_type, offset, detail});
    out_->action = std::max(out_->action, action);
  }
  void Report(ErrorKind kind, ErrorAction action, const Attribute& attribute, const char* detail) {
    Report(kind, action, attribute.offset, attribute.type, detail);
  }

  // ---- NLRI ----

  // Reads every route of a withdrawn routes field, NLRI field, or MP_* attribute's NLRI.
  // False when the message is to be discarded (RFC 7606 section 5.3: a syntax error in NLRI
  // means session reset or AFI/SAFI disable).
  bool ParseNlri(ByteReader in, AfiSafi family, bool withdrawal, uint8_t attribute_type) {
    const NlriEncoding encoding = EncodingOf(family);
    if (encoding == NlriEncoding::kNotDecoded) {
      ++out_->skipped_nlri_fields;
      return true;
    }
    const bool add_path = options_.add_path.Contains(family.afi, family.safi);
    const bool v4 = family.afi == Afi::kIpv4;
    std::vector<Nlri>& routes = withdrawal ? out_->withdrawn : out_->announced;
    while (!in.empty()) {
      const uint32_t offset = OffsetOf(in);
      Nlri route;
      route.afi = family.afi;
      route.safi = family.safi;
      route.from_mp_attribute = attribute_type != 0;
      const char* problem = nullptr;
      bool keep = true;
      if (add_path && !in.ReadU32(&route.path_id)) {
        problem = "path identifier cut short";
      } else {
        switch (encoding) {
          case NlriEncoding::kPrefix:
            problem = ReadPrefixRoute(in, v4, &route);
            break;
          case NlriEncoding::kLabeled:
            problem = ReadLabeledRoute(in, v4, withdrawal, /*with_rd=*/false, &route);
            break;
          case NlriEncoding::kVpn:
            problem = ReadLabeledRoute(in, v4, withdrawal, /*with_rd=*/true, &route);
            break;
          case NlriEncoding::kEvpn:
            problem = ReadEvpnRoute(in, &route, &keep);
            break;
          case NlriEncoding::kNotDecoded:
            break;
        }
      }
      if (problem != nullptr) {
        Report(ErrorKind::kMalformedNlri, ErrorAction::kDiscardMessage, offset, attribute_type,
               problem);
        return false;
      }
      if (withdrawal) route.label = 0;  // a withdrawal's label means nothing (RFC 8277 2.4)
      if (keep) routes.push_back(route);
    }
    return true;
  }

  // RFC 7432 section 7: route type (1), length (1), value. Types other than 5 are skipped
  // (RFC 7606 section 5.4); their length still frames them.
  const char* ReadEvpnRoute(ByteReader& in, Nlri* route, bool* keep) {
    uint8_t type, length;
    ByteReader value;
    if (!in.ReadU8(&type) || !in.ReadU8(&length) || !in.Sub(length, &value)) {
      return "EVPN route overruns the field";
    }
    if (type != kEvpnIpPrefixRoute) {
      ++out_->skipped_evpn_routes;
      *keep = false;
      return nullptr;
    }
    return ReadEvpnIpPrefixRoute(value, route);
  }

  // ---- Path attributes ----

  void ParsePathAttributes(ByteReader in) {
    while (!in.empty()) {
      Attribute attribute;
      attribute.offset = OffsetOf(in);
      uint16_t length = 0;
      uint8_t short_length = 0;
      bool read = in.ReadU8(&attribute.flags) && in.ReadU8(&attribute.type);
      if (read && (attribute.flags & kExtendedLength)) {
        read = in.ReadU16(&length);
      } else if (read) {
        read = in.ReadU8(&short_length);
        length = short_length;
      }
      if (!read || !in.Sub(length, &attribute.value)) {
        // RFC 7606 section 4: treat-as-withdraw, and the Total Path Attribute Length still
        // locates the NLRI field. Attributes after this point are lost, an MP_* one among
        // them if the sender did not put it first as RFC 7606 section 5.1 asks.
        attribute_list_broken_ = true;
        return Report(ErrorKind::kMalformedAttributeList, ErrorAction::kTreatAsWithdraw, attribute,
                      "attribute overruns the path attributes");
      }
      ++attribute_count_;
      if (seen_[attribute.type]) {
        ReportDuplicate(attribute);
        if (discarded()) return;
        continue;
      }
      seen_.set(attribute.type);
      ParseAttribute(attribute);
      if (discarded()) return;
    }
  }

  // RFC 7606 section 3(g): a second MP_REACH_NLRI or MP_UNREACH_NLRI makes the message
  // unusable; any other repeated attribute is dropped after its first occurrence.
  void ReportDuplicate(const Attribute& attribute) {
    const auto type = AttributeType(attribute.type);
    if (type == AttributeType::kMpReachNlri || type == AttributeType::kMpUnreachNlri) {
      return Report(ErrorKind::kMalformedAttributeList, ErrorAction::kDiscardMessage, attribute,
                    "MP_REACH_NLRI or MP_UNREACH_NLRI appears twice");
    }
    Report(ErrorKind::kDuplicateAttribute, ErrorAction::kAttributeDiscard, attribute,
           "repeated attribute ignored");
  }

  void ParseAttribute(Attribute& attribute) {
    const std::optional<uint8_t> expected_flags = ExpectedFlags(attribute.type);
    if (!expected_flags) return SkipUnknownAttribute(attribute);
    // RFC 7606 section 3(c): the value is still read, the outcome already decided.
    if ((attribute.flags & (kOptional | kTransitive)) != *expected_flags) {
      Report(ErrorKind::kBadAttributeFlags, ErrorAction::kTreatAsWithdraw, attribute,
             "Optional/Transitive bits do not match the attribute type");
    }
    switch (AttributeType(attribute.type)) {
      case AttributeType::kOrigin:
        return ParseOrigin(attribute);
      case AttributeType::kAsPath:
        return ParseAsPath(attribute);
      case AttributeType::kNextHop:
        return ParseNextHop(attribute);
      case AttributeType::kMultiExitDisc:
        return ParseFourByteValue(attribute, &out_->med, "MULTI_EXIT_DISC is not 4 bytes");
      case AttributeType::kLocalPref:
        return ParseFourByteValue(attribute, &out_->local_pref, "LOCAL_PREF is not 4 bytes");
      case AttributeType::kAtomicAggregate:
        return ParseAtomicAggregate(attribute);
      case AttributeType::kAggregator:
        return ParseAggregator(attribute);
      case AttributeType::kCommunities:
        return ParseCommunities(attribute);
      case AttributeType::kOriginatorId:
        return ParseFourByteValue(attribute, &out_->originator_id, "ORIGINATOR_ID is not 4 bytes");
      case AttributeType::kClusterList:
        return ParseClusterList(attribute);
      case AttributeType::kMpReachNlri:
        return ParseMpReach(attribute);
      case AttributeType::kMpUnreachNlri:
        return ParseMpUnreach(attribute);
      case AttributeType::kExtendedCommunities:
        return ParseExtendedCommunities(attribute);
      case AttributeType::kAs4Path:
        return ParseAs4Path(attribute);
      case AttributeType::kAs4Aggregator:
        return ParseAs4Aggregator(attribute);
      case AttributeType::kLargeCommunity:
        return ParseLargeCommunities(attribute);
    }
  }

  // An optional attribute the codec does not decode is skipped and reported. A well-known
  // one it does not know would be a session reset in RFC 4271, but RFC 7606 keeps resets for
  // when the NLRI cannot be located, and here they can: its default for attributes that may
  // affect route selection, treat-as-withdraw, is used instead.
  void SkipUnknownAttribute(const Attribute& attribute) {
    if (!(attribute.flags & kOptional)) {
      return Report(ErrorKind::kUnrecognizedWellKnownAttribute, ErrorAction::kTreatAsWithdraw,
                    attribute, "unknown attribute without the Optional bit");
    }
    out_->unknown_attributes.push_back(attribute.type);
  }

  // RFC 7606 section 7.1.
  void ParseOrigin(Attribute& attribute) {
    uint8_t origin;
    if (attribute.value.remaining() != 1 || !attribute.value.ReadU8(&origin)) {
      return Report(ErrorKind::kBadAttributeLength, ErrorAction::kTreatAsWithdraw, attribute,
                    "ORIGIN is not 1 byte");
    }
    if (origin > uint8_t(Origin::kIncomplete)) {
      return Report(ErrorKind::kInvalidOrigin, ErrorAction::kTreatAsWithdraw, attribute,
                    "ORIGIN value undefined");
    }
    out_->origin = Origin(origin);
  }

  // RFC 4271 section 4.3 (segments of type, count, ASNs), RFC 7606 section 7.2 (malformed
  // when a segment is empty, of unknown type or overruns the attribute). Returns what is
  // wrong, or nullptr; `path` is left partly filled on error.
  static const char* ReadAsPath(ByteReader in, size_t asn_size, bool allow_confederation,
                                AsPath* path) {
    while (!in.empty()) {
      uint8_t type, count;
      if (!in.ReadU8(&type) || !in.ReadU8(&count)) return "segment header cut short";
      const auto segment_type = AsPathSegmentType(type);
      if (type < uint8_t(AsPathSegmentType::kAsSet) ||
          type > uint8_t(AsPathSegmentType::kAsConfedSet)) {
        return "unknown segment type";
      }
      if (!allow_confederation && IsConfederationSegment(segment_type)) {
        return "confederation segment";
      }
      if (count == 0) return "empty segment";
      if (in.remaining() < count * asn_size) return "segment overruns the attribute";
      path->segments.push_back({segment_type, uint32_t(path->asns.size()), count});
      for (unsigned i = 0; i < count; ++i) {
        uint32_t asn = 0;
        uint16_t short_asn = 0;
        if (asn_size == 4) {
          in.ReadU32(&asn);
        } else {
          in.ReadU16(&short_asn);
          asn = short_asn;
        }
        path->asns.push_back(asn);
      }
    }
    return nullptr;
  }

  void ParseAsPath(const Attribute& attribute) {
    const size_t asn_size = options_.four_octet_as ? 4 : 2;
    if (const char* problem = ReadAsPath(attribute.value, asn_size, true, &out_->as_path)) {
      out_->as_path.Clear();
      Report(ErrorKind::kMalformedAsPath, ErrorAction::kTreatAsWithdraw, attribute, problem);
    }
  }

  // RFC 7606 section 7.3. Whether the address makes sense is the router's business: the
  // collector reports what was sent.
  void ParseNextHop(Attribute& attribute) {
    uint32_t address;
    if (attribute.value.remaining() != 4 || !attribute.value.ReadU32(&address)) {
      return Report(ErrorKind::kBadAttributeLength, ErrorAction::kTreatAsWithdraw, attribute,
                    "NEXT_HOP is not 4 bytes");
    }
    out_->next_hop = IpAddress::FromV4(address);
  }

  // MULTI_EXIT_DISC, LOCAL_PREF, ORIGINATOR_ID: RFC 7606 sections 7.4, 7.5, 7.9.
  void ParseFourByteValue(Attribute& attribute, std::optional<uint32_t>* field,
                          const char* length_problem) {
    uint32_t value;
    if (attribute.value.remaining() != 4 || !attribute.value.ReadU32(&value)) {
      return Report(ErrorKind::kBadAttributeLength, ErrorAction::kTreatAsWithdraw, attribute,
                    length_problem);
    }
    *field = value;
  }

  // RFC 7606 section 7.6.
  void ParseAtomicAggregate(const Attribute& attribute) {
    if (!attribute.value.empty()) {
      return Report(ErrorKind::kBadAttributeLength, ErrorAction::kAttributeDiscard, attribute,
                    "ATOMIC_AGGREGATE is not empty");
    }
    out_->atomic_aggregate = true;
  }

  // AS (2 or 4 bytes), then an IPv4 address. Returns false when the value is not that.
  static bool ReadAggregator(ByteReader value, size_t asn_size, Aggregator* aggregator) {
    if (value.remaining() != asn_size + 4) return false;
    uint16_t short_asn = 0;
    if (asn_size == 2) {
      value.ReadU16(&short_asn);
      aggregator->asn = short_asn;
    } else {
      value.ReadU32(&aggregator->asn);
    }
    return value.ReadU32(&aggregator->address);
  }

  // RFC 7606 section 7.7: 6 bytes on a 2-octet session, 8 on a 4-octet one.
  void ParseAggregator(const Attribute& attribute) {
    Aggregator aggregator;
    if (!ReadAggregator(attribute.value, options_.four_octet_as ? 4 : 2, &aggregator)) {
      return Report(ErrorKind::kBadAttributeLength, ErrorAction::kAttributeDiscard, attribute,
                    "AGGREGATOR length does not fit the session's AS size");
    }
    out_->aggregator = aggregator;
  }

  // Checks that an attribute is a non-empty list of `size`-byte items (RFC 7606 sections
  // 7.8, 7.10, 7.14; RFC 8092 section 6), reporting treat-as-withdraw otherwise.
  bool CheckListLength(const Attribute& attribute, size_t size, const char* problem) {
    const size_t length = attribute.value.remaining();
    if (length != 0 && length % size == 0) return true;
    Report(ErrorKind::kBadAttributeLength, ErrorAction::kTreatAsWithdraw, attribute, problem);
    return false;
  }

  // RFC 1997.
  void ParseCommunities(Attribute& attribute) {
    if (!CheckListLength(attribute, 4, "COMMUNITIES is not a list of 4-byte values")) return;
    for (uint32_t community; attribute.value.ReadU32(&community);) {
      out_->communities.push_back(community);
    }
  }

  // RFC 4456.
  void ParseClusterList(Attribute& attribute) {
    if (!CheckListLength(attribute, 4, "CLUSTER_LIST is not a list of 4-byte ids")) return;
    for (uint32_t cluster_id; attribute.value.ReadU32(&cluster_id);) {
      out_->cluster_list.push_back(cluster_id);
    }
  }

  // RFC 4360: 8-byte values, kept raw; route targets also listed apart for the RIB.
  void ParseExtendedCommunities(Attribute& attribute) {
    if (!CheckListLength(attribute, 8, "EXTENDED_COMMUNITIES is not a list of 8-byte values")) {
      return;
    }
    for (uint64_t community; attribute.value.ReadU64(&community);) {
      out_->extended_communities.push_back(community);
      if (IsRouteTarget(community)) out_->route_targets.push_back(community);
    }
  }

  // RFC 8092: global administrator, local data 1, local data 2, 4 bytes each.
  void ParseLargeCommunities(Attribute& attribute) {
    if (!CheckListLength(attribute, 12, "LARGE_COMMUNITY is not a list of 12-byte values")) {
      return;
    }
    LargeCommunity community;
    while (attribute.value.ReadU32(&community.global_admin) &&
           attribute.value.ReadU32(&community.local_data1) &&
           attribute.value.ReadU32(&community.local_data2)) {
      out_->large_communities.push_back(community);
    }
  }

  // RFC 6793 section 6: a NEW speaker ignores AS4_PATH from another NEW speaker; on a 2-octet
  // session a malformed one (confederation segments included) is discarded alone.
  void ParseAs4Path(const Attribute& attribute) {
    if (options_.four_octet_as) return;
    if (const char* problem = ReadAs4Path(attribute)) {
      out_->as4_path.Clear();
      Report(ErrorKind::kMalformedAs4Path, ErrorAction::kAttributeDiscard, attribute, problem);
    }
  }
  const char* ReadAs4Path(const Attribute& attribute) {
    if (attribute.value.empty()) return "AS4_PATH is empty";
    return ReadAsPath(attribute.value, 4, /*allow_confederation=*/false, &out_->as4_path);
  }

  // RFC 6793 section 6: ignored between NEW speakers; 8 bytes or discarded.
  void ParseAs4Aggregator(const Attribute& attribute) {
    if (options_.four_octet_as) return;
    Aggregator aggregator;
    if (!ReadAggregator(attribute.value, 4, &aggregator)) {
      return Report(ErrorKind::kBadAttributeLength, ErrorAction::kAttributeDiscard, attribute,
                    "AS4_AGGREGATOR is not 8 bytes");
    }
    as4_aggregator_ = aggregator;
  }

  // RFC 4760 section 3: AFI (2), SAFI (1), next hop length (1), next hop, reserved (1), NLRI.
  // RFC 7606 section 7.11: a next hop whose length does not fit the family hides where the
  // NLRI start: the message is unusable.
  void ParseMpReach(Attribute& attribute) {
    ByteReader& in = attribute.value;
    uint16_t afi;
    uint8_t safi, next_hop_length;
    ByteReader next_hop;
    if (!in.ReadU16(&afi) || !in.ReadU8(&safi) || !in.ReadU8(&next_hop_length) ||
        !in.Sub(next_hop_length, &next_hop) || !in.Skip(1)) {
      return Report(ErrorKind::kMalformedMpReach, ErrorAction::kDiscardMessage, attribute,
                    "MP_REACH_NLRI header cut short");
    }
    const AfiSafi family{Afi(afi), Safi(safi)};
    out_->mp_reach_family = family;
    const NlriEncoding encoding = EncodingOf(family);
    if (encoding != NlriEncoding::kNotDecoded && !ReadMpNextHop(next_hop, encoding)) {
      return Report(ErrorKind::kMalformedMpReach, ErrorAction::kDiscardMessage, attribute,
                    "next hop length does not fit the family");
    }
    ParseNlri(in, family, /*withdrawal=*/false, attribute.type);
  }

  // 4 (IPv4), 16 (IPv6 global) or 32 (global + link-local) bytes; for VPN families each
  // address is preceded by an 8-byte route distinguisher, zero by RFC 4364/4659, skipped.
  // IPv4 routes with IPv6 next hops (RFC 8950) are accepted the same way.
  bool ReadMpNextHop(ByteReader in, NlriEncoding encoding) {
    const size_t length = in.remaining();
    // A VPN next hop carries an 8-byte zero RD before the address (RFC 4364, RFC 8950), but
    // exporters also send the bare address: 16 bytes of IPv6 for VPNv4 in pmacct's capture
    // 208 (and tshark flags them too). Both are read: the length tells which.
    const bool bare = length == 4 || length == 16 || length == 32;
    const size_t rd = encoding == NlriEncoding::kVpn && !bare ? kRouteDistinguisherSize : 0;
    uint8_t bytes[16];
    if (length == rd + 4) {
      uint32_t address;
      if (!in.Skip(rd) || !in.ReadU32(&address)) return false;
      out_->mp_next_hop = IpAddress::FromV4(address);
      return true;
    }
    if (length != rd + 16 && length != 2 * (rd + 16)) return false;
    if (!in.Skip(rd) || !in.CopyBytes(16, bytes)) return false;
    out_->mp_next_hop = IpAddress::FromV6Bytes(bytes);
    if (in.empty()) return true;
    if (!in.Skip(rd) || !in.CopyBytes(16, bytes)) return false;
    out_->mp_link_local_next_hop = IpAddress::FromV6Bytes(bytes);
    return true;
  }

  // RFC 4760 section 4: AFI (2), SAFI (1), withdrawn routes.
  void ParseMpUnreach(Attribute& attribute) {
    ByteReader& in = attribute.value;
    uint16_t afi;
    uint8_t safi;
    if (!in.ReadU16(&afi) || !in.ReadU8(&safi)) {
      return Report(ErrorKind::kMalformedMpUnreach, ErrorAction::kDiscardMessage, attribute,
                    "MP_UNREACH_NLRI header cut short");
    }
    out_->mp_unreach_family = AfiSafi{Afi(afi), Safi(safi)};
    mp_unreach_empty_ = in.empty();
    ParseNlri(in, *out_->mp_unreach_family, /*withdrawal=*/true, attribute.type);
  }

  // ---- After the attributes ----

  // An EVPN label field holds an MPLS label in its high 20 bits, or, when the message's
  // Encapsulation extended community names a VXLAN-family tunnel, a 24-bit VNI (RFC 8365
  // section 5.1.3). Withdrawals carry no label (already 0).
  void InterpretEvpnLabels() {
    const bool vni = std::any_of(out_->extended_communities.begin(),
                                 out_->extended_communities.end(), IsVniEncapsulation);
    if (vni) return;
    for (Nlri& route : out_->announced) {
      if (route.afi == Afi::kL2vpn && route.safi == Safi::kEvpn) route.label >>= 4;
    }
  }

  // RFC 6793 section 4.2.3, on 2-octet sessions only (4-octet ones ignored both attributes).
  void ApplyAs4Attributes() {
    if (options_.four_octet_as) return;
    // An AGGREGATOR without AS_TRANS was set by a 2-octet speaker after the AS4 attributes
    // were attached: both are stale and ignored.
    if (out_->aggregator && out_->aggregator->asn != kAsTrans) return;
    if (out_->aggregator && as4_aggregator_) out_->aggregator = as4_aggregator_;
    if (!out_->as4_path.segments.empty()) MergeAs4Path();
  }

  // When AS_PATH is at least as long as AS4_PATH (in selection length), the path is the
  // leading part of AS_PATH that makes up the difference, followed by AS4_PATH; leading
  // confederation segments, and those next to the part taken, come along. Otherwise AS4_PATH
  // is ignored. Built at the tail of as_path's own vectors, then the original is cut off, so
  // no other buffer is needed.
  void MergeAs4Path() {
    AsPath& path = out_->as_path;
    const AsPath& as4_path = out_->as4_path;
    const size_t path_length = path.SelectionLength();
    const size_t as4_length = as4_path.SelectionLength();
    if (path_length < as4_length) return;
    size_t needed = path_length - as4_length;
    const size_t original_segments = path.segments.size();
    const size_t original_asns = path.asns.size();
    for (size_t i = 0; i < original_segments; ++i) {
      const AsPathSegment segment = path.segments[i];
      if (!IsConfederationSegment(segment.type)) {
        if (needed == 0) break;
      }
      uint32_t take = segment.size;
      if (segment.type == AsPathSegmentType::kAsSequence) {
        take = uint32_t(std::min<size_t>(needed, segment.size));
        needed -= take;
      } else if (segment.type == AsPathSegmentType::kAsSet) {
        needed -= 1;
      }
      AppendOwnAsns(path, segment.type, segment.begin, take);
      if (take < segment.size) break;
    }
    for (const AsPathSegment& segment : as4_path.segments) {
      path.Append(segment.type, as4_path.AsnsOf(segment));
    }
    path.segments.erase(path.segments.begin(),
                        path.segments.begin() + std::ptrdiff_t(original_segments));
    path.asns.erase(path.asns.begin(), path.asns.begin() + std::ptrdiff_t(original_asns));
    for (AsPathSegment& segment : path.segments) segment.begin -= uint32_t(original_asns);
  }

  // Appends a segment copied from `path`'s own ASNs (one by one: the vector may grow).
  static void AppendOwnAsns(AsPath& path, AsPathSegmentType type, uint32_t begin, uint32_t count) {
    path.segments.push_back({type, uint32_t(path.asns.size()), count});
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t asn = path.asns[begin + i];
      path.asns.push_back(asn);
    }
  }

  void FlattenAsPath() {
    const AsPath& path = out_->as_path;
    for (const AsPathSegment& segment : path.segments) {
      if (segment.type != AsPathSegmentType::kAsSequence) continue;
      const auto asns = path.AsnsOf(segment);
      out_->flat_as_path.insert(out_->flat_as_path.end(), asns.begin(), asns.end());
      out_->origin_asn = asns.back();
    }
  }

  // RFC 7606 section 3(d): ORIGIN and AS_PATH when routes are announced (RFC 4760 section 3
  // for MP_REACH_NLRI), NEXT_HOP when the NLRI field has routes. Not checked after the
  // attribute list broke: what follows the break is unknown, not missing.
  void CheckWellKnownAttributes() {
    if (attribute_list_broken_) return;
    const bool nlri_field_used = !nlri_field_empty_;
    if (!nlri_field_used && !seen_[uint8_t(AttributeType::kMpReachNlri)]) return;
    RequireAttribute(AttributeType::kOrigin, ErrorAction::kTreatAsWithdraw, "ORIGIN missing");
    RequireAttribute(AttributeType::kAsPath, ErrorAction::kTreatAsWithdraw, "AS_PATH missing");
    // A collector departs from RFC 7606 here: FRR's BMP Loc-RIB (RFC 9069) monitoring sends
    // IPv4 routes without NEXT_HOP (pmacct's captures 205, 206 and 208). Withdrawing them would
    // hide routes the router holds, so they are kept, without a next hop, and counted.
    if (nlri_field_used) {
      RequireAttribute(AttributeType::kNextHop, ErrorAction::kAttributeDiscard, "NEXT_HOP missing");
    }
  }
  void RequireAttribute(AttributeType type, ErrorAction action, const char* problem) {
    if (seen_[uint8_t(type)]) return;
    Report(ErrorKind::kMissingWellKnownAttribute, action, attributes_offset_, uint8_t(type),
           problem);
  }

  // RFC 4724 section 2: an UPDATE with nothing in it (IPv4 unicast), or with only an
  // MP_UNREACH_NLRI holding no routes (its family).
  void DetectEndOfRib() {
    if (out_->action != ErrorAction::kNone || !withdrawn_field_empty_ || !nlri_field_empty_) {
      return;
    }
    if (attribute_count_ == 0) {
      out_->end_of_rib = AfiSafi{Afi::kIpv4, Safi::kUnicast};
    } else if (attribute_count_ == 1 && out_->mp_unreach_family && mp_unreach_empty_) {
      out_->end_of_rib = out_->mp_unreach_family;
    }
  }

  std::span<const uint8_t> message_;
  const SessionOptions& options_;
  Update* out_;

  std::bitset<256> seen_;  // attribute types met, for duplicates and well-known checks
  size_t attribute_count_ = 0;
  uint32_t attributes_offset_ = 0;
  bool attribute_list_broken_ = false;
  bool withdrawn_field_empty_ = true;
  bool nlri_field_empty_ = true;
  bool mp_unreach_empty_ = false;
  std::optional<Aggregator> as4_aggregator_;
};

}  // namespace

ErrorAction DecodeUpdate(std::span<const uint8_t> message, const SessionOptions& options,
                         Update* update) {
  update->Clear();
  MessageHeader header;
  if (auto error = CheckMessage(message, MessageType::kUpdate, options.extended_message, &header)) {
    update->errors.push_back(*error);
    update->action = ErrorAction::kDiscardMessage;
    return update->action;
  }
  UpdateParser(message, options, update).Run();
  switch (update->action) {
    case ErrorAction::kDiscardMessage:
      update->withdrawn.clear();
      update->announced.clear();
      update->end_of_rib.reset();
      break;
    case ErrorAction::kTreatAsWithdraw:
      for (Nlri& route : update->announced) {
        route.label = 0;
        update->withdrawn.push_back(route);
      }
      update->announced.clear();
      break;
    default:
      break;
  }
  return update->action;
}

}  // namespace ribflow::bgp
