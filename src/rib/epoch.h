// Epoch-based memory reclamation (EBR) for the RIB's lock-free readers.
//
// Threading model: any number of threads read shared structures while pinned; writers unlink
// objects and Retire() them; an object is freed only after every reader that was pinned when
// it was unlinked has unpinned. Pinning is one atomic exchange (wait-free); unpinning a store.
// Readers never wait for writers and writers never wait for readers: a reader that stays pinned
// only delays frees (memory grows), it never blocks anyone.
//
// Classic three-epoch scheme (Fraser 2004, as in crossbeam-epoch): the global epoch advances
// from E to E+1 only when every pinned participant has observed E; an object retired while the
// global epoch was E is freed once the global epoch reaches E+2.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ribflow {

class EpochDomain {
 public:
  using Deleter = void (*)(void* object, void* context);

  // max_participants bounds the threads that may be pinned at once (readers and writers).
  explicit EpochDomain(size_t max_participants = 1024);
  // Frees everything still retired: the owner guarantees no participant is pinned any more.
  ~EpochDomain();
  EpochDomain(const EpochDomain&) = delete;
  EpochDomain& operator=(const EpochDomain&) = delete;

  // One per thread; pin/unpin it around every access to shared objects. Nesting is allowed.
  class Participant {
   public:
    void Pin() {
      if (nesting_++ == 0) {
        // The exchange is a full barrier on x86 (xchg): later loads of shared pointers cannot
        // be reordered before our epoch is visible to TryAdvance().
        state_.exchange((domain_->global_epoch_.load(std::memory_order_relaxed) << 1) | 1,
                        std::memory_order_seq_cst);
      }
    }
    void Unpin() {
      if (--nesting_ == 0) state_.store(0, std::memory_order_release);
    }
    bool pinned() const { return nesting_ > 0; }

   private:
    friend class EpochDomain;
    alignas(64) std::atomic<uint64_t> state_{0};  // (epoch << 1) | pinned
    std::atomic<bool> in_use_{false};
    uint32_t nesting_ = 0;  // touched only by the owning thread
    EpochDomain* domain_ = nullptr;
  };

  // Returns nullptr when max_participants are registered.
  Participant* Register();
  void Unregister(Participant* participant);

  // Defers deleter(object, context) until no reader can still hold `object`. Call after the
  // object has been unlinked from every shared structure. Thread-safe; occasionally collects.
  void Retire(void* object, Deleter deleter, void* context);
  // Retire for many objects sharing a deleter: one fence and one lock.
  void RetireMany(std::span<void* const> objects, Deleter deleter, void* context);

  // Tries to advance the epoch and frees whatever became safe. Returns the number freed.
  size_t Collect();
  // Advances and frees until nothing retired remains; only terminates if no participant stays
  // pinned. For tests, benchmarks and shutdown.
  void Drain();

  uint64_t epoch() const { return global_epoch_.load(std::memory_order_relaxed); }
  size_t retired_count() const { return retired_count_.load(std::memory_order_relaxed); }

 private:
  struct Retired {
    void* object;
    Deleter deleter;
    void* context;
  };
  // Objects retired in one epoch. Only three epochs can hold objects not yet safe to free (the
  // current one and the two before), so a shard keeps three bags, the one for epoch E at
  // E % 3: collecting frees whole bags, never rescans what must stay, however long a reader
  // stays pinned.
  struct Bag {
    uint64_t epoch = 0;
    std::vector<Retired> items;
  };
  struct alignas(64) Shard {
    std::mutex mutex;
    Bag bags[3];
    std::vector<Retired> spare;  // an emptied bag's buffer, so bags refill without allocating
  };
  static constexpr size_t kShards = 16;
  static constexpr size_t kCollectEvery = 256;

  bool TryAdvance();
  // Tags objects with the current epoch and queues them in this thread's shard; returns the
  // shard and the size of the bag they went to.
  Shard& Enqueue(std::span<void* const> objects, Deleter deleter, void* context, size_t* size);
  size_t CollectShard(Shard& shard, bool wait);
  // Under the shard's mutex: moves a bag's objects out (the bag gets the spare buffer).
  static std::vector<Retired> TakeBag(Shard& shard, Bag& bag);
  // Not under the mutex: frees what TakeBag returned and keeps the larger buffer as spare.
  void FreeTaken(Shard& shard, std::vector<Retired> taken);

  std::atomic<uint64_t> global_epoch_{2};
  std::unique_ptr<Participant[]> participants_;
  const size_t max_participants_;
  std::atomic<size_t> participants_high_water_{0};
  Shard shards_[kShards];
  std::atomic<size_t> retired_count_{0};
};

// RAII pin.
class EpochGuard {
 public:
  explicit EpochGuard(EpochDomain::Participant* p) : p_(p) { p_->Pin(); }
  ~EpochGuard() { p_->Unpin(); }
  EpochGuard(const EpochGuard&) = delete;
  EpochGuard& operator=(const EpochGuard&) = delete;

 private:
  EpochDomain::Participant* p_;
};

}  // namespace ribflow
