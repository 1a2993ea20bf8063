#include "memory_latency.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

namespace ribflow::bench {

int RunMemoryLatency(bool huge_pages) {
  struct alignas(64) Line {
    size_t next;
    char pad[56];
  };
  std::printf("%10s %22s\n", "set (MiB)", "ns per dependent load");
  for (size_t mib : {1, 2, 4, 8, 16, 32, 64, 256, 1024}) {
    const size_t lines = mib * 1024 * 1024 / sizeof(Line);
    const size_t bytes = lines * sizeof(Line);
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return 1;
    if (huge_pages) madvise(memory, bytes, MADV_HUGEPAGE);
    auto* chain = static_cast<Line*>(memory);
    // One cycle through every line in random order, so the hardware cannot prefetch it.
    std::vector<size_t> order(lines);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
    for (size_t i = 0; i < lines; ++i) chain[order[i]].next = order[(i + 1) % lines];
    size_t p = 0;
    for (size_t i = 0; i < lines; ++i) p = chain[p].next;  // warm up
    constexpr size_t kHops = 4'000'000;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < kHops; ++i) p = chain[p].next;
    const auto t1 = std::chrono::steady_clock::now();
    std::printf("%10zu %22.1f%s\n", mib,
                std::chrono::duration<double, std::nano>(t1 - t0).count() / kHops,
                p == SIZE_MAX ? "!" : "");
    munmap(memory, bytes);
  }
  return 0;
}

}  // namespace ribflow::bench
