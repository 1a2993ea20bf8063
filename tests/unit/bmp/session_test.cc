// RouterSession: BMP messages applied to the RIB (peer up/down, routes, stale and revival,
// import policy, errors), with hand-built messages.
#include "bmp/session.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <thread>

#include "../bgp/message_builder.h"
#include "bmp_test_messages.h"

namespace ribflow::bmp {
namespace {

namespace bt = ribflow::bgp::testing;
using bgp::Afi;
using bgp::Safi;
using testing::PeerSpec;

constexpr uint8_t kRouteMonitoring = 0, kPeerDown = 2, kPeerUp = 3, kTermination = 5;

testing::Bytes Wrap(const std::vector<uint8_t>& bytes) {
  testing::Bytes b;
  b.data() = bytes;
  return b;
}

PeerSpec Peer(uint8_t flags = 0) {
  PeerSpec peer;
  peer.flags = flags;
  peer.as = 4200000001;  // a 4-octet AS
  return peer;
}

// Peer Up with OPENs of two 4-octet speakers; `add_path` adds ADD-PATH send+receive for IPv4
// unicast on both sides.
std::vector<uint8_t> PeerUpMessage(const PeerSpec& peer, bool add_path = false) {
  std::vector<bt::Bytes> capabilities = {bt::MultiprotocolCapability(Afi::kIpv4, Safi::kUnicast),
                                         bt::MultiprotocolCapability(Afi::kIpv6, Safi::kUnicast),
                                         bt::FourOctetAsCapability(4200000001)};
  if (add_path) {
    capabilities.push_back(bt::AddPathCapabilityBytes({{Afi::kIpv4, Safi::kUnicast, 3}}));
  }
  const bt::Bytes open =
      bt::OpenMessage(23456, 90, "192.0.2.1", bt::CapabilitiesParameter(capabilities));
  testing::Bytes body;
  body.Fill(12, 0).U8(192).U8(0).U8(2).U8(254);  // local address
  body.U16(179).U16(40000);
  body.Append(Wrap(open)).Append(Wrap(open));
  return testing::PerPeerMessage(kPeerUp, peer, body);
}

std::vector<uint8_t> RouteMonitoringMessage(const PeerSpec& peer, const bt::Bytes& update) {
  return testing::PerPeerMessage(kRouteMonitoring, peer, Wrap(update));
}

bt::Bytes Announce(std::string_view prefix, std::vector<uint32_t> as_path,
                   std::optional<uint32_t> path_id = std::nullopt,
                   std::string_view next_hop = "198.51.100.1") {
  const bt::Bytes attributes =
      bt::Cat({bt::OriginAttribute(bgp::Origin::kIgp), bt::AsPathAttribute({bt::Seq(as_path)}),
               bt::NextHopAttribute(next_hop), bt::CommunitiesAttribute({(65001u << 16) | 100}),
               bt::LargeCommunitiesAttribute({{65001, 1, 2}})});
  return bt::UpdateMessage({}, attributes, bt::PrefixNlri(prefix, path_id));
}

bt::Bytes Withdraw(std::string_view prefix) {
  return bt::UpdateMessage(bt::PrefixNlri(prefix), {}, {});
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : families_(registry_), metrics_(families_, "192.0.2.254") {}

  std::unique_ptr<RouterSession> NewSession() {
    return std::make_unique<RouterSession>(config_, router_, &rib_, &metrics_);
  }
  void Apply(RouterSession& session, const std::vector<uint8_t>& message) {
    session.Apply(message, writer_);
  }
  std::vector<LookupResult> RoutesOf(std::string_view prefix, RouteDistinguisher rd = 0) {
    std::vector<LookupResult> routes;
    reader_.Pin();
    reader_.RoutesOf(bt::Pfx(prefix), rd, [&](const LookupResult& r) { routes.push_back(r); });
    reader_.Unpin();
    return routes;
  }
  double Counter(const std::string& name, const std::map<std::string, std::string>& labels) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const auto& metric : family.metric) {
        size_t matched = 0;
        for (const auto& label : metric.label) {
          auto it = labels.find(label.name);
          if (it != labels.end() && it->second == label.value) ++matched;
        }
        if (matched == labels.size()) return metric.counter.value;
      }
    }
    return -1;
  }

  const IpAddress router_ = bt::Ip("192.0.2.254");
  SessionConfig config_;
  ribflow::Rib rib_;
  ribflow::Rib::Writer writer_{rib_};
  ribflow::Rib::Reader reader_{rib_};
  prometheus::Registry registry_;
  BmpMetrics families_;
  RouterMetrics metrics_;
};

TEST_F(SessionTest, AnnouncedRouteHasItsAttributesAndPeerAndWithdrawRemovesIt) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {4200000001, 65010})));
  auto routes = RoutesOf("203.0.113.0/24");
  ASSERT_EQ(routes.size(), 1u);
  const Attributes attributes = routes[0].attributes->ToAttributes();
  EXPECT_EQ(attributes.as_path, (std::vector<uint32_t>{4200000001, 65010}));
  EXPECT_EQ(attributes.origin_asn, 65010u);
  EXPECT_EQ(attributes.communities, (std::vector<uint32_t>{(65001u << 16) | 100}));
  EXPECT_EQ(attributes.large_communities, (std::vector<LargeCommunity>{{65001, 1, 2}}));
  EXPECT_EQ(routes[0].next_hop, bt::Ip("198.51.100.1"));
  const auto key = rib_.peer_key(routes[0].peer);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->router, router_);
  EXPECT_EQ(key->peer, bt::Ip("192.0.2.1"));
  EXPECT_EQ(key->asn, 4200000001u);
  EXPECT_EQ(key->rib, RibKind::kAdjRibInPre);

  Apply(*session, RouteMonitoringMessage(Peer(), Withdraw("203.0.113.0/24")));
  EXPECT_TRUE(RoutesOf("203.0.113.0/24").empty());
  EXPECT_EQ(Counter("ribflow_bmp_routes_total", {{"operation", "announced"}}), 1);
  EXPECT_EQ(Counter("ribflow_bmp_routes_total", {{"operation", "withdrawn"}}), 1);
  EXPECT_EQ(Counter("ribflow_bmp_messages_total", {{"type", "route_monitoring"}}), 2);
}

TEST_F(SessionTest, PreAndPostPolicyRoutesOfOnePeerAreDistinctSources) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  Apply(*session, RouteMonitoringMessage(Peer(PeerHeader::kFlagPostPolicy),
                                         Announce("203.0.113.0/24", {65010})));
  EXPECT_EQ(RoutesOf("203.0.113.0/24").size(), 2u);
}

TEST_F(SessionTest, AddPathFromPeerUpKeepsBothPathsOfAPrefix) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer(), /*add_path=*/true));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010}, 1)));
  Apply(*session,
        RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65020}, 2, "198.51.100.2")));
  auto routes = RoutesOf("203.0.113.0/24");
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].path_id, 1u);
  EXPECT_EQ(routes[1].path_id, 2u);
  EXPECT_EQ(routes[1].next_hop, bt::Ip("198.51.100.2"));
}

TEST_F(SessionTest, WithoutPeerUpAddPathIsGuessedWhenPlainReadingLosesRoutes) {
  auto session = NewSession();
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010}, 7)));
  auto routes = RoutesOf("203.0.113.0/24");
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].path_id, 7u);
}

TEST_F(SessionTest, AddPathNegotiatedButNotSentIsReadWithoutPathIdentifiers) {
  // FRR 8.4: the Peer Up shows ADD-PATH negotiated, the UPDATEs carry no path identifier.
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer(), /*add_path=*/true));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("198.51.100.0/24", {65010})));
  ASSERT_EQ(RoutesOf("203.0.113.0/24").size(), 1u);
  EXPECT_EQ(RoutesOf("203.0.113.0/24")[0].path_id, 0u);
  EXPECT_EQ(RoutesOf("198.51.100.0/24").size(), 1u);
  Apply(*session, RouteMonitoringMessage(Peer(), Withdraw("203.0.113.0/24")));
  EXPECT_TRUE(RoutesOf("203.0.113.0/24").empty());
}

TEST_F(SessionTest, PeerDownFlushesThePeerInEveryRib) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  Apply(*session, RouteMonitoringMessage(Peer(PeerHeader::kFlagPostPolicy),
                                         Announce("198.51.100.0/24", {65010})));
  testing::Bytes reason;
  reason.U8(4);  // remote system closed, no data
  Apply(*session, testing::PerPeerMessage(kPeerDown, Peer(), reason));
  EXPECT_TRUE(RoutesOf("203.0.113.0/24").empty());
  EXPECT_TRUE(RoutesOf("198.51.100.0/24").empty());
  rib_.FlushPeerNow(kNoPeer);  // sweeps what is queued
  EXPECT_EQ(rib_.Stats().routes, 0u);
  EXPECT_TRUE(rib_.Peers().empty());
}

TEST_F(SessionTest, ClosedSessionKeepsRoutesStaleUntilTheKeepTimeThenFlushes) {
  config_.keep = std::chrono::milliseconds(50);
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  session->Close("test");
  ASSERT_EQ(rib_.Peers().size(), 1u);
  EXPECT_TRUE(rib_.Peers()[0].stale);
  EXPECT_EQ(RoutesOf("203.0.113.0/24").size(), 1u);  // still visible while stale
  rib_.FlushExpiredPeers(ribflow::Rib::Clock::now());
  EXPECT_EQ(RoutesOf("203.0.113.0/24").size(), 1u);  // not yet expired
  rib_.FlushExpiredPeers(ribflow::Rib::Clock::now() + std::chrono::milliseconds(100));
  EXPECT_TRUE(RoutesOf("203.0.113.0/24").empty());
}

TEST_F(SessionTest, PeerUpOnANewConnectionRevivesTheStalePeer) {
  config_.keep = std::chrono::milliseconds(50);
  auto first = NewSession();
  Apply(*first, PeerUpMessage(Peer()));
  Apply(*first, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  first->Close("test");
  auto second = NewSession();
  Apply(*second, PeerUpMessage(Peer()));
  ASSERT_EQ(rib_.Peers().size(), 1u);
  EXPECT_FALSE(rib_.Peers()[0].stale);
  rib_.FlushExpiredPeers(ribflow::Rib::Clock::now() + std::chrono::milliseconds(100));
  EXPECT_EQ(RoutesOf("203.0.113.0/24").size(), 1u);  // revived: never flushed
}

TEST_F(SessionTest, TerminationMarksPeersStaleAndLaterMessagesAreIgnored) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  Apply(*session, testing::BmpMessage(kTermination, testing::Bytes{}));
  EXPECT_TRUE(rib_.Peers().at(0).stale);
  EXPECT_TRUE(session->info().terminated);
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("198.51.100.0/24", {65010})));
  EXPECT_TRUE(RoutesOf("198.51.100.0/24").empty());
}

TEST_F(SessionTest, SecondPeerUpForAPeerThatIsUpFlushesThePreviousSession) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  Apply(*session, PeerUpMessage(Peer()));
  EXPECT_TRUE(RoutesOf("203.0.113.0/24").empty());
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  EXPECT_EQ(RoutesOf("203.0.113.0/24").size(), 1u);
}

TEST_F(SessionTest, ImportPolicyFiltersRibsAndDropsPathsAndCommunities) {
  config_.policy.ribs = {false, true, false, false, false};  // post-policy Adj-RIB-In only
  config_.policy.keep_as_paths = false;
  config_.policy.keep_communities = false;
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})));
  EXPECT_TRUE(RoutesOf("203.0.113.0/24").empty());
  EXPECT_EQ(Counter("ribflow_bmp_routes_total", {{"operation", "filtered"}}), 1);
  Apply(*session, RouteMonitoringMessage(Peer(PeerHeader::kFlagPostPolicy),
                                         Announce("203.0.113.0/24", {65001, 65010})));
  auto routes = RoutesOf("203.0.113.0/24");
  ASSERT_EQ(routes.size(), 1u);
  const Attributes attributes = routes[0].attributes->ToAttributes();
  EXPECT_EQ(attributes.origin_asn, 65010u);
  EXPECT_TRUE(attributes.as_path.empty());
  EXPECT_TRUE(attributes.communities.empty());
  EXPECT_TRUE(attributes.large_communities.empty());
}

TEST_F(SessionTest, RdInstancePeerRoutesGoToItsVrfTableAndRdFilterApplies) {
  const RouteDistinguisher rd = (uint64_t{0} << 48) | (uint64_t{65000} << 32) | 7;  // 65000:7
  PeerSpec vrf_peer = Peer();
  vrf_peer.type = 1;
  vrf_peer.distinguisher = rd;
  config_.policy.rds = {rd};
  auto session = NewSession();
  Apply(*session, PeerUpMessage(vrf_peer));
  Apply(*session, RouteMonitoringMessage(vrf_peer, Announce("203.0.113.0/24", {65010})));
  Apply(*session, PeerUpMessage(Peer()));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("198.51.100.0/24", {65010})));
  EXPECT_EQ(RoutesOf("203.0.113.0/24", rd).size(), 1u);
  EXPECT_TRUE(RoutesOf("203.0.113.0/24", 0).empty());
  EXPECT_TRUE(RoutesOf("198.51.100.0/24", 0).empty());  // the global table is not in rds
}

TEST_F(SessionTest, MalformedUpdateIsCountedAndTheNextMessageStillApplies) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  bt::Bytes broken = Announce("203.0.113.0/24", {65010});
  broken[21] = 0xff;  // total path attribute length past the end of the message
  broken[22] = 0xff;
  Apply(*session, RouteMonitoringMessage(Peer(), broken));
  Apply(*session, RouteMonitoringMessage(Peer(), Announce("198.51.100.0/24", {65010})));
  EXPECT_EQ(RoutesOf("198.51.100.0/24").size(), 1u);
  EXPECT_EQ(Counter("ribflow_bmp_update_error_outcomes_total", {{"action", "discard_message"}}), 1);
}

TEST_F(SessionTest, ConsumeFramesAStreamCutAtEveryByte) {
  std::vector<uint8_t> stream = PeerUpMessage(Peer());
  for (const auto& m : {RouteMonitoringMessage(Peer(), Announce("203.0.113.0/24", {65010})),
                        RouteMonitoringMessage(Peer(), Announce("198.51.100.0/24", {65020}))}) {
    stream.insert(stream.end(), m.begin(), m.end());
  }
  auto session = NewSession();
  for (uint8_t byte : stream) ASSERT_TRUE(session->Consume({&byte, 1}, writer_).ok());
  EXPECT_EQ(RoutesOf("203.0.113.0/24").size(), 1u);
  EXPECT_EQ(RoutesOf("198.51.100.0/24").size(), 1u);
  EXPECT_EQ(session->info().messages, 3u);
}

TEST_F(SessionTest, StatisticsReportCountersBecomeGaugesPerPeerAndGoWithThePeer) {
  auto session = NewSession();
  Apply(*session, PeerUpMessage(Peer()));
  testing::Bytes stats;
  stats.U32(2);
  stats.U16(0).U16(4).U32(17);                          // rejected prefixes: 17
  stats.U16(9).U16(11).U16(2).U8(1).U64(123456789012);  // Adj-RIB-In routes, IPv6 unicast
  Apply(*session, testing::PerPeerMessage(1, Peer(), stats));
  auto gauge = [&](const std::string& stat) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "ribflow_bmp_statistic") continue;
      for (const auto& metric : family.metric) {
        for (const auto& label : metric.label) {
          if (label.name == "stat" && label.value == stat) return metric.gauge.value;
        }
      }
    }
    return -1.0;
  };
  EXPECT_EQ(gauge("0"), 17);
  EXPECT_EQ(gauge("9"), 123456789012.0);
  testing::Bytes reason;
  reason.U8(4);
  Apply(*session, testing::PerPeerMessage(kPeerDown, Peer(), reason));
  EXPECT_EQ(gauge("0"), -1);  // the peer's series are gone with it
}

TEST_F(SessionTest, ConsumeReportsAStreamErrorAndCountsIt) {
  auto session = NewSession();
  std::vector<uint8_t> bad = {9, 0, 0, 0, 6, 4};  // version 9
  EXPECT_FALSE(session->Consume(bad, writer_).ok());
  EXPECT_EQ(Counter("ribflow_bmp_errors_total", {{"source", "bmp"}, {"kind", "bad_version"}}), 1);
}

}  // namespace
}  // namespace ribflow::bmp
