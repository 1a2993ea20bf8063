#include "rib/rib.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "rib/rib_memory.h"

namespace ribflow {

Rib::Rib(Config config)
    : config_(Clamped(config)),
      tombstone_peer_(config_.max_peers),
      epochs_(config_.max_threads + 1),
      next_hops_(&epochs_),
      attributes_(&epochs_),
      stripes_(new SpinLock[kStripes]),
      peer_state_(new std::atomic<uint8_t>[config_.max_peers + 1]()),
      peer_router_(new std::atomic<uint32_t>[config_.max_peers + 1]()),
      peer_routes_(new std::atomic<int64_t>[config_.max_peers]()),
      peer_stale_deadline_(new std::atomic<int64_t>[config_.max_peers]()),
      peer_keys_(new PeerKey[config_.max_peers]),
      routers_(new RouterSlot[kRouterSlots]),
      sweep_mask_(new bool[config_.max_peers + 1]()) {
  owned_tables_.push_back(std::make_unique<Table>(0, &epochs_));
  global_table_ = owned_tables_.back().get();
  auto* directory = new TableDirectory;
  directory->entries.push_back({0, global_table_});
  tables_.store(directory, std::memory_order_release);
  sweep_participant_ = epochs_.Register();
}

Rib::~Rib() {
  // No reader or writer may remain. Release what is still published, then free the retired.
  std::vector<PrefixTrie::Entry> batch;
  for (auto& table : owned_tables_) {
    for (PrefixTrie* trie : {&table->v4, &table->v6}) {
      batch.clear();
      trie->Collect(nullptr, SIZE_MAX, &batch);
      for (const auto& e : batch) {
        const auto* set = static_cast<const RouteSet*>(e.value);
        for (uint32_t i = 0; i < set->size; ++i) {
          if (!IsTombstone(set->routes[i])) ReleaseRoute(set->routes[i]);
        }
        FreeRouteSet(const_cast<RouteSet*>(set), nullptr);
      }
    }
  }
  epochs_.Unregister(sweep_participant_);
  epochs_.Drain();
  delete tables_.load();
}

// ---------------------------------------------------------------------------------------------
// Routers and peers

const Rib::RouterSlot& Rib::ProbeRouter(const IpAddress& address) const {
  // Linear probing; the table is never more than half full, so an empty slot ends every probe.
  for (size_t h = absl::HashOf(address) & (kRouterSlots - 1);; h = (h + 1) & (kRouterSlots - 1)) {
    const RouterSlot& slot = routers_[h];
    if (slot.index.load(std::memory_order_acquire) == kNoRouter || slot.address == address) {
      return slot;
    }
  }
}

uint32_t Rib::FindRouter(const IpAddress& address) const {
  return ProbeRouter(address).index.load(std::memory_order_acquire);
}

uint32_t Rib::RegisterRouter(const IpAddress& address) {
  auto& slot = const_cast<RouterSlot&>(ProbeRouter(address));
  const uint32_t index = slot.index.load(std::memory_order_relaxed);
  if (index != kNoRouter) return index;
  if (router_count_ >= kRouterSlots / 2) return kNoRouter;  // beyond that, no exporter match
  slot.address = address;
  slot.index.store(router_count_, std::memory_order_release);
  return router_count_++;
}

PeerId Rib::AddPeer(const PeerKey& key) {
  std::lock_guard lock(peers_mutex_);
  if (auto it = peer_ids_.find(key); it != peer_ids_.end()) {
    uint8_t stale = kStale;
    peer_state_[it->second].compare_exchange_strong(stale, kLive);
    return it->second;
  }
  PeerId id;
  if (!free_peer_ids_.empty()) {
    id = free_peer_ids_.back();
    free_peer_ids_.pop_back();
  } else {
    id = peer_id_high_water_.load(std::memory_order_relaxed);
    if (id >= config_.max_peers) return kNoPeer;
    peer_id_high_water_.store(id + 1, std::memory_order_release);
  }
  peer_keys_[id] = key;
  peer_router_[id].store(RegisterRouter(key.router), std::memory_order_relaxed);
  peer_routes_[id].store(0, std::memory_order_relaxed);
  peer_state_[id].store(kLive, std::memory_order_release);
  peer_ids_.emplace(key, id);
  return id;
}

std::optional<PeerKey> Rib::peer_key(PeerId peer) const {
  std::lock_guard lock(peers_mutex_);
  if (peer >= config_.max_peers || !PeerVisible(peer)) return std::nullopt;
  return peer_keys_[peer];
}

PeerId Rib::FindPeer(const PeerKey& key, bool revive) {
  std::lock_guard lock(peers_mutex_);
  const auto it = peer_ids_.find(key);
  if (it == peer_ids_.end()) return kNoPeer;
  if (revive) {
    uint8_t stale = kStale;
    peer_state_[it->second].compare_exchange_strong(stale, kLive);
  }
  return it->second;
}

std::vector<Rib::PeerStatus> Rib::Peers() const {
  std::vector<PeerStatus> peers;
  std::lock_guard lock(peers_mutex_);
  const uint32_t high = peer_id_high_water_.load(std::memory_order_acquire);
  for (PeerId p = 0; p < high; ++p) {
    const uint8_t state = peer_state_[p].load(std::memory_order_acquire);
    if (state != kLive && state != kStale) continue;
    PeerStatus status;
    status.id = p;
    status.key = peer_keys_[p];
    status.stale = state == kStale;
    status.stale_deadline =
        Clock::time_point(Clock::duration(peer_stale_deadline_[p].load(std::memory_order_relaxed)));
    status.routes = peer_routes_[p].load(std::memory_order_relaxed);
    peers.push_back(status);
  }
  return peers;
}

bool Rib::MarkPeerStale(PeerId peer, Clock::time_point deadline) {
  if (peer >= config_.max_peers) return false;
  peer_stale_deadline_[peer].store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
  uint8_t expected = kLive;
  return peer_state_[peer].compare_exchange_strong(expected, kStale) || expected == kStale;
}

bool Rib::RevivePeer(PeerId peer) {
  if (peer >= config_.max_peers) return false;
  uint8_t expected = kStale;
  return peer_state_[peer].compare_exchange_strong(expected, kLive) || expected == kLive;
}

void Rib::FlushPeer(PeerId peer) {
  if (peer >= config_.max_peers) return;
  std::lock_guard lock(peers_mutex_);
  uint8_t state = peer_state_[peer].load();
  while ((state == kLive || state == kStale) &&
         !peer_state_[peer].compare_exchange_weak(state, kFlushing)) {
  }
  if (state != kLive && state != kStale) return;  // already flushing or free
  QueueFlushLocked(peer);
}

void Rib::QueueFlushLocked(PeerId peer) {
  peer_ids_.erase(peer_keys_[peer]);  // the key may come back as a new peer
  pending_flush_.push_back(peer);
}

size_t Rib::FlushExpiredPeers(Clock::time_point now) {
  const int64_t now_count = now.time_since_epoch().count();
  size_t flushed = 0;
  const uint32_t high = peer_id_high_water_.load(std::memory_order_acquire);
  for (PeerId p = 0; p < high; ++p) {
    if (peer_state_[p].load(std::memory_order_relaxed) != kStale) continue;
    if (peer_stale_deadline_[p].load(std::memory_order_relaxed) > now_count) continue;
    std::lock_guard lock(peers_mutex_);
    uint8_t expected = kStale;  // a concurrent RevivePeer wins or loses this CAS
    if (!peer_state_[p].compare_exchange_strong(expected, kFlushing)) continue;
    QueueFlushLocked(p);
    ++flushed;
  }
  return flushed;
}

void Rib::FreePeerDeferred(void* peer, void* self) {
  auto* rib = static_cast<Rib*>(self);
  const auto id =
      static_cast<PeerId>(static_cast<std::atomic<uint8_t>*>(peer) - rib->peer_state_.get());
  std::lock_guard lock(rib->peers_mutex_);
  rib->peer_state_[id].store(kFree, std::memory_order_relaxed);
  rib->free_peer_ids_.push_back(id);
}

bool Rib::SweepFlushedPeers(size_t slot_budget) {
  std::lock_guard sweep_lock(sweep_mutex_);
  if (!sweeping_) {
    {
      std::lock_guard lock(peers_mutex_);
      if (pending_flush_.empty()) return false;
      sweep_peers_.swap(pending_flush_);
      pending_flush_.clear();
    }
    // Tables created after this point cannot hold routes of peers already flushing.
    sweep_walk_.Start(SnapshotTables());
    sweep_batch_.reserve(slot_budget);
    for (PeerId p : sweep_peers_) sweep_mask_[p] = true;
    sweeping_ = true;
  }
  const auto drop = [this](const Route& r) { return sweep_mask_[r.peer]; };
  std::vector<PrefixTrie::Entry>& batch = sweep_batch_;  // keeps its capacity between calls
  ReleaseBatch released(this);
  size_t visited = 0;
  while (visited < slot_budget) {
    EpochGuard guard(sweep_participant_);
    Table* table;
    bool v4;
    if (!sweep_walk_.Next(slot_budget - visited, &batch, &table, &v4)) break;
    {
      // The sweep is bound by memory latency, and it knows its addresses ahead: prefetch the
      // route sets a few prefixes ahead (into L2: prefetches into L1 stalled on its few miss
      // buffers), and the attributes of the routes it will drop from sets already fetched.
      // (Values may be stale by the time they are used: RemoveRoutes re-reads under the stripe
      // lock; we are pinned, so reading them is safe, and only this sweep writes tombstones.)
      constexpr size_t kSetsAhead = 16, kAttributesAhead = 8;
      for (size_t i = 0; i < batch.size(); ++i) {
        if (i + kSetsAhead < batch.size()) {
          const char* set = static_cast<const char*>(batch[i + kSetsAhead].value);
          for (size_t line = 0; line < 4; ++line) __builtin_prefetch(set + 64 * line, 0, 1);
        }
        if (i + kAttributesAhead < batch.size()) {
          const auto* set = static_cast<const RouteSet*>(batch[i + kAttributesAhead].value);
          for (uint32_t r = 0; r < set->size; ++r) {
            if (drop(set->routes[r])) __builtin_prefetch(set->routes[r].attributes);
          }
        }
        // Flushing peers' route counts are not kept: they are reset when the pass ends.
        RemoveRoutes(table, v4, batch[i].key, batch[i].length, drop, &batch[i].cell,
                     /*tombstone=*/true, &released);
      }
      released.Flush();
    }
    visited += batch.size();
  }
  if (!sweep_walk_.done()) return true;
  // Pass complete: no set reachable from now on names these peers; free their ids once no
  // reader can still hold an older set that does.
  for (PeerId p : sweep_peers_) {
    sweep_mask_[p] = false;
    peer_routes_[p].store(0, std::memory_order_relaxed);
    // The peer's state slot names it: the deleter recovers the id from its position.
    epochs_.Retire(&peer_state_[p], &Rib::FreePeerDeferred, this);
  }
  sweep_peers_.clear();
  sweeping_ = false;
  std::lock_guard lock(peers_mutex_);
  return !pending_flush_.empty();
}

void Rib::FlushPeerNow(PeerId peer, size_t slot_budget) {
  FlushPeer(peer);
  while (SweepFlushedPeers(slot_budget)) {
  }
}

// ---------------------------------------------------------------------------------------------
// Tables and route sets

std::vector<Rib::Table*> Rib::SnapshotTables() const {
  std::lock_guard lock(tables_mutex_);
  std::vector<Table*> tables;
  tables.reserve(owned_tables_.size());
  for (const auto& t : owned_tables_) tables.push_back(t.get());
  return tables;
}

void Rib::PrefixWalk::Start(std::vector<Table*> tables) {
  tables_ = std::move(tables);
  table_ = 0;
  v6_ = false;
  has_cursor_ = false;
}

bool Rib::PrefixWalk::Next(size_t budget, std::vector<PrefixTrie::Entry>* batch, Table** table,
                           bool* v4) {
  while (!done()) {
    batch->clear();
    *table = tables_[table_];
    *v4 = !v6_;
    (*table)->trie(*v4).Collect(has_cursor_ ? &cursor_ : nullptr, budget, batch);
    if (batch->size() < budget) {
      // Fewer than asked: this trie is done. Next family, then next table.
      has_cursor_ = false;
      if (v6_) ++table_;
      v6_ = !v6_;
    } else {
      cursor_ = batch->back();
      has_cursor_ = true;
    }
    if (!batch->empty()) return true;
  }
  return false;
}

const Rib::Table* Rib::FindTable(RouteDistinguisher rd) const {
  if (rd == 0) return global_table_;
  const auto& entries = tables_.load(std::memory_order_acquire)->entries;
  auto it = std::lower_bound(entries.begin(), entries.end(), rd,
                             [](const auto& e, RouteDistinguisher v) { return e.first < v; });
  return it != entries.end() && it->first == rd ? it->second : nullptr;
}

Rib::Table* Rib::GetOrCreateTable(RouteDistinguisher rd) {
  if (const Table* t = FindTable(rd)) return const_cast<Table*>(t);
  std::lock_guard lock(tables_mutex_);
  if (const Table* t = FindTable(rd)) return const_cast<Table*>(t);
  owned_tables_.push_back(std::make_unique<Table>(rd, &epochs_));
  Table* table = owned_tables_.back().get();
  const TableDirectory* old = tables_.load(std::memory_order_relaxed);
  auto* directory = new TableDirectory(*old);
  directory->entries.push_back({rd, table});
  std::sort(directory->entries.begin(), directory->entries.end());
  tables_.store(directory, std::memory_order_release);
  epochs_.Retire(
      const_cast<TableDirectory*>(old),
      [](void* d, void*) { delete static_cast<TableDirectory*>(d); }, nullptr);
  return table;
}

SpinLock& Rib::StripeFor(const Table* table, const uint8_t* key, int length) {
  uint64_t a = 0, b = 0;
  std::memcpy(&a, key, 4);
  if (length > 32) {
    std::memcpy(&a, key, 8);
    std::memcpy(&b, key + 8, 8);
  }
  uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL) ^ (uint64_t(length) << 56) ^
                reinterpret_cast<uintptr_t>(table)) *
               0xff51afd7ed558ccdULL;
  return stripes_[(h >> 40) & (kStripes - 1)];
}

Rib::RouteSet* Rib::NewRouteSet(uint32_t size) {
  auto* set = static_cast<RouteSet*>(RibAllocate(sizeof(RouteSet) + size * sizeof(Route)));
  set->size = size;
  set->tombstones = 0;
  return set;
}

void Rib::FreeRouteSet(void* set, void*) { RibFree(set); }

void Rib::RetireRouteSet(const RouteSet* set) {
  epochs_.Retire(const_cast<RouteSet*>(set), &Rib::FreeRouteSet, nullptr);
}

size_t Rib::FindPosition(const RouteSet* set, uint32_t peer, uint32_t path_id, bool* found) const {
  *found = false;
  if (set == nullptr) return 0;
  const PeerKey& key = peer_keys_[peer];
  size_t lo = 0, hi = set->size;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    const Route& r = set->routes[mid];
    std::strong_ordering order = std::strong_ordering::equal;
    if (r.peer != peer) {
      order = peer_keys_[r.peer] <=> key;
      // The same key under two ids: a peer flushed (its routes hidden, not yet swept) and
      // added again. Distinct sources all the same, ordered by id.
      if (order == 0) order = r.peer <=> peer;
    }
    if (order == 0) order = r.path_id <=> path_id;
    if (order == 0) {
      *found = true;
      return mid;
    }
    if (order < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void Rib::RelockInOrder(PrefixTrie& trie, std::unique_lock<SpinLock>& stripe,
                        std::unique_lock<std::mutex>* trie_lock) {
  if (stripe.owns_lock()) stripe.unlock();
  *trie_lock = std::unique_lock(trie.mutex());
  stripe.lock();
}

PrefixTrie::Cell Rib::RelockForStructure(PrefixTrie& trie, std::unique_lock<SpinLock>& stripe,
                                         std::unique_lock<std::mutex>* trie_lock,
                                         const uint8_t* key, int length) {
  RelockInOrder(trie, stripe, trie_lock);
  return trie.FindForUpdate(key, length);
}

void Rib::ReleaseBatch::AddRoute(const Route& route) {
  if (route.next_hop != next_hop_.handle) {
    if (next_hop_.count != 0) rib_->next_hops_.Release(next_hop_.handle, next_hop_.count);
    next_hop_ = {route.next_hop, 0};
  }
  ++next_hop_.count;
  if (route.attributes != attributes_.handle) {
    if (attributes_.count != 0) rib_->attributes_.Release(attributes_.handle, attributes_.count);
    attributes_ = {route.attributes, 0};
  }
  ++attributes_.count;
}

void Rib::ReleaseBatch::AddRouteSet(const RouteSet* set) {
  if (route_set_count_ == kRouteSets) {
    rib_->epochs_.RetireMany({route_sets_, route_set_count_}, &Rib::FreeRouteSet, nullptr);
    route_set_count_ = 0;
  }
  route_sets_[route_set_count_++] = const_cast<RouteSet*>(set);
}

void Rib::ReleaseBatch::Flush() {
  if (next_hop_.count != 0) rib_->next_hops_.Release(next_hop_.handle, next_hop_.count);
  if (attributes_.count != 0) rib_->attributes_.Release(attributes_.handle, attributes_.count);
  next_hop_ = {NextHopTable::kNone};
  attributes_ = {nullptr};
  if (route_set_count_ != 0) {
    rib_->epochs_.RetireMany({route_sets_, route_set_count_}, &Rib::FreeRouteSet, nullptr);
  }
  route_set_count_ = 0;
  if (tombstones_ != 0) rib_->tombstones_.fetch_add(tombstones_, std::memory_order_relaxed);
  tombstones_ = 0;
}

template <typename Drop>
size_t Rib::RemoveRoutes(Table* table, bool v4, const uint8_t* key, int length, Drop drop,
                         const PrefixTrie::Cell* hint, bool tombstone, ReleaseBatch* released) {
  PrefixTrie& trie = table->trie(v4);
  SpinLock& stripe = StripeFor(table, key, length);
  std::unique_lock stripe_lock(stripe);
  auto count_dropped = [&](const RouteSet* set) {
    size_t n = 0;
    for (uint32_t i = 0; i < set->size; ++i) n += drop(set->routes[i]);
    return n;
  };
  PrefixTrie::Cell cell =
      hint != nullptr ? trie.Refresh(*hint, key, length) : trie.FindForUpdate(key, length);
  const auto* old = static_cast<const RouteSet*>(cell.Load());
  if (old == nullptr) return 0;
  size_t dropped = count_dropped(old);
  if (dropped == 0) return 0;
  std::unique_lock<std::mutex> trie_lock;
  if (dropped + old->tombstones == old->size) {
    // The prefix empties: removing it needs the trie mutex. Re-check once both are held.
    cell = RelockForStructure(trie, stripe_lock, &trie_lock, key, length);
    old = static_cast<const RouteSet*>(cell.Load());
    if (old == nullptr) return 0;
    dropped = count_dropped(old);
    if (dropped == 0) return 0;
  }
  const size_t dead = dropped + old->tombstones;
  // Releasing references may free objects: never under the stripe. So the routes tombstoned
  // in place are kept aside first, and a set with more of them than that is copied instead.
  constexpr size_t kMaxInPlace = 16;
  if (tombstone && dead * 2 <= old->size && dropped <= kMaxInPlace) {
    // Readers skip these routes already (their peer is flushing) and read nothing past the
    // peer id, so overwriting it is the whole removal; the set stays published.
    Route removed[kMaxInPlace];
    size_t n = 0;
    auto* set = const_cast<RouteSet*>(old);
    for (uint32_t i = 0; i < set->size; ++i) {
      Route& r = set->routes[i];
      if (!drop(r)) continue;
      removed[n++] = r;
      std::atomic_ref<uint16_t>(r.peer).store(static_cast<uint16_t>(tombstone_peer_),
                                              std::memory_order_relaxed);
    }
    set->tombstones = static_cast<uint32_t>(dead);
    stripe_lock.unlock();
    for (size_t i = 0; i < n; ++i) released->AddRoute(removed[i]);
    released->AddTombstones(static_cast<int64_t>(dropped));
    return dropped;
  }
  if (dead == old->size) {
    trie.Remove(key, length);
  } else {
    RouteSet* set = NewRouteSet(static_cast<uint32_t>(old->size - dead));
    uint32_t out = 0;
    for (uint32_t i = 0; i < old->size; ++i) {
      const Route& r = old->routes[i];
      if (!drop(r) && !IsTombstone(r)) set->routes[out++] = r;
    }
    trie.StoreAt(cell, key, length, set);
  }
  stripe_lock.unlock();
  if (trie_lock.owns_lock()) trie_lock.unlock();
  for (uint32_t i = 0; i < old->size; ++i) {
    if (drop(old->routes[i])) released->AddRoute(old->routes[i]);
  }
  released->AddTombstones(-static_cast<int64_t>(old->tombstones));
  released->AddRouteSet(old);
  return dropped;
}

Rib::RouteSet* Rib::CompactedCopy(const RouteSet* set, uint32_t tombstone_peer) {
  RouteSet* copy = NewRouteSet(set->size - set->tombstones);
  uint32_t out = 0;
  for (uint32_t i = 0; i < set->size; ++i) {
    if (set->routes[i].peer != tombstone_peer) copy->routes[out++] = set->routes[i];
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Writer

Rib::Writer::Writer(Rib& rib) : rib_(&rib), participant_(rib.epochs_.Register()) {
  if (participant_ == nullptr) throw std::runtime_error("ribflow: too many RIB readers/writers");
}

Rib::Writer::~Writer() {
  last_attributes_.Reset(rib_->attributes_);
  last_next_hop_.Reset(rib_->next_hops_);
  rib_->epochs_.Unregister(participant_);
}

template <typename Traits>
const typename Traits::Object* Rib::Writer::LastInterned<Traits>::Get(
    InternPool<Traits>& pool, const typename Traits::Key& key) {
  if (last_ != nullptr && Traits::Equals(*last_, key)) {
    pool.AddRef(last_);
    return last_;
  }
  const typename Traits::Object* interned = pool.Acquire(key, 2);  // the route's and ours
  Reset(pool);
  last_ = interned;
  return interned;
}

template <typename Traits>
void Rib::Writer::LastInterned<Traits>::Reset(InternPool<Traits>& pool) {
  if (last_ != nullptr) pool.Release(last_);
  last_ = nullptr;
}

std::optional<NextHopTable::Index> Rib::Writer::LastNextHop::Get(NextHopTable& table,
                                                                 const IpAddress& address) {
  if (index_ != NextHopTable::kNone && address_ == address) {
    table.AddRef(index_);
    return index_;
  }
  const std::optional<NextHopTable::Index> index = table.Acquire(address, 2);  // route's, ours
  if (!index) return std::nullopt;
  Reset(table);
  index_ = *index;
  address_ = address;
  return index;
}

void Rib::Writer::LastNextHop::Reset(NextHopTable& table) {
  if (index_ != NextHopTable::kNone) table.Release(index_);
  index_ = NextHopTable::kNone;
}

absl::Status Rib::Writer::Announce(PeerId peer, RouteDistinguisher rd, const Prefix& prefix,
                                   uint32_t path_id, const IpAddress& next_hop,
                                   const AttributesView& attributes) {
  Rib& rib = *rib_;
  if (peer >= rib.config_.max_peers || !rib.PeerVisible(peer)) {
    return absl::FailedPreconditionError(absl::StrCat("peer ", peer, " is not live"));
  }
  const std::optional<NextHopTable::Index> next_hop_index =
      last_next_hop_.Get(rib.next_hops_, next_hop);
  if (!next_hop_index) {
    return absl::ResourceExhaustedError(
        absl::StrCat("RIB next-hop table full (", NextHopTable::kCapacity, " distinct next hops)"));
  }
  const Route route{static_cast<uint16_t>(peer), *next_hop_index, path_id,
                    last_attributes_.Get(rib.attributes_, attributes)};
  EpochGuard guard(participant_);
  Table* table = rib.GetOrCreateTable(rd);
  PrefixTrie& trie = table->trie(prefix.is_v4());
  const uint8_t* key = prefix.address.family_bytes();
  const int length = prefix.length;

  std::unique_lock stripe_lock(rib.StripeFor(table, key, length), std::defer_lock);
  std::unique_lock<std::mutex> trie_lock;
  // Peek without a lock (we are pinned): an existing prefix is found again under its stripe,
  // cheaply if its node was not replaced meanwhile; a new one takes the trie mutex first, as
  // the lock order wants, without a stripe round trip before it.
  PrefixTrie::Cell cell = trie.FindForUpdate(key, length);
  const RouteSet* old = nullptr;
  if (cell.Load() != nullptr) {
    stripe_lock.lock();
    cell = trie.Refresh(cell, key, length);
    old = static_cast<const RouteSet*>(cell.Load());
  }
  if (old == nullptr) {
    // A new prefix (or one removed since the peek) needs the trie mutex. Once both are held,
    // Insert both re-checks (another writer may have added it meanwhile) and inserts.
    RelockInOrder(trie, stripe_lock, &trie_lock);
    RouteSet* set = NewRouteSet(1);
    set->routes[0] = route;
    old = static_cast<const RouteSet*>(trie.Insert(key, length, set));
    if (old == nullptr) {
      stripe_lock.unlock();
      trie_lock.unlock();
      rib.AddPeerRoutes(peer, 1);
      return absl::OkStatus();
    }
    FreeRouteSet(set, nullptr);  // never published
    cell = trie.FindForUpdate(key, length);
  }
  // Tombstones hold no peer key to order by: search and copy a compacted set instead.
  RouteSet* compacted = old->tombstones != 0 ? CompactedCopy(old, rib.tombstone_peer_) : nullptr;
  const RouteSet* base = compacted != nullptr ? compacted : old;
  bool found;
  const size_t pos = rib.FindPosition(base, peer, path_id, &found);
  if (found) {
    const Route previous = base->routes[pos];
    if (previous.next_hop == route.next_hop && previous.attributes == route.attributes) {
      stripe_lock.unlock();
      if (compacted != nullptr) FreeRouteSet(compacted, nullptr);
      rib.ReleaseRoute(route);  // unchanged: drop the references taken above
      return absl::OkStatus();
    }
    RouteSet* set = NewRouteSet(base->size);
    std::memcpy(set->routes, base->routes, base->size * sizeof(Route));
    set->routes[pos] = route;
    trie.StoreAt(cell, key, length, set);
    stripe_lock.unlock();
    rib.ReleaseRoute(previous);
  } else {
    RouteSet* set = NewRouteSet(base->size + 1);
    std::memcpy(set->routes, base->routes, pos * sizeof(Route));
    std::memcpy(set->routes + pos + 1, base->routes + pos, (base->size - pos) * sizeof(Route));
    set->routes[pos] = route;
    trie.StoreAt(cell, key, length, set);
    stripe_lock.unlock();
    rib.AddPeerRoutes(peer, 1);
  }
  if (compacted != nullptr) {
    FreeRouteSet(compacted, nullptr);  // never published
    rib.tombstones_.fetch_sub(old->tombstones, std::memory_order_relaxed);
  }
  rib.RetireRouteSet(old);
  return absl::OkStatus();
}

bool Rib::Writer::Withdraw(PeerId peer, RouteDistinguisher rd, const Prefix& prefix,
                           uint32_t path_id) {
  Rib& rib = *rib_;
  if (peer >= rib.config_.max_peers) return false;
  EpochGuard guard(participant_);
  Table* table = const_cast<Table*>(rib.FindTable(rd));
  if (table == nullptr) return false;
  ReleaseBatch released(&rib);
  if (rib.RemoveRoutes(
          table, prefix.is_v4(), prefix.address.family_bytes(), prefix.length,
          [&](const Route& r) { return r.peer == peer && r.path_id == path_id; }, nullptr,
          /*tombstone=*/false, &released) == 0) {
    return false;
  }
  rib.AddPeerRoutes(peer, -1);
  return true;
}

void Rib::Writer::ForEachRoute(const std::function<void(const RouteView&)>& visit) {
  Rib& rib = *rib_;
  PrefixWalk walk;
  walk.Start(rib.SnapshotTables());
  std::vector<PrefixTrie::Entry> batch;
  std::vector<Route> routes;
  for (;;) {
    EpochGuard guard(participant_);
    Table* table;
    bool v4;
    if (!walk.Next(1024, &batch, &table, &v4)) break;
    const PrefixTrie& trie = table->trie(v4);
    for (const PrefixTrie::Entry& e : batch) {
      {
        std::lock_guard stripe_lock(rib.StripeFor(table, e.key, e.length));
        const auto* set = static_cast<const RouteSet*>(trie.Find(e.key, e.length));
        if (set == nullptr) continue;
        routes.assign(set->routes, set->routes + set->size);
      }
      const Prefix prefix{IpAddress::FromFamilyBytes(e.key, v4), e.length};
      for (const Route& r : routes) {
        if (!rib.PeerVisible(r.peer)) continue;
        visit({table->rd, prefix, r.peer, r.path_id, rib.next_hops_.address(r.next_hop),
               r.attributes});
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reader

Rib::Reader::Reader(Rib& rib) : rib_(&rib), participant_(rib.epochs_.Register()) {
  if (participant_ == nullptr) throw std::runtime_error("ribflow: too many RIB readers/writers");
}

Rib::Reader::~Reader() { const_cast<Rib*>(rib_)->epochs_.Unregister(participant_); }

bool Rib::Reader::Lookup(const IpAddress& address, const LookupHints& hints,
                         LookupResult* result) const {
  const Rib& rib = *rib_;
  const Table* table = rib.FindTable(hints.rd);
  if (table == nullptr) return false;
  const uint32_t router = hints.exporter ? rib.FindRouter(*hints.exporter) : kNoRouter;
  // Best possible score: from the exporter (2) and with the wanted next hop (1).
  const int perfect = (router != kNoRouter ? 2 : 0) + (hints.next_hop ? 1 : 0);

  PrefixTrie::Matcher matcher(table->trie(address.is_v4()), address.family_bytes());
  const Route* fallback = nullptr;
  uint32_t fallback_peer = kNoPeer;
  int fallback_length = 0;
  const Route* chosen = nullptr;
  uint32_t chosen_peer = kNoPeer;
  int chosen_length = 0;
  const void* value;
  int length;
  while (matcher.Next(&value, &length)) {
    const auto* set = static_cast<const RouteSet*>(value);
    const Route* best = nullptr;
    uint32_t best_peer = kNoPeer;
    int best_score = -1;
    for (uint32_t i = 0; i < set->size; ++i) {
      const Route& r = set->routes[i];
      const uint32_t peer = RoutePeer(r);
      if (!rib.PeerVisible(peer)) continue;  // a flushed peer's or a tombstone: read no further
      int score = 0;
      if (router != kNoRouter && rib.peer_router_[peer].load(std::memory_order_relaxed) == router) {
        score += 2;
      }
      if (hints.next_hop && rib.next_hops_.address(r.next_hop) == *hints.next_hop) score += 1;
      if (score > best_score) {  // strict: the first in set order wins ties
        best = &r;
        best_peer = peer;
        best_score = score;
        if (score == perfect) break;
      }
    }
    if (best == nullptr) continue;
    if (router == kNoRouter || best_score >= 2) {
      chosen = best;
      chosen_peer = best_peer;
      chosen_length = length;
      break;
    }
    // The exporter has no route here: a shorter prefix of its own beats this one, since
    // that is what the exporter forwarded with. Keep this as the fallback.
    if (fallback == nullptr) {
      fallback = best;
      fallback_peer = best_peer;
      fallback_length = length;
    }
  }
  if (chosen == nullptr) {
    chosen = fallback;
    chosen_peer = fallback_peer;
    chosen_length = fallback_length;
  }
  if (chosen == nullptr) return false;
  result->prefix = Prefix{address.Masked(chosen_length), static_cast<uint8_t>(chosen_length)};
  result->peer = chosen_peer;
  result->path_id = chosen->path_id;
  result->next_hop = rib.next_hops_.address(chosen->next_hop);
  result->attributes = chosen->attributes;
  return true;
}

size_t Rib::Reader::RoutesOf(const Prefix& prefix, RouteDistinguisher rd,
                             const std::function<void(const LookupResult&)>& visit) const {
  const Rib& rib = *rib_;
  const Table* table = rib.FindTable(rd);
  if (table == nullptr) return 0;
  const auto* set = static_cast<const RouteSet*>(
      table->trie(prefix.is_v4()).Find(prefix.address.family_bytes(), prefix.length));
  if (set == nullptr) return 0;
  size_t visited = 0;
  for (uint32_t i = 0; i < set->size; ++i) {
    const Route& r = set->routes[i];
    const uint32_t peer = RoutePeer(r);
    if (!rib.PeerVisible(peer)) continue;
    LookupResult result;
    result.prefix = prefix;
    result.peer = peer;
    result.path_id = r.path_id;
    result.next_hop = rib.next_hops_.address(r.next_hop);
    result.attributes = r.attributes;
    visit(result);
    ++visited;
  }
  return visited;
}

// ---------------------------------------------------------------------------------------------

RibStats Rib::Stats() const {
  RibStats s;
  const uint32_t high = peer_id_high_water_.load(std::memory_order_acquire);
  for (PeerId p = 0; p < high; ++p) {
    const uint8_t state = peer_state_[p].load(std::memory_order_relaxed);
    if (state == kLive || state == kStale) {
      ++s.peers;
      s.routes += peer_routes_[p].load(std::memory_order_relaxed);
    } else if (state == kFlushing) {
      ++s.flushing_peers;
    }
  }
  {
    std::lock_guard lock(tables_mutex_);
    s.tables = owned_tables_.size();
    for (const auto& t : owned_tables_) {
      for (const PrefixTrie* trie : {&t->v4, &t->v6}) {
        s.prefixes += trie->prefix_count();
        s.trie_nodes += trie->node_count();
        s.trie_bytes += trie->node_bytes();
      }
    }
  }
  s.attribute_sets = attributes_.size();
  s.next_hops = next_hops_.size();
  s.retired_pending = epochs_.retired_count();
  s.tombstones = static_cast<size_t>(tombstones_.load(std::memory_order_relaxed));
  return s;
}

}  // namespace ribflow
