#include "rib/attributes.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/hash/hash.h"
#include "rib/rib_memory.h"

namespace ribflow {
namespace {

template <typename T>
bool SameSpan(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

uint64_t InternedAttributes::Hash(const AttributesView& a) {
  // Interning hashes every announced route's attributes, and the arrays are short (an AS path
  // is 4-40 bytes): one multiply-xorshift pass over 8-byte words with a final avalanche costs
  // a fraction of a general-purpose hash per array. Sizes are mixed in, so [1,2][3] !=
  // [1][2,3]. Equality is still checked in full; this only spreads the keys.
  uint64_t h = 0x243f6a8885a308d3ULL ^ a.origin_asn;
  auto mix = [&h](uint64_t word) {
    h = (h ^ word) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  };
  auto mix_bytes = [&](const void* data, size_t size) {
    mix(size);
    const auto* p = static_cast<const unsigned char*>(data);
    for (; size >= 8; size -= 8, p += 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      mix(word);
    }
    if (size > 0) {
      uint64_t tail = 0;
      std::memcpy(&tail, p, size);
      mix(tail);
    }
  };
  mix_bytes(a.as_path.data(), a.as_path.size_bytes());
  mix_bytes(a.communities.data(), a.communities.size_bytes());
  mix_bytes(a.large_communities.data(), a.large_communities.size_bytes());
  mix_bytes(a.route_targets.data(), a.route_targets.size_bytes());
  // MurmurHash3's finalizer: every input bit reaches the low bits (the hash set's slot tag)
  // and the top bits (the intern pool's shard).
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

bool InternedAttributes::Equals(const InternedAttributes& o, const AttributesView& a) {
  return o.origin_asn_ == a.origin_asn && SameSpan(o.as_path(), a.as_path) &&
         SameSpan(o.communities(), a.communities) && SameSpan(o.route_targets(), a.route_targets) &&
         SameSpan(o.large_communities(), a.large_communities);
}

InternedAttributes* InternedAttributes::Create(const AttributesView& a, uint64_t hash) {
  // Sizes are bounded by what a BGP UPDATE can carry (4096 bytes, 65535 with RFC 8654), so
  // 16-bit counts suffice; longer inputs are truncated rather than overflowing.
  auto clamp = [](size_t n) { return static_cast<uint16_t>(std::min<size_t>(n, 0xffff)); };
  const uint16_t rt = clamp(a.route_targets.size()), path = clamp(a.as_path.size()),
                 comm = clamp(a.communities.size()), large = clamp(a.large_communities.size());
  const size_t bytes = sizeof(InternedAttributes) + rt * sizeof(uint64_t) +
                       (path + comm) * sizeof(uint32_t) + large * sizeof(LargeCommunity);
  auto* o = new (RibAllocate(bytes)) InternedAttributes();
  o->hash = hash;
  o->origin_asn_ = a.origin_asn;
  o->route_targets_size_ = rt;
  o->as_path_size_ = path;
  o->communities_size_ = comm;
  o->large_communities_size_ = large;
  // memcpy's source must not be null even for zero bytes, and empty spans may have no data.
  auto copy = [](auto* to, auto from, size_t n) {
    if (n) std::memcpy(to, from.data(), n * sizeof(*to));
  };
  copy(const_cast<uint64_t*>(o->route_targets().data()), a.route_targets, rt);
  copy(const_cast<uint32_t*>(o->as_path().data()), a.as_path, path);
  copy(const_cast<uint32_t*>(o->communities().data()), a.communities, comm);
  copy(const_cast<LargeCommunity*>(o->large_communities().data()), a.large_communities, large);
  return o;
}

void InternedAttributes::Destroy(InternedAttributes* o) {
  o->~InternedAttributes();
  RibFree(o);
}

Attributes InternedAttributes::ToAttributes() const {
  Attributes a;
  a.origin_asn = origin_asn_;
  a.as_path.assign(as_path().begin(), as_path().end());
  a.communities.assign(communities().begin(), communities().end());
  a.large_communities.assign(large_communities().begin(), large_communities().end());
  a.route_targets.assign(route_targets().begin(), route_targets().end());
  return a;
}

void InternedNextHop::Destroy(InternedNextHop* o) {
  o->~InternedNextHop();
  RibFree(o);
}

uint64_t InternedNextHop::Hash(const IpAddress& a) { return absl::HashOf(a); }

InternedNextHop* InternedNextHop::Create(const IpAddress& a, uint64_t hash) {
  auto* o = new (RibAllocate(sizeof(InternedNextHop))) InternedNextHop();
  o->hash = hash;
  o->address = a;
  return o;
}

}  // namespace ribflow
