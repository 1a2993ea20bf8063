#include "rib/global_lock_rib.h"

#include <algorithm>

namespace ribflow::bench {

GlobalLockRib::GlobalLockRib() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&lock_, &attr);
  pthread_rwlockattr_destroy(&attr);
}

GlobalLockRib::~GlobalLockRib() {
  for (auto& [id, slot] : slots_) {
    for (const Route& r : slot.routes) ReleaseRoute(r);
  }
  epochs_.Drain();
  pthread_rwlock_destroy(&lock_);
}

uint32_t GlobalLockRib::AddPeer(const IpAddress& router) {
  WriteLock();
  peer_routers_.push_back(router);
  const auto id = static_cast<uint32_t>(peer_routers_.size() - 1);
  Unlock();
  return id;
}

void GlobalLockRib::AfterWrite() {
  if (++writes_ % 1024 == 0) epochs_.Collect();
}

void GlobalLockRib::Announce(uint32_t peer, const Prefix& prefix, uint32_t path_id,
                             const IpAddress& next_hop, const AttributesView& attributes) {
  WriteLock();
  const InternedNextHop* nh = next_hops_.Acquire(next_hop);
  const InternedAttributes* attrs = attributes_.Acquire(attributes);
  PrefixTrie& t = trie(prefix.is_v4());
  uint32_t slot_id = FromValue(t.Find(prefix.address.family_bytes(), prefix.length));
  if (slot_id == 0) {
    if (!free_slots_.empty()) {
      slot_id = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot_id = next_slot_++;
    }
    t.Insert(prefix.address.family_bytes(), prefix.length, ToValue(slot_id));
    slots_[slot_id].prefix = prefix;
  }
  auto& routes = slots_[slot_id].routes;
  auto it = FindRoute(routes, peer, path_id);
  if (it != routes.end()) {
    ReleaseRoute(*it);
    it->next_hop = nh;
    it->attributes = attrs;
  } else {
    routes.push_back({peer, path_id, nh, attrs});
  }
  AfterWrite();
  Unlock();
}

std::vector<GlobalLockRib::Route>::iterator GlobalLockRib::FindRoute(std::vector<Route>& routes,
                                                                     uint32_t peer,
                                                                     uint32_t path_id) {
  return std::find_if(routes.begin(), routes.end(),
                      [&](const Route& r) { return r.peer == peer && r.path_id == path_id; });
}

void GlobalLockRib::ReleaseRoute(const Route& route) {
  next_hops_.Release(route.next_hop);
  attributes_.Release(route.attributes);
}

void GlobalLockRib::RemoveSlotIfEmpty(uint32_t slot_id) {
  auto it = slots_.find(slot_id);
  if (!it->second.routes.empty()) return;
  const Prefix p = it->second.prefix;
  trie(p.is_v4()).Remove(p.address.family_bytes(), p.length);
  slots_.erase(it);
  free_slots_.push_back(slot_id);
}

bool GlobalLockRib::Withdraw(uint32_t peer, const Prefix& prefix, uint32_t path_id) {
  WriteLock();
  bool removed = false;
  const uint32_t slot_id =
      FromValue(trie(prefix.is_v4()).Find(prefix.address.family_bytes(), prefix.length));
  if (slot_id != 0) {
    auto& routes = slots_[slot_id].routes;
    auto it = FindRoute(routes, peer, path_id);
    if (it != routes.end()) {
      ReleaseRoute(*it);
      routes.erase(it);
      RemoveSlotIfEmpty(slot_id);
      removed = true;
    }
  }
  AfterWrite();
  Unlock();
  return removed;
}

void GlobalLockRib::FlushPeer(uint32_t peer) {
  WriteLock();
  std::vector<uint32_t> emptied;
  for (auto& [id, slot] : slots_) {
    auto& routes = slot.routes;
    for (auto it = routes.begin(); it != routes.end();) {
      if (it->peer != peer) {
        ++it;
        continue;
      }
      ReleaseRoute(*it);
      it = routes.erase(it);
    }
    if (routes.empty()) emptied.push_back(id);
  }
  for (uint32_t id : emptied) RemoveSlotIfEmpty(id);
  epochs_.Collect();
  Unlock();
}

bool GlobalLockRib::Lookup(const IpAddress& address, const IpAddress* exporter, Result* result) {
  ReadLock();
  PrefixTrie::Matcher matcher(trie(address.is_v4()), address.family_bytes());
  const void* value;
  int length;
  bool found = false;
  while (!found && matcher.Next(&value, &length)) {
    auto it = slots_.find(FromValue(value));
    if (it == slots_.end() || it->second.routes.empty()) continue;
    const Route* best = &it->second.routes.front();
    if (exporter != nullptr) {
      for (const Route& r : it->second.routes) {
        if (peer_routers_[r.peer] == *exporter) {
          best = &r;
          break;
        }
      }
    }
    const InternedAttributes* attrs = best->attributes;
    result->length = length;
    result->peer = best->peer;
    result->next_hop = best->next_hop->address;
    result->origin_asn = attrs->origin_asn();
    result->as_path_length = attrs->as_path().size();
    found = true;
  }
  Unlock();
  return found;
}

}  // namespace ribflow::bench
