// A one-byte lock for the RIB's per-prefix writer stripes: held for a few hundred nanoseconds
// (one route-set copy), so spinning beats a futex; it yields after a while so that a holder
// preempted on a 2-core machine gets the CPU back. Readers never touch it.
#pragma once

#include <atomic>
#include <thread>

namespace ribflow {

class SpinLock {
 public:
  void lock() {
    for (int spins = 0;; ++spins) {
      if (!locked_.load(std::memory_order_relaxed) &&
          !locked_.exchange(true, std::memory_order_acquire)) {
        return;
      }
      if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else {
        std::this_thread::yield();
      }
    }
  }
  bool try_lock() {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace ribflow
