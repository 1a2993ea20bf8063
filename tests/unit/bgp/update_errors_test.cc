// RFC 7606 error handling of UPDATEs: which errors make a message treat-as-withdraw, which only
// discard an attribute, which make it unusable (RFC 7606's session reset or AFI/SAFI disable,
// which a collector cannot apply), that the strongest outcome wins, and that no truncation of
// a valid message decodes as valid or reads out of bounds.
#include <gtest/gtest.h>

#include "bgp/update.h"
#include "message_builder.h"
#include "sample_messages.h"

namespace ribflow::bgp {
namespace {

using namespace testing;

Update Decode(const Bytes& message, const SessionOptions& options = FourOctet()) {
  Update update;
  EXPECT_EQ(DecodeUpdate(message, options, &update), update.action);
  return update;
}

std::vector<ErrorKind> Kinds(const Update& update) {
  std::vector<ErrorKind> kinds;
  for (const DecodeError& error : update.errors) kinds.push_back(error.kind);
  return kinds;
}

Nlri Ipv4Route(std::string_view prefix) {
  Nlri route;
  route.prefix = Pfx(prefix);
  return route;
}

// ORIGIN, AS_PATH and NEXT_HOP, with the one of type `replaced` swapped for `attribute` (or
// `attribute` added when `replaced` is none of them), announcing 203.0.113.0/24.
Bytes UpdateWith(const Bytes& attribute, std::optional<AttributeType> replaced = std::nullopt,
                 size_t asn_size = 4) {
  Bytes attributes;
  const auto add = [&](AttributeType type, const Bytes& valid) {
    PutBytes(attributes, replaced == type ? attribute : valid);
  };
  add(AttributeType::kOrigin, OriginAttribute(Origin::kIgp));
  add(AttributeType::kAsPath, AsPathAttribute({Seq({64500, 64501})}, asn_size));
  add(AttributeType::kNextHop, NextHopAttribute("192.0.2.1"));
  if (!replaced) PutBytes(attributes, attribute);
  return UpdateMessage({}, attributes, PrefixNlri("203.0.113.0/24"));
}

struct Case {
  const char* name;
  Bytes message;
  ErrorKind kind;
  SessionOptions options = FourOctet();
};

// ---- treat-as-withdraw ----

TEST(UpdateErrorsTest, MalformedRouteAttributesMakeTheRoutesWithdrawn) {
  using T = AttributeType;
  const Case cases[] = {
      {"origin length", UpdateWith(Attribute(kWellKnown, T::kOrigin, {0, 0}), T::kOrigin),
       ErrorKind::kBadAttributeLength},
      {"origin value", UpdateWith(Attribute(kWellKnown, T::kOrigin, {3}), T::kOrigin),
       ErrorKind::kInvalidOrigin},
      {"as_path empty segment", UpdateWith(Attribute(kWellKnown, T::kAsPath, {2, 0}), T::kAsPath),
       ErrorKind::kMalformedAsPath},
      {"as_path segment type",
       UpdateWith(Attribute(kWellKnown, T::kAsPath, {5, 1, 0, 0, 0, 1}), T::kAsPath),
       ErrorKind::kMalformedAsPath},
      {"as_path overrun",
       UpdateWith(Attribute(kWellKnown, T::kAsPath, {2, 2, 0, 0, 0, 1}), T::kAsPath),
       ErrorKind::kMalformedAsPath},
      {"as_path partial header", UpdateWith(Attribute(kWellKnown, T::kAsPath, {2}), T::kAsPath),
       ErrorKind::kMalformedAsPath},
      {"as_path 2-byte asns on a 4-octet session",
       UpdateWith(AsPathAttribute({Seq({64500, 64501, 64502})}, 2), T::kAsPath),
       ErrorKind::kMalformedAsPath},
      {"next_hop length", UpdateWith(Attribute(kWellKnown, T::kNextHop, Bytes(16, 1)), T::kNextHop),
       ErrorKind::kBadAttributeLength},
      {"med length", UpdateWith(Attribute(kOptionalNonTransitive, T::kMultiExitDisc, {0, 0, 1})),
       ErrorKind::kBadAttributeLength},
      {"local_pref length", UpdateWith(Attribute(kWellKnown, T::kLocalPref, Bytes(5, 0))),
       ErrorKind::kBadAttributeLength},
      {"communities empty", UpdateWith(Attribute(kOptionalTransitive, T::kCommunities, {})),
       ErrorKind::kBadAttributeLength},
      {"communities length",
       UpdateWith(Attribute(kOptionalTransitive, T::kCommunities, Bytes(5, 0))),
       ErrorKind::kBadAttributeLength},
      {"extended communities length",
       UpdateWith(Attribute(kOptionalTransitive, T::kExtendedCommunities, Bytes(12, 0))),
       ErrorKind::kBadAttributeLength},
      {"large communities length",
       UpdateWith(Attribute(kOptionalTransitive, T::kLargeCommunity, Bytes(8, 0))),
       ErrorKind::kBadAttributeLength},
      {"originator_id length", UpdateWith(Attribute(kOptionalNonTransitive, T::kOriginatorId, {})),
       ErrorKind::kBadAttributeLength},
      {"cluster_list length",
       UpdateWith(Attribute(kOptionalNonTransitive, T::kClusterList, Bytes(6, 0))),
       ErrorKind::kBadAttributeLength},
      {"origin flagged optional",
       UpdateWith(Attribute(kOptionalTransitive, T::kOrigin, {0}), T::kOrigin),
       ErrorKind::kBadAttributeFlags},
      {"med flagged transitive",
       UpdateWith(Attribute(kOptionalTransitive, T::kMultiExitDisc, U32Value(1))),
       ErrorKind::kBadAttributeFlags},
      {"unknown well-known attribute", UpdateWith(Attribute(kWellKnown, 99, {1})),
       ErrorKind::kUnrecognizedWellKnownAttribute},
  };
  for (const Case& c : cases) {
    const Update update = Decode(c.message, c.options);
    EXPECT_EQ(update.action, ErrorAction::kTreatAsWithdraw) << c.name;
    EXPECT_EQ(Kinds(update), std::vector<ErrorKind>{c.kind}) << c.name;
    EXPECT_TRUE(update.announced.empty()) << c.name;
    EXPECT_EQ(update.withdrawn, std::vector<Nlri>{Ipv4Route("203.0.113.0/24")}) << c.name;
    ASSERT_FALSE(update.errors.empty());
    EXPECT_NE(update.errors[0].attribute_type, 0) << c.name;
  }
}

TEST(UpdateErrorsTest, MissingNextHopKeepsTheRoutesAndIsCounted) {
  // FRR's BMP Loc-RIB sends IPv4 routes without NEXT_HOP: a collector keeps them.
  const Update update = Decode(
      UpdateMessage({}, Cat({OriginAttribute(Origin::kIgp), AsPathAttribute({Seq({64500})})}),
                    PrefixNlri("203.0.113.0/24")));
  EXPECT_EQ(update.action, ErrorAction::kAttributeDiscard);
  ASSERT_EQ(Kinds(update), std::vector<ErrorKind>{ErrorKind::kMissingWellKnownAttribute});
  EXPECT_EQ(update.errors[0].attribute_type, uint8_t(AttributeType::kNextHop));
  EXPECT_EQ(update.announced, std::vector<Nlri>{Ipv4Route("203.0.113.0/24")});
  EXPECT_TRUE(update.withdrawn.empty());
}

TEST(UpdateErrorsTest, MissingOriginOrAsPathMakesTheRoutesWithdrawn) {
  const Bytes origin = OriginAttribute(Origin::kIgp);
  const Bytes as_path = AsPathAttribute({Seq({64500})});
  const Bytes next_hop = NextHopAttribute("192.0.2.1");
  const Bytes nlri = PrefixNlri("203.0.113.0/24");
  const std::pair<Bytes, AttributeType> cases[] = {
      {UpdateMessage({}, Cat({as_path, next_hop}), nlri), AttributeType::kOrigin},
      {UpdateMessage({}, Cat({origin, next_hop}), nlri), AttributeType::kAsPath},
      {UpdateMessage({},
                     Cat({MpReachAttribute(Afi::kIpv6, Safi::kUnicast, AddressBytes("2001:db8::1"),
                                           PrefixNlri("2001:db8::/32")),
                          origin}),
                     {}),
       AttributeType::kAsPath},
  };
  for (const auto& [message, missing] : cases) {
    const Update update = Decode(message);
    EXPECT_EQ(update.action, ErrorAction::kTreatAsWithdraw) << int(missing);
    ASSERT_EQ(Kinds(update), std::vector<ErrorKind>{ErrorKind::kMissingWellKnownAttribute});
    EXPECT_EQ(update.errors[0].attribute_type, uint8_t(missing));
    EXPECT_TRUE(update.announced.empty());
    EXPECT_EQ(update.withdrawn.size(), 1u);
  }
}

TEST(UpdateErrorsTest, NextHopIsNotNeededForMpReachOrWithdrawals) {
  const Update mp_only = Decode(
      UpdateMessage({},
                    Cat({MpReachAttribute(Afi::kIpv6, Safi::kUnicast, AddressBytes("2001:db8::1"),
                                          PrefixNlri("2001:db8::/32")),
                         OriginAttribute(Origin::kIgp), AsPathAttribute({})}),
                    {}));
  EXPECT_EQ(mp_only.action, ErrorAction::kNone);
  EXPECT_EQ(mp_only.announced.size(), 1u);
  const Update withdrawals_only = Decode(UpdateMessage(PrefixNlri("10.0.0.0/8"), {}, {}));
  EXPECT_EQ(withdrawals_only.action, ErrorAction::kNone);
}

TEST(UpdateErrorsTest, TreatAsWithdrawAlsoWithdrawsMpReachRoutes) {
  const Update update = Decode(UpdateMessage(
      {},
      Cat({MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, PrefixNlri("2001:db8:dead::/48")),
           MpReachAttribute(Afi::kIpv6, Safi::kUnicast, AddressBytes("2001:db8::1"),
                            PrefixNlri("2001:db8:1::/48")),
           OriginAttribute(Origin::kIgp), AsPathAttribute({Seq({64500})}),
           NextHopAttribute("192.0.2.1"),
           Attribute(kOptionalNonTransitive, AttributeType::kMultiExitDisc, {1})}),
      PrefixNlri("10.0.0.0/8")));
  EXPECT_EQ(update.action, ErrorAction::kTreatAsWithdraw);
  EXPECT_TRUE(update.announced.empty());
  std::vector<std::string> withdrawn;
  for (const Nlri& route : update.withdrawn) withdrawn.push_back(route.prefix.ToString());
  EXPECT_EQ(withdrawn,
            (std::vector<std::string>{"2001:db8:dead::/48", "2001:db8:1::/48", "10.0.0.0/8"}));
}

TEST(UpdateErrorsTest, AttributeOverrunningTheListIsTreatAsWithdrawAndTheNlriAreStillFound) {
  const Bytes base = Cat({OriginAttribute(Origin::kIgp), AsPathAttribute({Seq({64500})}),
                          NextHopAttribute("192.0.2.1")});
  const Bytes tails[] = {
      Bytes{0x40, 5, 10, 0, 0},  // LOCAL_PREF announcing 10 bytes, 2 left
      Bytes{0x40},               // fewer than 3 bytes left for a header
      Bytes{0x50, 5, 0},         // extended length needs 4 bytes of header
  };
  for (const Bytes& tail : tails) {
    const Update update = Decode(UpdateMessage({}, Cat({base, tail}), PrefixNlri("10.0.0.0/8")));
    EXPECT_EQ(update.action, ErrorAction::kTreatAsWithdraw);
    EXPECT_EQ(Kinds(update), std::vector<ErrorKind>{ErrorKind::kMalformedAttributeList});
    EXPECT_EQ(update.withdrawn, std::vector<Nlri>{Ipv4Route("10.0.0.0/8")});
  }
}

// ---- attribute discard ----

TEST(UpdateErrorsTest, AttributeDiscardDropsTheAttributeAndKeepsTheRoutes) {
  using T = AttributeType;
  const Case cases[] = {
      {"atomic_aggregate length", UpdateWith(Attribute(kWellKnown, T::kAtomicAggregate, {1})),
       ErrorKind::kBadAttributeLength},
      {"aggregator of a 2-octet session on a 4-octet one",
       UpdateWith(AggregatorAttribute(64500, "192.0.2.9", 2)), ErrorKind::kBadAttributeLength},
      {"aggregator of a 4-octet session on a 2-octet one",
       UpdateWith(AggregatorAttribute(64500, "192.0.2.9", 4), std::nullopt, 2),
       ErrorKind::kBadAttributeLength, kTwoOctet},
      {"as4_path with a confederation segment",
       UpdateWith(As4PathAttribute({{AsPathSegmentType::kAsConfedSequence, {65100}}}), std::nullopt,
                  2),
       ErrorKind::kMalformedAs4Path, kTwoOctet},
      {"as4_path empty",
       UpdateWith(Attribute(kOptionalTransitive, T::kAs4Path, {}), std::nullopt, 2),
       ErrorKind::kMalformedAs4Path, kTwoOctet},
      {"as4_aggregator length",
       UpdateWith(Attribute(kOptionalTransitive, T::kAs4Aggregator, Bytes(6, 1)), std::nullopt, 2),
       ErrorKind::kBadAttributeLength, kTwoOctet},
      {"repeated local_pref", UpdateWith(Cat({LocalPrefAttribute(100), LocalPrefAttribute(200)})),
       ErrorKind::kDuplicateAttribute},
  };
  for (const Case& c : cases) {
    const Update update = Decode(c.message, c.options);
    EXPECT_EQ(update.action, ErrorAction::kAttributeDiscard) << c.name;
    EXPECT_EQ(Kinds(update), std::vector<ErrorKind>{c.kind}) << c.name;
    EXPECT_EQ(update.announced.size(), 1u) << c.name;
    EXPECT_FALSE(update.atomic_aggregate) << c.name;
    EXPECT_FALSE(update.aggregator) << c.name;
    EXPECT_EQ(update.flat_as_path, (std::vector<uint32_t>{64500, 64501})) << c.name;
  }
}

TEST(UpdateErrorsTest, RepeatedAttributeKeepsItsFirstOccurrence) {
  const Update update = Decode(
      UpdateWith(Cat({LocalPrefAttribute(100), CommunitiesAttribute({1}), LocalPrefAttribute(200),
                      CommunitiesAttribute({2, 3}), Attribute(kOptionalTransitive, 99, {1}),
                      Attribute(kOptionalTransitive, 99, {2})})));
  EXPECT_EQ(update.local_pref, 100u);
  EXPECT_EQ(update.communities, std::vector<uint32_t>{1});
  EXPECT_EQ(update.unknown_attributes, std::vector<uint8_t>{99});
  EXPECT_EQ(update.errors.size(), 3u);
  EXPECT_EQ(update.action, ErrorAction::kAttributeDiscard);
}

TEST(UpdateErrorsTest, UnknownOptionalAttributesAreReportedNotErrors) {
  const Update update = Decode(UpdateWith(Cat({Attribute(kOptionalTransitive, 22, Bytes(9, 0)),
                                               Attribute(kOptionalNonTransitive, 128, {})})));
  EXPECT_EQ(update.action, ErrorAction::kNone);
  EXPECT_EQ(update.unknown_attributes, (std::vector<uint8_t>{22, 128}));
}

TEST(UpdateErrorsTest, TheStrongestOutcomeWinsAndEveryErrorIsListed) {
  const Update update = Decode(
      UpdateWith(Cat({Attribute(kWellKnown, AttributeType::kAtomicAggregate, {1}),
                      Attribute(kOptionalNonTransitive, AttributeType::kMultiExitDisc, {1})})));
  EXPECT_EQ(update.action, ErrorAction::kTreatAsWithdraw);
  EXPECT_EQ(Kinds(update), (std::vector<ErrorKind>{ErrorKind::kBadAttributeLength,
                                                   ErrorKind::kBadAttributeLength}));
  EXPECT_EQ(update.errors[0].action, ErrorAction::kAttributeDiscard);
  EXPECT_EQ(update.errors[1].action, ErrorAction::kTreatAsWithdraw);
}

// ---- discard the message (RFC 7606 session reset / AFI-SAFI disable) ----

TEST(UpdateErrorsTest, UnparsableStructureDiscardsTheMessage) {
  const Bytes base = Cat({OriginAttribute(Origin::kIgp), AsPathAttribute({Seq({64500})}),
                          NextHopAttribute("192.0.2.1")});
  const Bytes v6_next_hop = AddressBytes("2001:db8::1");
  const Case cases[] = {
      {"repeated mp_reach",
       UpdateMessage({},
                     Cat({MpReachAttribute(Afi::kIpv6, Safi::kUnicast, v6_next_hop, {}),
                          MpReachAttribute(Afi::kIpv6, Safi::kUnicast, v6_next_hop, {}), base}),
                     {}),
       ErrorKind::kMalformedAttributeList},
      {"repeated mp_unreach",
       UpdateMessage({},
                     Cat({MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, {}),
                          MpUnreachAttribute(Afi::kIpv4, Safi::kMplsVpn, {})}),
                     {}),
       ErrorKind::kMalformedAttributeList},
      {"mp_reach header cut short",
       UpdateMessage(
           {},
           Cat({Attribute(kOptionalNonTransitive, AttributeType::kMpReachNlri, {0, 2, 1}), base}),
           {}),
       ErrorKind::kMalformedMpReach},
      {"mp_reach next hop of 5 bytes",
       UpdateMessage({},
                     Cat({MpReachAttribute(Afi::kIpv6, Safi::kUnicast, Bytes(5, 1),
                                           PrefixNlri("2001:db8::/32")),
                          base}),
                     {}),
       ErrorKind::kMalformedMpReach},
      {"vpn next hop of no known length",
       UpdateMessage(
           {}, Cat({MpReachAttribute(Afi::kIpv4, Safi::kMplsVpn, Bytes(13, 0), {}), base}), {}),
       ErrorKind::kMalformedMpReach},
      {"mp_unreach header cut short",
       UpdateMessage({}, Attribute(kOptionalNonTransitive, AttributeType::kMpUnreachNlri, {0, 2}),
                     {}),
       ErrorKind::kMalformedMpUnreach},
      {"nlri prefix longer than 32", UpdateMessage({}, base, {33, 1, 2, 3, 4, 5}),
       ErrorKind::kMalformedNlri},
      {"nlri prefix cut short", UpdateMessage({}, base, {24, 10, 0}), ErrorKind::kMalformedNlri},
      {"withdrawn prefix cut short", UpdateMessage({16, 10}, {}, {}), ErrorKind::kMalformedNlri},
      {"ipv6 prefix longer than 128",
       UpdateMessage(
           {}, MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, Cat({Bytes{129}, Bytes(17, 0)})), {}),
       ErrorKind::kMalformedNlri},
      {"label stack without bottom",
       UpdateMessage({},
                     MpUnreachAttribute(Afi::kIpv4, Safi::kLabeledUnicast,
                                        Bytes{48, 0x00, 0x10, 0x00, 0x00, 0x20, 0x00}),
                     {}),
       ErrorKind::kMalformedNlri},
      {"vpn length too short for a route distinguisher",
       UpdateMessage({},
                     MpUnreachAttribute(Afi::kIpv4, Safi::kMplsVpn,
                                        Cat({Bytes{24 + 32, 0x00, 0x10, 0x01}, Bytes(4, 0)})),
                     {}),
       ErrorKind::kMalformedNlri},
      {"evpn ip prefix route of 40 bytes",
       UpdateMessage({}, MpUnreachAttribute(Afi::kL2vpn, Safi::kEvpn, EvpnRoute(5, Bytes(40, 0))),
                     {}),
       ErrorKind::kMalformedNlri},
      {"evpn route overrunning the field",
       UpdateMessage({}, MpUnreachAttribute(Afi::kL2vpn, Safi::kEvpn, Bytes{2, 33, 0, 0}), {}),
       ErrorKind::kMalformedNlri},
      {"evpn prefix length beyond 32",
       UpdateMessage({},
                     MpUnreachAttribute(Afi::kL2vpn, Safi::kEvpn,
                                        [] {
                                          Bytes route =
                                              EvpnIpPrefixNlri(1, "10.0.0.0/8", "0.0.0.0", 1);
                                          route[2 + 8 + 10 + 4] = 33;
                                          return route;
                                        }()),
                     {}),
       ErrorKind::kMalformedNlri},
  };
  for (const Case& c : cases) {
    const Update update = Decode(c.message, c.options);
    EXPECT_EQ(update.action, ErrorAction::kDiscardMessage) << c.name;
    ASSERT_FALSE(update.errors.empty()) << c.name;
    EXPECT_EQ(update.errors.back().kind, c.kind) << c.name;
    EXPECT_TRUE(update.announced.empty()) << c.name;
    EXPECT_TRUE(update.withdrawn.empty()) << c.name;
  }
}

TEST(UpdateErrorsTest, SectionLengthsBeyondTheMessageDiscardIt) {
  Bytes withdrawn_too_long = UpdateMessage(PrefixNlri("10.0.0.0/8"), {}, {});
  withdrawn_too_long[20] = 10;
  Bytes attributes_too_long =
      UpdateMessage({}, OriginAttribute(Origin::kIgp), PrefixNlri("10.0.0.0/8"));
  attributes_too_long[22] = 40;
  for (const Bytes& message : {withdrawn_too_long, attributes_too_long}) {
    const Update update = Decode(message);
    EXPECT_EQ(update.action, ErrorAction::kDiscardMessage);
    EXPECT_EQ(Kinds(update), std::vector<ErrorKind>{ErrorKind::kMalformedAttributeList});
  }
}

TEST(UpdateErrorsTest, HeaderErrorsDiscardTheMessage) {
  EXPECT_EQ(Kinds(Decode(Message(MessageType::kKeepalive, {}))),
            std::vector<ErrorKind>{ErrorKind::kBadMessageType});
  const UpdateSample big = SampleUpdates().back();  // over 4096 bytes
  ASSERT_GT(big.message.size(), kMaxMessageSize);
  EXPECT_EQ(Kinds(Decode(big.message, FourOctet())),
            std::vector<ErrorKind>{ErrorKind::kBadMessageLength});
}

TEST(UpdateErrorsTest, ErrorOffsetPointsAtTheOffendingAttribute) {
  const Bytes before = Cat({OriginAttribute(Origin::kIgp), AsPathAttribute({Seq({64500})}),
                            NextHopAttribute("192.0.2.1")});
  const Update update = Decode(UpdateMessage(
      {}, Cat({before, Attribute(kOptionalNonTransitive, AttributeType::kMultiExitDisc, {1})}),
      PrefixNlri("10.0.0.0/8")));
  ASSERT_EQ(update.errors.size(), 1u);
  EXPECT_EQ(update.errors[0].offset, kHeaderSize + 2 + 2 + before.size());
  EXPECT_EQ(update.errors[0].attribute_type, uint8_t(AttributeType::kMultiExitDisc));
}

// ---- truncation ----

bool IsPrefixOf(const std::vector<Nlri>& part, const std::vector<Nlri>& whole) {
  return part.size() <= whole.size() && std::equal(part.begin(), part.end(), whole.begin());
}

TEST(UpdateErrorsTest, EveryTruncationOfAValidUpdateIsTruncated) {
  Update update;
  for (const UpdateSample& sample : SampleUpdates()) {
    const SessionOptions options = SessionOptionsFromFuzzByte(sample.options_byte);
    for (size_t size = 0; size < sample.message.size(); ++size) {
      const std::span<const uint8_t> cut(sample.message.data(), size);
      ASSERT_EQ(DecodeUpdate(cut, options, &update), ErrorAction::kDiscardMessage)
          << sample.name << " cut at " << size;
      ASSERT_EQ(Kinds(update), std::vector<ErrorKind>{ErrorKind::kTruncated});
    }
  }
}

TEST(UpdateErrorsTest, EveryTruncationWithAMatchingHeaderFailsOrDecodesFewerRoutes) {
  Update full, update;
  size_t failures = 0, shorter = 0;
  for (const UpdateSample& sample : SampleUpdates()) {
    const SessionOptions options = SessionOptionsFromFuzzByte(sample.options_byte);
    ASSERT_EQ(DecodeUpdate(sample.message, options, &full), ErrorAction::kNone) << sample.name;
    for (size_t size = kHeaderSize; size < sample.message.size(); ++size) {
      Bytes cut(sample.message.data(), sample.message.data() + size);
      FixLength(cut);
      if (DecodeUpdate(cut, options, &update) != ErrorAction::kNone) {
        ++failures;
        continue;
      }
      // Cut at a route boundary of the NLRI field: a valid, shorter message.
      ++shorter;
      EXPECT_TRUE(IsPrefixOf(update.announced, full.announced)) << sample.name << " " << size;
      EXPECT_TRUE(IsPrefixOf(update.withdrawn, full.withdrawn)) << sample.name << " " << size;
      EXPECT_LT(update.announced.size() + update.withdrawn.size(),
                full.announced.size() + full.withdrawn.size());
    }
  }
  EXPECT_GT(failures, 1000u);
  EXPECT_GT(shorter, 0u);
}

}  // namespace
}  // namespace ribflow::bgp
