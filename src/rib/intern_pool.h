// Interning with reference counts: equal values are stored once and named by a 32-bit handle.
//
// Threading model: Acquire/Release are called by writers from any thread; the key -> object
// map is split into shards, each behind its own mutex, so writers of different peers rarely
// meet. Readers never touch the map: they resolve a handle through Get(), lock-free. An object
// whose count drops to zero is removed from the map at once but freed, and its handle reused,
// only after an epoch grace period, so a reader holding an old handle still sees the value
// that handle named when the reader found it (no generation numbers needed).
//
// Traits supplies:
//   using Object = ...;   // has: uint64_t hash; std::atomic<uint32_t> refs; uint32_t handle;
//   using Key = ...;      // a view used to look objects up without building one
//   static uint64_t Hash(const Key&);
//   static bool Equals(const Object&, const Key&);
//   static Object* Create(const Key&, uint64_t hash);
//   static void Destroy(Object*);
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "rib/chunked_array.h"
#include "rib/epoch.h"

namespace ribflow {

template <typename Traits>
class InternPool {
 public:
  using Object = typename Traits::Object;
  using Key = typename Traits::Key;
  static constexpr uint32_t kNoHandle = 0;  // handle 0 is never given out

  explicit InternPool(EpochDomain* epochs) : epochs_(epochs) {}
  ~InternPool() {
    // The owner drained the epoch domain: every remaining object is live and owned here.
    for (Shard& shard : shards_) {
      for (Object* o : shard.objects) Traits::Destroy(o);
    }
  }
  InternPool(const InternPool&) = delete;
  InternPool& operator=(const InternPool&) = delete;

  // Returns the handle of the object equal to key, creating it if needed, with one more
  // reference. kNoHandle when the handle space is exhausted.
  uint32_t Acquire(const Key& key) {
    const uint64_t hash = Traits::Hash(key);
    Shard& shard = shards_[hash % kShards];
    std::lock_guard lock(shard.mutex);
    auto it = shard.objects.find(Lookup{&key, hash});
    if (it != shard.objects.end()) {
      // May revive an object whose count just reached zero in Release(): Release re-checks
      // the count under this lock before removing it.
      (*it)->refs.fetch_add(1, std::memory_order_relaxed);
      return (*it)->handle;
    }
    uint32_t handle;
    if (!shard.free_handles.empty()) {
      handle = shard.free_handles.back();
      shard.free_handles.pop_back();
    } else {
      // Handles are striped by shard so each shard can recycle its own without coordination.
      handle = shard.next_handle_index++ * kShards + static_cast<uint32_t>(&shard - shards_) + 1;
      if (!handles_.EnsureIndex(handle)) return kNoHandle;
    }
    Object* object = Traits::Create(key, hash);
    object->refs.store(1, std::memory_order_relaxed);
    object->handle = handle;
    handles_[handle].store(object, std::memory_order_release);
    shard.objects.insert(object);
    live_.fetch_add(1, std::memory_order_relaxed);
    return handle;
  }

  // Adds a reference to an object the caller already holds a reference to.
  void AddRef(uint32_t handle) { Get(handle)->refs.fetch_add(1, std::memory_order_relaxed); }

  void Release(uint32_t handle) {
    Object* object = handles_[handle].load(std::memory_order_acquire);
    if (object->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    Shard& shard = shards_[object->hash % kShards];
    {
      std::lock_guard lock(shard.mutex);
      if (object->refs.load(std::memory_order_relaxed) != 0) return;  // revived meanwhile
      shard.objects.erase(object);
    }
    live_.fetch_sub(1, std::memory_order_relaxed);
    // Outside the shard lock: Retire may run deleters, and ours takes that lock.
    epochs_->Retire(object, &InternPool::FreeDeferred, this);
  }

  // Lock-free; the caller is pinned and got the handle from a structure reachable while pinned.
  const Object* Get(uint32_t handle) const {
    return handles_[handle].load(std::memory_order_acquire);
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
    std::vector<uint32_t> free_handles;
    uint32_t next_handle_index = 0;
  };

  static void FreeDeferred(void* object, void* context) {
    auto* self = static_cast<InternPool*>(context);
    auto* o = static_cast<Object*>(object);
    const uint32_t handle = o->handle;
    Shard& shard = self->shards_[(handle - 1) % kShards];
    Traits::Destroy(o);
    std::lock_guard lock(shard.mutex);
    shard.free_handles.push_back(handle);
  }

  EpochDomain* epochs_;
  Shard shards_[kShards];
  ChunkedArray<std::atomic<Object*>, 14, 14> handles_;
  std::atomic<size_t> live_{0};
};

}  // namespace ribflow
