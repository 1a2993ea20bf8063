#include "rib/rib.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace ribflow {
namespace {

constexpr size_t kSlotCacheBlock = 64;

}  // namespace

Rib::Rib(Config config)
    : config_(config),
      epochs_(config.max_threads + 1),
      next_hops_(&epochs_),
      attributes_(&epochs_),
      stripes_(new SpinLock[kStripes]),
      peer_state_(new std::atomic<uint8_t>[config.max_peers]()),
      peer_router_(new std::atomic<uint32_t>[config.max_peers]()),
      peer_routes_(new std::atomic<int64_t>[config.max_peers]()),
      peer_stale_deadline_(new std::atomic<int64_t>[config.max_peers]()),
      peer_keys_(new PeerKey[config.max_peers]),
      routers_(new RouterSlot[kRouterSlots]),
      sweep_mask_(new std::atomic<bool>[config.max_peers]()) {
  owned_tables_.push_back(std::make_unique<Table>(0, &epochs_));
  global_table_ = owned_tables_.back().get();
  auto* directory = new TableDirectory;
  directory->entries.push_back({0, global_table_});
  tables_.store(directory, std::memory_order_release);
}

Rib::~Rib() {
  // No reader or writer may remain. Free what is still published, then what is retired.
  const uint32_t slots = next_slot_.load();
  for (uint32_t s = 1; s < slots; ++s) {
    const RouteSet* set = sets_[s].load(std::memory_order_relaxed);
    if (set == nullptr) continue;
    for (uint32_t i = 0; i < set->size; ++i) ReleaseRoute(set->routes[i]);
    FreeRouteSet(const_cast<RouteSet*>(set), nullptr);
  }
  epochs_.Drain();
  delete tables_.load();
}

// ---------------------------------------------------------------------------------------------
// Routers and peers

uint32_t Rib::FindRouter(const IpAddress& address) const {
  size_t h = absl::HashOf(address) & (kRouterSlots - 1);
  for (size_t probes = 0; probes < kRouterSlots; ++probes, h = (h + 1) & (kRouterSlots - 1)) {
    const uint32_t index = routers_[h].index.load(std::memory_order_acquire);
    if (index == kNoRouter) return kNoRouter;
    if (routers_[h].address == address) return index;
  }
  return kNoRouter;
}

uint32_t Rib::RegisterRouter(const IpAddress& address) {
  size_t h = absl::HashOf(address) & (kRouterSlots - 1);
  for (;; h = (h + 1) & (kRouterSlots - 1)) {
    const uint32_t index = routers_[h].index.load(std::memory_order_relaxed);
    if (index == kNoRouter) break;
    if (routers_[h].address == address) return index;
  }
  if (router_count_ >= kRouterSlots / 2) return kNoRouter;  // beyond that, no exporter match
  routers_[h].address = address;
  routers_[h].index.store(router_count_, std::memory_order_release);
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
  peer_ids_.erase(peer_keys_[peer]);
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
    peer_ids_.erase(peer_keys_[p]);
    pending_flush_.push_back(p);
    ++flushed;
  }
  return flushed;
}

void Rib::FreePeerDeferred(void* peer, void* self) {
  auto* rib = static_cast<Rib*>(self);
  const auto id = static_cast<PeerId>(reinterpret_cast<uintptr_t>(peer));
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
    for (PeerId p : sweep_peers_) sweep_mask_[p].store(true, std::memory_order_relaxed);
    sweeping_ = true;
    sweep_cursor_ = 1;
  }
  const uint32_t end = next_slot_.load(std::memory_order_acquire);
  const auto drop = [this](const Route& r) {
    return sweep_mask_[r.peer].load(std::memory_order_relaxed);
  };
  size_t visited = 0;
  while (sweep_cursor_ < end && visited < slot_budget) {
    RemoveRoutesFromSlot(sweep_cursor_++, drop);
    ++visited;
  }
  if (sweep_cursor_ < end) return true;
  // Pass complete: no set reachable from now on names these peers; free their ids once no
  // reader can still hold an older set that does.
  for (PeerId p : sweep_peers_) {
    sweep_mask_[p].store(false, std::memory_order_relaxed);
    peer_routes_[p].store(0, std::memory_order_relaxed);
    epochs_.Retire(reinterpret_cast<void*>(uintptr_t{p}), &Rib::FreePeerDeferred, this);
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
// Tables, slots, route sets

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

Rib::RouteSet* Rib::NewRouteSet(uint32_t size) {
  void* memory = std::malloc(sizeof(RouteSet) + size * sizeof(Route));
  if (memory == nullptr) throw std::bad_alloc();
  auto* set = static_cast<RouteSet*>(memory);
  set->size = size;
  set->reserved = 0;
  return set;
}

void Rib::FreeRouteSet(void* set, void*) { std::free(set); }

void Rib::RetireRouteSet(const RouteSet* set) {
  if (set != nullptr) epochs_.Retire(const_cast<RouteSet*>(set), &Rib::FreeRouteSet, nullptr);
}

size_t Rib::FindPosition(const RouteSet* set, uint32_t peer, uint32_t path_id,
                         bool* found) const {
  *found = false;
  if (set == nullptr) return 0;
  const PeerKey& key = peer_keys_[peer];
  size_t lo = 0, hi = set->size;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    const Route& r = set->routes[mid];
    std::strong_ordering order = std::strong_ordering::equal;
    if (r.peer != peer) order = peer_keys_[r.peer] <=> key;
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

bool Rib::SlotMatches(uint32_t slot, const Table* table, const Prefix& prefix) const {
  const SlotKey& k = slot_keys_[slot];
  const int bytes = prefix.is_v4() ? 4 : 16;
  return k.alive && k.table == table && k.v4 == prefix.is_v4() && k.length == prefix.length &&
         std::memcmp(k.bytes, prefix.address.family_bytes(), bytes) == 0;
}

uint32_t Rib::AllocateSlot(std::vector<uint32_t>* cache) {
  if (cache->empty()) {
    std::lock_guard lock(slot_pool_mutex_);
    while (cache->size() < kSlotCacheBlock && !free_slots_.empty()) {
      cache->push_back(free_slots_.back());
      free_slots_.pop_back();
    }
    if (cache->empty()) {
      const uint32_t first = next_slot_.load(std::memory_order_relaxed);
      if (!sets_.EnsureIndex(first + kSlotCacheBlock) ||
          !slot_keys_.EnsureIndex(first + kSlotCacheBlock)) {
        return 0;
      }
      for (uint32_t s = first + kSlotCacheBlock; s > first; --s) cache->push_back(s - 1);
      next_slot_.store(first + kSlotCacheBlock, std::memory_order_release);
    }
  }
  const uint32_t slot = cache->back();
  cache->pop_back();
  return slot;
}

void Rib::FreeSlotDeferred(void* slot, void* self) {
  auto* rib = static_cast<Rib*>(self);
  std::lock_guard lock(rib->slot_pool_mutex_);
  rib->free_slots_.push_back(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(slot)));
}

void Rib::KillSlotLocked(uint32_t slot) {
  SlotKey& k = slot_keys_[slot];
  k.alive = false;
  sets_[slot].store(nullptr, std::memory_order_release);
  k.table->trie(k.v4).Remove(k.bytes, k.length);
  // A reader may still hold the slot number from an old trie node: reuse it only after them.
  epochs_.Retire(reinterpret_cast<void*>(uintptr_t{slot}), &Rib::FreeSlotDeferred, this);
}

void Rib::RemoveRoutesFromSlot(uint32_t slot, const std::function<bool(const Route&)>& drop) {
  SpinLock& lock = stripe(slot);
  std::unique_lock stripe_lock(lock);
  if (!slot_keys_[slot].alive) return;
  const RouteSet* old = sets_[slot].load(std::memory_order_relaxed);
  if (old == nullptr) return;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < old->size; ++i) kept += !drop(old->routes[i]);
  if (kept == old->size) return;
  if (kept == 0) {
    // The prefix empties: removing it from the trie needs the trie mutex, which is taken
    // before stripe locks. Re-check once both are held.
    Table* table = slot_keys_[slot].table;
    PrefixTrie& trie = table->trie(slot_keys_[slot].v4);
    stripe_lock.unlock();
    std::lock_guard trie_lock(trie.mutex());
    stripe_lock.lock();
    if (!slot_keys_[slot].alive) return;
    old = sets_[slot].load(std::memory_order_relaxed);
    kept = 0;
    for (uint32_t i = 0; i < old->size; ++i) kept += !drop(old->routes[i]);
    if (kept == old->size) return;
    if (kept == 0) {
      KillSlotLocked(slot);
      stripe_lock.unlock();
      for (uint32_t i = 0; i < old->size; ++i) {
        peer_routes_[old->routes[i].peer].fetch_sub(1, std::memory_order_relaxed);
        ReleaseRoute(old->routes[i]);
      }
      RetireRouteSet(old);
      return;
    }
  }
  RouteSet* set = NewRouteSet(kept);
  uint32_t out = 0;
  for (uint32_t i = 0; i < old->size; ++i) {
    if (!drop(old->routes[i])) set->routes[out++] = old->routes[i];
  }
  sets_[slot].store(set, std::memory_order_release);
  stripe_lock.unlock();
  for (uint32_t i = 0; i < old->size; ++i) {
    if (!drop(old->routes[i])) continue;
    peer_routes_[old->routes[i].peer].fetch_sub(1, std::memory_order_relaxed);
    ReleaseRoute(old->routes[i]);
  }
  RetireRouteSet(old);
}

// ---------------------------------------------------------------------------------------------
// Writer

Rib::Writer::Writer(Rib& rib) : rib_(&rib), participant_(rib.epochs_.Register()) {
  if (participant_ == nullptr) throw std::runtime_error("ribflow: too many RIB readers/writers");
}

Rib::Writer::~Writer() {
  if (!free_slots_.empty()) {
    std::lock_guard lock(rib_->slot_pool_mutex_);
    rib_->free_slots_.insert(rib_->free_slots_.end(), free_slots_.begin(), free_slots_.end());
  }
  rib_->epochs_.Unregister(participant_);
}

absl::Status Rib::Writer::Announce(PeerId peer, RouteDistinguisher rd, const Prefix& prefix,
                                   uint32_t path_id, const IpAddress& next_hop,
                                   const AttributesView& attributes) {
  Rib& rib = *rib_;
  if (peer >= rib.config_.max_peers || !rib.PeerVisible(peer)) {
    return absl::FailedPreconditionError(absl::StrCat("peer ", peer, " is not live"));
  }
  const uint32_t nh = rib.next_hops_.Acquire(next_hop);
  const uint32_t attrs = rib.attributes_.Acquire(attributes);
  if (nh == NextHopPool::kNoHandle || attrs == AttributePool::kNoHandle) {
    if (nh != NextHopPool::kNoHandle) rib.next_hops_.Release(nh);
    if (attrs != AttributePool::kNoHandle) rib.attributes_.Release(attrs);
    return absl::ResourceExhaustedError("interned attribute handles exhausted");
  }
  const Route route{peer, path_id, nh, attrs};
  EpochGuard guard(participant_);
  Table* table = rib.GetOrCreateTable(rd);
  PrefixTrie& trie = table->trie(prefix.is_v4());
  const uint8_t* key = prefix.address.family_bytes();

  // Applies the route to a live slot whose stripe lock is held; unlocks it.
  auto apply = [&](uint32_t slot, std::unique_lock<SpinLock>& stripe_lock) {
    const RouteSet* old = rib.sets_[slot].load(std::memory_order_relaxed);
    bool found;
    const size_t pos = rib.FindPosition(old, peer, path_id, &found);
    if (found) {
      const Route previous = old->routes[pos];
      if (previous.next_hop == nh && previous.attributes == attrs) {
        stripe_lock.unlock();
        rib.ReleaseRoute(route);  // unchanged: drop the references taken above
        return;
      }
      RouteSet* set = NewRouteSet(old->size);
      std::memcpy(set->routes, old->routes, old->size * sizeof(Route));
      set->routes[pos] = route;
      rib.sets_[slot].store(set, std::memory_order_release);
      stripe_lock.unlock();
      rib.ReleaseRoute(previous);
    } else {
      const uint32_t size = old == nullptr ? 0 : old->size;
      RouteSet* set = NewRouteSet(size + 1);
      if (size) {
        std::memcpy(set->routes, old->routes, pos * sizeof(Route));
        std::memcpy(set->routes + pos + 1, old->routes + pos, (size - pos) * sizeof(Route));
      }
      set->routes[pos] = route;
      rib.sets_[slot].store(set, std::memory_order_release);
      stripe_lock.unlock();
      rib.peer_routes_[peer].fetch_add(1, std::memory_order_relaxed);
    }
    rib.RetireRouteSet(old);
  };

  // Fast path: the prefix exists; only its stripe is locked.
  if (uint32_t slot = trie.Find(key, prefix.length); slot != PrefixTrie::kNoValue) {
    std::unique_lock stripe_lock(rib.stripe(slot));
    if (rib.SlotMatches(slot, table, prefix)) {
      apply(slot, stripe_lock);
      return absl::OkStatus();
    }
  }
  // Slow path: a new prefix (or one being removed concurrently) needs the trie mutex.
  std::lock_guard trie_lock(trie.mutex());
  uint32_t slot = trie.Find(key, prefix.length);
  if (slot == PrefixTrie::kNoValue) {
    slot = rib.AllocateSlot(&free_slots_);
    if (slot == 0) {
      rib.ReleaseRoute(route);
      return absl::ResourceExhaustedError("prefix slots exhausted");
    }
    std::unique_lock stripe_lock(rib.stripe(slot));
    SlotKey& k = rib.slot_keys_[slot];
    std::memset(k.bytes, 0, sizeof(k.bytes));
    std::memcpy(k.bytes, key, prefix.is_v4() ? 4 : 16);
    k.length = prefix.length;
    k.v4 = prefix.is_v4();
    k.table = table;
    k.alive = true;
    apply(slot, stripe_lock);
    trie.Insert(key, prefix.length, slot);
    return absl::OkStatus();
  }
  std::unique_lock stripe_lock(rib.stripe(slot));
  apply(slot, stripe_lock);
  return absl::OkStatus();
}

bool Rib::Writer::Withdraw(PeerId peer, RouteDistinguisher rd, const Prefix& prefix,
                           uint32_t path_id) {
  Rib& rib = *rib_;
  if (peer >= rib.config_.max_peers) return false;
  EpochGuard guard(participant_);
  const Table* table = rib.FindTable(rd);
  if (table == nullptr) return false;
  const uint32_t slot = table->trie(prefix.is_v4()).Find(prefix.address.family_bytes(),
                                                         prefix.length);
  if (slot == PrefixTrie::kNoValue) return false;
  bool removed = false;
  {
    // Cheap check first so that withdrawing an unknown route copies nothing.
    std::unique_lock stripe_lock(rib.stripe(slot));
    if (!rib.SlotMatches(slot, table, prefix)) return false;
    bool found;
    rib.FindPosition(rib.sets_[slot].load(std::memory_order_relaxed), peer, path_id, &found);
    if (!found) return false;
  }
  rib.RemoveRoutesFromSlot(slot, [&](const Route& r) {
    const bool match = r.peer == peer && r.path_id == path_id;
    removed |= match;
    return match;
  });
  return removed;
}

void Rib::Writer::ForEachRoute(const std::function<void(const RouteView&)>& visit) {
  Rib& rib = *rib_;
  EpochGuard guard(participant_);
  const uint32_t end = rib.next_slot_.load(std::memory_order_acquire);
  std::vector<Route> routes;
  for (uint32_t slot = 1; slot < end; ++slot) {
    SlotKey key;
    {
      std::lock_guard stripe_lock(rib.stripe(slot));
      key = rib.slot_keys_[slot];
      if (!key.alive) continue;
      const RouteSet* set = rib.sets_[slot].load(std::memory_order_relaxed);
      routes.assign(set->routes, set->routes + set->size);
    }
    IpAddress address;
    if (key.v4) {
      address = IpAddress::FromV4((uint32_t{key.bytes[0]} << 24) | (uint32_t{key.bytes[1]} << 16) |
                                  (uint32_t{key.bytes[2]} << 8) | key.bytes[3]);
    } else {
      address = IpAddress::FromV6Bytes(key.bytes);
    }
    for (const Route& r : routes) {
      if (!rib.PeerVisible(r.peer)) continue;
      visit({key.table->rd, Prefix{address, key.length}, r.peer, r.path_id,
             rib.next_hops_.Get(r.next_hop)->address, rib.attributes_.Get(r.attributes)});
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
  const bool v4 = address.is_v4();
  const uint32_t router = hints.exporter ? rib.FindRouter(*hints.exporter) : kNoRouter;
  // Best possible score: from the exporter (2) and with the wanted next hop (1).
  const int perfect = (router != kNoRouter ? 2 : 0) + (hints.next_hop ? 1 : 0);

  PrefixTrie::Matcher matcher(table->trie(v4), address.family_bytes());
  const Route* fallback = nullptr;
  int fallback_length = 0;
  const Route* chosen = nullptr;
  int chosen_length = 0;
  uint32_t slot;
  int length;
  while (matcher.Next(&slot, &length)) {
    const RouteSet* set = rib.sets_[slot].load(std::memory_order_acquire);
    if (set == nullptr) continue;
    const Route* best = nullptr;
    int best_score = -1;
    for (uint32_t i = 0; i < set->size; ++i) {
      const Route& r = set->routes[i];
      if (!rib.PeerVisible(r.peer)) continue;
      int score = 0;
      if (router != kNoRouter &&
          rib.peer_router_[r.peer].load(std::memory_order_relaxed) == router) {
        score += 2;
      }
      if (hints.next_hop && rib.next_hops_.Get(r.next_hop)->address == *hints.next_hop) {
        score += 1;
      }
      if (score > best_score) {  // strict: the first in set order wins ties
        best = &r;
        best_score = score;
        if (score == perfect) break;
      }
    }
    if (best == nullptr) continue;
    if (router == kNoRouter || best_score >= 2) {
      chosen = best;
      chosen_length = length;
      break;
    }
    // The exporter has no route here: a shorter prefix of its own beats this one, since
    // that is what the exporter forwarded with. Keep this as the fallback.
    if (fallback == nullptr) {
      fallback = best;
      fallback_length = length;
    }
  }
  if (chosen == nullptr) {
    chosen = fallback;
    chosen_length = fallback_length;
  }
  if (chosen == nullptr) return false;
  result->prefix = Prefix{address.Masked(chosen_length), static_cast<uint8_t>(chosen_length)};
  result->peer = chosen->peer;
  result->path_id = chosen->path_id;
  result->next_hop = rib.next_hops_.Get(chosen->next_hop)->address;
  result->attributes = rib.attributes_.Get(chosen->attributes);
  return true;
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
    std::lock_guard lock(const_cast<std::mutex&>(tables_mutex_));
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
  return s;
}

}  // namespace ribflow
