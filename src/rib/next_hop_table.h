// Interned next hops named by a 16-bit index, so that a route names its next hop in two bytes
// and a route fits in 16 (see Rib::Route): a route set of 10 routes is then 3 cache lines
// instead of 4, which is what a full-table flush and a lookup pay for.
//
// Threading model: Acquire/AddRef/Release from any writer thread; a mutex guards the address
// map and the free indexes, but writers mostly reuse their last next hop (Rib::Writer) and
// touch only its atomic count. Readers call address() without a lock: an index's address is
// written before the index is handed out, and an index is reused only after an epoch grace
// period once its last reference is gone, so a pinned reader never sees it change.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/ip_address.h"
#include "rib/epoch.h"

namespace ribflow {

class NextHopTable {
 public:
  using Index = uint16_t;
  static constexpr Index kNone = UINT16_MAX;
  static constexpr size_t kCapacity = UINT16_MAX;  // indexes 0 .. kNone - 1

  explicit NextHopTable(EpochDomain* epochs);
  NextHopTable(const NextHopTable&) = delete;
  NextHopTable& operator=(const NextHopTable&) = delete;

  // The index of `address` with `count` more references; nullopt when every index is in use.
  std::optional<Index> Acquire(const IpAddress& address, uint32_t count = 1);
  // More references to an index the caller already holds one to.
  void AddRef(Index index, uint32_t count = 1) {
    refs_[index].fetch_add(count, std::memory_order_relaxed);
  }
  // Drops `count` references the caller holds.
  void Release(Index index, uint32_t count = 1);

  const IpAddress& address(Index index) const { return addresses_[index]; }
  size_t size() const { return live_.load(std::memory_order_relaxed); }

 private:
  static void FreeDeferred(void* count, void* self);

  EpochDomain* const epochs_;
  const std::unique_ptr<IpAddress[]> addresses_;
  const std::unique_ptr<std::atomic<uint32_t>[]> refs_;
  std::mutex mutex_;
  absl::flat_hash_map<IpAddress, Index> indexes_;  // under mutex_
  std::vector<Index> free_;                        // under mutex_
  size_t high_water_ = 0;                          // under mutex_
  std::atomic<size_t> live_{0};
};

}  // namespace ribflow
