#include "rib/rib_bench.h"

#include <fmt/format.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>

#include "hiccups.h"
#include "rib/global_lock_rib.h"
#if defined(RIBFLOW_MIMALLOC)
#include <mimalloc.h>
#endif
#include "latency.h"
#include "rib/rib.h"
#include "rib/workload.h"

namespace ribflow::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Returns freed memory to the system, so that the next implementation's resident-memory delta
// is its own and not pages the previous one left in the allocators.
void ReleaseFreeMemory() {
#if defined(RIBFLOW_MIMALLOC)
  mi_collect(true);
#endif
  malloc_trim(0);
}

size_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// --- the two implementations behind one shape -------------------------------------------------

IpAddress RouterOf(int peer) { return IpAddress::FromV4(0xc0000201u + peer % 4); }
IpAddress NextHopOf(int peer, bool v4) {
  if (v4) return IpAddress::FromV4(0xc6336401u + peer);
  uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                   0,    0,    0,    0,    0, 0, 0, static_cast<uint8_t>(peer + 1)};
  return IpAddress::FromV6(b);
}

struct RibflowImpl {
  static constexpr const char* kName = "ribflow";
  static constexpr bool kHidesAtOnce = true;
  Rib rib;
  std::vector<PeerId> peers;
  struct WriterContext {
    explicit WriterContext(RibflowImpl& impl) : writer(impl.rib) {}
    Rib::Writer writer;
  };
  struct ReaderContext {
    explicit ReaderContext(RibflowImpl& impl) : reader(impl.rib) {}
    Rib::Reader reader;
    LookupHints hints;
  };
  void AddPeer(int k) {
    peers.push_back(rib.AddPeer(
        {RouterOf(k), IpAddress::FromV4(0xcb007101u + k), 0, 64500u + k, RibKind::kAdjRibInPre}));
  }
  void Announce(WriterContext& c, int peer, const Prefix& p, const Attributes& a) {
    (void)c.writer.Announce(peers[peer], 0, p, 0, NextHopOf(peer, p.is_v4()), a.view());
  }
  void Withdraw(WriterContext& c, int peer, const Prefix& p) {
    c.writer.Withdraw(peers[peer], 0, p, 0);
  }
  // Returns when lookups no longer see the peer; then sweeps to completion.
  void Flush(int peer, SteadyClock::time_point* hidden) {
    rib.FlushPeer(peers[peer]);
    *hidden = SteadyClock::now();
    while (rib.SweepFlushedPeers(4096)) {
    }
  }
  // One lookup as the outlet does it: pin, match, read the fields enrichment needs, unpin.
  static bool Lookup(ReaderContext& c, const IpAddress& a, uint64_t* sink) {
    c.reader.Pin();
    LookupResult r;
    const bool found = c.reader.Lookup(a, c.hints, &r);
    if (found)
      *sink += r.attributes->origin_asn() + r.attributes->as_path().size() + r.prefix.length;
    c.reader.Unpin();
    return found;
  }
  void SetExporter(ReaderContext& c, const IpAddress& e) { c.hints.exporter = e; }
  void Quiesce() { rib.epochs().Drain(); }
  size_t prefixes() const { return rib.Stats().prefixes; }
  size_t tombstones() const { return rib.Stats().tombstones; }
};

struct GlobalLockImpl {
  static constexpr const char* kName = "global-lock";
  static constexpr bool kHidesAtOnce = false;
  GlobalLockRib rib;
  std::vector<uint32_t> peers;
  struct WriterContext {
    explicit WriterContext(GlobalLockImpl&) {}
  };
  struct ReaderContext {
    explicit ReaderContext(GlobalLockImpl&) {}
    std::optional<IpAddress> exporter;
  };
  void AddPeer(int k) { peers.push_back(rib.AddPeer(RouterOf(k))); }
  void Announce(WriterContext&, int peer, const Prefix& p, const Attributes& a) {
    rib.Announce(peers[peer], p, 0, NextHopOf(peer, p.is_v4()), a.view());
  }
  void Withdraw(WriterContext&, int peer, const Prefix& p) { rib.Withdraw(peers[peer], p, 0); }
  void Flush(int peer, SteadyClock::time_point* hidden) {
    rib.FlushPeer(peers[peer]);  // the routes are gone only when the whole flush is
    *hidden = SteadyClock::now();
  }
  bool Lookup(ReaderContext& c, const IpAddress& a, uint64_t* sink) {
    GlobalLockRib::Result r;
    const bool found = rib.Lookup(a, c.exporter ? &*c.exporter : nullptr, &r);
    if (found) *sink += r.origin_asn + r.as_path_length + r.length;
    return found;
  }
  void SetExporter(ReaderContext& c, const IpAddress& e) { c.exporter = e; }
  void Quiesce() {}
  size_t prefixes() const { return rib.prefixes(); }
  size_t tombstones() const { return 0; }
};

// --- phases --------------------------------------------------------------------------------

// Figures measured once per implementation (load and flush), repeated in each of its rows.
struct ImplFigures {
  size_t routes = 0, prefixes = 0;
  double insert_ns_per_route = 0, bytes_per_route = 0;
  double flush_ms = 0, flush_max_lookup_us = 0, flush_hidden_ms = 0, flush_lookup_p999_ns = 0;
  double idle_max_lookup_us = 0;
  long flush_reader_preemptions = 0;
  // Hypervisor steal time (all CPUs) during the flush and during the idle window before it:
  // what explains a slow lookup that no preemption inside the guest does.
  int64_t flush_steal_ms = 0, idle_steal_ms = 0;
  size_t flush_tombstones = 0;  // dead route slots the flush left in place (ribflow)
};

struct Row {
  std::string impl;
  int peers = 0, writers = 0, readers = 0;
  double lookups_per_s = 0, p50 = 0, p99 = 0, p999 = 0, max = 0, writes_per_s = 0;
  ImplFigures f;
};

template <typename Impl>
class Runner {
 public:
  Runner(const RibBenchConfig& config, const Workload& w, double ns_per_tick)
      : config_(config), w_(w), ns_per_tick_(ns_per_tick) {}

  std::vector<Row> Run() {
    ReleaseFreeMemory();
    const size_t rss_before = ResidentBytes();
    auto impl = std::make_unique<Impl>();
    ImplFigures f;
    for (int k = 0; k < config_.peers; ++k) impl->AddPeer(k);
    {
      typename Impl::WriterContext c(*impl);
      const auto t0 = SteadyClock::now();
      for (size_t i = 0; i < w_.table.size(); ++i)
        impl->Announce(c, 0, w_.table[i].prefix, w_.PathFor(i, 0));
      const auto t1 = SteadyClock::now();
      f.insert_ns_per_route =
          std::chrono::duration<double, std::nano>(t1 - t0).count() / w_.table.size();
      for (int k = 1; k < config_.peers; ++k) {
        for (size_t i = 0; i < w_.table.size(); ++i)
          impl->Announce(c, k, w_.table[i].prefix, w_.PathFor(i, k));
      }
    }
    impl->Quiesce();
    f.routes = w_.table.size() * config_.peers;
    f.prefixes = impl->prefixes();
    f.bytes_per_route = double(ResidentBytes() - rss_before) / f.routes;
    Progress(fmt::format("{}: loaded {} routes, {:.0f} ns/route insert, {:.1f} B/route",
                         Impl::kName, f.routes, f.insert_ns_per_route, f.bytes_per_route));

    std::vector<Row> rows;
    for (int writers : config_.writers) rows.push_back(Concurrent(*impl, writers, f));
    Flush(*impl, &f);
    for (Row& r : rows) r.f = f;
    impl.reset();
    ReleaseFreeMemory();
    return rows;
  }

 private:
  void Progress(const std::string& s) const { std::fprintf(stderr, "%s\n", s.c_str()); }

  // Readers run until `stop`; while `window` is set they also track their slowest lookup.
  struct ReaderState {
    Histogram histogram;
    Histogram window;  // lookups made while `window_` was set
    uint64_t lookups = 0;
    uint64_t window_max = 0;
    uint64_t sink = 0;
    long window_preemptions = 0;  // involuntary context switches of this reader in the window
  };
  // Readers take the first CPUs, writers the next ones. On a 2-CPU machine this keeps the
  // reader and the writer on different CPUs: left to the scheduler, they sometimes share one,
  // and a reader then never meets a writer holding a lock, which hides the very contention
  // measured here.
  static void PinToCpu(size_t slot) {
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(slot % cpus, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  static long InvoluntarySwitches() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nivcsw;
  }
  void ReaderLoop(Impl& impl, size_t index, ReaderState* state) {
    PinToCpu(index);
    typename Impl::ReaderContext c(impl);
    impl.SetExporter(c, RouterOf(0));
    const auto& addresses = w_.lookup_addresses;
    size_t i = (index * 7919) % addresses.size();
    bool was_in_window = false;
    long switches_at_start = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
      const bool in_window = window_.load(std::memory_order_relaxed);
      if (in_window != was_in_window) {
        if (in_window) {
          switches_at_start = InvoluntarySwitches();
        } else {
          state->window_preemptions += InvoluntarySwitches() - switches_at_start;
        }
        was_in_window = in_window;
      }
      for (int k = 0; k < 256; ++k) {
        const IpAddress& a = addresses[i];
        if (++i == addresses.size()) i = 0;
        const uint64_t t0 = TimerStart();
        impl.Lookup(c, a, &state->sink);
        const uint64_t dt = TimerStop() - t0;
        state->histogram.Add(dt);
        if (in_window) {
          state->window_max = std::max(state->window_max, dt);
          state->window.Add(dt);
        }
      }
      state->lookups += 256;
    }
  }

  // One peer per writer: 20% withdrawals, 20% new announcements, 60% attribute changes.
  void WriterLoop(Impl& impl, int peer, size_t slot, uint64_t* writes) {
    PinToCpu(slot);
    typename Impl::WriterContext c(impl);
    std::mt19937_64 rng(config_.seed * 1000 + peer);
    const size_t n = w_.table.size();
    std::vector<uint8_t> variant(n, static_cast<uint8_t>(peer % Workload::kVariants));
    std::vector<uint8_t> present(n, 1);
    std::vector<uint32_t> withdrawn;
    uint64_t count = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
      for (int k = 0; k < 64; ++k, ++count) {
        const int op = static_cast<int>(rng() % 100);
        size_t i = rng() % n;
        if (op < 20) {
          for (int tries = 0; tries < 8 && !present[i]; ++tries) i = rng() % n;
          if (present[i]) {
            impl.Withdraw(c, peer, w_.table[i].prefix);
            present[i] = 0;
            withdrawn.push_back(static_cast<uint32_t>(i));
            continue;
          }
        } else if (op < 40 && !withdrawn.empty()) {
          const size_t j = rng() % withdrawn.size();
          i = withdrawn[j];
          withdrawn[j] = withdrawn.back();
          withdrawn.pop_back();
        } else {
          variant[i] = static_cast<uint8_t>((variant[i] + 1) % Workload::kVariants);
        }
        impl.Announce(c, peer, w_.table[i].prefix, w_.PathFor(i, variant[i]));
        if (!present[i]) {
          present[i] = 1;
          auto it = std::find(withdrawn.begin(), withdrawn.end(), static_cast<uint32_t>(i));
          if (it != withdrawn.end()) {
            *it = withdrawn.back();
            withdrawn.pop_back();
          }
        }
      }
    }
    *writes = count;
  }

  Row Concurrent(Impl& impl, int writers, const ImplFigures& f) {
    stop_ = false;
    window_ = false;
    std::vector<ReaderState> readers(config_.readers);
    std::vector<uint64_t> writes(writers, 0);
    std::vector<std::thread> threads;
    threads.reserve(config_.readers + writers);
    for (int r = 0; r < config_.readers; ++r) {
      threads.emplace_back([&, r] { ReaderLoop(impl, r, &readers[r]); });
    }
    for (int wi = 0; wi < writers; ++wi) {
      threads.emplace_back(
          [&, wi] { WriterLoop(impl, wi % config_.peers, config_.readers + wi, &writes[wi]); });
    }
    const auto t0 = SteadyClock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(config_.seconds));
    stop_ = true;
    for (auto& t : threads) t.join();
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    impl.Quiesce();

    Histogram all;
    uint64_t lookups = 0;
    for (auto& r : readers) {
      all.Merge(r.histogram);
      lookups += r.lookups;
    }
    uint64_t total_writes = 0;
    for (uint64_t wcount : writes) total_writes += wcount;
    Row row;
    row.impl = Impl::kName;
    row.peers = config_.peers;
    row.writers = writers;
    row.readers = config_.readers;
    row.lookups_per_s = lookups / elapsed;
    row.p50 = all.Percentile(0.50) * ns_per_tick_;
    row.p99 = all.Percentile(0.99) * ns_per_tick_;
    row.p999 = all.Percentile(0.999) * ns_per_tick_;
    row.max = all.max() * ns_per_tick_;
    row.writes_per_s = total_writes / elapsed;
    row.f = f;
    Progress(fmt::format("{}: writers={} p50={:.0f}ns p99={:.0f}ns writes/s={:.0f}", Impl::kName,
                         writers, row.p50, row.p99, row.writes_per_s));
    return row;
  }

  // Flushes the last full-table peer (one no writer touched) while readers run. Beforehand,
  // the same readers run as long with nothing else going on: their slowest lookup then is
  // this machine's noise floor (preemption, interrupts), reported beside the flush's.
  void Flush(Impl& impl, ImplFigures* f) {
    stop_ = false;
    window_ = false;
    std::vector<ReaderState> readers(config_.readers);
    std::vector<std::thread> threads;
    threads.reserve(config_.readers);
    for (int r = 0; r < config_.readers; ++r) {
      threads.emplace_back([&, r] { ReaderLoop(impl, r, &readers[r]); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // readers warm
    auto max_in_window = [&] {
      uint64_t worst = 0;
      for (auto& r : readers) worst = std::max(worst, r.window_max);
      return worst * ns_per_tick_ / 1000.0;
    };
    window_ = true;
    const int64_t idle_steal_before = StealMilliseconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    f->idle_steal_ms = StealMilliseconds() - idle_steal_before;
    window_ = false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    f->idle_max_lookup_us = max_in_window();
    for (auto& r : readers) {
      r.window_max = 0;
      r.window = Histogram();
      r.window_preemptions = 0;
    }
    window_ = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // readers saw the flag
    const int64_t steal_before = StealMilliseconds();
    const auto t0 = SteadyClock::now();
    SteadyClock::time_point hidden;
    impl.Flush(config_.peers - 1, &hidden);
    const auto t1 = SteadyClock::now();
    f->flush_steal_ms = StealMilliseconds() - steal_before;
    f->flush_tombstones = impl.tombstones();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    window_ = false;
    stop_ = true;
    for (auto& t : threads) t.join();
    f->flush_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    f->flush_hidden_ms =
        std::chrono::duration<double, std::milli>((impl.kHidesAtOnce ? hidden : t1) - t0).count();
    f->flush_max_lookup_us = max_in_window();
    Histogram during;
    for (auto& r : readers) during.Merge(r.window);
    f->flush_lookup_p999_ns = during.Percentile(0.999) * ns_per_tick_;
    long preemptions = 0;
    for (auto& r : readers) preemptions += r.window_preemptions;
    Progress(
        fmt::format("{}: flush {:.1f} ms (routes hidden after {:.3f} ms), lookups "
                    "meanwhile p99.9 {:.0f} ns, slowest {:.1f} us (idle: {:.1f} us), "
                    "readers preempted {} times meanwhile, steal time {} ms (idle: {} ms), "
                    "{} tombstones left",
                    Impl::kName, f->flush_ms, f->flush_hidden_ms, f->flush_lookup_p999_ns,
                    f->flush_max_lookup_us, f->idle_max_lookup_us, preemptions, f->flush_steal_ms,
                    f->idle_steal_ms, f->flush_tombstones));
    f->flush_reader_preemptions = preemptions;
  }

  const RibBenchConfig& config_;
  const Workload& w_;
  const double ns_per_tick_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> window_{false};
};

void PrintJson(const Row& r, const std::string& source, double timer_ns) {
  const ImplFigures& f = r.f;
  std::printf(
      "%s\n",
      fmt::format(
          "{{\"impl\":\"{}\",\"table\":\"{}\",\"routes\":{},\"prefixes\":{},\"peers\":{},"
          "\"writers\":{},\"readers\":{},\"lookups_per_s\":{:.0f},\"lookup_p50_ns\":{:.1f},"
          "\"lookup_p99_ns\":{:.1f},\"lookup_p999_ns\":{:.1f},\"lookup_max_ns\":{:.0f},"
          "\"writes_per_s\":{:.0f},\"insert_ns_per_route\":{:.1f},\"bytes_per_route\":{:.1f},"
          "\"flush_ms\":{:.1f},\"flush_max_lookup_us\":{:.1f},\"flush_hidden_ms\":{:.3f},"
          "\"idle_max_lookup_us\":{:.1f},\"flush_lookup_p999_ns\":{:.0f},"
          "\"flush_reader_preemptions\":{},\"flush_steal_ms\":{},\"idle_steal_ms\":{},"
          "\"flush_tombstones\":{},\"timer_overhead_ns\":{:.1f}}}",
          r.impl, source, f.routes, f.prefixes, r.peers, r.writers, r.readers, r.lookups_per_s,
          r.p50, r.p99, r.p999, r.max, r.writes_per_s, f.insert_ns_per_route, f.bytes_per_route,
          f.flush_ms, f.flush_max_lookup_us, f.flush_hidden_ms, f.idle_max_lookup_us,
          f.flush_lookup_p999_ns, f.flush_reader_preemptions, f.flush_steal_ms, f.idle_steal_ms,
          f.flush_tombstones, timer_ns)
          .c_str());
}

void PrintTable(const std::vector<Row>& rows, const std::string& source, double timer_ns) {
  std::printf("table: %s, timer overhead %.1f ns (included in latencies)\n", source.c_str(),
              timer_ns);
  std::printf("%-12s %6s %5s %7s %10s %8s %8s %9s %10s %10s %9s %8s %9s %11s %10s %12s %15s\n",
              "impl", "peers", "rdrs", "writers", "lookups/s", "p50 ns", "p99 ns", "p99.9 ns",
              "max ns", "writes/s", "insert ns", "B/route", "flush ms", "flush max us", "hidden ms",
              "idle max us", "flush p99.9 ns");
  for (const Row& r : rows) {
    std::printf(
        "%-12s %6d %5d %7d %10.0f %8.1f %8.1f %9.1f %10.0f %10.0f %9.1f %8.1f %9.1f %11.1f %10.3f "
        "%12.1f %15.0f\n",
        r.impl.c_str(), r.peers, r.readers, r.writers, r.lookups_per_s, r.p50, r.p99, r.p999, r.max,
        r.writes_per_s, r.f.insert_ns_per_route, r.f.bytes_per_route, r.f.flush_ms,
        r.f.flush_max_lookup_us, r.f.flush_hidden_ms, r.f.idle_max_lookup_us,
        r.f.flush_lookup_p999_ns);
  }
  // Ratios between implementations, row by row (same writers count).
  for (const Row& a : rows) {
    if (a.impl != "ribflow") continue;
    for (const Row& b : rows) {
      if (b.impl != "global-lock" || b.writers != a.writers) continue;
      std::printf("writers=%d: global-lock/ribflow p99 %.1fx, p99.9 %.1fx, lookups/s %.2fx\n",
                  a.writers, b.p99 / a.p99, b.p999 / a.p999, a.lookups_per_s / b.lookups_per_s);
    }
  }
}

double TimerOverheadNs(double ns_per_tick) {
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t t0 = TimerStart();
    h.Add(TimerStop() - t0);
  }
  return h.Percentile(0.5) * ns_per_tick;
}

}  // namespace

int RunRibBench(const RibBenchConfig& config) {
  if (config.peers < 1 || config.readers < 1) {
    std::fprintf(stderr, "--peers and --readers must be at least 1\n");
    return 2;
  }
  auto workload = BuildWorkload(config.table, config.lookup_addresses, config.seed);
  if (!workload.ok()) {
    std::fprintf(stderr, "%s\n", workload.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "table %s: %zu prefixes, %zu distinct paths\n", workload->source.c_str(),
               workload->table.size(), workload->paths.size());
  const double ns_per_tick = NsPerTick();
  const double timer_ns = TimerOverheadNs(ns_per_tick);
  std::vector<Row> rows;
  for (const std::string& impl : config.impls) {
    std::vector<Row> r;
    if (impl == "ribflow") {
      r = Runner<RibflowImpl>(config, *workload, ns_per_tick).Run();
    } else if (impl == "global-lock") {
      r = Runner<GlobalLockImpl>(config, *workload, ns_per_tick).Run();
    } else {
      std::fprintf(stderr, "unknown --impl %s (ribflow, global-lock)\n", impl.c_str());
      return 2;
    }
    rows.insert(rows.end(), r.begin(), r.end());
  }
  if (config.json) {
    for (const Row& r : rows) PrintJson(r, workload->source, timer_ns);
  } else {
    PrintTable(rows, workload->source, timer_ns);
  }
  return 0;
}

}  // namespace ribflow::bench
