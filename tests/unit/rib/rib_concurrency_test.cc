// Readers against writers, flushes and stale/revive cycles on other threads. Every route a
// reader gets must be one that a writer wrote for that very prefix: the attributes and the next
// hop carry a checksum of (prefix, writer, version), so a torn route (prefix of one write,
// attributes or next hop of another) fails the check. Run under ThreadSanitizer in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "absl/hash/hash.h"
#include "rib/rib.h"

namespace ribflow {
namespace {

uint32_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<uint32_t>(x);
}
uint32_t Tag(const Prefix& p) { return Mix(absl::HashOf(p)) | 1; }
uint32_t Check(const Prefix& p, uint32_t writer, uint32_t version) {
  return Mix(Tag(p) * 31ULL + writer * 1000003ULL + version);
}
IpAddress NextHopFor(const Prefix& p, uint32_t writer, uint32_t version) {
  return IpAddress::FromV4(Mix(Check(p, writer, version) + 7));
}

std::vector<Prefix> Universe() {
  std::vector<Prefix> out;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1500; ++i) {
    const int lengths[] = {8, 12, 16, 20, 24, 24, 24, 32};
    out.push_back(
        *Prefix::Make(IpAddress::FromV4(0x0a000000u | (rng() & 0x00ffff00u)), lengths[rng() % 8]));
    uint8_t b[16] = {
        0x20, 0x01, 0x0d, 0xb8, static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng())};
    const int v6[] = {32, 40, 44, 48, 48, 64};
    out.push_back(*Prefix::Make(IpAddress::FromV6(b), v6[rng() % 6]));
  }
  return out;
}

TEST(RibConcurrencyTest, ReadersNeverSeeATornRouteWhileWritersFlushAndReplace) {
  const std::vector<Prefix> universe = Universe();
  Rib rib;
  constexpr int kWriters = 2;
  constexpr int kOpsPerWriter = 30000;
  std::atomic<int> writers_done{0};
  std::atomic<uint64_t> lookups{0}, found{0}, torn{0};

  auto announce = [&](Rib::Writer& w, PeerId peer, const Prefix& p, uint32_t writer,
                      uint32_t version) {
    const uint32_t path[] = {writer, version, Check(p, writer, version)};
    AttributesView attrs{Tag(p), path, {}, {}, {}};
    return w.Announce(peer, 0, p, 0, NextHopFor(p, writer, version), attrs).ok();
  };

  std::vector<std::thread> threads;
  for (uint32_t wi = 0; wi < kWriters; ++wi) {
    threads.emplace_back([&, wi] {
      Rib::Writer w(rib);
      const PeerId peer =
          rib.AddPeer({IpAddress::FromV4(0xc0000201 + wi), IpAddress::FromV4(0xcb007101 + wi)});
      std::mt19937_64 rng(100 + wi);
      uint32_t version = 0;
      for (int op = 0; op < kOpsPerWriter; ++op) {
        const Prefix& p = universe[rng() % universe.size()];
        const int kind = rng() % 10;
        if (kind < 2) {
          w.Withdraw(peer, 0, p, 0);
        } else {
          ASSERT_TRUE(announce(w, peer, p, wi, ++version));
        }
      }
      writers_done.fetch_add(1);
    });
  }
  // A flapping peer: full load, stale, revive, flush in small steps, again.
  threads.emplace_back([&] {
    Rib::Writer w(rib);
    const PeerKey key{*IpAddress::Parse("192.0.2.99"), *IpAddress::Parse("203.0.113.99")};
    uint32_t version = 0;
    while (writers_done.load() < kWriters) {
      const PeerId peer = rib.AddPeer(key);
      ++version;
      for (size_t i = 0; i < universe.size(); i += 3)
        ASSERT_TRUE(announce(w, peer, universe[i], 99, version));
      rib.MarkPeerStale(peer, Rib::Clock::now() + std::chrono::hours(1));
      rib.RevivePeer(peer);
      rib.FlushPeer(peer);
      while (rib.SweepFlushedPeers(64)) {
      }
    }
  });
  for (int ri = 0; ri < 2; ++ri) {
    threads.emplace_back([&, ri] {
      Rib::Reader reader(rib);
      std::mt19937_64 rng(200 + ri);
      LookupHints hints;
      if (ri == 1) hints.exporter = IpAddress::FromV4(0xc0000202);
      while (writers_done.load() < kWriters) {
        reader.Pin();
        for (int i = 0; i < 64; ++i) {
          const Prefix& target = universe[rng() % universe.size()];
          IpAddress a = target.address;
          LookupResult r;
          lookups.fetch_add(1, std::memory_order_relaxed);
          if (!reader.Lookup(a, hints, &r)) continue;
          found.fetch_add(1, std::memory_order_relaxed);
          const auto path = r.attributes->as_path();
          const bool ok = r.prefix.Contains(a) && r.attributes->origin_asn() == Tag(r.prefix) &&
                          path.size() == 3 && path[2] == Check(r.prefix, path[0], path[1]) &&
                          r.next_hop == NextHopFor(r.prefix, path[0], path[1]);
          if (!ok) torn.fetch_add(1);
        }
        reader.Unpin();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(found.load(), 0u);
  EXPECT_GT(lookups.load(), found.load() / 2);
  // After the storm the RIB still agrees with itself: stats and content.
  rib.epochs().Drain();
  Rib::Writer w(rib);
  size_t routes = 0;
  w.ForEachRoute([&](const Rib::Writer::RouteView& r) {
    const auto path = r.attributes->as_path();
    EXPECT_EQ(path[2], Check(r.prefix, path[0], path[1]));
    ++routes;
  });
  EXPECT_EQ(routes, rib.Stats().routes);
}

}  // namespace
}  // namespace ribflow
