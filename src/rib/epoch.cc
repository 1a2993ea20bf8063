#include "rib/epoch.h"

#include <functional>
#include <thread>

namespace ribflow {
namespace {

// A full fence. ThreadSanitizer does not model fences, so under it a seq_cst read-modify-write
// on one shared variable stands in (stronger, and visible to it).
inline void FullFence() {
#if defined(__SANITIZE_THREAD__)
  static std::atomic<int> fence{0};
  fence.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace

EpochDomain::EpochDomain(size_t max_participants)
    : participants_(new Participant[max_participants]), max_participants_(max_participants) {
  for (size_t i = 0; i < max_participants_; ++i) participants_[i].domain_ = this;
}

EpochDomain::~EpochDomain() {
  for (Shard& shard : shards_) {
    for (Bag& bag : shard.bags) {
      for (const Retired& r : bag.items) r.deleter(r.object, r.context);
      bag.items.clear();
    }
  }
}

EpochDomain::Participant* EpochDomain::Register() {
  for (size_t i = 0; i < max_participants_; ++i) {
    bool expected = false;
    if (participants_[i].in_use_.compare_exchange_strong(expected, true)) {
      participants_[i].nesting_ = 0;
      size_t high = participants_high_water_.load();
      while (high < i + 1 && !participants_high_water_.compare_exchange_weak(high, i + 1)) {
      }
      return &participants_[i];
    }
  }
  return nullptr;
}

void EpochDomain::Unregister(Participant* participant) {
  participant->state_.store(0, std::memory_order_release);
  participant->in_use_.store(false, std::memory_order_release);
}

bool EpochDomain::TryAdvance() {
  uint64_t global = global_epoch_.load(std::memory_order_relaxed);
  FullFence();
  const size_t high = participants_high_water_.load(std::memory_order_acquire);
  for (size_t i = 0; i < high; ++i) {
    // Acquire: what a participant read before unpinning or re-pinning happens before any free
    // this advance allows.
    const uint64_t state = participants_[i].state_.load(std::memory_order_acquire);
    if ((state & 1) && (state >> 1) != global) return false;
  }
  // CAS, not store: two advancers racing must not move the epoch back.
  return global_epoch_.compare_exchange_strong(global, global + 1, std::memory_order_release);
}

EpochDomain::Shard& EpochDomain::Enqueue(std::span<void* const> objects, Deleter deleter,
                                         void* context, size_t* size) {
  // The unlink that preceded this call must be ordered before we read the epoch we tag with.
  FullFence();
  const uint64_t epoch = global_epoch_.load(std::memory_order_relaxed);
  Shard& shard = shards_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % kShards];
  std::vector<Retired> expired;
  {
    std::lock_guard lock(shard.mutex);
    Bag& bag = shard.bags[epoch % 3];
    if (!bag.items.empty() && bag.epoch < epoch) {
      // Left from epoch - 3 or older, and the global epoch is at least `epoch`: all safe.
      expired = TakeBag(shard, bag);
    }
    // A bag already at a later epoch (this thread read the epoch, then was delayed) takes
    // the objects with its own tag: freeing them later than needed is safe.
    if (bag.items.empty()) bag.epoch = epoch;
    for (void* o : objects) bag.items.push_back({o, deleter, context});
    *size = bag.items.size();
  }
  retired_count_.fetch_add(objects.size(), std::memory_order_relaxed);
  if (!expired.empty()) FreeTaken(shard, std::move(expired));
  return shard;
}

void EpochDomain::Retire(void* object, Deleter deleter, void* context) {
  size_t size;
  Shard& shard = Enqueue({&object, 1}, deleter, context, &size);
  if (size % kCollectEvery == 0) {
    TryAdvance();
    CollectShard(shard, /*wait=*/false);
  }
}

void EpochDomain::RetireMany(std::span<void* const> objects, Deleter deleter, void* context) {
  if (objects.empty()) return;
  size_t size;
  Shard& shard = Enqueue(objects, deleter, context, &size);
  TryAdvance();
  CollectShard(shard, /*wait=*/false);
}

std::vector<EpochDomain::Retired> EpochDomain::TakeBag(Shard& shard, Bag& bag) {
  std::vector<Retired> taken;
  taken.swap(shard.spare);  // empty, with the spare's capacity
  taken.swap(bag.items);
  return taken;
}

void EpochDomain::FreeTaken(Shard& shard, std::vector<Retired> taken) {
  // Deleters run outside the shard lock: they may retire further objects. Freeing touches
  // each object's allocator header, scattered in memory: prefetch a few ahead.
  for (size_t i = 0; i < taken.size(); ++i) {
    if (i + 8 < taken.size()) __builtin_prefetch(taken[i + 8].object);
    taken[i].deleter(taken[i].object, taken[i].context);
  }
  retired_count_.fetch_sub(taken.size(), std::memory_order_relaxed);
  taken.clear();
  std::lock_guard lock(shard.mutex);
  if (shard.spare.capacity() < taken.capacity()) shard.spare.swap(taken);
}

size_t EpochDomain::CollectShard(Shard& shard, bool wait) {
  const uint64_t global = global_epoch_.load(std::memory_order_acquire);
  size_t freed = 0;
  for (Bag* bag = nullptr;; bag = nullptr) {
    std::vector<Retired> taken;
    {
      std::unique_lock lock(shard.mutex, std::defer_lock);
      if (wait) {
        lock.lock();
      } else if (!lock.try_lock()) {
        return freed;
      }
      for (Bag& b : shard.bags) {
        if (!b.items.empty() && b.epoch + 2 <= global) bag = &b;
      }
      if (bag == nullptr) return freed;
      taken = TakeBag(shard, *bag);
    }
    freed += taken.size();
    FreeTaken(shard, std::move(taken));
  }
}

size_t EpochDomain::Collect() {
  TryAdvance();
  size_t freed = 0;
  for (Shard& shard : shards_) freed += CollectShard(shard, /*wait=*/true);
  return freed;
}

void EpochDomain::Drain() {
  while (retired_count() > 0) {
    if (!TryAdvance()) std::this_thread::yield();
    for (Shard& shard : shards_) CollectShard(shard, /*wait=*/true);
  }
}

}  // namespace ribflow
