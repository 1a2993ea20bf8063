// A set of valid messages covering every attribute and NLRI family the codec decodes: the
// truncation tests cut each at every offset, and they are the fuzzers' seed corpus (see
// fuzz_seeds_test.cc). Each UPDATE comes with the fuzz byte of its session options
// (fuzz/bgp_fuzz_options.h).
#pragma once

#include <string>
#include <vector>

// The fuzzer's encoding of session options, shared with it from fuzz/.
#include "../../../fuzz/bgp_fuzz_options.h"
#include "message_builder.h"

namespace ribflow::bgp::testing {

struct UpdateSample {
  std::string name;
  uint8_t options_byte = 0;
  Bytes message;
};

struct OpenSample {
  std::string name;
  Bytes message;
};

// ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR, COMMUNITIES,
// EXTENDED_COMMUNITIES, LARGE_COMMUNITY, ORIGINATOR_ID, CLUSTER_LIST and an unknown optional
// attribute, with IPv4 withdrawals and announcements, on a 4-octet session.
inline Bytes FullIpv4Update() {
  const Bytes attributes = Cat({
      OriginAttribute(Origin::kIgp),
      AsPathAttribute({Seq({64500, 4200000000u, 65001}), Set({65010, 65011})}),
      NextHopAttribute("192.0.2.1"),
      MedAttribute(50),
      LocalPrefAttribute(200),
      AtomicAggregateAttribute(),
      AggregatorAttribute(65001, "192.0.2.9"),
      CommunitiesAttribute({0xfde80064, 0xffffff01}),
      ExtendedCommunitiesAttribute({0x0002fde800000064ull, 0x0003000000000001ull}),
      LargeCommunitiesAttribute({{4200000000u, 1, 2}}),
      OriginatorIdAttribute("10.0.0.1"),
      ClusterListAttribute({0x0a000002, 0x0a000003}),
      Attribute(kOptionalTransitive, 99, {1, 2, 3}),
  });
  return UpdateMessage(
      Cat({PrefixNlri("198.51.100.0/24"), PrefixNlri("0.0.0.0/0")}), attributes,
      Cat({PrefixNlri("203.0.113.0/24"), PrefixNlri("10.0.0.0/8"), PrefixNlri("192.0.2.128/25")}));
}

inline Bytes BaseAttributes() {
  return Cat({OriginAttribute(Origin::kIgp), AsPathAttribute({Seq({64500, 64501})})});
}

inline std::vector<UpdateSample> SampleUpdates() {
  std::vector<UpdateSample> samples;
  samples.push_back({"ipv4_all_attributes", kFuzzFourOctetAs, FullIpv4Update()});
  samples.push_back(
      {"ipv6_reach_and_unreach", kFuzzFourOctetAs,
       UpdateMessage(
           {},
           Cat({MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, PrefixNlri("2001:db8:dead::/48")),
                MpReachAttribute(
                    Afi::kIpv6, Safi::kUnicast,
                    Cat({AddressBytes("2001:db8::1"), AddressBytes("fe80::1")}),
                    Cat({PrefixNlri("2001:db8:1::/48"), PrefixNlri("2001:db8:2::/64")})),
                BaseAttributes()}),
           {})});
  samples.push_back(
      {"ipv4_add_path", kFuzzFourOctetAs | kFuzzAddPathIpv4Unicast,
       UpdateMessage(PrefixNlri("198.51.100.0/24", 7),
                     Cat({BaseAttributes(), NextHopAttribute("192.0.2.1")}),
                     Cat({PrefixNlri("203.0.113.0/24", 1), PrefixNlri("203.0.113.0/24", 2)}))});
  samples.push_back(
      {"ipv4_labeled_unicast", kFuzzFourOctetAs,
       UpdateMessage(
           {},
           Cat({MpReachAttribute(Afi::kIpv4, Safi::kLabeledUnicast, AddressBytes("192.0.2.1"),
                                 Cat({LabeledNlri("203.0.113.0/24", {16001, 24005}),
                                      LabeledNlri("10.1.0.0/16", {3})})),
                BaseAttributes()}),
           {})});
  samples.push_back({"ipv4_labeled_withdraw", kFuzzFourOctetAs,
                     UpdateMessage({},
                                   MpUnreachAttribute(Afi::kIpv4, Safi::kLabeledUnicast,
                                                      RawLabeledNlri("203.0.113.0/24", {0x800000})),
                                   {})});
  samples.push_back(
      {"vpnv4", kFuzzFourOctetAs,
       UpdateMessage(
           {},
           Cat({MpReachAttribute(Afi::kIpv4, Safi::kMplsVpn, VpnNextHop("192.0.2.1"),
                                 LabeledNlri("10.2.0.0/16", {299776}, 0x0000fde800000064ull)),
                BaseAttributes(), ExtendedCommunitiesAttribute({0x0002fde800000064ull})}),
           {})});
  samples.push_back(
      {"vpnv6", kFuzzFourOctetAs,
       UpdateMessage(
           {},
           Cat({MpReachAttribute(Afi::kIpv6, Safi::kMplsVpn, VpnNextHop("2001:db8::1"),
                                 LabeledNlri("2001:db8:5::/48", {299792}, 0x00010a0000010001ull)),
                BaseAttributes()}),
           {})});
  samples.push_back(
      {"evpn_ip_prefix", kFuzzFourOctetAs,
       UpdateMessage(
           {},
           Cat({MpReachAttribute(
                    Afi::kL2vpn, Safi::kEvpn, AddressBytes("192.0.2.1"),
                    Cat({EvpnIpPrefixNlri(0x0000fde800000001ull, "10.3.0.0/16", "0.0.0.0", 100),
                         EvpnRoute(2, Bytes(33, 0)),
                         EvpnIpPrefixNlri(0x0000fde800000001ull, "2001:db8:7::/48", "::", 100)})),
                BaseAttributes()}),
           {})});
  samples.push_back({"two_octet_as4_path", 0,
                     UpdateMessage({},
                                   Cat({OriginAttribute(Origin::kIgp),
                                        AsPathAttribute({Seq({64500, kAsTrans, kAsTrans})}, 2),
                                        NextHopAttribute("192.0.2.1"),
                                        AggregatorAttribute(kAsTrans, "192.0.2.9", 2),
                                        As4PathAttribute({Seq({4200000001u, 4200000002u})}),
                                        As4AggregatorAttribute(4200000002u, "192.0.2.9")}),
                                   PrefixNlri("203.0.113.0/24"))});
  samples.push_back({"end_of_rib_ipv4", 0, UpdateMessage({}, {}, {})});
  samples.push_back({"end_of_rib_ipv6", kFuzzFourOctetAs,
                     UpdateMessage({}, MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, {}), {})});
  // Over 4096 bytes: needs RFC 8654 extended messages. 1200 /24 prefixes.
  Bytes many_prefixes;
  for (uint32_t i = 0; i < 1200; ++i) {
    const std::string prefix =
        "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24";
    PutBytes(many_prefixes, PrefixNlri(prefix));
  }
  samples.push_back(
      {"extended_message", kFuzzFourOctetAs | kFuzzExtendedMessage,
       UpdateMessage({}, Cat({BaseAttributes(), NextHopAttribute("192.0.2.1")}), many_prefixes)});
  return samples;
}

inline Bytes TypicalOpen() {
  return OpenMessage(
      kAsTrans, 90, "192.0.2.1",
      CapabilitiesParameter({
          MultiprotocolCapability(Afi::kIpv4, Safi::kUnicast),
          MultiprotocolCapability(Afi::kIpv6, Safi::kUnicast),
          Capability(CapabilityCode::kRouteRefresh, {}),
          Capability(CapabilityCode::kExtendedMessage, {}), FourOctetAsCapability(4200000001u),
          AddPathCapabilityBytes(
              {{Afi::kIpv4, Safi::kUnicast, 3}, {Afi::kIpv6, Safi::kUnicast, 1}}),
          Capability(CapabilityCode::kGracefulRestart, {0x80, 0x78, 0x00, 0x01, 0x01, 0x80}),
          Capability(70, {}),  // enhanced route refresh: unknown to the codec
      }));
}

inline std::vector<OpenSample> SampleOpens() {
  return {
      {"typical", TypicalOpen()},
      {"no_parameters", OpenMessage(64500, 180, "192.0.2.2", {})},
      {"extended_parameters",
       ExtendedOpenMessage(
           64500, 90, "192.0.2.3",
           {MultiprotocolCapability(Afi::kL2vpn, Safi::kEvpn), FourOctetAsCapability(64500)})},
  };
}

}  // namespace ribflow::bgp::testing
