// Randomized differential test: the RIB against a reference model built from the simplest
// structures (a std::map of routes per peer, linear longest-prefix match), over announces,
// replaces, withdraws, flushes, stale/revive and hinted lookups, IPv4 and IPv6, with RDs.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "rib/rib.h"

namespace ribflow {
namespace {

struct ModelRoute {
  IpAddress next_hop;
  Attributes attributes;
};
using RouteId = std::tuple<RouteDistinguisher, Prefix, uint32_t>;  // rd, prefix, path id

struct ModelPeer {
  PeerKey key;
  PeerId id = kNoPeer;  // current RIB id while present
  bool present = false;
  std::map<RouteId, ModelRoute> routes;
};

class Model {
 public:
  std::vector<ModelPeer> peers;

  // Same selection rule as documented in docs/rib.md, written the slow, obvious way.
  struct Answer {
    bool found = false;
    Prefix prefix;
    size_t peer = 0;
    uint32_t path_id = 0;
    const ModelRoute* route = nullptr;
  };
  Answer Lookup(const IpAddress& a, const LookupHints& hints) const {
    struct Candidate {
      int length;
      size_t peer;
      uint32_t path_id;
      const ModelRoute* route;
      Prefix prefix;
    };
    std::vector<Candidate> all;
    for (size_t p = 0; p < peers.size(); ++p) {
      if (!peers[p].present) continue;
      for (const auto& [id, r] : peers[p].routes) {
        const auto& [rd, prefix, path_id] = id;
        if (rd == hints.rd && prefix.Contains(a))
          all.push_back({prefix.length, p, path_id, &r, prefix});
      }
    }
    auto score = [&](const Candidate& c) {
      int s = 0;
      if (hints.exporter && peers[c.peer].key.router == *hints.exporter) s += 2;
      if (hints.next_hop && c.route->next_hop == *hints.next_hop) s += 1;
      return s;
    };
    auto better = [&](const Candidate& x, const Candidate& y) {  // x before y?
      if (score(x) != score(y)) return score(x) > score(y);
      if (peers[x.peer].key != peers[y.peer].key) return peers[x.peer].key < peers[y.peer].key;
      return x.path_id < y.path_id;
    };
    bool exporter_known = false;
    if (hints.exporter) {
      for (const auto& p : peers) exporter_known |= p.present && p.key.router == *hints.exporter;
      // The RIB knows routers that ever had a peer; the model only counts present ones, so
      // tests only use exporters that always have a present peer or none at all.
    }
    std::vector<int> lengths;
    for (auto& c : all) lengths.push_back(c.length);
    std::sort(lengths.rbegin(), lengths.rend());
    lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    const Candidate* fallback = nullptr;
    for (int len : lengths) {
      const Candidate* best = nullptr;
      for (auto& c : all) {
        if (c.length == len && (best == nullptr || better(c, *best))) best = &c;
      }
      if (!exporter_known || score(*best) >= 2)
        return {true, best->prefix, best->peer, best->path_id, best->route};
      if (fallback == nullptr) fallback = best;
    }
    if (fallback)
      return {true, fallback->prefix, fallback->peer, fallback->path_id, fallback->route};
    return {};
  }
};

class RibDifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(RibDifferentialTest, RandomOperationsMatchReferenceModel) {
  std::mt19937_64 rng(GetParam());
  Rib rib;
  auto writer_owner = std::make_unique<Rib::Writer>(rib);
  Rib::Writer& writer = *writer_owner;
  Rib::Reader reader(rib);
  Model model;

  const IpAddress routers[] = {*IpAddress::Parse("192.0.2.1"), *IpAddress::Parse("192.0.2.2"),
                               *IpAddress::Parse("2001:db8::ffff")};
  for (int i = 0; i < 6; ++i) {
    ModelPeer p;
    p.key.router = routers[i % 3];
    p.key.peer = IpAddress::FromV4(0xcb007100 + i);
    p.key.asn = 64500 + i;
    p.key.rib = i == 5 ? RibKind::kAdjRibInPost : RibKind::kAdjRibInPre;
    p.id = rib.AddPeer(p.key);
    p.present = true;
    model.peers.push_back(p);
  }
  const IpAddress next_hops[] = {
      *IpAddress::Parse("198.51.100.1"), *IpAddress::Parse("198.51.100.2"),
      *IpAddress::Parse("2001:db8:1::1"), *IpAddress::Parse("2001:db8:1::2")};
  std::vector<Attributes> attribute_sets;
  for (uint32_t i = 0; i < 8; ++i) {
    Attributes a;
    a.origin_asn = 65000 + i;
    for (uint32_t j = 0; j <= i % 4; ++j) a.as_path.push_back(64600 + i + j);
    a.as_path.push_back(a.origin_asn);
    if (i % 2) a.communities = {0xfde80000 + i};
    if (i % 3 == 0) a.large_communities = {{65000, i, 1}};
    if (i == 7) a.route_targets = {0x0002fde800000007};
    attribute_sets.push_back(a);
  }
  const RouteDistinguisher rds[] = {0, 0, 0, 0x0000fde800000001};

  auto random_address = [&](bool v4) {
    if (v4) return IpAddress::FromV4(0x0a000000u | (rng() & 0x00c0f003u));
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
    b[4] = rng() & 0xc0;
    b[5] = rng() & 0x01;
    b[15] = rng() & 0x3;
    return IpAddress::FromV6(b);
  };
  const int v4_lengths[] = {0, 8, 9, 10, 16, 17, 20, 24, 30, 31, 32};
  const int v6_lengths[] = {0, 16, 32, 34, 40, 47, 48, 64, 120, 127, 128};
  auto random_prefix = [&](bool v4) {
    const int length = v4 ? v4_lengths[rng() % 11] : v6_lengths[rng() % 11];
    return *Prefix::Make(random_address(v4), length);
  };

  auto compare_all = [&] {
    std::map<std::pair<size_t, RouteId>, ModelRoute> from_rib;
    writer.ForEachRoute([&](const Rib::Writer::RouteView& r) {
      size_t p = 0;
      while (p < model.peers.size() && !(model.peers[p].present && model.peers[p].id == r.peer))
        ++p;
      ASSERT_LT(p, model.peers.size()) << "route of unknown peer " << r.peer;
      from_rib[{p, RouteId{r.rd, r.prefix, r.path_id}}] = {r.next_hop,
                                                           r.attributes->ToAttributes()};
    });
    std::map<std::pair<size_t, RouteId>, ModelRoute> expected;
    for (size_t p = 0; p < model.peers.size(); ++p) {
      if (!model.peers[p].present) continue;
      for (auto& [id, r] : model.peers[p].routes) expected[{p, id}] = r;
    }
    ASSERT_EQ(from_rib.size(), expected.size());
    for (auto& [k, r] : expected) {
      auto it = from_rib.find(k);
      ASSERT_NE(it, from_rib.end());
      EXPECT_EQ(it->second.next_hop, r.next_hop);
      EXPECT_EQ(it->second.attributes, r.attributes);
    }
    size_t routes = 0;
    for (auto& p : model.peers) routes += p.present ? p.routes.size() : 0;
    EXPECT_EQ(rib.Stats().routes, routes);
  };

  auto now = Rib::Clock::now();
  size_t lookups_found = 0, lookups_missed = 0;
  for (int step = 0; step < 30000; ++step) {
    const size_t p = rng() % model.peers.size();
    ModelPeer& peer = model.peers[p];
    const bool v4 = rng() % 2;
    const int op = rng() % 100;
    if (op < 45) {  // announce or replace
      if (!peer.present) continue;
      const RouteId id{rds[rng() % 4], random_prefix(v4), static_cast<uint32_t>(rng() % 3)};
      const ModelRoute r{next_hops[rng() % 4], attribute_sets[rng() % attribute_sets.size()]};
      const auto& [rd, prefix, path_id] = id;
      ASSERT_TRUE(
          writer.Announce(peer.id, rd, prefix, path_id, r.next_hop, r.attributes.view()).ok());
      peer.routes[id] = r;
    } else if (op < 65) {  // withdraw, usually of an existing route
      if (!peer.present) continue;
      RouteId id{rds[rng() % 4], random_prefix(v4), static_cast<uint32_t>(rng() % 3)};
      if (!peer.routes.empty() && rng() % 4) {
        auto it = peer.routes.begin();
        std::advance(it, rng() % peer.routes.size());
        id = it->first;
      }
      const auto& [rd, prefix, path_id] = id;
      EXPECT_EQ(writer.Withdraw(peer.id, rd, prefix, path_id), peer.routes.erase(id) == 1);
    } else if (op < 66) {  // peer down: flush, then the peer comes back empty
      if (peer.present) rib.FlushPeerNow(peer.id, 1 + rng() % 64);
      peer.routes.clear();
      peer.id = rib.AddPeer(peer.key);
      ASSERT_NE(peer.id, kNoPeer);
      peer.present = true;
    } else if (op < 67) {  // router down: stale, then either revived or expired
      if (!peer.present) continue;
      ASSERT_TRUE(rib.MarkPeerStale(peer.id, now + std::chrono::seconds(10)));
      if (rng() % 2) {
        EXPECT_TRUE(rib.RevivePeer(peer.id));
      } else {
        EXPECT_EQ(rib.FlushExpiredPeers(now + std::chrono::seconds(5)), 0u);  // not yet due
        EXPECT_EQ(rib.FlushExpiredPeers(now + std::chrono::seconds(11)), 1u);
        EXPECT_FALSE(rib.RevivePeer(peer.id));
        while (rib.SweepFlushedPeers(1 + rng() % 64)) {
        }
        peer.present = false;
        peer.routes.clear();
      }
    } else {  // lookup with random hints
      const IpAddress a = random_address(v4);
      LookupHints hints;
      hints.rd = rds[rng() % 4];
      if (rng() % 2)
        hints.exporter = routers[rng() % 2];  // routers 0 and 1 always have peers? see below
      if (rng() % 2) hints.next_hop = next_hops[rng() % 4];
      // Keep exporter hints to routers the model counts as known (some present peer).
      if (hints.exporter) {
        bool known = false;
        for (auto& mp : model.peers) known |= mp.present && mp.key.router == *hints.exporter;
        if (!known) hints.exporter.reset();
      }
      reader.Pin();
      LookupResult got;
      const bool found = reader.Lookup(a, hints, &got);
      const auto want = model.Lookup(a, hints);
      ASSERT_EQ(found, want.found) << a.ToString();
      ++(found ? lookups_found : lookups_missed);
      if (found) {
        EXPECT_EQ(got.prefix, want.prefix) << a.ToString();
        EXPECT_EQ(got.peer, model.peers[want.peer].id) << a.ToString();
        EXPECT_EQ(got.path_id, want.path_id);
        EXPECT_EQ(got.next_hop, want.route->next_hop);
        EXPECT_EQ(got.attributes->ToAttributes(), want.route->attributes);
      }
      reader.Unpin();
    }
    if (step % 3000 == 0) compare_all();
  }
  compare_all();
  // The run exercised both outcomes, not just one.
  EXPECT_GT(lookups_found, 1000u);
  EXPECT_GT(lookups_missed, 100u);
  // Everything withdrawn leaves an empty RIB: no leaked prefixes, sets or interned values.
  for (auto& peer : model.peers) {
    if (peer.present) rib.FlushPeerNow(peer.id);
  }
  writer_owner.reset();  // its last-used cache holds references
  rib.epochs().Drain();
  const RibStats stats = rib.Stats();
  EXPECT_EQ(stats.routes, 0u);
  EXPECT_EQ(stats.prefixes, 0u);
  EXPECT_EQ(stats.attribute_sets, 0u);
  EXPECT_EQ(stats.next_hops, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RibDifferentialTest, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace ribflow
