// The routing information base: every route of every BMP peer of every router, and the
// longest-prefix-match lookups that enrich flows.
//
// Threading model
// - Readers (Rib::Reader, one per thread) are wait-free: they pin an epoch (one atomic
//   exchange), walk an immutable trie path and an immutable route set, and never take a lock
//   or retry. What they return stays valid until they unpin.
// - Writers (Rib::Writer, one per thread) change one prefix's route set by copy-on-write under
//   a per-prefix stripe lock, so writers of different peers run in parallel and never block a
//   reader. Only adding a prefix the table has never had, or removing its last route, takes the
//   per-table trie mutex (held for one node copy).
// - A peer's routes are written by one thread at a time (its router's session), which is also
//   the thread that flushes it; marking stale, reviving and expiring may come from any thread.
// - Flushing a peer hides its routes from lookups at once; SweepFlushedPeers() then removes them
//   in bounded steps (a budget of slots per call), so lookups and other peers' updates go on.
//   Where the peer's routes are a minority of a prefix's set, the sweep does not copy the set:
//   it overwrites their peer id with a tombstone in place (a route of a flushed peer is never
//   read past its peer id), releases what they referenced, and leaves the slots to the next
//   copy of that set. So a flush writes little memory, and dead slots never exceed half a set.
// - Freed memory (route sets, trie nodes, attribute sets, prefix slots, peer ids) is reclaimed
//   through an epoch domain (see epoch.h and docs/rib.md for why EBR).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/ip_address.h"
#include "rib/attributes.h"
#include "rib/epoch.h"
#include "rib/intern_pool.h"
#include "rib/next_hop_table.h"
#include "rib/prefix_trie.h"
#include "rib/spin_lock.h"

namespace ribflow {

using PeerId = uint32_t;
inline constexpr PeerId kNoPeer = UINT32_MAX;

// Which BMP RIB a route comes from (RFC 7854 L flag, RFC 8671 O flag, RFC 9069 Loc-RIB): the
// same neighbour's pre- and post-policy routes are distinct sources.
enum class RibKind : uint8_t {
  kAdjRibInPre = 0,
  kAdjRibInPost = 1,
  kLocRib = 2,
  kAdjRibOutPre = 3,
  kAdjRibOutPost = 4,
};

// Identity of a route source. Its ordering is the deterministic tie-break between routes.
struct PeerKey {
  IpAddress router;                      // the BMP router: the flow exporter
  IpAddress peer;                        // the BGP neighbour
  RouteDistinguisher distinguisher = 0;  // BMP peer distinguisher
  uint32_t asn = 0;
  RibKind rib = RibKind::kAdjRibInPre;
  friend bool operator==(const PeerKey&, const PeerKey&) = default;
  friend auto operator<=>(const PeerKey&, const PeerKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const PeerKey& k) {
    return H::combine(std::move(h), k.router, k.peer, k.distinguisher, k.asn, k.rib);
  }
};

struct LookupHints {
  std::optional<IpAddress> exporter;  // prefer routes learnt from this BMP router
  std::optional<IpAddress> next_hop;  // prefer the route with this next hop
  RouteDistinguisher rd = 0;          // the VRF's table; 0 is the global table
};

struct LookupResult {
  Prefix prefix;
  PeerId peer = kNoPeer;
  uint32_t path_id = 0;
  IpAddress next_hop;
  const InternedAttributes* attributes = nullptr;  // valid while the reader stays pinned
};

struct RibStats {
  size_t routes = 0;  // visible routes (live and stale peers)
  size_t prefixes = 0;
  size_t peers = 0;  // live and stale
  size_t flushing_peers = 0;
  size_t attribute_sets = 0;
  size_t next_hops = 0;
  size_t tables = 0;
  size_t trie_nodes = 0;
  size_t trie_bytes = 0;
  size_t retired_pending = 0;
  size_t tombstones = 0;  // dead route slots left in place by flushes, until their set is copied
};

class Rib {
 public:
  struct Config {
    uint32_t max_peers = 65535;   // at most 65535: a route names its peer in 16 bits
    uint32_t max_threads = 1024;  // Readers + Writers alive at once
  };
  using Clock = std::chrono::steady_clock;

  explicit Rib(Config config);
  Rib() : Rib(Config{}) {}
  ~Rib();
  Rib(const Rib&) = delete;
  Rib& operator=(const Rib&) = delete;

  // --- Peers. Thread-safe; not on the per-route path.
  // Returns the peer with that key, reviving it if stale; kNoPeer when max_peers are in use.
  PeerId AddPeer(const PeerKey& key);
  // The peer with that key, or kNoPeer; with `revive`, a stale peer becomes live again.
  PeerId FindPeer(const PeerKey& key, bool revive);
  // Keeps the peer's routes visible until `deadline`, then FlushExpiredPeers() flushes it.
  bool MarkPeerStale(PeerId peer, Clock::time_point deadline);
  // Cancels a pending stale flush; false if the peer was already flushed.
  bool RevivePeer(PeerId peer);
  // Hides the peer's routes now; SweepFlushedPeers() reclaims them.
  void FlushPeer(PeerId peer);
  size_t FlushExpiredPeers(Clock::time_point now);
  // Removes flushed peers' routes, visiting at most `slot_budget` prefixes. Returns true while
  // work remains. Runs in bounded steps: no lock is held between two prefixes.
  bool SweepFlushedPeers(size_t slot_budget);
  // Flush and sweep to completion, in steps of `slot_budget`.
  void FlushPeerNow(PeerId peer, size_t slot_budget = 4096);
  std::optional<PeerKey> peer_key(PeerId peer) const;

  // What the API and metrics show of a visible (live or stale) peer.
  struct PeerStatus {
    PeerId id = kNoPeer;
    PeerKey key;
    bool stale = false;
    Clock::time_point stale_deadline{};  // when stale
    int64_t routes = 0;
  };
  // Every visible peer, by id. Takes the peers lock once; not on the per-route path.
  std::vector<PeerStatus> Peers() const;

  class Reader {
   public:
    explicit Reader(Rib& rib);
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    void Pin() { participant_->Pin(); }
    void Unpin() { participant_->Unpin(); }
    // Longest-prefix match with hints. The reader must be pinned. Allocates nothing.
    bool Lookup(const IpAddress& address, const LookupHints& hints, LookupResult* result) const;
    // Every visible route of exactly `prefix` in table `rd`, in set order (for the API and
    // tests, not the per-flow path). The reader must be pinned. Returns how many were visited.
    size_t RoutesOf(const Prefix& prefix, RouteDistinguisher rd,
                    const std::function<void(const LookupResult&)>& visit) const;

   private:
    const Rib* rib_;
    EpochDomain::Participant* participant_;
  };

  class Writer {
   public:
    explicit Writer(Rib& rib);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Adds or replaces the route (peer, rd, prefix, path_id).
    absl::Status Announce(PeerId peer, RouteDistinguisher rd, const Prefix& prefix,
                          uint32_t path_id, const IpAddress& next_hop,
                          const AttributesView& attributes);
    // Returns false when the route was not there.
    bool Withdraw(PeerId peer, RouteDistinguisher rd, const Prefix& prefix, uint32_t path_id);

    struct RouteView {
      RouteDistinguisher rd;
      Prefix prefix;
      PeerId peer;
      uint32_t path_id;
      IpAddress next_hop;
      const InternedAttributes* attributes;
    };
    // Visits every visible route, prefix by prefix (consistent per prefix, not globally).
    void ForEachRoute(const std::function<void(const RouteView&)>& visit);

   private:
    // The last value this writer interned in a pool, with a reference held: consecutive routes
    // (the NLRIs of one UPDATE, a sorted table dump) mostly share it, and a hit costs a
    // compare instead of a hash, a shard lock and a probe.
    template <typename Traits>
    class LastInterned {
     public:
      const typename Traits::Object* Get(InternPool<Traits>& pool, const typename Traits::Key& key);
      void Reset(InternPool<Traits>& pool);

     private:
      const typename Traits::Object* last_ = nullptr;
    };

    // The same for next hops, named by index.
    class LastNextHop {
     public:
      std::optional<NextHopTable::Index> Get(NextHopTable& table, const IpAddress& address);
      void Reset(NextHopTable& table);

     private:
      NextHopTable::Index index_ = NextHopTable::kNone;
      IpAddress address_;
    };

    Rib* rib_;
    EpochDomain::Participant* participant_;
    LastInterned<InternedAttributes> last_attributes_;
    LastNextHop last_next_hop_;
  };

  RibStats Stats() const;
  EpochDomain& epochs() { return epochs_; }

 private:
  // 16 bytes, so that a set of 10 routes is 3 cache lines.
  struct Route {
    uint16_t peer;  // a sweep may overwrite it in place with tombstone_peer_: see RoutePeer()
    NextHopTable::Index next_hop;
    uint32_t path_id;
    const InternedAttributes* attributes;
  };
  static_assert(sizeof(Route) == 16);
  // Immutable once published, except that the sweep may turn routes of flushed peers into
  // tombstones. Live routes sorted by (peer key, path id); at least one live route.
  struct RouteSet {
    uint32_t size;
    uint32_t tombstones;  // written under the prefix's stripe; readers never read it
    Route routes[];
  };
  // The peer of a route as a lock-free reader must read it: the sweep may be writing a
  // tombstone into it. Writers, which hold the prefix's stripe as the sweep does, read it plainly.
  static uint32_t RoutePeer(const Route& route) {
    return std::atomic_ref<uint16_t>(const_cast<uint16_t&>(route.peer))
        .load(std::memory_order_relaxed);
  }
  bool IsTombstone(const Route& route) const { return route.peer == tombstone_peer_; }
  // A copy of the set without its tombstones, not published.
  static RouteSet* CompactedCopy(const RouteSet* set, uint32_t tombstone_peer);
  struct Table {
    Table(RouteDistinguisher rd, EpochDomain* epochs) : rd(rd), v4(4, epochs), v6(16, epochs) {}
    RouteDistinguisher rd;
    PrefixTrie v4;
    PrefixTrie v6;
    PrefixTrie& trie(bool is_v4) { return is_v4 ? v4 : v6; }
    const PrefixTrie& trie(bool is_v4) const { return is_v4 ? v4 : v6; }
  };
  struct TableDirectory {  // immutable once published; sorted by rd
    std::vector<std::pair<RouteDistinguisher, Table*>> entries;
  };
  enum PeerState : uint8_t { kFree = 0, kLive = 1, kStale = 2, kFlushing = 3 };
  static constexpr uint32_t kNoRouter = UINT32_MAX;
  static constexpr size_t kRouterSlots = 4096;  // open addressing, at most half full
  struct RouterSlot {
    std::atomic<uint32_t> index{kNoRouter};
    IpAddress address;  // written before index is published
  };
  static constexpr size_t kStripes = 4096;

  // Walks every prefix of a snapshot of the tables, IPv4 then IPv6 per table, in batches that
  // resume after the last prefix returned, so it survives concurrent changes between batches
  // (prefixes added meanwhile may or may not be visited). Callers are pinned while they fetch
  // a batch and use its values.
  class PrefixWalk {
   public:
    void Start(std::vector<Table*> tables);
    bool done() const { return table_ >= tables_.size(); }
    // Fills `batch` with up to `budget` prefixes of one trie; false once the walk is over.
    bool Next(size_t budget, std::vector<PrefixTrie::Entry>* batch, Table** table, bool* v4);

   private:
    std::vector<Table*> tables_;
    size_t table_ = 0;
    bool v6_ = false;
    bool has_cursor_ = false;
    PrefixTrie::Entry cursor_{};
  };
  std::vector<Table*> SnapshotTables() const;

  bool PeerVisible(uint32_t peer) const {
    const uint8_t s = peer_state_[peer].load(std::memory_order_acquire);
    return s == kLive || s == kStale;
  }
  // The router table's slot holding `address`, or the empty slot where it would go.
  const RouterSlot& ProbeRouter(const IpAddress& address) const;
  uint32_t FindRouter(const IpAddress& address) const;
  uint32_t RegisterRouter(const IpAddress& address);  // under peers_mutex_
  // Hides a live or stale peer now and queues its routes for the sweep. Under peers_mutex_,
  // after the peer's state was moved to kFlushing.
  void QueueFlushLocked(PeerId peer);
  const Table* FindTable(RouteDistinguisher rd) const;
  Table* GetOrCreateTable(RouteDistinguisher rd);
  // Writers of one prefix serialize on its stripe. Lock order: trie mutex, then stripe.
  SpinLock& StripeFor(const Table* table, const uint8_t* key, int length);
  // Takes the trie mutex, then the prefix's stripe (dropping it first if held): lock order.
  static void RelockInOrder(PrefixTrie& trie, std::unique_lock<SpinLock>& stripe,
                            std::unique_lock<std::mutex>* trie_lock);
  // For a structural change (a new prefix, an emptied one) while holding the prefix's stripe:
  // takes the trie mutex in lock order (dropping and retaking the stripe) and returns the
  // prefix's cell found again, since another writer may have changed it in between.
  static PrefixTrie::Cell RelockForStructure(PrefixTrie& trie, std::unique_lock<SpinLock>& stripe,
                                             std::unique_lock<std::mutex>* trie_lock,
                                             const uint8_t* key, int length);

  static RouteSet* NewRouteSet(uint32_t size);
  static void FreeRouteSet(void* set, void*);
  void RetireRouteSet(const RouteSet* set);
  // Position of (peer, path_id) in the set, or where it would be inserted.
  size_t FindPosition(const RouteSet* set, uint32_t peer, uint32_t path_id, bool* found) const;
  // What removing routes frees, held back to be released in bulk: references merged while
  // consecutive routes share them (a peer's routes mostly share one next hop, neighbouring
  // prefixes often one attribute set), so a run costs one atomic decrement instead of one per
  // route; and replaced route sets, retired with one epoch-domain lock per batch.
  class ReleaseBatch {
   public:
    explicit ReleaseBatch(Rib* rib) : rib_(rib) {}
    ~ReleaseBatch() { Flush(); }
    ReleaseBatch(const ReleaseBatch&) = delete;
    ReleaseBatch& operator=(const ReleaseBatch&) = delete;
    void AddRoute(const Route& route);
    void AddRouteSet(const RouteSet* set);
    void AddTombstones(int64_t delta) { tombstones_ += delta; }
    void Flush();

   private:
    // References to one object, released together.
    template <typename Handle>
    struct Run {
      Handle handle;
      uint32_t count = 0;
    };
    Rib* rib_;
    Run<NextHopTable::Index> next_hop_{NextHopTable::kNone};
    Run<const InternedAttributes*> attributes_{nullptr};
    static constexpr size_t kRouteSets = 256;  // a fixed buffer: nothing allocated per route
    void* route_sets_[kRouteSets];
    size_t route_set_count_ = 0;
    int64_t tombstones_ = 0;
  };
  // Drops the routes matching `drop` (never true for a tombstone) from one prefix, removing
  // the prefix when it empties. Returns the number dropped; the caller keeps the peers' route
  // counts. The caller is pinned. `hint` is where the caller saw the prefix (a walk's entry),
  // to skip finding it again. With `tombstone`, dropped routes that leave at most half the set
  // dead become tombstones in place instead of a copy of the set.
  template <typename Drop>
  size_t RemoveRoutes(Table* table, bool v4, const uint8_t* key, int length, Drop drop,
                      const PrefixTrie::Cell* hint, bool tombstone, ReleaseBatch* released);
  static void FreePeerDeferred(void* peer, void* self);
  void ReleaseRoute(const Route& route) {
    next_hops_.Release(route.next_hop);
    attributes_.Release(route.attributes);
  }
  // Routes store peer ids in 16 bits, and one id is the tombstone: max_peers is at most 65535.
  static Config Clamped(Config config) {
    config.max_peers = std::min(config.max_peers, 65535u);
    return config;
  }

  const Config config_;
  // The peer id of a tombstone: one past the last real id, its state forever kFree.
  const uint32_t tombstone_peer_;
  // Only the peer's writer changes its count (one thread at a time per peer, see above), so a
  // plain load and store do, without the full barrier of an atomic increment.
  void AddPeerRoutes(PeerId peer, int64_t delta) {
    peer_routes_[peer].store(peer_routes_[peer].load(std::memory_order_relaxed) + delta,
                             std::memory_order_relaxed);
  }
  EpochDomain epochs_;
  NextHopTable next_hops_;
  InternPool<InternedAttributes> attributes_;
  std::unique_ptr<SpinLock[]> stripes_;

  // Tables by RD. Tables live as long as the RIB.
  mutable std::mutex tables_mutex_;
  std::vector<std::unique_ptr<Table>> owned_tables_;
  std::atomic<const TableDirectory*> tables_;
  Table* global_table_;

  // Peers: reader-hot state in dense arrays, the rest writer-side under peers_mutex_.
  std::unique_ptr<std::atomic<uint8_t>[]> peer_state_;
  std::unique_ptr<std::atomic<uint32_t>[]> peer_router_;
  std::unique_ptr<std::atomic<int64_t>[]> peer_routes_;
  std::unique_ptr<std::atomic<int64_t>[]> peer_stale_deadline_;
  std::unique_ptr<PeerKey[]> peer_keys_;  // set at AddPeer, constant until the id is freed
  mutable std::mutex peers_mutex_;        // leaf lock: never held while retiring
  absl::flat_hash_map<PeerKey, PeerId> peer_ids_;
  std::vector<PeerId> free_peer_ids_;
  std::atomic<int64_t> tombstones_{0};
  std::atomic<uint32_t> peer_id_high_water_{0};
  std::vector<PeerId> pending_flush_;
  std::unique_ptr<RouterSlot[]> routers_;
  uint32_t router_count_ = 0;

  // Sweep state, under sweep_mutex_: a pass walks every table in prefix order.
  std::mutex sweep_mutex_;
  bool sweeping_ = false;
  std::vector<PeerId> sweep_peers_;
  std::unique_ptr<bool[]> sweep_mask_;
  PrefixWalk sweep_walk_;
  std::vector<PrefixTrie::Entry> sweep_batch_;
  EpochDomain::Participant* sweep_participant_ = nullptr;
};

}  // namespace ribflow
