// The baseline the seeds describe (Akvorado's RIB before sharding): one prefix tree and one
// route map, interned attributes, all behind a single reader-writer lock. Writer-preferring,
// like Go's sync.RWMutex, so a waiting writer holds new readers back, and a flush holds the
// write lock from start to end. It reuses ribflow's trie and interning so that the benchmark
// compares the concurrency design, not the data structures.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "rib/attributes.h"
#include "rib/epoch.h"
#include "rib/intern_pool.h"
#include "rib/prefix_trie.h"

namespace ribflow::bench {

class GlobalLockRib {
 public:
  struct Result {
    int length = 0;
    uint32_t peer = 0;
    IpAddress next_hop;
    uint32_t origin_asn = 0;
    size_t as_path_length = 0;
  };

  GlobalLockRib();
  ~GlobalLockRib();

  uint32_t AddPeer(const IpAddress& router);
  void Announce(uint32_t peer, const Prefix& prefix, uint32_t path_id, const IpAddress& next_hop,
                const AttributesView& attributes);
  bool Withdraw(uint32_t peer, const Prefix& prefix, uint32_t path_id);
  void FlushPeer(uint32_t peer);  // under the write lock, start to end
  bool Lookup(const IpAddress& address, const IpAddress* exporter, Result* result);
  size_t prefixes() const { return v4_.prefix_count() + v6_.prefix_count(); }

 private:
  struct Route {
    uint32_t peer;
    uint32_t path_id;
    const InternedNextHop* next_hop;
    const InternedAttributes* attributes;
  };
  struct Slot {
    Prefix prefix;
    std::vector<Route> routes;
  };
  void WriteLock() { pthread_rwlock_wrlock(&lock_); }
  void ReadLock() { pthread_rwlock_rdlock(&lock_); }
  void Unlock() { pthread_rwlock_unlock(&lock_); }
  PrefixTrie& trie(bool v4) { return v4 ? v4_ : v6_; }
  void RemoveSlotIfEmpty(uint32_t slot_id);
  static std::vector<Route>::iterator FindRoute(std::vector<Route>& routes, uint32_t peer,
                                                uint32_t path_id);
  void ReleaseRoute(const Route& route);
  // The trie maps a prefix to its index in slots_ (as Akvorado's prefix index).
  static const void* ToValue(uint32_t slot) {
    return reinterpret_cast<const void*>(uintptr_t{slot});
  }
  static uint32_t FromValue(const void* v) {
    return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(v));
  }
  void AfterWrite();

  pthread_rwlock_t lock_;
  EpochDomain epochs_;  // no participants: everything is under the lock, so frees are prompt
  PrefixTrie v4_{4, &epochs_};
  PrefixTrie v6_{16, &epochs_};
  InternPool<InternedNextHop> next_hops_{&epochs_};
  InternPool<InternedAttributes> attributes_{&epochs_};
  absl::flat_hash_map<uint32_t, Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint32_t next_slot_ = 1;
  std::vector<IpAddress> peer_routers_;
  uint64_t writes_ = 0;
};

}  // namespace ribflow::bench
