// Builds BGP messages byte by byte, for the codec's tests and the fuzzers' seed corpus.
//
// Each helper writes one wire structure of the RFCs (a prefix, an attribute, a capability, a
// message) from readable values, so that a test reads like the message it sends. Nothing here
// checks what it builds: tests build malformed messages on purpose.
//
// Threading model: stateless functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "bgp/message.h"
#include "bgp/open.h"
#include "bgp/update.h"
#include "common/ip_address.h"

namespace ribflow::bgp::testing {

using Bytes = std::vector<uint8_t>;

// ---- Integers and byte strings ----

inline void PutU8(Bytes& out, uint32_t value) { out.push_back(uint8_t(value)); }
inline void PutU16(Bytes& out, uint32_t value) {
  PutU8(out, value >> 8);
  PutU8(out, value);
}
inline void PutU24(Bytes& out, uint32_t value) {
  PutU8(out, value >> 16);
  PutU16(out, value);
}
inline void PutU32(Bytes& out, uint32_t value) {
  PutU16(out, value >> 16);
  PutU16(out, value);
}
inline void PutU64(Bytes& out, uint64_t value) {
  PutU32(out, uint32_t(value >> 32));
  PutU32(out, uint32_t(value));
}
inline void PutBytes(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) PutBytes(out, part);
  return out;
}

// The 4 (IPv4) or 16 (IPv6) bytes of an address written as text.
inline Bytes AddressBytes(std::string_view text) {
  const IpAddress address = IpAddress::Parse(text).value();
  const uint8_t* bytes = address.family_bytes();
  return Bytes(bytes, bytes + (address.is_v4() ? 4 : 16));
}

inline IpAddress Ip(std::string_view text) { return IpAddress::Parse(text).value(); }
inline Prefix Pfx(std::string_view text) { return Prefix::Parse(text).value(); }

// ---- NLRI ----

// The ceil(length/8) significant bytes of a prefix.
inline Bytes PrefixBytes(const Prefix& prefix) {
  const uint8_t* bytes = prefix.address.family_bytes();
  return Bytes(bytes, bytes + (prefix.length + 7) / 8);
}

// RFC 4271 / RFC 7911: [path id] length prefix.
inline Bytes PrefixNlri(std::string_view text, std::optional<uint32_t> path_id = std::nullopt) {
  const Prefix prefix = Pfx(text);
  Bytes out;
  if (path_id) PutU32(out, *path_id);
  PutU8(out, prefix.length);
  PutBytes(out, PrefixBytes(prefix));
  return out;
}

// RFC 8277 / RFC 4364: [path id] length, label fields as given (3 bytes each, raw: label << 4
// | bottom-of-stack bit), [RD], prefix.
inline Bytes RawLabeledNlri(std::string_view text, const std::vector<uint32_t>& label_fields,
                            std::optional<uint64_t> rd = std::nullopt,
                            std::optional<uint32_t> path_id = std::nullopt) {
  const Prefix prefix = Pfx(text);
  Bytes out;
  if (path_id) PutU32(out, *path_id);
  PutU8(out, 24 * label_fields.size() + (rd ? 64 : 0) + prefix.length);
  for (uint32_t field : label_fields) PutU24(out, field);
  if (rd) PutU64(out, *rd);
  PutBytes(out, PrefixBytes(prefix));
  return out;
}

// A label stack of 20-bit labels, the last one marked bottom of stack.
inline Bytes LabeledNlri(std::string_view text, const std::vector<uint32_t>& labels,
                         std::optional<uint64_t> rd = std::nullopt,
                         std::optional<uint32_t> path_id = std::nullopt) {
  std::vector<uint32_t> fields;
  for (size_t i = 0; i < labels.size(); ++i) {
    fields.push_back(labels[i] << 4 | (i + 1 == labels.size() ? 1 : 0));
  }
  return RawLabeledNlri(text, fields, rd, path_id);
}

// RFC 7432 section 7: [path id] route type, length, value.
inline Bytes EvpnRoute(uint8_t type, const Bytes& value,
                       std::optional<uint32_t> path_id = std::nullopt) {
  Bytes out;
  if (path_id) PutU32(out, *path_id);
  PutU8(out, type);
  PutU8(out, value.size());
  PutBytes(out, value);
  return out;
}

// RFC 9136 route type 5: RD, ESI (zero), Ethernet tag, prefix length, prefix (full width),
// gateway, then the 3-byte label field as given (an MPLS label entry, or a VXLAN VNI).
inline Bytes EvpnIpPrefixNlriWithLabelField(uint64_t rd, std::string_view text,
                                            std::string_view gateway, uint32_t label_field,
                                            std::optional<uint32_t> path_id = std::nullopt) {
  const Prefix prefix = Pfx(text);
  Bytes value;
  PutU64(value, rd);
  PutBytes(value, Bytes(10, 0));
  PutU32(value, 0);
  PutU8(value, prefix.length);
  PutBytes(value, AddressBytes(prefix.address.ToString()));
  PutBytes(value, AddressBytes(gateway));
  PutU24(value, label_field);
  return EvpnRoute(5, value, path_id);
}
// The same with an MPLS label (20 bits, bottom of stack).
inline Bytes EvpnIpPrefixNlri(uint64_t rd, std::string_view text, std::string_view gateway,
                              uint32_t label, std::optional<uint32_t> path_id = std::nullopt) {
  return EvpnIpPrefixNlriWithLabelField(rd, text, gateway, label << 4 | 1, path_id);
}

// ---- Path attributes ----

inline constexpr uint8_t kWellKnown = 0x40;  // transitive
inline constexpr uint8_t kOptionalTransitive = 0xc0;
inline constexpr uint8_t kOptionalNonTransitive = 0x80;
inline constexpr uint8_t kExtendedLengthFlag = 0x10;

// Flags, type, length (2 bytes when the flag asks or the value needs it), value.
inline Bytes Attribute(uint8_t flags, uint8_t type, const Bytes& value) {
  if (value.size() > 255) flags |= kExtendedLengthFlag;
  Bytes out;
  PutU8(out, flags);
  PutU8(out, type);
  if (flags & kExtendedLengthFlag) {
    PutU16(out, value.size());
  } else {
    PutU8(out, value.size());
  }
  PutBytes(out, value);
  return out;
}
inline Bytes Attribute(uint8_t flags, AttributeType type, const Bytes& value) {
  return Attribute(flags, uint8_t(type), value);
}

inline Bytes U32Value(uint32_t value) {
  Bytes out;
  PutU32(out, value);
  return out;
}

inline Bytes OriginAttribute(Origin origin) {
  return Attribute(kWellKnown, AttributeType::kOrigin, {uint8_t(origin)});
}

struct Segment {
  AsPathSegmentType type;
  std::vector<uint32_t> asns;
};
inline Segment Seq(std::vector<uint32_t> asns) {
  return {AsPathSegmentType::kAsSequence, std::move(asns)};
}
inline Segment Set(std::vector<uint32_t> asns) {
  return {AsPathSegmentType::kAsSet, std::move(asns)};
}

inline Bytes AsPathValue(const std::vector<Segment>& segments, size_t asn_size) {
  Bytes out;
  for (const Segment& segment : segments) {
    PutU8(out, uint8_t(segment.type));
    PutU8(out, segment.asns.size());
    for (uint32_t asn : segment.asns) {
      if (asn_size == 4) {
        PutU32(out, asn);
      } else {
        PutU16(out, asn);
      }
    }
  }
  return out;
}
inline Bytes AsPathAttribute(const std::vector<Segment>& segments, size_t asn_size = 4) {
  return Attribute(kWellKnown, AttributeType::kAsPath, AsPathValue(segments, asn_size));
}
inline Bytes As4PathAttribute(const std::vector<Segment>& segments) {
  return Attribute(kOptionalTransitive, AttributeType::kAs4Path, AsPathValue(segments, 4));
}

inline Bytes NextHopAttribute(std::string_view address) {
  return Attribute(kWellKnown, AttributeType::kNextHop, AddressBytes(address));
}
inline Bytes MedAttribute(uint32_t med) {
  return Attribute(kOptionalNonTransitive, AttributeType::kMultiExitDisc, U32Value(med));
}
inline Bytes LocalPrefAttribute(uint32_t local_pref) {
  return Attribute(kWellKnown, AttributeType::kLocalPref, U32Value(local_pref));
}
inline Bytes AtomicAggregateAttribute() {
  return Attribute(kWellKnown, AttributeType::kAtomicAggregate, {});
}
inline Bytes AggregatorValue(uint32_t asn, std::string_view address, size_t asn_size) {
  Bytes out;
  if (asn_size == 4) {
    PutU32(out, asn);
  } else {
    PutU16(out, asn);
  }
  PutBytes(out, AddressBytes(address));
  return out;
}
inline Bytes AggregatorAttribute(uint32_t asn, std::string_view address, size_t asn_size = 4) {
  return Attribute(kOptionalTransitive, AttributeType::kAggregator,
                   AggregatorValue(asn, address, asn_size));
}
inline Bytes As4AggregatorAttribute(uint32_t asn, std::string_view address) {
  return Attribute(kOptionalTransitive, AttributeType::kAs4Aggregator,
                   AggregatorValue(asn, address, 4));
}
inline Bytes CommunitiesAttribute(const std::vector<uint32_t>& communities) {
  Bytes value;
  for (uint32_t community : communities) PutU32(value, community);
  return Attribute(kOptionalTransitive, AttributeType::kCommunities, value);
}
inline Bytes ExtendedCommunitiesAttribute(const std::vector<uint64_t>& communities) {
  Bytes value;
  for (uint64_t community : communities) PutU64(value, community);
  return Attribute(kOptionalTransitive, AttributeType::kExtendedCommunities, value);
}
inline Bytes LargeCommunitiesAttribute(const std::vector<LargeCommunity>& communities) {
  Bytes value;
  for (const LargeCommunity& community : communities) {
    PutU32(value, community.global_admin);
    PutU32(value, community.local_data1);
    PutU32(value, community.local_data2);
  }
  return Attribute(kOptionalTransitive, AttributeType::kLargeCommunity, value);
}
inline Bytes OriginatorIdAttribute(std::string_view router_id) {
  return Attribute(kOptionalNonTransitive, AttributeType::kOriginatorId, AddressBytes(router_id));
}
inline Bytes ClusterListAttribute(const std::vector<uint32_t>& cluster_ids) {
  Bytes value;
  for (uint32_t id : cluster_ids) PutU32(value, id);
  return Attribute(kOptionalNonTransitive, AttributeType::kClusterList, value);
}

// RFC 4760: AFI, SAFI, next hop length, next hop, reserved, NLRI.
inline Bytes MpReachAttribute(Afi afi, Safi safi, const Bytes& next_hop, const Bytes& nlri) {
  Bytes value;
  PutU16(value, uint16_t(afi));
  PutU8(value, uint8_t(safi));
  PutU8(value, next_hop.size());
  PutBytes(value, next_hop);
  PutU8(value, 0);
  PutBytes(value, nlri);
  return Attribute(kOptionalNonTransitive, AttributeType::kMpReachNlri, value);
}
inline Bytes MpUnreachAttribute(Afi afi, Safi safi, const Bytes& nlri) {
  Bytes value;
  PutU16(value, uint16_t(afi));
  PutU8(value, uint8_t(safi));
  PutBytes(value, nlri);
  return Attribute(kOptionalNonTransitive, AttributeType::kMpUnreachNlri, value);
}

// The RD-prefixed next hop of VPN families: 8 zero bytes, then the address.
inline Bytes VpnNextHop(std::string_view address) {
  return Cat({Bytes(8, 0), AddressBytes(address)});
}

// ---- Messages ----

// Marker, length (of the whole message), type, body.
inline Bytes Message(MessageType type, const Bytes& body) {
  Bytes out(kMarkerSize, 0xff);
  PutU16(out, kHeaderSize + body.size());
  PutU8(out, uint8_t(type));
  PutBytes(out, body);
  return out;
}

inline Bytes UpdateMessage(const Bytes& withdrawn, const Bytes& attributes, const Bytes& nlri) {
  Bytes body;
  PutU16(body, withdrawn.size());
  PutBytes(body, withdrawn);
  PutU16(body, attributes.size());
  PutBytes(body, attributes);
  PutBytes(body, nlri);
  return Message(MessageType::kUpdate, body);
}

// Rewrites the header's length to the message's size (after a test shortened or grew it).
inline void FixLength(Bytes& message) {
  message[16] = uint8_t(message.size() >> 8);
  message[17] = uint8_t(message.size());
}

// ---- OPEN ----

inline Bytes Capability(uint8_t code, const Bytes& value) {
  Bytes out;
  PutU8(out, code);
  PutU8(out, value.size());
  PutBytes(out, value);
  return out;
}
inline Bytes Capability(CapabilityCode code, const Bytes& value) {
  return Capability(uint8_t(code), value);
}
inline Bytes MultiprotocolCapability(Afi afi, Safi safi) {
  Bytes value;
  PutU16(value, uint16_t(afi));
  PutU8(value, 0);
  PutU8(value, uint8_t(safi));
  return Capability(CapabilityCode::kMultiprotocol, value);
}
inline Bytes FourOctetAsCapability(uint32_t asn) {
  return Capability(CapabilityCode::kFourOctetAs, U32Value(asn));
}
struct AddPathEntry {
  Afi afi;
  Safi safi;
  uint8_t send_receive;
};
inline Bytes AddPathCapabilityBytes(const std::vector<AddPathEntry>& entries) {
  Bytes value;
  for (const AddPathEntry& entry : entries) {
    PutU16(value, uint16_t(entry.afi));
    PutU8(value, uint8_t(entry.safi));
    PutU8(value, entry.send_receive);
  }
  return Capability(CapabilityCode::kAddPath, value);
}

// One optional parameter of type 2 holding the capabilities (RFC 5492).
inline Bytes CapabilitiesParameter(const std::vector<Bytes>& capabilities) {
  Bytes value;
  for (const Bytes& capability : capabilities) PutBytes(value, capability);
  Bytes out;
  PutU8(out, 2);
  PutU8(out, value.size());
  PutBytes(out, value);
  return out;
}

// Version 4, My AS, hold time, identifier, then the optional parameters with a 1-byte length.
inline Bytes OpenMessage(uint16_t my_as, uint16_t hold_time, std::string_view identifier,
                         const Bytes& parameters) {
  Bytes body;
  PutU8(body, 4);
  PutU16(body, my_as);
  PutU16(body, hold_time);
  PutBytes(body, AddressBytes(identifier));
  PutU8(body, parameters.size());
  PutBytes(body, parameters);
  return Message(MessageType::kOpen, body);
}

// The same with RFC 9072 extended optional parameters: 255, 255, 2-byte length, and each
// parameter's length on 2 bytes.
inline Bytes ExtendedOpenMessage(uint16_t my_as, uint16_t hold_time, std::string_view identifier,
                                 const std::vector<Bytes>& capabilities) {
  Bytes value;
  for (const Bytes& capability : capabilities) PutBytes(value, capability);
  Bytes parameters;
  PutU8(parameters, 2);
  PutU16(parameters, value.size());
  PutBytes(parameters, value);
  Bytes body;
  PutU8(body, 4);
  PutU16(body, my_as);
  PutU16(body, hold_time);
  PutBytes(body, AddressBytes(identifier));
  PutU8(body, 255);
  PutU8(body, 255);
  PutU16(body, parameters.size());
  PutBytes(body, parameters);
  return Message(MessageType::kOpen, body);
}

// Session options the UPDATE tests decode with.
inline SessionOptions FourOctet() {
  SessionOptions options;
  options.four_octet_as = true;
  return options;
}
inline const SessionOptions kTwoOctet{};

}  // namespace ribflow::bgp::testing
