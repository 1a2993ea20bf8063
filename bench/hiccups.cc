#include "hiccups.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ribflow::bench {

int64_t StealMilliseconds() {
  std::ifstream stat("/proc/stat");
  std::string line;
  if (!std::getline(stat, line) || line.rfind("cpu ", 0) != 0) return -1;
  // cpu user nice system idle iowait irq softirq steal ...
  std::istringstream fields(line.substr(4));
  int64_t value = 0, steal = -1;
  for (int i = 0; i < 8 && fields >> value; ++i) steal = value;
  if (!fields) return -1;
  return steal * 1000 / sysconf(_SC_CLK_TCK);
}

namespace {

struct GapStats {
  double worst_us = 0;
  int64_t over_100us = 0;
  int64_t over_1ms = 0;
  long involuntary_switches = 0;
};

GapStats SpinOnTheClock(double seconds) {
  using Clock = std::chrono::steady_clock;
  rusage before{}, after{};
  getrusage(RUSAGE_THREAD, &before);
  GapStats s;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto last = start;
  for (;;) {
    const auto now = Clock::now();
    const double gap_us = std::chrono::duration<double, std::micro>(now - last).count();
    last = now;
    s.worst_us = std::max(s.worst_us, gap_us);
    s.over_100us += gap_us > 100;
    s.over_1ms += gap_us > 1000;
    if (now >= end) break;
  }
  getrusage(RUSAGE_THREAD, &after);
  s.involuntary_switches = after.ru_nivcsw - before.ru_nivcsw;
  return s;
}

}  // namespace

int RunHiccups(double seconds, int threads) {
  if (threads < 1) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<GapStats> results(threads);
  const int64_t steal_before = StealMilliseconds();
  std::vector<std::thread> spinners;
  spinners.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    spinners.emplace_back([&, t] { results[t] = SpinOnTheClock(seconds); });
  }
  for (auto& t : spinners) t.join();
  const int64_t steal_after = StealMilliseconds();
  fmt::print("{} thread(s) spinning on the clock for {:.0f} s\n", threads, seconds);
  fmt::print("{:>6} {:>14} {:>12} {:>10} {:>22}\n", "thread", "worst gap us", "gaps >100us",
             "gaps >1ms", "involuntary switches");
  for (int t = 0; t < threads; ++t) {
    const GapStats& s = results[t];
    fmt::print("{:>6} {:>14.1f} {:>12} {:>10} {:>22}\n", t, s.worst_us, s.over_100us, s.over_1ms,
               s.involuntary_switches);
  }
  if (steal_before >= 0 && steal_after >= 0) {
    fmt::print("hypervisor steal time, all CPUs: {} ms over {:.0f} s\n", steal_after - steal_before,
               seconds);
  }
  return 0;
}

}  // namespace ribflow::bench
