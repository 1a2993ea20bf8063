// Interning with reference counts: equal values are stored once and shared by pointer.
//
// Threading model: Acquire/Release are called by writers from any thread; the key -> object
// map is split into shards, each behind its own mutex, so writers of different peers rarely
// meet. Readers never touch the map: they follow pointers held by route sets. An object whose
// count drops to zero leaves the map at once but is freed only after an epoch grace period,
// so a reader that found it through an old route set still reads the value it found.
//
// Traits supplies:
//   using Object = ...;   // has: uint64_t hash; std::atomic<uint32_t> refs;
//   using Key = ...;      // a view used to look objects up without building one
//   static uint64_t Hash(const Key&);
//   static bool Equals(const Object&, const Key&);
//   static Object* Create(const Key&, uint64_t hash);
//   static void Destroy(Object*);
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "rib/epoch.h"

namespace ribflow {

template <typename Traits>
class InternPool {
 public:
  using Object = typename Traits::Object;
  using Key = typename Traits::Key;

  explicit InternPool(EpochDomain* epochs) : epochs_(epochs) {}
  ~InternPool() {
    // The owner drained the epoch domain: every remaining object is live and owned here.
    for (Shard& shard : shards_) {
      for (Object* o : shard.objects) Traits::Destroy(o);
    }
  }
  InternPool(const InternPool&) = delete;
  InternPool& operator=(const InternPool&) = delete;

  // Returns the object equal to key, creating it if needed, with `count` more references.
  const Object* Acquire(const Key& key, uint32_t count = 1) {
    const uint64_t hash = Traits::Hash(key);
    Shard& shard = ShardOf(hash);
    std::lock_guard lock(shard.mutex);
    auto it = shard.objects.find(Lookup{&key, hash});
    if (it != shard.objects.end()) {
      // May revive an object whose count just reached zero in Release(): Release re-checks
      // the count under this lock before removing it.
      (*it)->refs.fetch_add(count, std::memory_order_relaxed);
      return *it;
    }
    Object* object = Traits::Create(key, hash);
    object->refs.store(count, std::memory_order_relaxed);
    shard.objects.insert(object);
    live_.fetch_add(1, std::memory_order_relaxed);
    return object;
  }

  // Another reference to an object the caller already holds one to.
  void AddRef(const Object* object) {
    const_cast<Object*>(object)->refs.fetch_add(1, std::memory_order_relaxed);
  }

  // Drops `count` references the caller holds.
  void Release(const Object* object, uint32_t count = 1) {
    auto* o = const_cast<Object*>(object);
    if (o->refs.fetch_sub(count, std::memory_order_acq_rel) != count) return;
    Shard& shard = ShardOf(o->hash);
    {
      std::lock_guard lock(shard.mutex);
      if (o->refs.load(std::memory_order_relaxed) != 0) return;  // revived meanwhile
      shard.objects.erase(o);
    }
    live_.fetch_sub(1, std::memory_order_relaxed);
    // Outside the shard lock: Retire may run deleters of other objects.
    epochs_->Retire(o, &InternPool::FreeDeferred, nullptr);
  }

  size_t size() const { return live_.load(std::memory_order_relaxed); }

 private:
  static constexpr uint32_t kShards = 64;

  struct Lookup {
    const Key* key;
    uint64_t hash;
  };
  struct HashFn {
    using is_transparent = void;
    size_t operator()(const Object* o) const { return o->hash; }
    size_t operator()(const Lookup& l) const { return l.hash; }
  };
  struct EqFn {
    using is_transparent = void;
    bool operator()(const Object* a, const Object* b) const { return a == b; }
    bool operator()(const Object* a, const Lookup& l) const {
      return a->hash == l.hash && Traits::Equals(*a, *l.key);
    }
    bool operator()(const Lookup& l, const Object* a) const { return (*this)(a, l); }
  };
  struct alignas(64) Shard {
    std::mutex mutex;
    absl::flat_hash_set<Object*, HashFn, EqFn> objects;
  };
  // The shard comes from the hash's top bits: the hash set inside it uses the low 7 bits as
  // its per-slot tag, and would filter almost nothing if all of a shard's entries shared them.
  Shard& ShardOf(uint64_t hash) { return shards_[hash >> (64 - 6)]; }
  static_assert(kShards == 64);

  static void FreeDeferred(void* object, void*) { Traits::Destroy(static_cast<Object*>(object)); }

  EpochDomain* epochs_;
  Shard shards_[kShards];
  std::atomic<size_t> live_{0};
};

}  // namespace ribflow
