// Peer lifecycle: stale peers keep their routes until the deadline, revival cancels the
// flush, a flush hides routes at once and its sweep reclaims them in bounded steps.
#include <gtest/gtest.h>

#include <chrono>

#include "rib/rib.h"

namespace ribflow {
namespace {

using std::chrono::seconds;

class RibPeersTest : public ::testing::Test {
 protected:
  RibPeersTest() : writer_(rib_), reader_(rib_) {
    a_ = rib_.AddPeer({*IpAddress::Parse("192.0.2.1"), *IpAddress::Parse("203.0.113.1"), 0, 64501});
    b_ = rib_.AddPeer({*IpAddress::Parse("192.0.2.2"), *IpAddress::Parse("203.0.113.2"), 0, 64502});
    attrs_a_ = {64501, {64501}, {}, {}, {}};
    attrs_b_ = {64502, {64502}, {}, {}, {}};
  }
  void Announce(PeerId peer, const char* prefix, const Attributes& attrs) {
    ASSERT_TRUE(writer_
                    .Announce(peer, 0, *Prefix::Parse(prefix), 0, *IpAddress::Parse("198.51.100.1"),
                              attrs.view())
                    .ok());
  }
  // Origin AS of the route chosen for an address, 0 when none.
  uint32_t OriginOf(const char* address, LookupHints hints = {}) {
    reader_.Pin();
    LookupResult r;
    const uint32_t asn =
        reader_.Lookup(*IpAddress::Parse(address), hints, &r) ? r.attributes->origin_asn() : 0;
    reader_.Unpin();
    return asn;
  }

  Rib rib_;
  Rib::Writer writer_;
  Rib::Reader reader_;
  PeerId a_, b_;
  Attributes attrs_a_, attrs_b_;
};

TEST_F(RibPeersTest, StalePeerKeepsRoutesUntilDeadlineThenIsFlushed) {
  Announce(a_, "10.0.0.0/8", attrs_a_);
  const auto now = Rib::Clock::now();
  ASSERT_TRUE(rib_.MarkPeerStale(a_, now + seconds(300)));
  EXPECT_EQ(OriginOf("10.1.1.1"), 64501u);
  EXPECT_EQ(rib_.FlushExpiredPeers(now + seconds(299)), 0u);
  EXPECT_EQ(OriginOf("10.1.1.1"), 64501u);
  EXPECT_EQ(rib_.FlushExpiredPeers(now + seconds(301)), 1u);
  EXPECT_EQ(OriginOf("10.1.1.1"), 0u);  // hidden before any sweep step
  while (rib_.SweepFlushedPeers(1)) {
  }
  EXPECT_EQ(rib_.Stats().prefixes, 0u);
}

TEST_F(RibPeersTest, PeerUpWithinKeepTimeCancelsTheFlush) {
  Announce(a_, "10.0.0.0/8", attrs_a_);
  const auto now = Rib::Clock::now();
  ASSERT_TRUE(rib_.MarkPeerStale(a_, now + seconds(300)));
  // The session comes back: AddPeer with the same key revives the same peer.
  EXPECT_EQ(rib_.AddPeer(*rib_.peer_key(a_)), a_);
  EXPECT_EQ(rib_.FlushExpiredPeers(now + seconds(301)), 0u);
  EXPECT_EQ(OriginOf("10.1.1.1"), 64501u);
}

TEST_F(RibPeersTest, FlushHidesRoutesAtOnceAndOtherPeersRemain) {
  for (int i = 0; i < 200; ++i) {
    const std::string p = "10.0." + std::to_string(i) + ".0/24";
    Announce(a_, p.c_str(), attrs_a_);
    Announce(b_, p.c_str(), attrs_b_);
  }
  LookupHints from_a;
  from_a.exporter = *IpAddress::Parse("192.0.2.1");
  EXPECT_EQ(OriginOf("10.0.7.1", from_a), 64501u);
  rib_.FlushPeer(a_);
  EXPECT_EQ(OriginOf("10.0.7.1", from_a), 64502u);  // falls back to the other router
  // Bounded steps: each call visits at most 16 prefixes.
  int steps = 0;
  while (rib_.SweepFlushedPeers(16)) ++steps;
  EXPECT_GE(steps, 200 / 16 - 1);
  EXPECT_EQ(rib_.Stats().routes, 200u);
  EXPECT_EQ(rib_.Stats().prefixes, 200u);
  // The key can come back as a new, empty peer.
  const PeerId again =
      rib_.AddPeer({*IpAddress::Parse("192.0.2.1"), *IpAddress::Parse("203.0.113.1"), 0, 64501});
  EXPECT_NE(again, kNoPeer);
  EXPECT_EQ(OriginOf("10.0.7.1", from_a), 64502u);
}

// A flush leaves a minority peer's routes as tombstones in place; the next write to a prefix
// compacts its set, and a set is copied instead once half of it would be dead.
TEST_F(RibPeersTest, FlushTombstonesMinorityRoutesAndWritesCompactThem) {
  const PeerKey key_c{*IpAddress::Parse("192.0.2.3"), *IpAddress::Parse("203.0.113.3"), 0, 64503};
  const PeerKey key_d{*IpAddress::Parse("192.0.2.4"), *IpAddress::Parse("203.0.113.4"), 0, 64504};
  const PeerId c = rib_.AddPeer(key_c), d = rib_.AddPeer(key_d);
  const Attributes attrs_c{64503, {64503}, {}, {}, {}}, attrs_d{64504, {64504}, {}, {}, {}};
  auto prefix = [](int i) { return "10.1." + std::to_string(i) + ".0/24"; };
  auto address = [](int i) { return "10.1." + std::to_string(i) + ".9"; };
  for (int i = 0; i < 100; ++i) {
    Announce(a_, prefix(i).c_str(), attrs_a_);
    Announce(b_, prefix(i).c_str(), attrs_b_);
    Announce(c, prefix(i).c_str(), attrs_c);
    Announce(d, prefix(i).c_str(), attrs_d);
  }
  const PeerKey key_a = *rib_.peer_key(a_);
  rib_.FlushPeerNow(a_, 7);
  EXPECT_EQ(rib_.Stats().tombstones, 100u);  // 1 of 4 routes dead: left in place
  EXPECT_EQ(rib_.Stats().routes, 300u);
  rib_.epochs().Drain();  // the flushed id may now be reused

  // The key comes back (perhaps with the same id) and re-announces half the prefixes.
  const PeerId a2 = rib_.AddPeer(key_a);
  const Attributes attrs_a2{64599, {64599}, {}, {}, {}};
  for (int i = 0; i < 50; ++i) Announce(a2, prefix(i).c_str(), attrs_a2);
  EXPECT_EQ(rib_.Stats().tombstones, 50u);
  LookupHints from_a, from_d;
  from_a.exporter = key_a.router;
  from_d.exporter = key_d.router;
  EXPECT_EQ(OriginOf(address(10).c_str(), from_a), 64599u);
  EXPECT_EQ(OriginOf(address(60).c_str(), from_a), 64502u);  // a's old route stays dead

  // A withdrawal in a set with a tombstone compacts it too.
  EXPECT_TRUE(writer_.Withdraw(b_, 0, *Prefix::Parse(prefix(70)), 0));
  EXPECT_EQ(rib_.Stats().tombstones, 49u);

  // Flushing c: at most half of each set is then dead (1 of 4, 2 of 4, and 1 of 2 in prefix
  // 70, compacted to {c, d}), so every removal is in place.
  rib_.FlushPeerNow(c, 5);
  EXPECT_EQ(rib_.Stats().tombstones, 49u + 50u + 49u + 1u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(OriginOf(address(i).c_str(), from_d), 64504u) << i;
    const uint32_t expected_from_a = i < 50 ? 64599u : i == 70 ? 64504u : 64502u;
    EXPECT_EQ(OriginOf(address(i).c_str(), from_a), expected_from_a) << i;
  }
  // Flushing b: prefixes 0-49 reach 2 dead of 4, still in place; in 50-99 a third dead route
  // of 4 is past half, so those sets are copied to {d} without tombstones; 70 has no b.
  rib_.FlushPeerNow(b_, 5);
  EXPECT_EQ(rib_.Stats().tombstones, 2u * 50u + 1u);
  EXPECT_EQ(rib_.Stats().routes, 50u + 100u);

  // Once every peer is gone no prefix and no tombstone is left.
  for (PeerId p : {a2, d}) rib_.FlushPeer(p);
  while (rib_.SweepFlushedPeers(3)) {
  }
  EXPECT_EQ(rib_.Stats().prefixes, 0u);
  EXPECT_EQ(rib_.Stats().tombstones, 0u);
  EXPECT_EQ(OriginOf(address(1).c_str()), 0u);
}

TEST_F(RibPeersTest, AnnounceToFlushedPeerIsRefused) {
  rib_.FlushPeer(a_);
  EXPECT_FALSE(writer_
                   .Announce(a_, 0, *Prefix::Parse("10.0.0.0/8"), 0,
                             *IpAddress::Parse("198.51.100.1"), attrs_a_.view())
                   .ok());
}

TEST_F(RibPeersTest, HintsPickExporterThenNextHopDeterministically) {
  const auto p = *Prefix::Parse("10.0.0.0/8");
  const auto nh1 = *IpAddress::Parse("198.51.100.1"), nh2 = *IpAddress::Parse("198.51.100.2");
  ASSERT_TRUE(writer_.Announce(b_, 0, p, 0, nh1, attrs_b_.view()).ok());
  ASSERT_TRUE(writer_.Announce(a_, 0, p, 0, nh2, attrs_a_.view()).ok());
  // No hint: peer keys order (router 192.0.2.1 before 192.0.2.2), whatever the insert order.
  EXPECT_EQ(OriginOf("10.1.1.1"), 64501u);
  LookupHints by_nh;
  by_nh.next_hop = nh1;
  EXPECT_EQ(OriginOf("10.1.1.1", by_nh), 64502u);
  LookupHints by_exporter;
  by_exporter.exporter = *IpAddress::Parse("192.0.2.2");
  by_exporter.next_hop = nh2;  // exporter outranks next hop
  EXPECT_EQ(OriginOf("10.1.1.1", by_exporter), 64502u);
}

TEST_F(RibPeersTest, ExporterPrefersItsOwnShorterPrefix) {
  Announce(a_, "10.0.0.0/8", attrs_a_);
  Announce(b_, "10.1.0.0/16", attrs_b_);
  LookupHints from_a;
  from_a.exporter = *IpAddress::Parse("192.0.2.1");
  EXPECT_EQ(OriginOf("10.1.1.1", from_a), 64501u);
  EXPECT_EQ(OriginOf("10.1.1.1"), 64502u);
}

TEST_F(RibPeersTest, RouteDistinguisherSelectsTheVrfTable) {
  const RouteDistinguisher rd = 0x0000fde800000064;
  ASSERT_TRUE(writer_
                  .Announce(a_, rd, *Prefix::Parse("10.0.0.0/8"), 0,
                            *IpAddress::Parse("198.51.100.1"), attrs_a_.view())
                  .ok());
  Announce(b_, "10.0.0.0/8", attrs_b_);
  LookupHints vrf;
  vrf.rd = rd;
  EXPECT_EQ(OriginOf("10.1.1.1", vrf), 64501u);
  EXPECT_EQ(OriginOf("10.1.1.1"), 64502u);
  vrf.rd = 0x0000fde800000065;
  EXPECT_EQ(OriginOf("10.1.1.1", vrf), 0u);
}

TEST_F(RibPeersTest, AddPathKeepsOneRoutePerPathId) {
  const auto p = *Prefix::Parse("2001:db8::/32");
  const auto nh = *IpAddress::Parse("2001:db8:ffff::1");
  ASSERT_TRUE(writer_.Announce(a_, 0, p, 1, nh, attrs_a_.view()).ok());
  ASSERT_TRUE(writer_.Announce(a_, 0, p, 2, nh, attrs_b_.view()).ok());
  EXPECT_EQ(rib_.Stats().routes, 2u);
  EXPECT_EQ(OriginOf("2001:db8::1"), 64501u);  // lowest path id first
  EXPECT_TRUE(writer_.Withdraw(a_, 0, p, 1));
  EXPECT_EQ(OriginOf("2001:db8::1"), 64502u);
  EXPECT_FALSE(writer_.Withdraw(a_, 0, p, 1));
}

}  // namespace
}  // namespace ribflow
