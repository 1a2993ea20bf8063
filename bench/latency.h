// Latency measurement for the benchmarks: serialized cycle-counter reads around the timed
// operation, and a log-linear histogram of cycle counts (exact below 2048 cycles, then 128
// sub-buckets per power of two: under 1% error) with percentiles.
//
// Threading model: a Histogram belongs to one thread; Merge them afterwards.
#pragma once

#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

namespace ribflow::bench {

// Cycle counter reads that do not let the timed lookup leak outside them.
inline uint64_t TimerStart() {
  _mm_lfence();
  return __rdtsc();
}
inline uint64_t TimerStop() {
  unsigned aux;
  const uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}

// Log-linear histogram of cycle counts: exact below 2048, then 128 sub-buckets per power of 2.
class Histogram {
 public:
  Histogram() : buckets_(2048 + 64 * 128, 0) {}
  void Add(uint64_t v) {
    ++buckets_[Index(v)];
    ++count_;
    max_ = std::max(max_, v);
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
  }
  uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    const uint64_t rank = static_cast<uint64_t>(std::ceil(q * count_));
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) return Value(i);
    }
    return max_;
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }

 private:
  static size_t Index(uint64_t v) {
    if (v < 2048) return v;
    const int msb = 63 - __builtin_clzll(v);
    return 2048 + (msb - 11) * 128 + ((v >> (msb - 7)) & 127);
  }
  static uint64_t Value(size_t i) {
    if (i < 2048) return i;
    const size_t msb = (i - 2048) / 128 + 11;
    return (uint64_t{1} << msb) | (uint64_t{(i - 2048) % 128} << (msb - 7));
  }
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

// Nanoseconds per cycle-counter tick, measured over 200 ms.
inline double NsPerTick() {
  using SteadyClock = std::chrono::steady_clock;
  const auto t0 = SteadyClock::now();
  const uint64_t c0 = __rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t1 = SteadyClock::now();
  const uint64_t c1 = __rdtsc();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / double(c1 - c0);
}

}  // namespace ribflow::bench
