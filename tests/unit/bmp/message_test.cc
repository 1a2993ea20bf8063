// BMP message decoding: the common and per-peer headers (every peer type and flag, with the RIB
// they designate), every message type and TLV of RFC 7854, 8671, 9069 and 9736, and the error
// kind and offset of each malformation.
#include "bmp/message.h"

#include <gtest/gtest.h>

#include "bmp_test_messages.h"

namespace ribflow::bmp {
namespace {

using testing::BgpMessage;
using testing::BgpNotification;
using testing::BgpOpen;
using testing::BgpUpdate;
using testing::BmpMessage;
using testing::Bytes;
using testing::kIpv6Peer;
using testing::PeerSpec;
using testing::PerPeerMessage;
using testing::TextValue;
using testing::TlvBytes;

// True when `inner` lies within `outer`: decoded spans point into the caller's buffer.
bool Within(std::span<const uint8_t> inner, const std::vector<uint8_t>& outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

std::vector<uint8_t> ToVector(std::span<const uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

// --- Common header ---------------------------------------------------------------------------

TEST(BmpCommonHeaderTest, GoldenInitiationBytesDecode) {
  // RFC 7854 4.1 and 4.3, spelled out: version 3, length 22, type 4 (Initiation), then a sysName
  // TLV (type 2, length 2, "r1") and a String TLV (type 0, length 6, "hello!").
  const std::vector<uint8_t> message = {
      0x03, 0x00, 0x00, 0x00, 0x16, 0x04,                      // common header
      0x00, 0x02, 0x00, 0x02, 'r',  '1',                       // sysName
      0x00, 0x00, 0x00, 0x06, 'h',  'e',  'l', 'l', 'o', '!',  // string
  };
  Message m;
  const Error e = Decode(message, &m);
  ASSERT_TRUE(e.ok()) << e.ToString();
  EXPECT_EQ(m.type, MessageType::kInitiation);
  EXPECT_EQ(m.length, 22u);
  EXPECT_FALSE(m.has_peer_header);
  ASSERT_EQ(m.initiation.tlvs.size(), 2u);
  EXPECT_EQ(m.initiation.sys_name, "r1");
  EXPECT_TRUE(m.initiation.sys_descr.empty());
  EXPECT_EQ(m.initiation.tlvs[1].type, kTlvString);
  EXPECT_EQ(m.initiation.tlvs[1].text(), "hello!");
}

TEST(BmpCommonHeaderTest, VersionOtherThanThreeIsBadVersion) {
  for (uint8_t version : {0, 1, 2, 4, 255}) {
    std::vector<uint8_t> message = BmpMessage(4, Bytes());
    message[0] = version;
    Message m;
    const Error e = Decode(message, &m);
    EXPECT_EQ(e.kind, ErrorKind::kBadVersion) << int{version};
    EXPECT_EQ(e.offset, 0u);
  }
}

TEST(BmpCommonHeaderTest, LengthFieldBelowTheHeaderIsBadLength) {
  std::vector<uint8_t> message = BmpMessage(4, Bytes());
  message[4] = 5;
  Message m;
  const Error e = Decode(message, &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadLength);
  EXPECT_EQ(e.offset, 1u);
}

TEST(BmpCommonHeaderTest, LengthFieldMustEqualTheBytesGiven) {
  Message m;
  std::vector<uint8_t> longer = BmpMessage(4, TlvBytes(0, TextValue("x")));
  longer.push_back(0);
  EXPECT_EQ(Decode(longer, &m).kind, ErrorKind::kBadLength);
  std::vector<uint8_t> shorter = BmpMessage(4, TlvBytes(0, TextValue("x")));
  shorter.pop_back();
  const Error e = Decode(shorter, &m);
  EXPECT_EQ(e.kind, ErrorKind::kTruncated);
  EXPECT_EQ(e.offset, shorter.size());
}

TEST(BmpCommonHeaderTest, EmptyInputIsTruncated) {
  Message m;
  EXPECT_EQ(Decode({}, &m).kind, ErrorKind::kTruncated);
}

TEST(BmpCommonHeaderTest, UnknownTypeIsReportedWithTypeAndLength) {
  for (uint8_t type : {7, 100, 251, 255}) {
    const std::vector<uint8_t> message = BmpMessage(type, Bytes().Fill(10, 0xab));
    Message m;
    const Error e = Decode(message, &m);
    EXPECT_EQ(e.kind, ErrorKind::kUnknownType);
    EXPECT_EQ(e.offset, 5u);
    EXPECT_EQ(static_cast<uint8_t>(m.type), type);
    EXPECT_EQ(m.length, 16u);
    EXPECT_EQ(MessageTypeName(m.type), "unknown");
  }
}

// --- Per-peer header -------------------------------------------------------------------------

TEST(BmpPeerHeaderTest, GoldenRouteMonitoringBytesDecodeEveryField) {
  // RFC 7854 4.2 and 4.6 spelled out: a global instance IPv4 peer, pre-policy Adj-RIB-In.
  const std::vector<uint8_t> message = {
      0x03, 0x00, 0x00, 0x00, 0x47, 0x00,              // version 3, length 71, route monitoring
      0x00,                                            // peer type: global instance
      0x00,                                            // flags
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // peer distinguisher
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // peer address: 12 zero bytes,
      0x00, 0x00, 0x00, 0x00, 0xc6, 0x33, 0x64, 0x07,  //   then 198.51.100.7
      0x00, 0x00, 0xfb, 0xf4,                          // peer AS 64500
      0xc0, 0x00, 0x02, 0x01,                          // peer BGP ID 192.0.2.1
      0x65, 0x53, 0xf1, 0x00,                          // seconds 1700000000
      0x00, 0x01, 0xe2, 0x40,                          // microseconds 123456
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // BGP marker
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  //
      0x00, 0x17, 0x02,                                // BGP length 23, UPDATE
      0x00, 0x00, 0x00, 0x00,                          // no withdrawn routes, no attributes
  };
  Message m;
  const Error e = Decode(message, &m);
  ASSERT_TRUE(e.ok()) << e.ToString();
  EXPECT_EQ(m.type, MessageType::kRouteMonitoring);
  ASSERT_TRUE(m.has_peer_header);
  EXPECT_EQ(m.peer.type, PeerType::kGlobalInstance);
  EXPECT_EQ(m.peer.distinguisher, 0u);
  EXPECT_EQ(m.peer.address, *IpAddress::Parse("198.51.100.7"));
  EXPECT_EQ(m.peer.as, 64500u);
  EXPECT_EQ(m.peer.bgp_id, 0xc0000201u);
  EXPECT_EQ(m.peer.timestamp_seconds, 1700000000u);
  EXPECT_EQ(m.peer.timestamp_microseconds, 123456u);
  EXPECT_FALSE(m.peer.ipv6());
  EXPECT_FALSE(m.peer.post_policy());
  EXPECT_FALSE(m.peer.legacy_as_path());
  EXPECT_FALSE(m.peer.adj_rib_out());
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibInPrePolicy);
  EXPECT_EQ(m.route_monitoring.update.size(), 23u);
  EXPECT_EQ(m.route_monitoring.update.data(), message.data() + 48);
  EXPECT_TRUE(m.route_monitoring.tlvs.empty());
}

TEST(BmpPeerHeaderTest, FlagVMakesThePeerAddressIpv6) {
  const auto message = PerPeerMessage(0, {.flags = 0x80, .address = kIpv6Peer}, BgpUpdate());
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_TRUE(m.peer.ipv6());
  EXPECT_EQ(m.peer.address, *IpAddress::Parse("2001:db8::1"));
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibInPrePolicy);
}

TEST(BmpPeerHeaderTest, WithoutFlagVOnlyTheLastFourBytesAreTheAddress) {
  PeerSpec peer;
  peer.address = kIpv6Peer;  // junk in the first 12 bytes is ignored when V is clear
  peer.address[12] = 203;
  peer.address[13] = 0;
  peer.address[14] = 113;
  peer.address[15] = 9;
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, peer, BgpUpdate()), &m).ok());
  EXPECT_EQ(m.peer.address, *IpAddress::Parse("203.0.113.9"));
}

TEST(BmpPeerHeaderTest, FlagLSelectsPostPolicyAdjRibIn) {
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, {.flags = 0x40}, BgpUpdate()), &m).ok());
  EXPECT_TRUE(m.peer.post_policy());
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibInPostPolicy);
}

TEST(BmpPeerHeaderTest, FlagASaysLegacyTwoByteAsPath) {
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, {.flags = 0x20}, BgpUpdate()), &m).ok());
  EXPECT_TRUE(m.peer.legacy_as_path());
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibInPrePolicy);
}

TEST(BmpPeerHeaderTest, FlagOSelectsAdjRibOutPreAndPostPolicy) {
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, {.flags = 0x10}, BgpUpdate()), &m).ok());
  EXPECT_TRUE(m.peer.adj_rib_out());
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibOutPrePolicy);
  ASSERT_TRUE(Decode(PerPeerMessage(0, {.flags = 0x10 | 0x40}, BgpUpdate()), &m).ok());
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibOutPostPolicy);
  EXPECT_EQ(RibName(m.peer.rib()), "adj_rib_out_post_policy");
}

TEST(BmpPeerHeaderTest, RdInstancePeerCarriesItsDistinguisher) {
  const PeerSpec peer{.type = 1, .distinguisher = 0x0001c0000201002a};  // type 1, 192.0.2.1:42
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, peer, BgpUpdate()), &m).ok());
  EXPECT_EQ(m.peer.type, PeerType::kRdInstance);
  EXPECT_EQ(m.peer.distinguisher, 0x0001c0000201002au);
  EXPECT_EQ(PeerTypeName(m.peer.type), "rd_instance");
}

TEST(BmpPeerHeaderTest, LocalInstancePeerHasTheAdjRibFlags) {
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, {.type = 2, .flags = 0x40}, BgpUpdate()), &m).ok());
  EXPECT_EQ(m.peer.type, PeerType::kLocalInstance);
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibInPostPolicy);
}

TEST(BmpPeerHeaderTest, LocRibInstanceBitSevenIsFilteredNotIpv6) {
  // RFC 9069 4.2: for peer type 3 the first flag bit is F; the address is zero-filled.
  const PeerSpec peer{.type = 3, .flags = 0x80, .distinguisher = 7, .address = {}};
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, peer, BgpUpdate()), &m).ok());
  EXPECT_TRUE(m.peer.is_loc_rib());
  EXPECT_TRUE(m.peer.loc_rib_filtered());
  EXPECT_FALSE(m.peer.ipv6());
  EXPECT_FALSE(m.peer.post_policy());
  EXPECT_EQ(m.peer.rib(), Rib::kLocRib);
  EXPECT_EQ(m.peer.distinguisher, 7u);
  EXPECT_EQ(m.peer.address, IpAddress());
}

TEST(BmpPeerHeaderTest, LocRibInstanceIgnoresTheAdjRibFlagBits) {
  // L and O bits set on a Loc-RIB peer mean nothing: the RIB stays Loc-RIB, unfiltered.
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(0, {.type = 3, .flags = 0x50}, BgpUpdate()), &m).ok());
  EXPECT_EQ(m.peer.rib(), Rib::kLocRib);
  EXPECT_FALSE(m.peer.loc_rib_filtered());
  EXPECT_FALSE(m.peer.adj_rib_out());
}

TEST(BmpPeerHeaderTest, UnknownPeerTypeIsReportedAfterTheHeaderIsRead) {
  Message m;
  const Error e = Decode(PerPeerMessage(0, {.type = 4, .as = 65010}, BgpUpdate()), &m);
  EXPECT_EQ(e.kind, ErrorKind::kUnknownPeerType);
  EXPECT_EQ(e.offset, 6u);
  EXPECT_TRUE(m.has_peer_header);
  EXPECT_EQ(m.peer.as, 65010u);
  EXPECT_EQ(PeerTypeName(m.peer.type), "unknown");
}

TEST(BmpPeerHeaderTest, ShortPerPeerHeaderIsTruncatedAtItsStart) {
  Message m;
  const Error e = Decode(BmpMessage(0, Bytes().Fill(41, 0)), &m);
  EXPECT_EQ(e.kind, ErrorKind::kTruncated);
  EXPECT_EQ(e.offset, 6u);
  EXPECT_EQ(e.field, "per-peer header");
  EXPECT_FALSE(m.has_peer_header);
}

// --- Route Monitoring ------------------------------------------------------------------------

TEST(BmpRouteMonitoringTest, UpdateIsASpanIntoTheCallerBuffer) {
  const auto message = PerPeerMessage(0, PeerSpec{}, BgpUpdate());
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_TRUE(Within(m.route_monitoring.update, message));
  EXPECT_EQ(ToVector(m.route_monitoring.update), BgpUpdate().data());
}

TEST(BmpRouteMonitoringTest, TlvsAfterTheUpdateAreKeptRaw) {
  const auto message =
      PerPeerMessage(0, {.type = 3}, BgpUpdate().Append(TlvBytes(60002, Bytes().U32(10))));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(ToVector(m.route_monitoring.update), BgpUpdate().data());
  ASSERT_EQ(m.route_monitoring.tlvs.size(), 1u);
  EXPECT_EQ(m.route_monitoring.tlvs[0].type, 60002);
  EXPECT_EQ(ToVector(m.route_monitoring.tlvs[0].value), Bytes().U32(10).data());
}

TEST(BmpRouteMonitoringTest, BytesAfterTheUpdateThatAreNotATlvAreBadTlv) {
  Message m;
  const Error e = Decode(PerPeerMessage(0, PeerSpec{}, BgpUpdate().U8(1)), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadTlv);
  EXPECT_EQ(e.offset, 48u + BgpUpdate().size());
}

TEST(BmpRouteMonitoringTest, BgpLengthPastTheMessageIsBadBgpLength) {
  Bytes update = BgpUpdate();
  update.data()[17] += 1;  // one byte longer than what follows
  Message m;
  const Error e = Decode(PerPeerMessage(0, PeerSpec{}, update), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadBgpLength);
  EXPECT_EQ(e.offset, 48u + 16u);
  EXPECT_EQ(e.field, "BGP UPDATE");
}

TEST(BmpRouteMonitoringTest, BgpLengthBelowItsHeaderIsBadBgpLength) {
  Bytes update = BgpUpdate();
  update.data()[16] = 0;
  update.data()[17] = 18;
  Message m;
  EXPECT_EQ(Decode(PerPeerMessage(0, PeerSpec{}, update), &m).kind, ErrorKind::kBadBgpLength);
}

TEST(BmpRouteMonitoringTest, BrokenMarkerIsBadBgpMarker) {
  Bytes update = BgpUpdate();
  update.data()[5] = 0xfe;
  Message m;
  EXPECT_EQ(Decode(PerPeerMessage(0, PeerSpec{}, update), &m).kind, ErrorKind::kBadBgpMarker);
}

TEST(BmpRouteMonitoringTest, BgpMessageOtherThanUpdateIsBadBgpType) {
  Message m;
  const Error e = Decode(PerPeerMessage(0, PeerSpec{}, BgpOpen(1, 1)), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadBgpType);
  EXPECT_EQ(e.offset, 48u + 18u);
}

TEST(BmpRouteMonitoringTest, MissingUpdateIsTruncated) {
  Message m;
  EXPECT_EQ(Decode(PerPeerMessage(0, PeerSpec{}, Bytes()), &m).kind, ErrorKind::kTruncated);
}

TEST(BmpRouteMonitoringTest, ExtendedUpdateAbove4096BytesIsFramedByItsLength) {
  // RFC 8654 extended messages: up to 65535 bytes.
  const Bytes update = BgpMessage(2, Bytes().U16(0).U16(0).Fill(60000, 0));
  const auto message = PerPeerMessage(0, PeerSpec{}, update);
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.route_monitoring.update.size(), 60023u);
}

// --- Peer Up ---------------------------------------------------------------------------------

Bytes Ipv4LocalAddress() { return Bytes().Fill(12, 0).U8(192).U8(0).U8(2).U8(254); }

TEST(BmpPeerUpTest, OpensAreSplitByTheirOwnBgpLength) {
  Bytes longer_open = BgpOpen(64500, 0xc0000201);
  longer_open.U8(0).U8(0);
  longer_open.data()[17] = 31;
  const auto message = PerPeerMessage(3, PeerSpec{},
                                      Bytes()
                                          .Append(Ipv4LocalAddress())
                                          .U16(179)
                                          .U16(40000)
                                          .Append(BgpOpen(64501, 7))
                                          .Append(longer_open));
  Message m;
  const Error e = Decode(message, &m);
  ASSERT_TRUE(e.ok()) << e.ToString();
  EXPECT_EQ(m.peer_up.local_address, *IpAddress::Parse("192.0.2.254"));
  EXPECT_EQ(m.peer_up.local_port, 179);
  EXPECT_EQ(m.peer_up.remote_port, 40000);
  EXPECT_EQ(ToVector(m.peer_up.sent_open), BgpOpen(64501, 7).data());
  EXPECT_EQ(ToVector(m.peer_up.received_open), longer_open.data());
  EXPECT_TRUE(Within(m.peer_up.received_open, message));
  EXPECT_TRUE(m.peer_up.tlvs.empty());
  EXPECT_TRUE(m.peer_up.table_name.empty());
}

TEST(BmpPeerUpTest, Ipv6PeerHasAnIpv6LocalAddress) {
  Bytes local;
  for (uint8_t b : kIpv6Peer) local.U8(b);
  local.data()[15] = 2;
  Bytes open = BgpOpen(64500, 1);
  const auto message =
      PerPeerMessage(3, {.flags = 0x80, .address = kIpv6Peer},
                     Bytes().Append(local).U16(179).U16(1179).Append(open).Append(open));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.peer_up.local_address, *IpAddress::Parse("2001:db8::2"));
}

TEST(BmpPeerUpTest, InformationTlvsStringTableNameAdminLabelAndUnknownAreKept) {
  Bytes open = BgpOpen(64500, 1);
  const auto message = PerPeerMessage(3, PeerSpec{},
                                      Bytes()
                                          .Append(Ipv4LocalAddress())
                                          .U16(179)
                                          .U16(40000)
                                          .Append(open)
                                          .Append(open)
                                          .Append(TlvBytes(kTlvString, TextValue("note")))
                                          .Append(TlvBytes(kTlvVrfTableName, TextValue("blue")))
                                          .Append(TlvBytes(kTlvAdminLabel, TextValue("edge")))
                                          .Append(TlvBytes(999, Bytes{1, 2, 3})));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  ASSERT_EQ(m.peer_up.tlvs.size(), 4u);
  EXPECT_EQ(m.peer_up.tlvs[0].text(), "note");
  EXPECT_EQ(m.peer_up.table_name, "blue");
  EXPECT_EQ(m.peer_up.tlvs[2].type, kTlvAdminLabel);
  EXPECT_EQ(m.peer_up.tlvs[2].text(), "edge");
  EXPECT_EQ(m.peer_up.tlvs[3].type, 999);
  EXPECT_EQ(ToVector(m.peer_up.tlvs[3].value), (std::vector<uint8_t>{1, 2, 3}));
}

TEST(BmpPeerUpTest, LocRibPeerUpCarriesTheTableName) {
  // RFC 9069 4.3: fabricated OPENs and a VRF/Table Name TLV; the local address is zero-filled.
  Bytes open = BgpOpen(64500, 0xc0000201);
  const auto message =
      PerPeerMessage(3, {.type = 3, .flags = 0x80, .address = {}},
                     Bytes().Fill(16, 0).U16(0).U16(0).Append(open).Append(open).Append(
                         TlvBytes(kTlvVrfTableName, TextValue("global"))));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.peer.rib(), Rib::kLocRib);
  EXPECT_TRUE(m.peer.loc_rib_filtered());
  EXPECT_EQ(m.peer_up.table_name, "global");
  EXPECT_EQ(m.peer_up.local_address, IpAddress());
}

TEST(BmpPeerUpTest, SentOpenLengthPastTheEndIsBadBgpLength) {
  Bytes open = BgpOpen(64500, 1);
  open.data()[17] = 200;
  const auto message = PerPeerMessage(
      3, PeerSpec{}, Bytes().Append(Ipv4LocalAddress()).U16(1).U16(2).Append(open).Append(open));
  Message m;
  const Error e = Decode(message, &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadBgpLength);
  EXPECT_EQ(e.field, "sent OPEN");
  EXPECT_EQ(e.offset, 48u + 20u + 16u);
}

TEST(BmpPeerUpTest, ReceivedOpenLengthPastTheEndIsBadBgpLength) {
  Bytes open = BgpOpen(64500, 1);
  Bytes bad = open;
  bad.data()[17] = 30;  // one byte more than there is
  const auto message = PerPeerMessage(
      3, PeerSpec{}, Bytes().Append(Ipv4LocalAddress()).U16(1).U16(2).Append(open).Append(bad));
  Message m;
  const Error e = Decode(message, &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadBgpLength);
  EXPECT_EQ(e.field, "received OPEN");
}

TEST(BmpPeerUpTest, MissingReceivedOpenIsTruncated) {
  const auto message = PerPeerMessage(
      3, PeerSpec{}, Bytes().Append(Ipv4LocalAddress()).U16(1).U16(2).Append(BgpOpen(1, 1)));
  Message m;
  const Error e = Decode(message, &m);
  EXPECT_EQ(e.kind, ErrorKind::kTruncated);
  EXPECT_EQ(e.field, "received OPEN");
}

TEST(BmpPeerUpTest, OpenOfTheWrongTypeIsBadBgpType) {
  const auto message = PerPeerMessage(
      3, PeerSpec{},
      Bytes().Append(Ipv4LocalAddress()).U16(1).U16(2).Append(BgpUpdate()).Append(BgpOpen(1, 1)));
  Message m;
  EXPECT_EQ(Decode(message, &m).kind, ErrorKind::kBadBgpType);
}

TEST(BmpPeerUpTest, TlvRunningPastTheEndIsBadTlv) {
  Bytes open = BgpOpen(64500, 1);
  Bytes tlv = TlvBytes(0, TextValue("abc"));
  tlv.data()[3] = 4;
  const auto message = PerPeerMessage(
      3, PeerSpec{},
      Bytes().Append(Ipv4LocalAddress()).U16(1).U16(2).Append(open).Append(open).Append(tlv));
  Message m;
  const Error e = Decode(message, &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadTlv);
  EXPECT_EQ(e.offset, 48u + 20u + 29u + 29u);
}

// --- Peer Down -------------------------------------------------------------------------------

TEST(BmpPeerDownTest, LocalNotificationReasonCarriesTheNotification) {
  const auto message = PerPeerMessage(2, PeerSpec{}, Bytes{1}.Append(BgpNotification(6, 2)));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.peer_down.reason, PeerDownReason::kLocalNotification);
  EXPECT_EQ(ToVector(m.peer_down.notification), BgpNotification(6, 2).data());
  EXPECT_TRUE(Within(m.peer_down.notification, message));
}

TEST(BmpPeerDownTest, RemoteNotificationReasonCarriesTheNotification) {
  const auto message = PerPeerMessage(2, PeerSpec{}, Bytes{3}.Append(BgpNotification(4, 0)));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.peer_down.reason, PeerDownReason::kRemoteNotification);
  EXPECT_EQ(ToVector(m.peer_down.notification), BgpNotification(4, 0).data());
}

TEST(BmpPeerDownTest, FsmEventReasonCarriesTheTwoByteCode) {
  Message m;
  ASSERT_TRUE(Decode(PerPeerMessage(2, PeerSpec{}, Bytes{2}.U16(0x0102)), &m).ok());
  EXPECT_EQ(m.peer_down.reason, PeerDownReason::kLocalFsmEvent);
  EXPECT_EQ(m.peer_down.fsm_event, 0x0102);
  EXPECT_TRUE(m.peer_down.notification.empty());
}

TEST(BmpPeerDownTest, FsmEventReasonWithOneByteIsTruncated) {
  Message m;
  const Error e = Decode(PerPeerMessage(2, PeerSpec{}, Bytes{2, 0}), &m);
  EXPECT_EQ(e.kind, ErrorKind::kTruncated);
  EXPECT_EQ(e.offset, 49u);
}

TEST(BmpPeerDownTest, ReasonsWithoutDataHaveNone) {
  for (uint8_t reason : {4, 5}) {
    Message m;
    ASSERT_TRUE(Decode(PerPeerMessage(2, PeerSpec{}, Bytes{reason}), &m).ok());
    EXPECT_EQ(static_cast<uint8_t>(m.peer_down.reason), reason);
    EXPECT_TRUE(m.peer_down.data.empty());
    EXPECT_EQ(Decode(PerPeerMessage(2, PeerSpec{}, Bytes{reason, 0}), &m).kind,
              ErrorKind::kTrailingBytes);
  }
}

TEST(BmpPeerDownTest, LocRibReasonSixCarriesTlvsWithTheTableName) {
  const auto message = PerPeerMessage(2, {.type = 3, .address = {}},
                                      Bytes{6}
                                          .Append(TlvBytes(kTlvVrfTableName, TextValue("vrf-blue")))
                                          .Append(TlvBytes(77, Bytes{9})));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.peer_down.reason, PeerDownReason::kLocalTlvData);
  EXPECT_EQ(m.peer_down.table_name, "vrf-blue");
  ASSERT_EQ(m.peer_down.tlvs.size(), 2u);
  EXPECT_EQ(m.peer_down.tlvs[1].type, 77);
}

TEST(BmpPeerDownTest, NotificationLengthPastTheEndIsBadBgpLength) {
  Bytes notification = BgpNotification(6, 2);
  notification.data()[17] = 22;
  Message m;
  const Error e = Decode(PerPeerMessage(2, PeerSpec{}, Bytes{1}.Append(notification)), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadBgpLength);
  EXPECT_EQ(e.field, "BGP NOTIFICATION");
}

TEST(BmpPeerDownTest, UnregisteredReasonIsNotAnErrorAndKeepsItsData) {
  const auto message = PerPeerMessage(2, PeerSpec{}, Bytes{200, 1, 2});
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(static_cast<uint8_t>(m.peer_down.reason), 200);
  EXPECT_EQ(ToVector(m.peer_down.data), (std::vector<uint8_t>{1, 2}));
}

TEST(BmpPeerDownTest, MissingReasonIsTruncated) {
  Message m;
  EXPECT_EQ(Decode(PerPeerMessage(2, PeerSpec{}, Bytes()), &m).kind, ErrorKind::kTruncated);
}

// --- Initiation ------------------------------------------------------------------------------

TEST(BmpInitiationTest, SysDescrSysNameStringAndUnknownTlvsAreKept) {
  const auto message = BmpMessage(4, TlvBytes(kTlvSysDescr, TextValue("router os 1.0"))
                                         .Append(TlvBytes(kTlvSysName, TextValue("r1.example")))
                                         .Append(TlvBytes(kTlvString, TextValue("hello")))
                                         .Append(TlvBytes(65000, Bytes{0xde, 0xad})));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.initiation.sys_descr, "router os 1.0");
  EXPECT_EQ(m.initiation.sys_name, "r1.example");
  ASSERT_EQ(m.initiation.tlvs.size(), 4u);
  EXPECT_EQ(m.initiation.tlvs[2].text(), "hello");
  EXPECT_EQ(m.initiation.tlvs[3].type, 65000);
}

TEST(BmpInitiationTest, EmptyTlvsAndNoTlvsAreValid) {
  Message m;
  ASSERT_TRUE(Decode(BmpMessage(4, Bytes()), &m).ok());
  EXPECT_TRUE(m.initiation.tlvs.empty());
  const auto empty_string = BmpMessage(4, TlvBytes(kTlvString, Bytes()));
  ASSERT_TRUE(Decode(empty_string, &m).ok());
  ASSERT_EQ(m.initiation.tlvs.size(), 1u);
  EXPECT_TRUE(m.initiation.tlvs[0].value.empty());
}

TEST(BmpInitiationTest, PartialTlvHeaderIsBadTlv) {
  Message m;
  const Error e = Decode(BmpMessage(4, TlvBytes(0, TextValue("a")).U8(0).U8(1).U8(0)), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadTlv);
  EXPECT_EQ(e.offset, 6u + 5u);
  EXPECT_EQ(e.field, "initiation TLV");
}

// --- Termination -----------------------------------------------------------------------------

TEST(BmpTerminationTest, EveryReasonCodeAndTheStringAreDecoded) {
  for (uint16_t code = 0; code <= 4; ++code) {
    const auto message =
        BmpMessage(5, TlvBytes(kTlvTerminationString, TextValue("bye"))
                          .Append(TlvBytes(kTlvTerminationReason, Bytes().U16(code))));
    Message m;
    ASSERT_TRUE(Decode(message, &m).ok());
    ASSERT_TRUE(m.termination.reason.has_value());
    EXPECT_EQ(static_cast<uint16_t>(*m.termination.reason), code);
    EXPECT_EQ(m.termination.tlvs[0].text(), "bye");
  }
  Message m;
  ASSERT_TRUE(Decode(BmpMessage(5, TlvBytes(1, Bytes().U16(4))), &m).ok());
  EXPECT_EQ(m.termination.reason, TerminationReason::kPermanentlyAdministrativelyClosed);
}

TEST(BmpTerminationTest, NoReasonTlvLeavesNoReason) {
  Message m;
  ASSERT_TRUE(Decode(BmpMessage(5, TlvBytes(0, TextValue("bye"))), &m).ok());
  EXPECT_FALSE(m.termination.reason.has_value());
}

TEST(BmpTerminationTest, ReasonTlvOfOtherThanTwoBytesIsBadTlv) {
  Message m;
  const Error e =
      Decode(BmpMessage(5, TlvBytes(0, TextValue("x")).Append(TlvBytes(1, Bytes{0, 1, 2}))), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadTlv);
  EXPECT_EQ(e.offset, 6u + 5u);
  EXPECT_EQ(Decode(BmpMessage(5, TlvBytes(1, Bytes{1})), &m).kind, ErrorKind::kBadTlv);
}

// --- Route Mirroring -------------------------------------------------------------------------

TEST(BmpRouteMirroringTest, BgpMessageAndInformationTlvsAreCountedNotApplied) {
  const auto message =
      PerPeerMessage(6, PeerSpec{},
                     TlvBytes(kTlvMirroredBgpMessage, BgpUpdate())
                         .Append(TlvBytes(kTlvMirroringInformation, Bytes().U16(1)))
                         .Append(TlvBytes(kTlvMirroredBgpMessage, BgpUpdate())));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.route_mirroring.bgp_message_count, 2u);
  EXPECT_TRUE(m.route_mirroring.messages_lost);
  EXPECT_FALSE(m.route_mirroring.errored_pdu);
  ASSERT_EQ(m.route_mirroring.tlvs.size(), 3u);
  EXPECT_EQ(ToVector(m.route_mirroring.tlvs[0].value), BgpUpdate().data());
}

TEST(BmpRouteMirroringTest, ErroredPduIsKeptEvenWithABrokenBgpHeader) {
  const auto message =
      PerPeerMessage(6, PeerSpec{},
                     TlvBytes(kTlvMirroringInformation, Bytes().U16(0))
                         .Append(TlvBytes(kTlvMirroredBgpMessage, Bytes{1, 2, 3})));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_TRUE(m.route_mirroring.errored_pdu);
  EXPECT_EQ(m.route_mirroring.bgp_message_count, 1u);
  EXPECT_EQ(m.route_mirroring.tlvs[1].value.size(), 3u);
}

TEST(BmpRouteMirroringTest, UnknownTlvsAndCodesAreCounted) {
  const auto message = PerPeerMessage(
      6, PeerSpec{},
      TlvBytes(9, Bytes{1}).Append(TlvBytes(kTlvMirroringInformation, Bytes().U16(7))));
  Message m;
  ASSERT_TRUE(Decode(message, &m).ok());
  EXPECT_EQ(m.route_mirroring.unknown_count, 2u);
}

TEST(BmpRouteMirroringTest, InformationTlvOfOtherThanTwoBytesIsBadTlv) {
  Message m;
  EXPECT_EQ(Decode(PerPeerMessage(6, PeerSpec{}, TlvBytes(1, Bytes{0})), &m).kind,
            ErrorKind::kBadTlv);
}

// --- Reuse, limits, names --------------------------------------------------------------------

TEST(BmpMessageReuseTest, ReusedMessageKeepsCapacityAndForgetsThePreviousTlvs) {
  Message m;
  Bytes many;
  for (int i = 0; i < 50; ++i) many.Append(TlvBytes(0, TextValue("x")));
  const auto first = BmpMessage(4, many);
  ASSERT_TRUE(Decode(first, &m).ok());
  ASSERT_EQ(m.initiation.tlvs.size(), 50u);
  const size_t capacity = m.initiation.tlvs.capacity();
  const Tlv* storage = m.initiation.tlvs.data();
  const auto second = BmpMessage(4, TlvBytes(kTlvSysName, TextValue("r2")));
  ASSERT_TRUE(Decode(second, &m).ok());
  EXPECT_EQ(m.initiation.tlvs.size(), 1u);
  EXPECT_EQ(m.initiation.sys_name, "r2");
  EXPECT_TRUE(m.initiation.sys_descr.empty());
  EXPECT_EQ(m.initiation.tlvs.capacity(), capacity);
  EXPECT_EQ(m.initiation.tlvs.data(), storage);
}

TEST(BmpMessageReuseTest, NothingOfThePreviousMessageSurvivesTheNextDecode) {
  Message m;
  const auto monitoring =
      PerPeerMessage(0, PeerSpec{.as = 65099}, BgpUpdate().Append(TlvBytes(1, Bytes{1})));
  ASSERT_TRUE(Decode(monitoring, &m).ok());
  EXPECT_TRUE(m.has_peer_header);
  const size_t capacity = m.route_monitoring.tlvs.capacity();
  ASSERT_TRUE(Decode(BmpMessage(5, Bytes()), &m).ok());
  EXPECT_FALSE(m.has_peer_header);
  EXPECT_EQ(m.peer.as, 0u);
  EXPECT_TRUE(m.route_monitoring.update.empty());
  EXPECT_TRUE(m.route_monitoring.tlvs.empty());
  EXPECT_EQ(m.route_monitoring.tlvs.capacity(), capacity);
}

TEST(BmpMessageLimitsTest, MoreThanTheTlvBoundIsTooManyTlvs) {
  Bytes tlvs;
  for (size_t i = 0; i <= kMaxTlvsPerMessage; ++i) tlvs.Append(TlvBytes(0, Bytes()));
  Message m;
  const Error e = Decode(BmpMessage(4, tlvs), &m);
  EXPECT_EQ(e.kind, ErrorKind::kTooManyTlvs);
  EXPECT_EQ(e.offset, 6u + 4 * kMaxTlvsPerMessage);
  EXPECT_EQ(m.initiation.tlvs.size(), kMaxTlvsPerMessage);
}

TEST(BmpErrorTest, KindNamesAreStableSnakeCaseLabels) {
  const std::pair<ErrorKind, std::string_view> names[] = {
      {ErrorKind::kOk, "ok"},
      {ErrorKind::kBadVersion, "bad_version"},
      {ErrorKind::kBadLength, "bad_length"},
      {ErrorKind::kMessageTooLarge, "message_too_large"},
      {ErrorKind::kTruncated, "truncated"},
      {ErrorKind::kUnknownType, "unknown_type"},
      {ErrorKind::kUnknownPeerType, "unknown_peer_type"},
      {ErrorKind::kBadBgpMarker, "bad_bgp_marker"},
      {ErrorKind::kBadBgpLength, "bad_bgp_length"},
      {ErrorKind::kBadBgpType, "bad_bgp_type"},
      {ErrorKind::kBadTlv, "bad_tlv"},
      {ErrorKind::kBadStatsCount, "bad_stats_count"},
      {ErrorKind::kTooManyTlvs, "too_many_tlvs"},
      {ErrorKind::kTrailingBytes, "trailing_bytes"},
  };
  for (const auto& [kind, name] : names) EXPECT_EQ(ErrorKindName(kind), name);
}

TEST(BmpErrorTest, ToStringAndToStatusNameKindOffsetAndField) {
  const Error e{ErrorKind::kTruncated, 12, "per-peer header"};
  EXPECT_EQ(e.ToString(), "truncated at offset 12: per-peer header");
  EXPECT_EQ(e.ToStatus().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.ToStatus().message(), "bmp: truncated at offset 12: per-peer header");
  EXPECT_TRUE(Error{}.ToStatus().ok());
  EXPECT_EQ(Error{}.ToString(), "ok");
}

TEST(BmpNamesTest, MessageTypePeerTypeAndRibNames) {
  EXPECT_EQ(MessageTypeName(MessageType::kRouteMonitoring), "route_monitoring");
  EXPECT_EQ(MessageTypeName(MessageType::kStatisticsReport), "statistics_report");
  EXPECT_EQ(MessageTypeName(MessageType::kPeerDown), "peer_down");
  EXPECT_EQ(MessageTypeName(MessageType::kPeerUp), "peer_up");
  EXPECT_EQ(MessageTypeName(MessageType::kInitiation), "initiation");
  EXPECT_EQ(MessageTypeName(MessageType::kTermination), "termination");
  EXPECT_EQ(MessageTypeName(MessageType::kRouteMirroring), "route_mirroring");
  EXPECT_EQ(PeerTypeName(PeerType::kGlobalInstance), "global_instance");
  EXPECT_EQ(PeerTypeName(PeerType::kLocalInstance), "local_instance");
  EXPECT_EQ(PeerTypeName(PeerType::kLocRibInstance), "loc_rib_instance");
  EXPECT_EQ(RibName(Rib::kAdjRibInPrePolicy), "adj_rib_in_pre_policy");
  EXPECT_EQ(RibName(Rib::kAdjRibInPostPolicy), "adj_rib_in_post_policy");
  EXPECT_EQ(RibName(Rib::kAdjRibOutPrePolicy), "adj_rib_out_pre_policy");
  EXPECT_EQ(RibName(Rib::kLocRib), "loc_rib");
}

}  // namespace
}  // namespace ribflow::bmp
