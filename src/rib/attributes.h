// The route attributes the RIB keeps, and their interned forms.
//
// The RIB stores what flow enrichment and VRF filtering need, nothing more: origin AS, AS path,
// standard, large and route-target extended communities. One attribute set is shared by every
// route that carries it (typically ~250k distinct sets for ~1M prefixes per peer), and next hops
// are interned separately because the same path is often learnt with different next hops.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "common/ip_address.h"

namespace ribflow {

struct LargeCommunity {  // RFC 8092
  uint32_t global_admin = 0;
  uint32_t local_data1 = 0;
  uint32_t local_data2 = 0;
  friend bool operator==(const LargeCommunity&, const LargeCommunity&) = default;
};

// A borrowed view: decoders point it at their scratch buffers, so announcing a route whose
// attributes are already interned allocates nothing.
struct AttributesView {
  uint32_t origin_asn = 0;
  std::span<const uint32_t> as_path;
  std::span<const uint32_t> communities;  // RFC 1997, as 32-bit values
  std::span<const LargeCommunity> large_communities;
  std::span<const uint64_t> route_targets;  // RFC 4360 route-target extended communities
};

// Owning form, for tests, tools and the benchmark.
struct Attributes {
  uint32_t origin_asn = 0;
  std::vector<uint32_t> as_path;
  std::vector<uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  std::vector<uint64_t> route_targets;

  AttributesView view() const {
    return {origin_asn, as_path, communities, large_communities, route_targets};
  }
  friend bool operator==(const Attributes&, const Attributes&) = default;
};

// One interned attribute set: a header and its arrays in a single allocation.
class InternedAttributes {
 public:
  uint32_t origin_asn() const { return origin_asn_; }
  std::span<const uint64_t> route_targets() const {
    return {reinterpret_cast<const uint64_t*>(this + 1), route_targets_size_};
  }
  std::span<const uint32_t> as_path() const {
    return {reinterpret_cast<const uint32_t*>(route_targets().data() + route_targets_size_),
            as_path_size_};
  }
  std::span<const uint32_t> communities() const {
    return {as_path().data() + as_path_size_, communities_size_};
  }
  std::span<const LargeCommunity> large_communities() const {
    return {reinterpret_cast<const LargeCommunity*>(communities().data() + communities_size_),
            large_communities_size_};
  }
  AttributesView view() const {
    return {origin_asn_, as_path(), communities(), large_communities(), route_targets()};
  }
  Attributes ToAttributes() const;

  // Intern pool traits.
  using Object = InternedAttributes;
  using Key = AttributesView;
  static uint64_t Hash(const AttributesView& a);
  static bool Equals(const InternedAttributes& o, const AttributesView& a);
  static InternedAttributes* Create(const AttributesView& a, uint64_t hash);
  static void Destroy(InternedAttributes* o);

  uint64_t hash = 0;
  std::atomic<uint32_t> refs{0};

 private:
  InternedAttributes() = default;
  uint32_t origin_asn_ = 0;
  uint16_t as_path_size_ = 0;
  uint16_t communities_size_ = 0;
  uint16_t large_communities_size_ = 0;
  uint16_t route_targets_size_ = 0;
};
static_assert(sizeof(InternedAttributes) % 8 == 0);

struct InternedNextHop {
  using Object = InternedNextHop;
  using Key = IpAddress;
  static uint64_t Hash(const IpAddress& a);
  static bool Equals(const InternedNextHop& o, const IpAddress& a) { return o.address == a; }
  static InternedNextHop* Create(const IpAddress& a, uint64_t hash);
  static void Destroy(InternedNextHop* o);

  uint64_t hash = 0;
  std::atomic<uint32_t> refs{0};
  IpAddress address;
};

}  // namespace ribflow
