// Hand-built BMP messages for the BMP tests: every field written out in network order, in RFC
// order, so that a test reads like the message layout it checks. A few messages are also
// spelled out byte by byte in message_test.cc, so that this builder and the decoder cannot
// share a misreading of the RFC unnoticed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ribflow::bmp::testing {

class Bytes {
 public:
  Bytes() = default;
  Bytes(std::initializer_list<uint8_t> bytes) : bytes_(bytes) {}

  Bytes& U8(uint8_t v) {
    bytes_.push_back(v);
    return *this;
  }
  Bytes& U16(uint16_t v) { return U8(static_cast<uint8_t>(v >> 8)).U8(static_cast<uint8_t>(v)); }
  Bytes& U32(uint32_t v) {
    return U16(static_cast<uint16_t>(v >> 16)).U16(static_cast<uint16_t>(v));
  }
  Bytes& U64(uint64_t v) {
    return U32(static_cast<uint32_t>(v >> 32)).U32(static_cast<uint32_t>(v));
  }
  Bytes& Append(const Bytes& other) {
    bytes_.insert(bytes_.end(), other.bytes_.begin(), other.bytes_.end());
    return *this;
  }
  Bytes& Text(std::string_view text) {
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  Bytes& Fill(size_t n, uint8_t value) {
    bytes_.insert(bytes_.end(), n, value);
    return *this;
  }

  const std::vector<uint8_t>& data() const { return bytes_; }
  std::vector<uint8_t>& data() { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
};

// The per-peer header's fields (RFC 7854 4.2), with the values most tests use.
struct PeerSpec {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint64_t distinguisher = 0;
  std::array<uint8_t, 16> address = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1};
  uint32_t as = 64500;
  uint32_t bgp_id = 0xc0000201;  // 192.0.2.1
  uint32_t seconds = 1700000000;
  uint32_t microseconds = 123456;
};

inline constexpr std::array<uint8_t, 16> kIpv6Peer = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                      0,    0,    0,    0,    0, 0, 0, 1};

inline Bytes PeerHeaderBytes(const PeerSpec& peer) {
  Bytes b;
  b.U8(peer.type).U8(peer.flags).U64(peer.distinguisher);
  for (uint8_t byte : peer.address) b.U8(byte);
  return b.U32(peer.as).U32(peer.bgp_id).U32(peer.seconds).U32(peer.microseconds);
}

// A BGP message (RFC 4271 4.1): marker, length, type, body.
inline Bytes BgpMessage(uint8_t type, const Bytes& body) {
  Bytes b;
  b.Fill(16, 0xff).U16(static_cast<uint16_t>(19 + body.size())).U8(type).Append(body);
  return b;
}
// An UPDATE announcing 198.51.100.0/24 with ORIGIN IGP (enough for BMP: it is not decoded).
inline Bytes BgpUpdate() {
  Bytes body;
  body.U16(0);                             // withdrawn routes length
  body.U16(4).U8(0x40).U8(1).U8(1).U8(0);  // path attributes: ORIGIN IGP
  body.U8(24).U8(198).U8(51).U8(100);      // NLRI
  return BgpMessage(2, body);
}
inline Bytes BgpOpen(uint16_t as, uint32_t bgp_id) {
  Bytes body;
  body.U8(4).U16(as).U16(180).U32(bgp_id).U8(0);  // version, AS, hold time, id, no options
  return BgpMessage(1, body);
}
inline Bytes BgpNotification(uint8_t code, uint8_t subcode) {
  return BgpMessage(3, Bytes{code, subcode});
}

inline Bytes TlvBytes(uint16_t type, const Bytes& value) {
  Bytes b;
  b.U16(type).U16(static_cast<uint16_t>(value.size())).Append(value);
  return b;
}
inline Bytes TextValue(std::string_view text) { return Bytes().Text(text); }

// A whole BMP message: common header (version 3, length, type) then body.
inline std::vector<uint8_t> BmpMessage(uint8_t type, const Bytes& body) {
  Bytes b;
  b.U8(3).U32(static_cast<uint32_t>(6 + body.size())).U8(type).Append(body);
  return b.data();
}
inline std::vector<uint8_t> PerPeerMessage(uint8_t type, const PeerSpec& peer, const Bytes& rest) {
  return BmpMessage(type, PeerHeaderBytes(peer).Append(rest));
}

// One valid message of each type and variant, for the tests that mutate or cut them.
inline std::vector<std::pair<std::string, std::vector<uint8_t>>> GoldenMessages() {
  PeerSpec ipv6_post_out{.flags = 0x80 | 0x40 | 0x10, .address = kIpv6Peer};
  PeerSpec loc_rib{.type = 3, .flags = 0x80, .address = {}};
  PeerSpec rd{.type = 1, .distinguisher = 0x0000fde800000064};
  Bytes stats;
  stats.U32(3)
      .Append(TlvBytes(0, Bytes().U32(7)))
      .Append(TlvBytes(7, Bytes().U64(1000000)))
      .Append(TlvBytes(9, Bytes().U16(2).U8(1).U64(200000)));
  return {
      {"route_monitoring", PerPeerMessage(0, PeerSpec{}, BgpUpdate())},
      {"route_monitoring_ipv6_adj_rib_out", PerPeerMessage(0, ipv6_post_out, BgpUpdate())},
      {"route_monitoring_with_tlv",
       PerPeerMessage(0, loc_rib, BgpUpdate().Append(TlvBytes(60002, Bytes().U32(10))))},
      {"statistics_report", PerPeerMessage(1, rd, stats)},
      {"peer_down_local_notification",
       PerPeerMessage(2, PeerSpec{}, Bytes{1}.Append(BgpNotification(6, 2)))},
      {"peer_down_fsm_event", PerPeerMessage(2, PeerSpec{}, Bytes{2}.U16(24))},
      {"peer_down_remote_notification",
       PerPeerMessage(2, PeerSpec{}, Bytes{3}.Append(BgpNotification(4, 0)))},
      {"peer_down_remote_no_data", PerPeerMessage(2, PeerSpec{}, Bytes{4})},
      {"peer_down_deconfigured", PerPeerMessage(2, PeerSpec{}, Bytes{5})},
      {"peer_down_loc_rib_tlv",
       PerPeerMessage(2, loc_rib, Bytes{6}.Append(TlvBytes(3, TextValue("vrf-blue"))))},
      {"peer_up", PerPeerMessage(3, PeerSpec{},
                                 Bytes()
                                     .Fill(12, 0)
                                     .U8(192)
                                     .U8(0)
                                     .U8(2)
                                     .U8(254)
                                     .U16(179)
                                     .U16(40000)
                                     .Append(BgpOpen(64501, 0xc00002fe))
                                     .Append(BgpOpen(64500, 0xc0000201))
                                     .Append(TlvBytes(0, TextValue("peer up note")))
                                     .Append(TlvBytes(3, TextValue("global"))))},
      {"initiation", BmpMessage(4, TlvBytes(1, TextValue("router os 1.0"))
                                       .Append(TlvBytes(2, TextValue("r1.example")))
                                       .Append(TlvBytes(0, TextValue("hello"))))},
      {"termination",
       BmpMessage(5, TlvBytes(0, TextValue("bye")).Append(TlvBytes(1, Bytes().U16(3))))},
      {"route_mirroring",
       PerPeerMessage(6, PeerSpec{}, TlvBytes(0, BgpUpdate()).Append(TlvBytes(1, Bytes().U16(1))))},
  };
}

}  // namespace ribflow::bmp::testing
