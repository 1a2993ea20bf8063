// UPDATE attributes: every attribute decoded from a golden message, AS paths flattened for the
// RIB, the RFC 6793 AS4_PATH/AS4_AGGREGATOR merge on 2-octet sessions, End-of-RIB markers, and
// reuse of one Update without stale data or allocations.
#include "bgp/update.h"

#include <gtest/gtest.h>

#include "allocation_counter.h"
#include "message_builder.h"
#include "sample_messages.h"

namespace ribflow::bgp {
namespace {

using namespace testing;

std::string Errors(const Update& update) {
  std::string text;
  for (const DecodeError& error : update.errors) text += error.ToString() + "; ";
  return text;
}

Update DecodeOk(const Bytes& message, const SessionOptions& options = FourOctet()) {
  Update update;
  EXPECT_EQ(DecodeUpdate(message, options, &update), ErrorAction::kNone) << Errors(update);
  EXPECT_TRUE(update.errors.empty());
  return update;
}

Nlri Route(std::string_view prefix, Afi afi = Afi::kIpv4, Safi safi = Safi::kUnicast) {
  Nlri route;
  route.prefix = Pfx(prefix);
  route.afi = afi;
  route.safi = safi;
  return route;
}

// An IPv4 UPDATE announcing one prefix with these attributes added to ORIGIN and NEXT_HOP.
Bytes Ipv4Update(const Bytes& attributes) {
  return UpdateMessage(
      {}, Cat({OriginAttribute(Origin::kIgp), NextHopAttribute("192.0.2.1"), attributes}),
      PrefixNlri("203.0.113.0/24"));
}

TEST(UpdateTest, DecodesEveryAttributeOfAGoldenIpv4Update) {
  const Update update = DecodeOk(FullIpv4Update());
  EXPECT_EQ(update.withdrawn, (std::vector<Nlri>{Route("198.51.100.0/24"), Route("0.0.0.0/0")}));
  EXPECT_EQ(update.announced, (std::vector<Nlri>{Route("203.0.113.0/24"), Route("10.0.0.0/8"),
                                                 Route("192.0.2.128/25")}));
  EXPECT_EQ(update.origin, Origin::kIgp);
  EXPECT_EQ(update.as_path.segments,
            (std::vector<AsPathSegment>{{AsPathSegmentType::kAsSequence, 0, 3},
                                        {AsPathSegmentType::kAsSet, 3, 2}}));
  EXPECT_EQ(update.as_path.asns, (std::vector<uint32_t>{64500, 4200000000u, 65001, 65010, 65011}));
  EXPECT_EQ(update.next_hop, Ip("192.0.2.1"));
  EXPECT_EQ(update.med, 50u);
  EXPECT_EQ(update.local_pref, 200u);
  EXPECT_TRUE(update.atomic_aggregate);
  EXPECT_EQ(update.aggregator, (Aggregator{65001, 0xc0000209}));
  EXPECT_EQ(update.communities, (std::vector<uint32_t>{0xfde80064, 0xffffff01}));
  EXPECT_EQ(update.extended_communities,
            (std::vector<uint64_t>{0x0002fde800000064ull, 0x0003000000000001ull}));
  EXPECT_EQ(update.route_targets, (std::vector<uint64_t>{0x0002fde800000064ull}));
  EXPECT_EQ(update.large_communities, (std::vector<LargeCommunity>{{4200000000u, 1, 2}}));
  EXPECT_EQ(update.originator_id, 0x0a000001u);
  EXPECT_EQ(update.cluster_list, (std::vector<uint32_t>{0x0a000002, 0x0a000003}));
  EXPECT_EQ(update.unknown_attributes, std::vector<uint8_t>{99});
  EXPECT_FALSE(update.mp_reach_family);
  EXPECT_FALSE(update.end_of_rib);
  ASSERT_NE(update.NextHopFor(update.announced[0]), nullptr);
  EXPECT_EQ(*update.NextHopFor(update.announced[0]), Ip("192.0.2.1"));
}

TEST(UpdateTest, RibAttributesAreTheFlatPathOriginAndCommunities) {
  const Update update = DecodeOk(FullIpv4Update());
  const AttributesView view = update.rib_attributes();
  EXPECT_EQ(view.origin_asn, 65001u);
  EXPECT_EQ(std::vector<uint32_t>(view.as_path.begin(), view.as_path.end()),
            (std::vector<uint32_t>{64500, 4200000000u, 65001}));
  EXPECT_EQ(view.communities.size(), 2u);
  EXPECT_EQ(view.large_communities.size(), 1u);
  EXPECT_EQ(view.route_targets.size(), 1u);
}

TEST(UpdateTest, FlatPathKeepsSequencesOnlyAndOriginIsLastOfLastSequence) {
  const Update update = DecodeOk(Ipv4Update(AsPathAttribute({
      {AsPathSegmentType::kAsConfedSequence, {65100, 65101}},
      Seq({64500, 64501}),
      {AsPathSegmentType::kAsConfedSet, {65102}},
      Seq({64502}),
      Set({64510, 64511}),
  })));
  EXPECT_EQ(update.as_path.segments.size(), 5u);
  EXPECT_EQ(update.flat_as_path, (std::vector<uint32_t>{64500, 64501, 64502}));
  EXPECT_EQ(update.origin_asn, 64502u);  // the AS_SET after it is not an origin
}

TEST(UpdateTest, OriginAsnIsZeroWithoutAnAsSequence) {
  EXPECT_EQ(DecodeOk(Ipv4Update(AsPathAttribute({}))).origin_asn, 0u);  // iBGP-originated
  const Update only_set = DecodeOk(Ipv4Update(AsPathAttribute({Set({64500, 64501})})));
  EXPECT_EQ(only_set.origin_asn, 0u);
  EXPECT_TRUE(only_set.flat_as_path.empty());
}

TEST(UpdateTest, TwoOctetSessionsReadTwoByteAsnsAndAggregator) {
  const Update update = DecodeOk(Ipv4Update(Cat({AsPathAttribute({Seq({64500, 65001})}, 2),
                                                 AggregatorAttribute(65001, "192.0.2.9", 2)})),
                                 kTwoOctet);
  EXPECT_EQ(update.flat_as_path, (std::vector<uint32_t>{64500, 65001}));
  EXPECT_EQ(update.aggregator, (Aggregator{65001, 0xc0000209}));
}

TEST(UpdateTest, ExtendedLengthAttributesDecode) {
  const Update update =
      DecodeOk(Ipv4Update(Cat({Attribute(kWellKnown | kExtendedLengthFlag, AttributeType::kAsPath,
                                         AsPathValue({Seq({64500})}, 4)),
                               Attribute(kOptionalTransitive | kExtendedLengthFlag,
                                         AttributeType::kCommunities, U32Value(0xfde80001))})));
  EXPECT_EQ(update.flat_as_path, std::vector<uint32_t>{64500});
  EXPECT_EQ(update.communities, std::vector<uint32_t>{0xfde80001});
}

TEST(UpdateTest, RouteTargetsAreTransitiveTypesZeroToTwoWithSubTypeTwo) {
  const Update update =
      DecodeOk(Ipv4Update(Cat({AsPathAttribute({Seq({64500})}),
                               ExtendedCommunitiesAttribute({
                                   0x0002fde800000064ull,  // 2-octet AS route target 65000:100
                                   0x0102c000020100c8ull,  // IPv4 route target 192.0.2.1:200
                                   0x0202fa56ea0000c8ull,  // 4-octet AS route target 4200000000:200
                                   0x0003fde800000064ull,  // route origin: not a target
                                   0x4002fde800000064ull,  // non-transitive: not a target
                                   0x0300000000000000ull,  // opaque
                               })})));
  EXPECT_EQ(update.extended_communities.size(), 6u);
  EXPECT_EQ(
      update.route_targets,
      (std::vector<uint64_t>{0x0002fde800000064ull, 0x0102c000020100c8ull, 0x0202fa56ea0000c8ull}));
}

// ---- RFC 6793 section 4.2.3 ----

Bytes TwoOctetUpdate(const std::vector<Segment>& as_path, const Bytes& more) {
  return Ipv4Update(Cat({AsPathAttribute(as_path, 2), more}));
}

TEST(UpdateTest, As4PathReplacesTheAsTransTailOnTwoOctetSessions) {
  const Update update =
      DecodeOk(TwoOctetUpdate({Seq({64500, kAsTrans, kAsTrans})},
                              As4PathAttribute({Seq({4200000001u, 4200000002u})})),
               kTwoOctet);
  EXPECT_EQ(update.flat_as_path, (std::vector<uint32_t>{64500, 4200000001u, 4200000002u}));
  EXPECT_EQ(update.origin_asn, 4200000002u);
  EXPECT_EQ(update.as4_path.asns, (std::vector<uint32_t>{4200000001u, 4200000002u}));
}

TEST(UpdateTest, As4AggregatorReplacesAnAsTransAggregator) {
  const Update update =
      DecodeOk(TwoOctetUpdate({Seq({64500, kAsTrans})},
                              Cat({AggregatorAttribute(kAsTrans, "192.0.2.9", 2),
                                   As4PathAttribute({Seq({4200000002u})}),
                                   As4AggregatorAttribute(4200000002u, "192.0.2.10")})),
               kTwoOctet);
  EXPECT_EQ(update.aggregator, (Aggregator{4200000002u, 0xc000020a}));
  EXPECT_EQ(update.flat_as_path, (std::vector<uint32_t>{64500, 4200000002u}));
}

TEST(UpdateTest, As4AttributesAreIgnoredWhenTheAggregatorIsNotAsTrans) {
  // A 2-octet speaker aggregated after the AS4 attributes were attached: both are stale.
  const Update update = DecodeOk(
      TwoOctetUpdate(
          {Seq({64500, kAsTrans})},
          Cat({AggregatorAttribute(64501, "192.0.2.9", 2), As4PathAttribute({Seq({4200000002u})}),
               As4AggregatorAttribute(4200000002u, "192.0.2.10")})),
      kTwoOctet);
  EXPECT_EQ(update.aggregator, (Aggregator{64501, 0xc0000209}));
  EXPECT_EQ(update.flat_as_path, (std::vector<uint32_t>{64500, kAsTrans}));
}

TEST(UpdateTest, As4PathLongerThanAsPathIsIgnored) {
  const Update update = DecodeOk(
      TwoOctetUpdate({Seq({kAsTrans})}, As4PathAttribute({Seq({4200000001u, 4200000002u})})),
      kTwoOctet);
  EXPECT_EQ(update.flat_as_path, std::vector<uint32_t>{kAsTrans});
}

TEST(UpdateTest, As4PathMergeCountsAnAsSetAsOne) {
  const Update update =
      DecodeOk(TwoOctetUpdate({Seq({64500, kAsTrans}), Set({kAsTrans, 64501})},
                              As4PathAttribute({Seq({4200000001u}), Set({4200000002u, 64501})})),
               kTwoOctet);
  EXPECT_EQ(update.as_path.segments,
            (std::vector<AsPathSegment>{{AsPathSegmentType::kAsSequence, 0, 1},
                                        {AsPathSegmentType::kAsSequence, 1, 1},
                                        {AsPathSegmentType::kAsSet, 2, 2}}));
  EXPECT_EQ(update.as_path.asns, (std::vector<uint32_t>{64500, 4200000001u, 4200000002u, 64501}));
}

TEST(UpdateTest, As4PathMergeKeepsLeadingConfederationSegments) {
  const Update update = DecodeOk(
      TwoOctetUpdate({{AsPathSegmentType::kAsConfedSequence, {65100}}, Seq({64500, kAsTrans})},
                     As4PathAttribute({Seq({4200000001u})})),
      kTwoOctet);
  EXPECT_EQ(update.as_path.segments,
            (std::vector<AsPathSegment>{{AsPathSegmentType::kAsConfedSequence, 0, 1},
                                        {AsPathSegmentType::kAsSequence, 1, 1},
                                        {AsPathSegmentType::kAsSequence, 2, 1}}));
  EXPECT_EQ(update.as_path.asns, (std::vector<uint32_t>{65100, 64500, 4200000001u}));
}

TEST(UpdateTest, As4AttributesAreIgnoredOnFourOctetSessions) {
  const Update update = DecodeOk(Ipv4Update(Cat(
      {AsPathAttribute({Seq({64500, 4200000001u})}), As4PathAttribute({Seq({1, 2, 3})}),
       AggregatorAttribute(4200000001u, "192.0.2.9"), As4AggregatorAttribute(7, "192.0.2.10")})));
  EXPECT_EQ(update.flat_as_path, (std::vector<uint32_t>{64500, 4200000001u}));
  EXPECT_TRUE(update.as4_path.segments.empty());
  EXPECT_EQ(update.aggregator, (Aggregator{4200000001u, 0xc0000209}));
}

// ---- End-of-RIB (RFC 4724 section 2) ----

TEST(UpdateTest, EmptyUpdateIsIpv4UnicastEndOfRib) {
  const Update update = DecodeOk(UpdateMessage({}, {}, {}));
  EXPECT_EQ(update.end_of_rib, (AfiSafi{Afi::kIpv4, Safi::kUnicast}));
  EXPECT_TRUE(update.withdrawn.empty());
  EXPECT_TRUE(update.announced.empty());
}

TEST(UpdateTest, LoneEmptyMpUnreachIsEndOfRibOfItsFamily) {
  EXPECT_EQ(DecodeOk(UpdateMessage({}, MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, {}), {}))
                .end_of_rib,
            (AfiSafi{Afi::kIpv6, Safi::kUnicast}));
  EXPECT_EQ(DecodeOk(UpdateMessage({}, MpUnreachAttribute(Afi::kIpv4, Safi::kMplsVpn, {}), {}))
                .end_of_rib,
            (AfiSafi{Afi::kIpv4, Safi::kMplsVpn}));
  // Families the codec does not decode have End-of-RIB markers too.
  EXPECT_EQ(
      DecodeOk(UpdateMessage({}, MpUnreachAttribute(Afi(16388), Safi(71), {}), {})).end_of_rib,
      (AfiSafi{Afi(16388), Safi(71)}));
}

TEST(UpdateTest, UpdatesWithRoutesOrOtherAttributesAreNotEndOfRib) {
  EXPECT_FALSE(DecodeOk(UpdateMessage(PrefixNlri("10.0.0.0/8"), {}, {})).end_of_rib);
  EXPECT_FALSE(
      DecodeOk(
          UpdateMessage(
              {}, MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, PrefixNlri("2001:db8::/32")), {}))
          .end_of_rib);
  EXPECT_FALSE(DecodeOk(UpdateMessage({},
                                      Cat({MpUnreachAttribute(Afi::kIpv6, Safi::kUnicast, {}),
                                           OriginAttribute(Origin::kIgp)}),
                                      {}))
                   .end_of_rib);
}

// ---- Reuse ----

TEST(UpdateTest, ReusedUpdateKeepsNothingFromThePreviousMessage) {
  Update update;
  ASSERT_EQ(DecodeUpdate(FullIpv4Update(), FourOctet(), &update), ErrorAction::kNone);
  ASSERT_EQ(DecodeUpdate(UpdateMessage({}, {}, {}), FourOctet(), &update), ErrorAction::kNone);
  EXPECT_TRUE(update.withdrawn.empty());
  EXPECT_TRUE(update.announced.empty());
  EXPECT_FALSE(update.origin);
  EXPECT_TRUE(update.as_path.segments.empty());
  EXPECT_FALSE(update.next_hop);
  EXPECT_FALSE(update.med);
  EXPECT_FALSE(update.local_pref);
  EXPECT_FALSE(update.atomic_aggregate);
  EXPECT_FALSE(update.aggregator);
  EXPECT_TRUE(update.communities.empty());
  EXPECT_TRUE(update.extended_communities.empty());
  EXPECT_TRUE(update.route_targets.empty());
  EXPECT_TRUE(update.large_communities.empty());
  EXPECT_FALSE(update.originator_id);
  EXPECT_TRUE(update.cluster_list.empty());
  EXPECT_TRUE(update.flat_as_path.empty());
  EXPECT_EQ(update.origin_asn, 0u);
  EXPECT_TRUE(update.unknown_attributes.empty());
  EXPECT_TRUE(update.end_of_rib);
}

TEST(UpdateTest, DecodingIntoAWarmUpdateAllocatesNothing) {
  const std::vector<UpdateSample> samples = SampleUpdates();
  Update update;
  for (const UpdateSample& sample : samples) {  // grow every vector to its largest use
    DecodeUpdate(sample.message, SessionOptionsFromFuzzByte(sample.options_byte), &update);
  }
  std::vector<SessionOptions> options;
  options.reserve(samples.size());
  for (const UpdateSample& sample : samples) {
    options.push_back(SessionOptionsFromFuzzByte(sample.options_byte));
  }
  size_t routes = 0;
  const size_t before = AllocationCount();
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < samples.size(); ++i) {
      DecodeUpdate(samples[i].message, options[i], &update);
      routes += update.announced.size() + update.withdrawn.size();
    }
  }
  EXPECT_EQ(AllocationCount() - before, 0u);
  EXPECT_GT(routes, 3000u);
}

}  // namespace
}  // namespace ribflow::bgp
