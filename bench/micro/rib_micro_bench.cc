// Micro-benchmarks of the RIB's per-operation hot paths, in isolation and cache-warm:
// what one lookup, one route replacement and one interning hit cost in CPU. The system
// figures (full table, concurrent writers, memory, flush) are `ribflow-bench rib`.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "rib/rib.h"

namespace ribflow {
namespace {

// A RIB of `prefixes` /24s under 10.0.0.0/8 from `peers` peers, with a handful of paths.
struct Fixture {
  explicit Fixture(int prefixes, int peers) : writer(rib), reader(rib) {
    for (int k = 0; k < peers; ++k) {
      ids.push_back(rib.AddPeer({IpAddress::FromV4(0xc0000201u + k % 2),
                                 IpAddress::FromV4(0xcb007101u + k), 0,
                                 static_cast<uint32_t>(64500 + k)}));
    }
    for (uint32_t v = 0; v < 4; ++v) {
      paths.push_back({65000 + v, {174, 3356 + v, 65000 + v}, {0xfde80000 + v}, {}, {}});
    }
    for (int i = 0; i < prefixes; ++i) {
      const Prefix p = *Prefix::Make(IpAddress::FromV4(0x0a000000u + (uint32_t(i) << 8)), 24);
      table.push_back(p);
      for (PeerId id : ids) {
        (void)writer.Announce(id, 0, p, 0, next_hop, paths[i % paths.size()].view());
      }
    }
  }
  Rib rib;
  Rib::Writer writer;
  Rib::Reader reader;
  std::vector<PeerId> ids;
  std::vector<Attributes> paths;
  std::vector<Prefix> table;
  IpAddress next_hop = *IpAddress::Parse("198.51.100.1");
};

void BM_LookupWarm(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  LookupHints hints;
  hints.exporter = IpAddress::FromV4(0xc0000202u);
  std::mt19937 rng(1);
  std::vector<IpAddress> addresses;
  for (int i = 0; i < 4096; ++i) {
    addresses.push_back(IpAddress::FromV4(f.table[rng() % f.table.size()].address.v4() | 7));
  }
  size_t i = 0;
  for (auto _ : state) {
    f.reader.Pin();
    LookupResult r;
    benchmark::DoNotOptimize(f.reader.Lookup(addresses[i++ & 4095], hints, &r));
    benchmark::DoNotOptimize(r.attributes->origin_asn());
    f.reader.Unpin();
  }
}
BENCHMARK(BM_LookupWarm)->Args({1000, 1})->Args({1000, 10});

// Attribute change of an existing route: copy-on-write of its route set.
void BM_ReplaceRoute(benchmark::State& state) {
  Fixture f(1000, static_cast<int>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    const Prefix& p = f.table[i % f.table.size()];
    (void)f.writer.Announce(f.ids[0], 0, p, 0, f.next_hop, f.paths[(i / 1000 + 1) % 4].view());
    ++i;
  }
}
BENCHMARK(BM_ReplaceRoute)->Arg(1)->Arg(10);

// Withdraw then re-announce: the route-set copy on both, and for one peer the trie node copy
// of removing and re-adding the prefix.
void BM_WithdrawAnnounce(benchmark::State& state) {
  Fixture f(1000, static_cast<int>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    const Prefix& p = f.table[i++ % f.table.size()];
    f.writer.Withdraw(f.ids[0], 0, p, 0);
    (void)f.writer.Announce(f.ids[0], 0, p, 0, f.next_hop, f.paths[0].view());
  }
}
BENCHMARK(BM_WithdrawAnnounce)->Arg(1)->Arg(10);

// Interning hit in the shared pool (the writer's last-used cache bypassed by alternating).
void BM_InternHit(benchmark::State& state) {
  EpochDomain epochs;
  InternPool<InternedAttributes> pool(&epochs);
  Attributes a{65001, {174, 3356, 65001}, {0xfde80001, 0xfde80002}, {}, {}};
  const InternedAttributes* held = pool.Acquire(a.view());
  for (auto _ : state) {
    const InternedAttributes* o = pool.Acquire(a.view());
    benchmark::DoNotOptimize(o);
    pool.Release(o);
  }
  pool.Release(held);
  epochs.Drain();
}
BENCHMARK(BM_InternHit);

}  // namespace
}  // namespace ribflow

BENCHMARK_MAIN();
