// The first byte of a bgp_update_fuzzer input: which SessionOptions the UPDATE that follows is
// decoded with. Shared with the test that writes the seed corpus, so seeds and fuzzer agree.
//
//   bit 0  four_octet_as             bit 4  ADD-PATH IPv4 and IPv6 multicast
//   bit 1  extended_message          bit 5  ADD-PATH IPv4 and IPv6 labeled unicast
//   bit 2  ADD-PATH IPv4 unicast     bit 6  ADD-PATH VPNv4 and VPNv6
//   bit 3  ADD-PATH IPv6 unicast     bit 7  ADD-PATH EVPN
#pragma once

#include <cstdint>

#include "bgp/types.h"

namespace ribflow::bgp {

inline constexpr uint8_t kFuzzFourOctetAs = 1 << 0;
inline constexpr uint8_t kFuzzExtendedMessage = 1 << 1;
inline constexpr uint8_t kFuzzAddPathIpv4Unicast = 1 << 2;
inline constexpr uint8_t kFuzzAddPathIpv6Unicast = 1 << 3;
inline constexpr uint8_t kFuzzAddPathMulticast = 1 << 4;
inline constexpr uint8_t kFuzzAddPathLabeled = 1 << 5;
inline constexpr uint8_t kFuzzAddPathVpn = 1 << 6;
inline constexpr uint8_t kFuzzAddPathEvpn = 1 << 7;

inline SessionOptions SessionOptionsFromFuzzByte(uint8_t bits) {
  SessionOptions options;
  options.four_octet_as = bits & kFuzzFourOctetAs;
  options.extended_message = bits & kFuzzExtendedMessage;
  auto add_both = [&](Safi safi) {
    options.add_path.Add(Afi::kIpv4, safi);
    options.add_path.Add(Afi::kIpv6, safi);
  };
  if (bits & kFuzzAddPathIpv4Unicast) options.add_path.Add(Afi::kIpv4, Safi::kUnicast);
  if (bits & kFuzzAddPathIpv6Unicast) options.add_path.Add(Afi::kIpv6, Safi::kUnicast);
  if (bits & kFuzzAddPathMulticast) add_both(Safi::kMulticast);
  if (bits & kFuzzAddPathLabeled) add_both(Safi::kLabeledUnicast);
  if (bits & kFuzzAddPathVpn) add_both(Safi::kMplsVpn);
  if (bits & kFuzzAddPathEvpn) options.add_path.Add(Afi::kL2vpn, Safi::kEvpn);
  return options;
}

}  // namespace ribflow::bgp
