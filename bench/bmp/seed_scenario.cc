#include "bmp/seed_scenario.h"

#include <fmt/format.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "bmp/bmp_sender.h"
#include "bmp/bmp_stream.h"
#include "bmp/collector.h"
#include "latency.h"
#include "rib/rib.h"
#include "rib/workload.h"

namespace ribflow::bench {

namespace {

using SteadyClock = std::chrono::steady_clock;

enum Phase : int { kDump = 0, kIdle = 1, kFlaps = 2, kPhaseCount = 3 };
constexpr const char* kPhaseNames[kPhaseCount] = {"dump", "idle", "flaps"};

bool IsFlapSegment(const BmpSegment& segment) { return segment.name.starts_with("flap"); }

// Writes the segments of `router` that `flaps` selects to `fd`, blocking.
bool SendSegments(int fd, const BmpRouterStream& router, bool flaps) {
  for (const auto& segment : router.segments) {
    if (IsFlapSegment(*segment) != flaps) continue;
    size_t sent = 0;
    while (sent < segment->bytes.size()) {
      const ssize_t n =
          ::send(fd, segment->bytes.data() + sent, segment->bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
  }
  return true;
}

uint64_t MessagesOf(const BmpRouterStream& router, bool flaps_too) {
  uint64_t messages = 0;
  for (const auto& segment : router.segments) {
    if (!IsFlapSegment(*segment) || flaps_too) messages += segment->messages;
  }
  return messages;
}

uint64_t MessagesApplied(const bmp::Collector& collector) {
  uint64_t messages = 0;
  for (const bmp::RouterStatus& router : collector.Routers()) messages += router.session.messages;
  return messages;
}

}  // namespace

int RunBmpSeedScenario(const BmpSeedConfig& config) {
  BmpStreamConfig stream_config;
  stream_config.table = config.table;
  stream_config.prefixes = config.prefixes;
  stream_config.routers = config.routers;
  stream_config.peers = config.peers;
  stream_config.flaps = config.flaps;
  stream_config.seed = config.seed;
  absl::StatusOr<BmpStream> stream = BuildBmpStream(stream_config);
  if (!stream.ok()) {
    std::fprintf(stderr, "bmp-seed: %s\n", stream.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<Workload> workload = BuildWorkload(config.table, 1 << 20, config.seed);
  if (!workload.ok()) {
    std::fprintf(stderr, "bmp-seed: %s\n", workload.status().ToString().c_str());
    return 1;
  }
  const std::vector<IpAddress> addresses = std::move(workload->lookup_addresses);
  workload = absl::StatusOr<Workload>();  // the paths are not needed: free them
  const double ns_per_tick = NsPerTick();

  ribflow::Rib rib;
  prometheus::Registry registry;
  bmp::CollectorConfig collector_config;
  collector_config.listen = "127.0.0.1:0";
  collector_config.apply_threads = config.apply_threads;
  bmp::Collector collector(collector_config, &rib, registry);
  if (absl::Status status = collector.Start(); !status.ok()) {
    std::fprintf(stderr, "bmp-seed: %s\n", status.ToString().c_str());
    return 1;
  }
  const Endpoint target{IpAddress::FromV4(0x7f000001), collector.port()};

  // The lookup thread: flat out, each lookup timed, into the current phase's histogram.
  std::atomic<int> phase{kDump};
  std::atomic<bool> stop{false};
  std::vector<Histogram> histograms(kPhaseCount);
  std::vector<uint64_t> found(kPhaseCount, 0);  // lookups that found a route
  std::thread reader_thread([&] {
    ribflow::Rib::Reader reader(rib);
    LookupResult result;
    size_t i = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const int p = phase.load(std::memory_order_relaxed);
      reader.Pin();
      const uint64_t t0 = TimerStart();
      const bool hit = reader.Lookup(addresses[i], LookupHints{}, &result);
      const uint64_t t1 = TimerStop();
      reader.Unpin();
      histograms[p].Add(t1 - t0);
      found[p] += hit;
      if (++i == addresses.size()) i = 0;
    }
  });

  std::vector<int> fds;
  for (const BmpRouterStream& router : stream->routers) {
    absl::StatusOr<int> fd =
        ConnectFrom(router.source, target, SteadyClock::now() + std::chrono::seconds(10));
    if (!fd.ok()) {
      std::fprintf(stderr, "bmp-seed: %s\n", fd.status().ToString().c_str());
      stop = true;
      reader_thread.join();
      return 1;
    }
    fds.push_back(*fd);
  }
  // Sends one phase's segments from every router at once and waits until all is applied.
  auto play = [&](bool flaps) {
    const auto start = SteadyClock::now();
    std::vector<std::thread> senders;
    for (size_t r = 0; r < fds.size(); ++r) {
      senders.emplace_back([&, r] { SendSegments(fds[r], stream->routers[r], flaps); });
    }
    for (auto& t : senders) t.join();
    uint64_t expected = 0;
    for (const BmpRouterStream& router : stream->routers) expected += MessagesOf(router, flaps);
    while (MessagesApplied(collector) < expected) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
  };

  const double dump_seconds = play(false);
  const size_t routes_after_dump = rib.Stats().routes;
  phase = kIdle;
  std::this_thread::sleep_for(std::chrono::duration<double>(config.idle_seconds));
  phase = kFlaps;
  const double flap_seconds = play(true);
  stop = true;
  reader_thread.join();
  const double read_gap = collector.max_read_gap_seconds();
  const RibStats stats = rib.Stats();
  for (int fd : fds) ::close(fd);
  collector.Stop();

  const auto p = [&](int phase_index, double q) {
    return histograms[phase_index].Percentile(q) * ns_per_tick;
  };
  const double idle_p99 = p(kIdle, 0.99);
  const double dump_routes = static_cast<double>(routes_after_dump);
  if (config.json) {
    std::printf(
        "{\"routers\":%d,\"peers\":%d,\"prefixes\":%zu,\"routes\":%zu,\"dump_seconds\":%.3f,"
        "\"dump_routes_per_second\":%.0f,\"flap_seconds\":%.3f,\"idle_p50_ns\":%.0f,"
        "\"idle_p99_ns\":%.0f,\"dump_p99_ns\":%.0f,\"flaps_p99_ns\":%.0f,"
        "\"dump_p99_ratio\":%.2f,\"flaps_p99_ratio\":%.2f,\"max_read_gap_ms\":%.2f}\n",
        config.routers, config.peers, stream->prefixes(), stats.routes, dump_seconds,
        dump_routes / dump_seconds, flap_seconds, p(kIdle, 0.5), idle_p99, p(kDump, 0.99),
        p(kFlaps, 0.99), p(kDump, 0.99) / idle_p99, p(kFlaps, 0.99) / idle_p99, read_gap * 1e3);
    return 0;
  }
  std::printf("BMP seed scenario: %d routers x %d peers x %zu prefixes (%s), %d flaps per router\n",
              config.routers, config.peers, stream->prefixes(), stream->source.c_str(),
              config.flaps);
  std::printf("  dump:  %zu routes applied in %.2f s (%.0f routes/s)\n", routes_after_dump,
              dump_seconds, dump_routes / dump_seconds);
  std::printf("  flaps: %.2f s; routes at the end %zu\n", flap_seconds, stats.routes);
  std::printf("  %-6s %12s %8s %10s %10s %10s %10s %12s\n", "phase", "lookups", "found", "p50 ns",
              "p99 ns", "p99.9 ns", "max us", "p99/idle");
  for (int i = 0; i < kPhaseCount; ++i) {
    const double count = static_cast<double>(std::max<uint64_t>(histograms[i].count(), 1));
    std::printf("  %-6s %12lu %7.1f%% %10.0f %10.0f %10.0f %10.1f %12.2f\n", kPhaseNames[i],
                static_cast<unsigned long>(histograms[i].count()), 100.0 * found[i] / count,
                p(i, 0.5), p(i, 0.99), p(i, 0.999), histograms[i].max() * ns_per_tick / 1e3,
                p(i, 0.99) / idle_p99);
  }
  std::printf("  longest socket read gap: %.2f ms (target <= 100 ms)\n", read_gap * 1e3);
  return 0;
}

}  // namespace ribflow::bench
