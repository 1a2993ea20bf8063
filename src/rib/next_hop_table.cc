#include "rib/next_hop_table.h"

namespace ribflow {

NextHopTable::NextHopTable(EpochDomain* epochs)
    : epochs_(epochs),
      addresses_(new IpAddress[kCapacity]),
      refs_(new std::atomic<uint32_t>[kCapacity]()) {}

std::optional<NextHopTable::Index> NextHopTable::Acquire(const IpAddress& address, uint32_t count) {
  std::lock_guard lock(mutex_);
  if (auto it = indexes_.find(address); it != indexes_.end()) {
    // May revive an index whose count just reached zero in Release(): Release re-checks the
    // count under this lock before letting it go.
    refs_[it->second].fetch_add(count, std::memory_order_relaxed);
    return it->second;
  }
  Index index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else if (high_water_ < kCapacity) {
    index = static_cast<Index>(high_water_++);
  } else {
    return std::nullopt;
  }
  // No reader holds this index: it is new, or its grace period is over. Readers reach it
  // only through a route set published after this (with release semantics).
  addresses_[index] = address;
  refs_[index].store(count, std::memory_order_relaxed);
  indexes_.emplace(address, index);
  live_.fetch_add(1, std::memory_order_relaxed);
  return index;
}

void NextHopTable::Release(Index index, uint32_t count) {
  if (refs_[index].fetch_sub(count, std::memory_order_acq_rel) != count) return;
  {
    std::lock_guard lock(mutex_);
    if (refs_[index].load(std::memory_order_relaxed) != 0) return;  // revived meanwhile
    indexes_.erase(addresses_[index]);
  }
  live_.fetch_sub(1, std::memory_order_relaxed);
  // The count's slot names the index: the deleter recovers it from its position.
  epochs_->Retire(&refs_[index], &NextHopTable::FreeDeferred, this);
}

void NextHopTable::FreeDeferred(void* count, void* self) {
  auto* table = static_cast<NextHopTable*>(self);
  const auto index =
      static_cast<Index>(static_cast<std::atomic<uint32_t>*>(count) - table->refs_.get());
  std::lock_guard lock(table->mutex_);
  table->free_.push_back(index);
}

}  // namespace ribflow
