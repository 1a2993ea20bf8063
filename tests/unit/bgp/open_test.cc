// OPEN decoding (RFC 4271 4.2, RFC 5492, RFC 9072) and the negotiation of how a session's
// UPDATEs are encoded, in both BMP directions (Adj-RIB-In and RFC 8671 Adj-RIB-Out).
#include "bgp/open.h"

#include <gtest/gtest.h>

#include "message_builder.h"
#include "sample_messages.h"

namespace ribflow::bgp {
namespace {

using namespace testing;

Open DecodeOk(const Bytes& message) {
  Open open;
  const auto error = DecodeOpen(message, &open);
  EXPECT_FALSE(error) << error->ToString();
  return open;
}

ErrorKind DecodeKind(const Bytes& message) {
  Open open;
  const auto error = DecodeOpen(message, &open);
  return error ? error->kind : ErrorKind::kNone;
}

TEST(OpenTest, DecodesFixedFieldsAndEveryInterpretedCapability) {
  const Open open = DecodeOk(TypicalOpen());
  EXPECT_EQ(open.version, 4);
  EXPECT_EQ(open.my_as, kAsTrans);
  EXPECT_EQ(open.hold_time, 90);
  EXPECT_EQ(open.bgp_identifier, 0xc0000201u);
  EXPECT_EQ(open.multiprotocol,
            (std::vector<AfiSafi>{{Afi::kIpv4, Safi::kUnicast}, {Afi::kIpv6, Safi::kUnicast}}));
  EXPECT_TRUE(open.route_refresh);
  EXPECT_TRUE(open.extended_message);
  EXPECT_EQ(open.four_octet_as, 4200000001u);
  EXPECT_EQ(open.asn(), 4200000001u);
  EXPECT_EQ(open.add_path, (std::vector<AddPathCapability>{{{Afi::kIpv4, Safi::kUnicast}, 3},
                                                           {{Afi::kIpv6, Safi::kUnicast}, 1}}));
  ASSERT_TRUE(open.graceful_restart);
  EXPECT_EQ(open.graceful_restart->flags, 0x8);
  EXPECT_EQ(open.graceful_restart->restart_time, 120);
  EXPECT_EQ(open.graceful_restart->families,
            (std::vector<GracefulRestartCapability::Family>{{{Afi::kIpv4, Safi::kUnicast}, 0x80}}));
  EXPECT_EQ(open.unknown_capabilities, std::vector<uint8_t>{70});
}

TEST(OpenTest, WithoutCapabilitiesTheAsIsMyAutonomousSystem) {
  const Open open = DecodeOk(OpenMessage(64500, 180, "192.0.2.2", {}));
  EXPECT_EQ(open.asn(), 64500u);
  EXPECT_FALSE(open.four_octet_as);
  EXPECT_TRUE(open.multiprotocol.empty());
  EXPECT_FALSE(open.route_refresh);
}

TEST(OpenTest, Rfc9072ExtendedOptionalParametersDecode) {
  const Open open = DecodeOk(ExtendedOpenMessage(
      64500, 90, "192.0.2.3",
      {MultiprotocolCapability(Afi::kL2vpn, Safi::kEvpn), FourOctetAsCapability(64500)}));
  EXPECT_EQ(open.multiprotocol, (std::vector<AfiSafi>{{Afi::kL2vpn, Safi::kEvpn}}));
  EXPECT_EQ(open.four_octet_as, 64500u);
}

TEST(OpenTest, CapabilitiesSpreadOverSeveralParametersAccumulate) {
  const Open open = DecodeOk(
      OpenMessage(64500, 90, "192.0.2.1",
                  Cat({CapabilitiesParameter({MultiprotocolCapability(Afi::kIpv4, Safi::kUnicast)}),
                       Bytes{1, 2, 0xaa, 0xbb},  // authentication (deprecated): skipped
                       CapabilitiesParameter({FourOctetAsCapability(4200000000u)})})));
  EXPECT_EQ(open.multiprotocol.size(), 1u);
  EXPECT_EQ(open.asn(), 4200000000u);
}

TEST(OpenTest, VersionOtherThanFourIsUnsupported) {
  Bytes message = OpenMessage(64500, 90, "192.0.2.1", {});
  message[19] = 3;
  EXPECT_EQ(DecodeKind(message), ErrorKind::kUnsupportedVersion);
}

TEST(OpenTest, OptionalParametersLengthMustBeTheRestOfTheMessage) {
  Bytes message = OpenMessage(64500, 90, "192.0.2.1", CapabilitiesParameter({}));
  message[28] += 1;
  EXPECT_EQ(DecodeKind(message), ErrorKind::kMalformedOptionalParameters);
  message.push_back(0);
  FixLength(message);
  message[28] -= 2;  // now shorter than the rest
  EXPECT_EQ(DecodeKind(message), ErrorKind::kMalformedOptionalParameters);
}

TEST(OpenTest, ParameterOverrunningTheListIsMalformed) {
  EXPECT_EQ(DecodeKind(OpenMessage(64500, 90, "192.0.2.1", {2, 9, 1, 0})),
            ErrorKind::kMalformedOptionalParameters);
}

TEST(OpenTest, CapabilityOverrunningItsParameterIsMalformed) {
  EXPECT_EQ(DecodeKind(OpenMessage(64500, 90, "192.0.2.1", {2, 2, 65, 4})),
            ErrorKind::kMalformedCapability);
}

TEST(OpenTest, InterpretedCapabilitiesOfTheWrongLengthAreMalformed) {
  const Bytes bad_capabilities[] = {
      Capability(CapabilityCode::kFourOctetAs, {0, 0, 1}),
      Capability(CapabilityCode::kMultiprotocol, {0, 1, 0}),
      Capability(CapabilityCode::kAddPath, {0, 1, 1, 3, 0}),
      Capability(CapabilityCode::kRouteRefresh, {0}),
      Capability(CapabilityCode::kExtendedMessage, {0}),
      Capability(CapabilityCode::kGracefulRestart, {0x00, 0x78, 0x00}),
  };
  for (const Bytes& capability : bad_capabilities) {
    EXPECT_EQ(DecodeKind(OpenMessage(64500, 90, "192.0.2.1", CapabilitiesParameter({capability}))),
              ErrorKind::kMalformedCapability)
        << int(capability[0]);
  }
}

TEST(OpenTest, AddPathWithAnUndefinedDirectionIsIgnoredWhole) {
  // RFC 7911 section 4: "treated as not understood and ignored".
  const Open open = DecodeOk(
      OpenMessage(64500, 90, "192.0.2.1",
                  CapabilitiesParameter({AddPathCapabilityBytes(
                      {{Afi::kIpv4, Safi::kUnicast, 3}, {Afi::kIpv6, Safi::kUnicast, 4}})})));
  EXPECT_TRUE(open.add_path.empty());
  EXPECT_EQ(open.unknown_capabilities, std::vector<uint8_t>{69});
}

TEST(OpenTest, NotAnOpenIsBadMessageType) {
  EXPECT_EQ(DecodeKind(UpdateMessage({}, {}, {})), ErrorKind::kBadMessageType);
}

TEST(OpenTest, EveryTruncationOfAnOpenIsAnError) {
  for (const OpenSample& sample : SampleOpens()) {
    for (size_t size = 0; size < sample.message.size(); ++size) {
      Bytes cut(sample.message.data(), sample.message.data() + size);
      EXPECT_NE(DecodeKind(cut), ErrorKind::kNone) << sample.name << " cut at " << size;
      if (size >= kHeaderSize) {
        FixLength(cut);  // the header agrees: the body parser meets the cut
        EXPECT_NE(DecodeKind(cut), ErrorKind::kNone) << sample.name << " fixed at " << size;
      }
    }
  }
}

// ---- Negotiation ----

Open WithCapabilities(const std::vector<Bytes>& capabilities) {
  return DecodeOk(OpenMessage(64500, 90, "192.0.2.1", CapabilitiesParameter(capabilities)));
}

TEST(OpenTest, FourOctetAsAndExtendedMessageNeedBothSpeakers) {
  const Open both = WithCapabilities(
      {FourOctetAsCapability(64500), Capability(CapabilityCode::kExtendedMessage, {})});
  const Open neither = WithCapabilities({});
  const SessionOptions agreed = NegotiateForReceived(both, both);
  EXPECT_TRUE(agreed.four_octet_as);
  EXPECT_TRUE(agreed.extended_message);
  for (const SessionOptions& one_sided :
       {NegotiateForReceived(both, neither), NegotiateForReceived(neither, both)}) {
    EXPECT_FALSE(one_sided.four_octet_as);
    EXPECT_FALSE(one_sided.extended_message);
  }
}

TEST(OpenTest, AddPathForReceivedRoutesNeedsReceiveInSentAndSendInReceived) {
  const auto open = [](uint8_t send_receive) {
    return WithCapabilities({AddPathCapabilityBytes({{Afi::kIpv4, Safi::kUnicast, send_receive}})});
  };
  const auto negotiated = [&](uint8_t sent, uint8_t received) {
    return NegotiateForReceived(open(sent), open(received))
        .add_path.Contains(Afi::kIpv4, Safi::kUnicast);
  };
  EXPECT_TRUE(negotiated(1, 2));  // router receives, peer sends
  EXPECT_TRUE(negotiated(3, 3));
  EXPECT_TRUE(negotiated(1, 3));
  EXPECT_TRUE(negotiated(3, 2));
  EXPECT_FALSE(negotiated(2, 1));  // the other direction only
  EXPECT_FALSE(negotiated(2, 2));
  EXPECT_FALSE(negotiated(1, 1));
  EXPECT_FALSE(NegotiateForReceived(open(1), WithCapabilities({}))
                   .add_path.Contains(Afi::kIpv4, Safi::kUnicast));
}

TEST(OpenTest, AddPathIsNegotiatedPerFamily) {
  const Open sent = WithCapabilities(
      {AddPathCapabilityBytes({{Afi::kIpv4, Safi::kUnicast, 1}, {Afi::kIpv6, Safi::kUnicast, 1}})});
  const Open received = WithCapabilities(
      {AddPathCapabilityBytes({{Afi::kIpv4, Safi::kUnicast, 2}, {Afi::kIpv4, Safi::kMplsVpn, 2}})});
  const AddPathFamilies families = NegotiateForReceived(sent, received).add_path;
  EXPECT_TRUE(families.Contains(Afi::kIpv4, Safi::kUnicast));
  EXPECT_FALSE(families.Contains(Afi::kIpv6, Safi::kUnicast));  // the peer does not send
  EXPECT_FALSE(families.Contains(Afi::kIpv4, Safi::kMplsVpn));  // the router does not receive
}

TEST(OpenTest, AdjRibOutNegotiationSwapsTheRolesOfTheOpens) {
  const Open router_sends =
      WithCapabilities({AddPathCapabilityBytes({{Afi::kIpv6, Safi::kUnicast, 2}})});
  const Open peer_receives =
      WithCapabilities({AddPathCapabilityBytes({{Afi::kIpv6, Safi::kUnicast, 1}})});
  EXPECT_TRUE(
      NegotiateForSent(router_sends, peer_receives).add_path.Contains(Afi::kIpv6, Safi::kUnicast));
  EXPECT_FALSE(NegotiateForReceived(router_sends, peer_receives)
                   .add_path.Contains(Afi::kIpv6, Safi::kUnicast));
  EXPECT_EQ(NegotiateForSent(router_sends, peer_receives),
            NegotiateForReceived(peer_receives, router_sends));
}

}  // namespace
}  // namespace ribflow::bgp
