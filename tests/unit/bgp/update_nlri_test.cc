// UPDATE routes of every decoded family: IPv4/IPv6 unicast and multicast, labeled unicast
// (RFC 8277), VPNv4/VPNv6 (RFC 4364/4659), EVPN IP prefix routes (RFC 9136); MP_REACH next
// hops; ADD-PATH path identifiers (RFC 7911) per negotiated family; skipped families.
#include <gtest/gtest.h>

#include "bgp/update.h"
#include "message_builder.h"

namespace ribflow::bgp {
namespace {

using namespace testing;

SessionOptions Options(std::initializer_list<AfiSafi> add_path = {}) {
  SessionOptions options;
  options.four_octet_as = true;
  for (const AfiSafi& family : add_path) options.add_path.Add(family.afi, family.safi);
  return options;
}

std::string Errors(const Update& update) {
  std::string text;
  for (const DecodeError& error : update.errors) text += error.ToString() + "; ";
  return text;
}

Update DecodeOk(const Bytes& message, const SessionOptions& options = Options()) {
  Update update;
  EXPECT_EQ(DecodeUpdate(message, options, &update), ErrorAction::kNone) << Errors(update);
  return update;
}

Nlri Route(std::string_view prefix, Afi afi, Safi safi, bool from_mp = true) {
  Nlri route;
  route.prefix = Pfx(prefix);
  route.afi = afi;
  route.safi = safi;
  route.from_mp_attribute = from_mp;
  return route;
}
Nlri WithLabel(Nlri route, uint32_t label, RouteDistinguisher rd = 0) {
  route.label = label;
  route.rd = rd;
  return route;
}
Nlri WithPathId(Nlri route, uint32_t path_id) {
  route.path_id = path_id;
  return route;
}

Bytes BaseAttributes() {
  return Cat({OriginAttribute(Origin::kIgp), AsPathAttribute({Seq({64500})})});
}
Bytes Announce(Afi afi, Safi safi, const Bytes& next_hop, const Bytes& nlri) {
  return UpdateMessage({}, Cat({MpReachAttribute(afi, safi, next_hop, nlri), BaseAttributes()}),
                       {});
}
Bytes Withdraw(Afi afi, Safi safi, const Bytes& nlri) {
  return UpdateMessage({}, MpUnreachAttribute(afi, safi, nlri), {});
}

// ---- Plain prefixes ----

TEST(UpdateNlriTest, Ipv4PrefixesOfEveryLengthRoundTrip) {
  Bytes nlri;
  std::vector<Nlri> expected;
  for (int length = 0; length <= 32; ++length) {
    const std::string prefix = Prefix::Make(Ip("203.0.113.77"), length)->ToString();
    PutBytes(nlri, PrefixNlri(prefix));
    expected.push_back(Route(prefix, Afi::kIpv4, Safi::kUnicast, false));
  }
  const Update update =
      DecodeOk(UpdateMessage({}, Cat({BaseAttributes(), NextHopAttribute("192.0.2.1")}), nlri));
  EXPECT_EQ(update.announced, expected);
}

TEST(UpdateNlriTest, BitsPastThePrefixLengthAreCleared) {
  // 10.255/9 on the wire: the low 7 bits of the second byte are not part of the prefix.
  const Update update = DecodeOk(UpdateMessage(Bytes{9, 10, 0xff}, {}, {}));
  EXPECT_EQ(update.withdrawn,
            (std::vector<Nlri>{Route("10.128.0.0/9", Afi::kIpv4, Safi::kUnicast, false)}));
}

TEST(UpdateNlriTest, Ipv6UnicastComesWithGlobalAndLinkLocalNextHops) {
  const Update update = DecodeOk(Announce(
      Afi::kIpv6, Safi::kUnicast, Cat({AddressBytes("2001:db8::1"), AddressBytes("fe80::1")}),
      Cat({PrefixNlri("2001:db8:1::/48"), PrefixNlri("::/0"), PrefixNlri("2001:db8::1/128")})));
  EXPECT_EQ(update.announced,
            (std::vector<Nlri>{Route("2001:db8:1::/48", Afi::kIpv6, Safi::kUnicast),
                               Route("::/0", Afi::kIpv6, Safi::kUnicast),
                               Route("2001:db8::1/128", Afi::kIpv6, Safi::kUnicast)}));
  EXPECT_EQ(update.mp_reach_family, (AfiSafi{Afi::kIpv6, Safi::kUnicast}));
  EXPECT_EQ(update.mp_next_hop, Ip("2001:db8::1"));
  EXPECT_EQ(update.mp_link_local_next_hop, Ip("fe80::1"));
  EXPECT_EQ(*update.NextHopFor(update.announced[0]), Ip("2001:db8::1"));
  EXPECT_FALSE(update.next_hop);
}

TEST(UpdateNlriTest, Ipv6NextHopOf16BytesHasNoLinkLocal) {
  const Update update = DecodeOk(Announce(Afi::kIpv6, Safi::kUnicast, AddressBytes("2001:db8::1"),
                                          PrefixNlri("2001:db8:1::/48")));
  EXPECT_EQ(update.mp_next_hop, Ip("2001:db8::1"));
  EXPECT_FALSE(update.mp_link_local_next_hop);
}

TEST(UpdateNlriTest, Ipv4RoutesWithAnIpv6NextHopDecode) {  // RFC 8950
  const Update update = DecodeOk(
      Announce(Afi::kIpv4, Safi::kUnicast, AddressBytes("2001:db8::1"), PrefixNlri("10.0.0.0/8")));
  EXPECT_EQ(update.announced, (std::vector<Nlri>{Route("10.0.0.0/8", Afi::kIpv4, Safi::kUnicast)}));
  EXPECT_EQ(update.mp_next_hop, Ip("2001:db8::1"));
}

TEST(UpdateNlriTest, MulticastFamiliesKeepTheirSafi) {
  EXPECT_EQ(DecodeOk(Announce(Afi::kIpv4, Safi::kMulticast, AddressBytes("192.0.2.1"),
                              PrefixNlri("232.0.0.0/8")))
                .announced,
            (std::vector<Nlri>{Route("232.0.0.0/8", Afi::kIpv4, Safi::kMulticast)}));
  EXPECT_EQ(DecodeOk(Withdraw(Afi::kIpv6, Safi::kMulticast, PrefixNlri("ff3e::/16"))).withdrawn,
            (std::vector<Nlri>{Route("ff3e::/16", Afi::kIpv6, Safi::kMulticast)}));
}

TEST(UpdateNlriTest, NlriFieldAndMpReachRoutesEachUseTheirOwnNextHop) {
  const Update update = DecodeOk(
      UpdateMessage({},
                    Cat({MpReachAttribute(Afi::kIpv6, Safi::kUnicast, AddressBytes("2001:db8::1"),
                                          PrefixNlri("2001:db8:1::/48")),
                         BaseAttributes(), NextHopAttribute("192.0.2.1")}),
                    PrefixNlri("10.0.0.0/8")));
  ASSERT_EQ(update.announced.size(), 2u);
  EXPECT_EQ(*update.NextHopFor(update.announced[0]), Ip("2001:db8::1"));
  EXPECT_EQ(*update.NextHopFor(update.announced[1]), Ip("192.0.2.1"));
}

TEST(UpdateNlriTest, MappedIpv6PrefixesBecomeTheIpv4PrefixTheyMap) {
  // IpAddress holds IPv4 as ::ffff:0:0/96, so ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  const Update update = DecodeOk(Withdraw(
      Afi::kIpv6, Safi::kUnicast, Bytes{104, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10}));
  ASSERT_EQ(update.withdrawn.size(), 1u);
  EXPECT_EQ(update.withdrawn[0].prefix, Pfx("10.0.0.0/8"));
  EXPECT_EQ(update.withdrawn[0].afi, Afi::kIpv6);
}

TEST(UpdateNlriTest, HostBitsNeverMakeAShortIpv6PrefixLookMapped) {
  // ::ffff:0:0/90 with every host bit of its last byte set: an IPv6 /90, whatever those bits.
  const Update update = DecodeOk(
      Withdraw(Afi::kIpv6, Safi::kUnicast, Bytes{90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}));
  ASSERT_EQ(update.withdrawn.size(), 1u);
  EXPECT_EQ(update.withdrawn[0].prefix, Pfx("0:0:0:0:0:ffc0::/90"));
}

// ---- Labeled unicast (RFC 8277) ----

TEST(UpdateNlriTest, LabeledUnicastReadsTheStackToItsBottomAndKeepsTheFirstLabel) {
  const Update update = DecodeOk(Announce(
      Afi::kIpv4, Safi::kLabeledUnicast, AddressBytes("192.0.2.1"),
      Cat({LabeledNlri("203.0.113.0/24", {16001, 24005, 3}), LabeledNlri("10.1.0.0/16", {3})})));
  EXPECT_EQ(update.announced,
            (std::vector<Nlri>{
                WithLabel(Route("203.0.113.0/24", Afi::kIpv4, Safi::kLabeledUnicast), 16001),
                WithLabel(Route("10.1.0.0/16", Afi::kIpv4, Safi::kLabeledUnicast), 3)}));
}

TEST(UpdateNlriTest, Ipv6LabeledUnicastDecodes) {  // 6PE-style, IPv4-mapped next hop
  const Update update = DecodeOk(Announce(Afi::kIpv6, Safi::kLabeledUnicast,
                                          Cat({Bytes(10, 0), Bytes{0xff, 0xff, 192, 0, 2, 1}}),
                                          LabeledNlri("2001:db8:9::/48", {2})));
  EXPECT_EQ(update.announced,
            (std::vector<Nlri>{
                WithLabel(Route("2001:db8:9::/48", Afi::kIpv6, Safi::kLabeledUnicast), 2)}));
  EXPECT_EQ(update.mp_next_hop, Ip("192.0.2.1"));
}

TEST(UpdateNlriTest, LabeledWithdrawalAcceptsTheCompatibilityLabel) {
  const Update update = DecodeOk(
      Withdraw(Afi::kIpv4, Safi::kLabeledUnicast,
               Cat({RawLabeledNlri("203.0.113.0/24", {0x800000}),   // RFC 8277 section 2.4
                    RawLabeledNlri("198.51.100.0/24", {0x000000}),  // older speakers
                    LabeledNlri("192.0.2.0/24", {16001})})));       // a real label, bottom of stack
  EXPECT_EQ(update.withdrawn,
            (std::vector<Nlri>{Route("203.0.113.0/24", Afi::kIpv4, Safi::kLabeledUnicast),
                               Route("198.51.100.0/24", Afi::kIpv4, Safi::kLabeledUnicast),
                               Route("192.0.2.0/24", Afi::kIpv4, Safi::kLabeledUnicast)}));
}

// ---- VPN (RFC 4364, RFC 4659) ----

TEST(UpdateNlriTest, Vpnv4RoutesCarryLabelAndRouteDistinguisher) {
  const RouteDistinguisher rd = 0x0000fde800000064ull;  // 65000:100
  const Update update = DecodeOk(Announce(Afi::kIpv4, Safi::kMplsVpn, VpnNextHop("192.0.2.1"),
                                          LabeledNlri("10.2.0.0/16", {299776}, rd)));
  EXPECT_EQ(
      update.announced,
      (std::vector<Nlri>{WithLabel(Route("10.2.0.0/16", Afi::kIpv4, Safi::kMplsVpn), 299776, rd)}));
  EXPECT_EQ(update.mp_next_hop, Ip("192.0.2.1"));
}

// Seen in pmacct's capture 208: VPNv4 routes whose IPv6 next hop comes without the zero RD.
TEST(UpdateNlriTest, VpnNextHopWithoutRouteDistinguisherIsRead) {
  const RouteDistinguisher rd = 0x0000fde800000064ull;  // 65000:100
  const Update update = DecodeOk(Announce(Afi::kIpv4, Safi::kMplsVpn, AddressBytes("2001:db8::1"),
                                          LabeledNlri("10.2.0.0/16", {299776}, rd)));
  EXPECT_EQ(update.announced.size(), 1u);
  EXPECT_EQ(update.mp_next_hop, Ip("2001:db8::1"));
}

TEST(UpdateNlriTest, Vpnv6RoutesWithGlobalAndLinkLocalNextHops) {
  const RouteDistinguisher rd = 0x00010a0000010001ull;  // 10.0.0.1:1
  const Update update = DecodeOk(Announce(Afi::kIpv6, Safi::kMplsVpn,
                                          Cat({VpnNextHop("2001:db8::1"), VpnNextHop("fe80::1")}),
                                          LabeledNlri("2001:db8:5::/48", {299792}, rd)));
  EXPECT_EQ(update.announced,
            (std::vector<Nlri>{
                WithLabel(Route("2001:db8:5::/48", Afi::kIpv6, Safi::kMplsVpn), 299792, rd)}));
  EXPECT_EQ(update.mp_next_hop, Ip("2001:db8::1"));
  EXPECT_EQ(update.mp_link_local_next_hop, Ip("fe80::1"));
}

TEST(UpdateNlriTest, VpnWithdrawalKeepsTheRouteDistinguisher) {
  const RouteDistinguisher rd = 0x0000fde800000064ull;
  const Update update =
      DecodeOk(Withdraw(Afi::kIpv4, Safi::kMplsVpn, RawLabeledNlri("10.2.0.0/16", {0x800000}, rd)));
  EXPECT_EQ(
      update.withdrawn,
      (std::vector<Nlri>{WithLabel(Route("10.2.0.0/16", Afi::kIpv4, Safi::kMplsVpn), 0, rd)}));
}

// ---- EVPN (RFC 7432, RFC 9136) ----

TEST(UpdateNlriTest, EvpnIpPrefixRoutesDecodeAndOtherRouteTypesAreSkipped) {
  const RouteDistinguisher rd = 0x0000fde800000001ull;
  const Update update =
      DecodeOk(Announce(Afi::kL2vpn, Safi::kEvpn, AddressBytes("192.0.2.1"),
                        Cat({EvpnIpPrefixNlri(rd, "10.3.0.0/16", "0.0.0.0", 100),
                             EvpnRoute(2, Bytes(33, 0)),  // MAC/IP advertisement
                             EvpnRoute(3, Bytes(17, 0)),  // inclusive multicast
                             EvpnIpPrefixNlri(rd, "2001:db8:7::/48", "::", 200)})));
  EXPECT_EQ(
      update.announced,
      (std::vector<Nlri>{WithLabel(Route("10.3.0.0/16", Afi::kL2vpn, Safi::kEvpn), 100, rd),
                         WithLabel(Route("2001:db8:7::/48", Afi::kL2vpn, Safi::kEvpn), 200, rd)}));
  EXPECT_EQ(update.skipped_evpn_routes, 2u);
  EXPECT_TRUE(update.errors.empty());
}

TEST(UpdateNlriTest, EvpnLabelFieldIsAVniUnderAVxlanEncapsulation) {
  // RFC 8365 5.1.3: with a VXLAN Encapsulation extended community (RFC 9012: 0x030c, tunnel
  // type 8) the 3-byte field is VNI 9001, not an MPLS label.
  const Bytes route = EvpnIpPrefixNlriWithLabelField(1, "10.3.0.0/16", "0.0.0.0", 9001);
  const Bytes vxlan = ExtendedCommunitiesAttribute({0x030c000000000008ull});
  const Bytes mpls = ExtendedCommunitiesAttribute({0x030c00000000000aull});
  const auto decode = [&](const Bytes& communities) {
    return DecodeOk(UpdateMessage(
        {},
        Cat({MpReachAttribute(Afi::kL2vpn, Safi::kEvpn, AddressBytes("192.0.2.1"), route),
             BaseAttributes(), communities}),
        {}));
  };
  EXPECT_EQ(decode(vxlan).announced.at(0).label, 9001u);
  EXPECT_EQ(decode(mpls).announced.at(0).label, 9001u >> 4);
  EXPECT_EQ(decode({}).announced.at(0).label, 9001u >> 4);
}

TEST(UpdateNlriTest, EvpnIpPrefixWithdrawalDecodes) {
  const Update update = DecodeOk(
      Withdraw(Afi::kL2vpn, Safi::kEvpn, EvpnIpPrefixNlri(7, "10.3.0.0/16", "0.0.0.0", 100)));
  EXPECT_EQ(update.withdrawn,
            (std::vector<Nlri>{WithLabel(Route("10.3.0.0/16", Afi::kL2vpn, Safi::kEvpn), 0, 7)}));
}

// ---- Families not decoded ----

TEST(UpdateNlriTest, UnknownFamiliesAreSkippedAndCountedNotErrors) {
  const Update update = DecodeOk(UpdateMessage(
      {},
      Cat({MpReachAttribute(Afi(16388), Safi(71), Bytes{192, 0, 2, 1}, Bytes(20, 0xee)),
           BaseAttributes(), NextHopAttribute("192.0.2.1")}),
      PrefixNlri("10.0.0.0/8")));
  EXPECT_EQ(update.skipped_nlri_fields, 1u);
  EXPECT_EQ(update.mp_reach_family, (AfiSafi{Afi(16388), Safi(71)}));
  EXPECT_FALSE(update.mp_next_hop);
  EXPECT_EQ(update.announced,
            (std::vector<Nlri>{Route("10.0.0.0/8", Afi::kIpv4, Safi::kUnicast, false)}));
}

// ---- ADD-PATH (RFC 7911) ----

TEST(UpdateNlriTest, AddPathIdentifiersAreReadForNegotiatedFamiliesOnly) {
  const Bytes message =
      UpdateMessage(PrefixNlri("198.51.100.0/24", 7),
                    Cat({MpReachAttribute(Afi::kIpv6, Safi::kUnicast, AddressBytes("2001:db8::1"),
                                          PrefixNlri("2001:db8:1::/48")),
                         BaseAttributes(), NextHopAttribute("192.0.2.1")}),
                    Cat({PrefixNlri("203.0.113.0/24", 1), PrefixNlri("203.0.113.0/24", 2)}));
  const Update update = DecodeOk(message, Options({{Afi::kIpv4, Safi::kUnicast}}));
  EXPECT_EQ(update.withdrawn,
            (std::vector<Nlri>{
                WithPathId(Route("198.51.100.0/24", Afi::kIpv4, Safi::kUnicast, false), 7)}));
  EXPECT_EQ(update.announced,
            (std::vector<Nlri>{
                Route("2001:db8:1::/48", Afi::kIpv6, Safi::kUnicast),
                WithPathId(Route("203.0.113.0/24", Afi::kIpv4, Safi::kUnicast, false), 1),
                WithPathId(Route("203.0.113.0/24", Afi::kIpv4, Safi::kUnicast, false), 2)}));
}

TEST(UpdateNlriTest, AddPathAppliesToLabeledVpnAndEvpnFamilies) {
  const SessionOptions options = Options({{Afi::kIpv4, Safi::kLabeledUnicast},
                                          {Afi::kIpv6, Safi::kMplsVpn},
                                          {Afi::kL2vpn, Safi::kEvpn}});
  EXPECT_EQ(DecodeOk(Withdraw(Afi::kIpv4, Safi::kLabeledUnicast,
                              RawLabeledNlri("10.0.0.0/8", {0x800000}, std::nullopt, 5)),
                     options)
                .withdrawn[0]
                .path_id,
            5u);
  EXPECT_EQ(DecodeOk(Withdraw(Afi::kIpv6, Safi::kMplsVpn, LabeledNlri("2001:db8::/32", {16}, 1, 6)),
                     options)
                .withdrawn[0]
                .path_id,
            6u);
  const Update evpn = DecodeOk(Withdraw(Afi::kL2vpn, Safi::kEvpn,
                                        Cat({EvpnIpPrefixNlri(1, "10.3.0.0/16", "0.0.0.0", 100, 8),
                                             EvpnRoute(2, Bytes(33, 0), 9)})),
                               options);
  ASSERT_EQ(evpn.withdrawn.size(), 1u);
  EXPECT_EQ(evpn.withdrawn[0].path_id, 8u);
  EXPECT_EQ(evpn.skipped_evpn_routes, 1u);
}

TEST(UpdateNlriTest, MissingPathIdentifiersMakeTheNlriMalformed) {
  // 203.0.113.0/24 without a path identifier: its 4 bytes are taken as one, then nothing.
  Update update;
  EXPECT_EQ(DecodeUpdate(UpdateMessage(PrefixNlri("203.0.113.0/24"), {}, {}),
                         Options({{Afi::kIpv4, Safi::kUnicast}}), &update),
            ErrorAction::kDiscardMessage);
  ASSERT_EQ(update.errors.size(), 1u);
  EXPECT_EQ(update.errors[0].kind, ErrorKind::kMalformedNlri);
}

}  // namespace
}  // namespace ribflow::bgp
