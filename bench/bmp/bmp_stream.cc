#include "bmp/bmp_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <random>
#include <span>
#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "bgp/message.h"
#include "bgp/open.h"
#include "bgp/update.h"
#include "bmp/message.h"
#include "rib/workload.h"

namespace ribflow::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// --- Bytes ---------------------------------------------------------------------------------

// Appends big-endian integers to a buffer; lengths are written as placeholders and patched
// once what they cover is written.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>* out) : out_(out) {}

  size_t size() const { return out_->size(); }
  void U8(uint32_t v) { out_->push_back(static_cast<uint8_t>(v)); }
  void U16(uint32_t v) {
    U8(v >> 8);
    U8(v);
  }
  void U32(uint32_t v) {
    U16(v >> 16);
    U16(v);
  }
  void U64(uint64_t v) {
    U32(static_cast<uint32_t>(v >> 32));
    U32(static_cast<uint32_t>(v));
  }
  void Bytes(std::span<const uint8_t> bytes) {
    out_->insert(out_->end(), bytes.begin(), bytes.end());
  }
  void Fill(size_t n, uint8_t value) { out_->insert(out_->end(), n, value); }
  void PatchU8(size_t at, size_t v) { (*out_)[at] = static_cast<uint8_t>(v); }
  void PatchU16(size_t at, size_t v) {
    (*out_)[at] = static_cast<uint8_t>(v >> 8);
    (*out_)[at + 1] = static_cast<uint8_t>(v);
  }
  void PatchU32(size_t at, size_t v) {
    PatchU16(at, v >> 16);
    PatchU16(at + 2, v & 0xffff);
  }

 private:
  std::vector<uint8_t>* out_;
};

// --- Who sends what ------------------------------------------------------------------------

// The monitored router: one BGP speaker, the same in every router's stream (routers are told
// apart by the collector by source address).
constexpr uint32_t kRouterAsn = 65000;
constexpr uint32_t kRouterAddress = 0x0a000001;  // 10.0.0.1, also its BGP identifier
constexpr uint16_t kHoldTime = 90;
// RFC 4271 section 8.1.3, Event 10: HoldTimer_Expires. The FSM event of the flaps' Peer Downs.
constexpr uint16_t kFsmEventHoldTimerExpires = 10;

// Transit providers first, as a router's full-table peers usually are; then 4-byte ASNs.
constexpr uint32_t kPeerAsns[] = {174, 3356, 1299, 6939, 2914, 3257, 6453, 6762, 3491, 6461};

struct PeerSpec {
  int index = 0;
  uint32_t address = 0;  // IPv4, host order; also the BGP identifier and the IPv4 next hop
  uint32_t asn = 0;
  std::array<uint8_t, 16> next_hop_v6{};
  uint16_t remote_port = 0;
};

PeerSpec MakePeer(int index) {
  PeerSpec p;
  p.index = index;
  p.address = 0x0a010001u + static_cast<uint32_t>(index);  // 10.1.0.1 + index
  p.asn = index < static_cast<int>(std::size(kPeerAsns)) ? kPeerAsns[index]
                                                         : 200000u + static_cast<uint32_t>(index);
  // 2001:db8:ffff::(index+1)
  p.next_hop_v6 = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff};
  const uint32_t host = static_cast<uint32_t>(index) + 1;
  p.next_hop_v6[12] = static_cast<uint8_t>(host >> 24);
  p.next_hop_v6[13] = static_cast<uint8_t>(host >> 16);
  p.next_hop_v6[14] = static_cast<uint8_t>(host >> 8);
  p.next_hop_v6[15] = static_cast<uint8_t>(host);
  p.remote_port = static_cast<uint16_t>(30000 + index % 30000);
  return p;
}

// --- Attributes ----------------------------------------------------------------------------

// Which attribute set a route carries. Equal keys (for one peer) mean equal attributes, which
// is what lets consecutive prefixes share an UPDATE.
struct AttrKey {
  uint32_t origin = 0;      // index into Table::origin_asns
  uint32_t variant = 0;     // which of the origin's sets (see AssignVariants)
  uint32_t generation = 0;  // churn: bumped each time the route is re-announced
  uint32_t path = 0;        // ADD-PATH: which path of the prefix
  friend bool operator==(const AttrKey&, const AttrKey&) = default;
};

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t seed, std::initializer_list<uint64_t> values) {
  uint64_t h = Mix(seed);
  for (uint64_t v : values) h = Mix(h ^ v);
  return h;
}

// Picks an index by weights from a 64-bit hash.
template <size_t N>
int Pick(uint64_t h, const std::array<uint32_t, N>& weights) {
  uint32_t total = 0;
  for (uint32_t w : weights) total += w;
  uint32_t r = static_cast<uint32_t>(h % total);
  for (size_t i = 0; i < N; ++i) {
    if (r < weights[i]) return static_cast<int>(i);
    r -= weights[i];
  }
  return static_cast<int>(N - 1);
}

// AS path lengths 2..6 (the peer's AS ... the origin AS).
constexpr std::array<uint32_t, 5> kPathLengthWeights = {15, 35, 30, 14, 6};
// 0..6 standard communities.
constexpr std::array<uint32_t, 7> kCommunityCountWeights = {25, 15, 20, 15, 10, 8, 7};

// The attributes of one set, encoded: those with type codes below MP_REACH_NLRI (14), and
// those above it, so that an IPv6 UPDATE keeps the RFC 4271 order (sorted by type code).
struct EncodedAttributes {
  std::vector<uint8_t> low;   // ORIGIN, AS_PATH, [NEXT_HOP], [MED], [COMMUNITIES]
  std::vector<uint8_t> high;  // [LARGE_COMMUNITY]
};

class AttributeEncoder {
 public:
  AttributeEncoder(uint64_t seed, std::vector<uint32_t> origin_asns)
      : seed_(seed), origin_asns_(std::move(origin_asns)) {
    std::mt19937_64 rng(seed ^ 0x7472616e73697473ull);
    transits_.resize(2000);
    for (size_t i = 0; i < transits_.size(); ++i) {
      // A few large transit networks appear often, like in real paths.
      transits_[i] = i < std::size(kPeerAsns) * 10 ? kPeerAsns[i % std::size(kPeerAsns)]
                                                   : 2000 + static_cast<uint32_t>(rng() % 400000);
    }
  }

  void Encode(const PeerSpec& peer, const AttrKey& key, bool v4, EncodedAttributes* out) const {
    out->low.clear();
    out->high.clear();
    Writer w(&out->low);
    const uint32_t origin_asn = origin_asns_[key.origin];
    // The path depends on the origin and on every third variant (the others differ in
    // communities only), and on the ADD-PATH path.
    const uint64_t hp =
        Hash(seed_, {1, static_cast<uint64_t>(peer.index), origin_asn, key.variant / 3, key.path});
    const uint64_t hc =
        Hash(seed_, {2, static_cast<uint64_t>(peer.index), origin_asn, key.variant, key.path});

    // ORIGIN: IGP mostly, INCOMPLETE for redistributed routes.
    Attribute(w, kWellKnown, bgp::AttributeType::kOrigin, 1);
    w.U8(static_cast<uint8_t>(hp % 100 < 85 ? bgp::Origin::kIgp : bgp::Origin::kIncomplete));

    // AS_PATH, one AS_SEQUENCE of 4-byte ASNs: the peer's AS (prepended once or twice by churn
    // generations), transits, the origin AS.
    const int length = 2 + Pick(hp >> 8, kPathLengthWeights);
    const int prepends = static_cast<int>(key.generation % 3);
    const int asns = length + prepends;
    Attribute(w, kWellKnown, bgp::AttributeType::kAsPath, 2 + 4 * asns);
    w.U8(static_cast<uint8_t>(bgp::AsPathSegmentType::kAsSequence));
    w.U8(static_cast<uint8_t>(asns));
    for (int i = 0; i <= prepends; ++i) w.U32(peer.asn);
    for (int i = 0; i < length - 2; ++i) {
      w.U32(transits_[Mix(hp + static_cast<uint64_t>(i)) % transits_.size()]);
    }
    w.U32(origin_asn);

    if (v4) {
      Attribute(w, kWellKnown, bgp::AttributeType::kNextHop, 4);
      w.U32(peer.address);
    }
    if (hc % 100 < 30) {
      Attribute(w, kOptionalNonTransitive, bgp::AttributeType::kMultiExitDisc, 4);
      w.U32(static_cast<uint32_t>((hc >> 8) % 500));
    }

    // COMMUNITIES: the peer's own (location, route type), plus one naming the variant, the
    // ADD-PATH path and the churn generation, which keep every set distinct.
    std::array<uint32_t, 9> communities{};
    size_t count = 0;
    const uint32_t peer16 = peer.asn < 65536 ? peer.asn : 64512;
    const int own = Pick(hc >> 16, kCommunityCountWeights);
    for (int i = 0; i < own; ++i) {
      communities[count++] = peer16 << 16 | static_cast<uint32_t>(100 + Mix(hc + i) % 3000);
    }
    if (key.variant > 0) {
      communities[count++] = (65000 + (key.variant >> 16)) << 16 | (key.variant & 0xffff);
    }
    if (key.path > 0) communities[count++] = 65200u << 16 | key.path;
    if (key.generation > 0) communities[count++] = 65300u << 16 | (key.generation & 0xffff);
    if (count > 0) {
      Attribute(w, kOptionalTransitive, bgp::AttributeType::kCommunities, 4 * count);
      for (size_t i = 0; i < count; ++i) w.U32(communities[i]);
    }

    // LARGE_COMMUNITY on a fifth of the sets.
    if ((hc >> 40) % 100 < 20) {
      Writer h(&out->high);
      const int large = 1 + static_cast<int>((hc >> 48) % 2);
      Attribute(h, kOptionalTransitive, bgp::AttributeType::kLargeCommunity,
                size_t{12} * static_cast<size_t>(large));
      for (int i = 0; i < large; ++i) {
        h.U32(peer.asn);
        h.U32(static_cast<uint32_t>(i + 1));
        h.U32(static_cast<uint32_t>(Mix(hc ^ static_cast<uint64_t>(i)) % 1000));
      }
    }
  }

 private:
  static constexpr uint8_t kWellKnown = 0x40;  // transitive
  static constexpr uint8_t kOptionalTransitive = 0xc0;
  static constexpr uint8_t kOptionalNonTransitive = 0x80;

  // Flags, type, 1-byte length (every attribute here is shorter than 256 bytes).
  static void Attribute(Writer& w, uint8_t flags, bgp::AttributeType type, size_t length) {
    w.U8(flags);
    w.U8(static_cast<uint8_t>(type));
    w.U8(static_cast<uint8_t>(length));
  }

  uint64_t seed_;
  std::vector<uint32_t> origin_asns_;
  std::vector<uint32_t> transits_;
};

// --- The table -----------------------------------------------------------------------------

struct Table {
  std::vector<Prefix> prefixes;       // IPv4 first, then IPv6, each in address order
  std::vector<uint32_t> origin;       // per prefix: index into origin_asns
  std::vector<uint32_t> variant;      // per prefix: which of its origin's attribute sets
  std::vector<uint32_t> origin_asns;  // per origin index
  size_t ipv4 = 0;
  size_t attribute_sets = 0;  // distinct (origin, variant)
};

// Gives each origin's prefixes (in table order) about kAttributeSetsPerMillion sets per
// million prefixes over the table: origin o with n prefixes gets max(1, round(n * r)) sets,
// r chosen so that the total hits the target, each set covering a contiguous run of the
// origin's prefixes (neighbouring prefixes of one network usually share attributes).
void AssignVariants(Table* t) {
  std::vector<uint32_t> counts(t->origin_asns.size(), 0);
  for (uint32_t o : t->origin) ++counts[o];
  const double target =
      static_cast<double>(t->prefixes.size()) * kAttributeSetsPerMillion / 1'000'000.0;
  auto sets_for = [](uint32_t n, double r) {
    return std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(n * r)));
  };
  auto total_for = [&](double r) {
    double total = 0;
    for (uint32_t n : counts) total += sets_for(n, r);
    return total;
  };
  double lo = 0, hi = 1;
  for (int i = 0; i < 40; ++i) {
    const double mid = (lo + hi) / 2;
    (total_for(mid) < target ? lo : hi) = mid;
  }
  std::vector<uint32_t> sets(counts.size());
  t->attribute_sets = 0;
  for (size_t o = 0; o < counts.size(); ++o) {
    sets[o] = counts[o] == 0 ? 0 : std::min(counts[o], sets_for(counts[o], hi));
    t->attribute_sets += sets[o];
  }
  std::vector<uint32_t> seen(counts.size(), 0);
  t->variant.resize(t->prefixes.size());
  for (size_t i = 0; i < t->prefixes.size(); ++i) {
    const uint32_t o = t->origin[i];
    t->variant[i] =
        static_cast<uint32_t>(uint64_t{seen[o]++} * sets[o] / std::max<uint32_t>(1, counts[o]));
  }
}

absl::StatusOr<Table> LoadTable(const BmpStreamConfig& config, std::string* source) {
  auto workload = BuildWorkload(config.table, 0, config.seed);
  if (!workload.ok()) return workload.status();
  *source = workload->source;
  const std::vector<TableEntry>& entries = workload->table;
  // Evenly spread sample, in table order (IPv4 first, then IPv6, as the file and the synthetic
  // generator order them).
  std::vector<size_t> picked;
  if (config.prefixes > 0 && config.prefixes < entries.size()) {
    picked.reserve(config.prefixes);
    for (size_t k = 0; k < config.prefixes; ++k)
      picked.push_back(k * entries.size() / config.prefixes);
  } else {
    picked.resize(entries.size());
    for (size_t k = 0; k < entries.size(); ++k) picked[k] = k;
  }
  Table t;
  absl::flat_hash_map<uint32_t, uint32_t> origins;
  t.prefixes.reserve(picked.size());
  t.origin.reserve(picked.size());
  for (size_t k : picked) {
    const TableEntry& e = entries[k];
    auto [it, inserted] =
        origins.try_emplace(e.origin_asn, static_cast<uint32_t>(t.origin_asns.size()));
    if (inserted) t.origin_asns.push_back(e.origin_asn);
    t.prefixes.push_back(e.prefix);
    t.origin.push_back(it->second);
  }
  // Families must not interleave: UPDATEs pack runs of one family.
  if (!std::is_partitioned(t.prefixes.begin(), t.prefixes.end(),
                           [](const Prefix& p) { return p.is_v4(); })) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: IPv4 and IPv6 prefixes are interleaved; the table must list IPv4 first", *source));
  }
  t.ipv4 = static_cast<size_t>(std::count_if(t.prefixes.begin(), t.prefixes.end(),
                                             [](const Prefix& p) { return p.is_v4(); }));
  AssignVariants(&t);
  return t;
}

// --- BMP and BGP messages ------------------------------------------------------------------

// The state of one peer's table: what a dump sends.
struct PeerTable {
  std::vector<uint8_t> alive;        // per prefix: announced (1) or withdrawn (0)
  std::vector<uint32_t> generation;  // per prefix: churn generation of path 0
  uint64_t alive_count = 0;
};

class Encoder {
 public:
  Encoder(const BmpStreamConfig& config, const Table& table, uint32_t timestamp)
      : config_(config),
        table_(table),
        attributes_(config.seed, table.origin_asns),
        timestamp_(timestamp),
        paths_(config.add_path > 0 ? config.add_path : 1) {}

  void Initiation(const std::string& sys_name, BmpSegment* s) const {
    Writer w(&s->bytes);
    const size_t m = BeginBmp(w, bmp::MessageType::kInitiation);
    Tlv(w, bmp::kTlvSysDescr, "ribflow-bench BMP load generator");
    Tlv(w, bmp::kTlvSysName, sys_name);
    EndBmp(w, m);
    ++s->messages;
  }

  // RFC 7854 4.10: per-peer header, local address, ports, sent OPEN, received OPEN.
  void PeerUp(const PeerSpec& peer, BmpSegment* s) const {
    Writer w(&s->bytes);
    const size_t m = BeginBmp(w, bmp::MessageType::kPeerUp);
    PeerHeader(w, peer);
    w.Fill(12, 0);  // IPv4 local address: the last 4 bytes
    w.U32(kRouterAddress);
    w.U16(179);
    w.U16(peer.remote_port);
    Open(w, kRouterAsn, kRouterAddress, bgp::AddPathCapability::kReceive);
    Open(w, peer.asn, peer.address, bgp::AddPathCapability::kSend);
    EndBmp(w, m);
    ++s->messages;
    ++s->peer_ups;
  }

  // RFC 7854 4.9, reason 2: the local system closed the session, FSM event code follows.
  void PeerDown(const PeerSpec& peer, BmpSegment* s) const {
    Writer w(&s->bytes);
    const size_t m = BeginBmp(w, bmp::MessageType::kPeerDown);
    PeerHeader(w, peer);
    w.U8(static_cast<uint8_t>(bmp::PeerDownReason::kLocalFsmEvent));
    w.U16(kFsmEventHoldTimerExpires);
    EndBmp(w, m);
    ++s->messages;
    ++s->peer_downs;
  }

  // The peer's table as it stands, packed, then End-of-RIB for both families.
  void Dump(const PeerSpec& peer, const PeerTable& state, BmpSegment* s) {
    const size_t n = table_.prefixes.size();
    for (int family = 0; family < 2; ++family) {
      const bool v4 = family == 0;
      const size_t begin = v4 ? 0 : table_.ipv4;
      const size_t end = v4 ? table_.ipv4 : n;
      for (int path = 0; path < paths_; ++path) {
        size_t i = begin;
        while (i < end) {
          if (!state.alive[i]) {
            ++i;
            continue;
          }
          const AttrKey key = KeyOf(i, path, state);
          size_t j = i + 1;
          while (j < end && state.alive[j] && KeyOf(j, path, state) == key) ++j;
          Announce(peer, key, v4, i, j, path, s);
          i = j;
        }
      }
      EndOfRib(peer, v4, s);
    }
  }

  // One prefix re-announced: path 0 with its new generation, or every path when it was
  // withdrawn.
  void Reannounce(const PeerSpec& peer, size_t i, bool all_paths, const PeerTable& state,
                  BmpSegment* s) {
    const bool v4 = i < table_.ipv4;
    for (int path = 0; path < (all_paths ? paths_ : 1); ++path) {
      Announce(peer, KeyOf(i, path, state), v4, i, i + 1, path, s);
    }
  }

  // One prefix withdrawn, every path of it.
  void Withdraw(const PeerSpec& peer, size_t i, BmpSegment* s) const {
    const bool v4 = i < table_.ipv4;
    Writer w(&s->bytes);
    const size_t m = BeginBmp(w, bmp::MessageType::kRouteMonitoring);
    PeerHeader(w, peer);
    const size_t u = BeginBgp(w, bgp::MessageType::kUpdate);
    if (v4) {
      const size_t withdrawn_at = w.size();
      w.U16(0);
      for (int path = 0; path < paths_; ++path) Nlri(w, table_.prefixes[i], path);
      w.PatchU16(withdrawn_at, w.size() - withdrawn_at - 2);
      w.U16(0);  // no path attributes
    } else {
      w.U16(0);  // no withdrawn routes
      const size_t attributes_at = w.size();
      w.U16(0);
      w.U8(kOptionalNonTransitiveExtended);
      w.U8(static_cast<uint8_t>(bgp::AttributeType::kMpUnreachNlri));
      const size_t length_at = w.size();
      w.U16(0);
      w.U16(static_cast<uint16_t>(bgp::Afi::kIpv6));
      w.U8(static_cast<uint8_t>(bgp::Safi::kUnicast));
      for (int path = 0; path < paths_; ++path) Nlri(w, table_.prefixes[i], path);
      w.PatchU16(length_at, w.size() - length_at - 2);
      w.PatchU16(attributes_at, w.size() - attributes_at - 2);
    }
    EndBgp(w, u);
    EndBmp(w, m);
    ++s->messages;
    ++s->route_monitoring;
    s->withdrawn += static_cast<uint64_t>(paths_);
  }

 private:
  static constexpr uint8_t kOptionalNonTransitiveExtended = 0x90;  // extended length

  AttrKey KeyOf(size_t i, int path, const PeerTable& state) const {
    return {table_.origin[i], table_.variant[i], path == 0 ? state.generation[i] : 0,
            static_cast<uint32_t>(path)};
  }

  size_t NlriSize(const Prefix& p) const {
    return (config_.add_path > 0 ? 4 : 0) + 1 + (p.length + 7) / 8;
  }
  void Nlri(Writer& w, const Prefix& p, int path) const {
    if (config_.add_path > 0) w.U32(static_cast<uint32_t>(path) + 1);  // RFC 7911 path id
    w.U8(p.length);
    w.Bytes({p.address.family_bytes(), static_cast<size_t>((p.length + 7) / 8)});
  }

  // Prefixes [i, j), all announced, share `key`: as few UPDATEs as the size limit and
  // prefixes_per_update allow.
  void Announce(const PeerSpec& peer, const AttrKey& key, bool v4, size_t i, size_t j, int path,
                BmpSegment* s) {
    attributes_.Encode(peer, key, v4, &scratch_);
    // MP_REACH_NLRI header: flags, type, 2-byte length, AFI, SAFI, next hop length, next hop,
    // reserved.
    const size_t mp_header = v4 ? 0 : 4 + 2 + 1 + 1 + 16 + 1;
    const size_t fixed =
        bgp::kHeaderSize + 2 + 2 + scratch_.low.size() + mp_header + scratch_.high.size();
    const size_t per_update = config_.prefixes_per_update > 0
                                  ? static_cast<size_t>(config_.prefixes_per_update)
                                  : SIZE_MAX;
    Writer w(&s->bytes);
    while (i < j) {
      const size_t m = BeginBmp(w, bmp::MessageType::kRouteMonitoring);
      PeerHeader(w, peer);
      const size_t u = BeginBgp(w, bgp::MessageType::kUpdate);
      w.U16(0);  // no withdrawn routes
      const size_t attributes_at = w.size();
      w.U16(0);
      w.Bytes(scratch_.low);
      size_t length_at = 0;
      if (v4) {
        w.Bytes(scratch_.high);
        w.PatchU16(attributes_at, w.size() - attributes_at - 2);  // the NLRI field follows
      } else {
        w.U8(kOptionalNonTransitiveExtended);
        w.U8(static_cast<uint8_t>(bgp::AttributeType::kMpReachNlri));
        length_at = w.size();
        w.U16(0);
        w.U16(static_cast<uint16_t>(bgp::Afi::kIpv6));
        w.U8(static_cast<uint8_t>(bgp::Safi::kUnicast));
        w.U8(16);
        w.Bytes(peer.next_hop_v6);
        w.U8(0);  // reserved
      }
      size_t bytes = fixed;
      size_t packed = 0;
      // The first prefix always goes in: attributes here stay far below the size limit.
      while (i < j && packed < per_update &&
             (packed == 0 || bytes + NlriSize(table_.prefixes[i]) <= bgp::kMaxMessageSize)) {
        bytes += NlriSize(table_.prefixes[i]);
        Nlri(w, table_.prefixes[i], path);
        ++packed;
        ++i;
      }
      if (!v4) {
        w.PatchU16(length_at, w.size() - length_at - 2);
        w.Bytes(scratch_.high);
        w.PatchU16(attributes_at, w.size() - attributes_at - 2);
      }
      EndBgp(w, u);
      EndBmp(w, m);
      ++s->messages;
      ++s->route_monitoring;
      s->announced += packed;
    }
  }

  // RFC 4724 section 2: an empty UPDATE (IPv4 unicast), or one holding only an empty
  // MP_UNREACH_NLRI.
  void EndOfRib(const PeerSpec& peer, bool v4, BmpSegment* s) const {
    Writer w(&s->bytes);
    const size_t m = BeginBmp(w, bmp::MessageType::kRouteMonitoring);
    PeerHeader(w, peer);
    const size_t u = BeginBgp(w, bgp::MessageType::kUpdate);
    w.U16(0);
    if (v4) {
      w.U16(0);
    } else {
      w.U16(6);
      w.U8(0x80);  // optional, non-transitive
      w.U8(static_cast<uint8_t>(bgp::AttributeType::kMpUnreachNlri));
      w.U8(3);
      w.U16(static_cast<uint16_t>(bgp::Afi::kIpv6));
      w.U8(static_cast<uint8_t>(bgp::Safi::kUnicast));
    }
    EndBgp(w, u);
    EndBmp(w, m);
    ++s->messages;
    ++s->route_monitoring;
    ++s->end_of_ribs;
  }

  // RFC 4271 4.2 with RFC 5492 capabilities: multiprotocol IPv4 and IPv6 unicast, route
  // refresh, 4-octet AS, and ADD-PATH for both families when configured.
  void Open(Writer& w, uint32_t asn, uint32_t identifier, uint8_t add_path_direction) const {
    const size_t o = BeginBgp(w, bgp::MessageType::kOpen);
    w.U8(4);
    w.U16(asn < 65536 ? asn : bgp::kAsTrans);
    w.U16(kHoldTime);
    w.U32(identifier);
    const size_t parameters_at = w.size();
    w.U8(0);
    w.U8(2);  // parameter type: capabilities
    const size_t capabilities_at = w.size();
    w.U8(0);
    for (bgp::Afi afi : {bgp::Afi::kIpv4, bgp::Afi::kIpv6}) {
      w.U8(static_cast<uint8_t>(bgp::CapabilityCode::kMultiprotocol));
      w.U8(4);
      w.U16(static_cast<uint16_t>(afi));
      w.U8(0);
      w.U8(static_cast<uint8_t>(bgp::Safi::kUnicast));
    }
    w.U8(static_cast<uint8_t>(bgp::CapabilityCode::kRouteRefresh));
    w.U8(0);
    w.U8(static_cast<uint8_t>(bgp::CapabilityCode::kFourOctetAs));
    w.U8(4);
    w.U32(asn);
    if (config_.add_path > 0) {
      w.U8(static_cast<uint8_t>(bgp::CapabilityCode::kAddPath));
      w.U8(8);
      for (bgp::Afi afi : {bgp::Afi::kIpv4, bgp::Afi::kIpv6}) {
        w.U16(static_cast<uint16_t>(afi));
        w.U8(static_cast<uint8_t>(bgp::Safi::kUnicast));
        w.U8(add_path_direction);
      }
    }
    w.PatchU8(capabilities_at, w.size() - capabilities_at - 1);
    w.PatchU8(parameters_at, w.size() - parameters_at - 1);
    EndBgp(w, o);
  }

  // RFC 7854 4.1: version, length, type.
  static size_t BeginBmp(Writer& w, bmp::MessageType type) {
    const size_t start = w.size();
    w.U8(bmp::kVersion);
    w.U32(0);
    w.U8(static_cast<uint8_t>(type));
    return start;
  }
  static void EndBmp(Writer& w, size_t start) { w.PatchU32(start + 1, w.size() - start); }

  // RFC 7854 4.2: a global instance peer, IPv4, pre-policy Adj-RIB-In, 4-byte AS_PATH.
  void PeerHeader(Writer& w, const PeerSpec& peer) const {
    w.U8(static_cast<uint8_t>(bmp::PeerType::kGlobalInstance));
    w.U8(0);   // flags
    w.U64(0);  // distinguisher
    w.Fill(12, 0);
    w.U32(peer.address);
    w.U32(peer.asn);
    w.U32(peer.address);  // BGP identifier
    w.U32(timestamp_);
    w.U32(0);
  }

  static size_t BeginBgp(Writer& w, bgp::MessageType type) {
    const size_t start = w.size();
    w.Fill(bgp::kMarkerSize, 0xff);
    w.U16(0);
    w.U8(static_cast<uint8_t>(type));
    return start;
  }
  static void EndBgp(Writer& w, size_t start) {
    w.PatchU16(start + bgp::kMarkerSize, w.size() - start);
  }

  static void Tlv(Writer& w, uint16_t type, std::string_view text) {
    w.U16(type);
    w.U16(static_cast<uint16_t>(text.size()));
    w.Bytes({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }

  const BmpStreamConfig& config_;
  const Table& table_;
  AttributeEncoder attributes_;
  uint32_t timestamp_;
  int paths_;
  EncodedAttributes scratch_;
};

void AddTotals(const BmpSegment& s, BmpRouterStream* r) {
  r->bytes += s.bytes.size();
  r->messages += s.messages;
  r->route_monitoring += s.route_monitoring;
  r->announced += s.announced;
  r->withdrawn += s.withdrawn;
  r->peer_ups += s.peer_ups;
  r->peer_downs += s.peer_downs;
}

}  // namespace

absl::Status BmpStreamConfig::Validate() const {
  if (routers < 1 || routers > 60000) return absl::InvalidArgumentError("routers: 1 to 60000");
  if (peers < 1 || peers > 60000) return absl::InvalidArgumentError("peers: 1 to 60000");
  if (add_path < 0 || add_path > 64) return absl::InvalidArgumentError("add-path: 0 to 64");
  if (prefixes_per_update < 0) return absl::InvalidArgumentError("prefixes-per-update: >= 0");
  if (withdraw_percent < 0 || withdraw_percent > 100) {
    return absl::InvalidArgumentError("withdraw-percent: 0 to 100");
  }
  if (flaps < 0) return absl::InvalidArgumentError("flaps: >= 0");
  return absl::OkStatus();
}

IpAddress BmpRouterSource(int index) {
  return IpAddress::FromV4(0x7f00000au + static_cast<uint32_t>(index));
}

uint64_t BmpStream::bytes() const {
  uint64_t n = 0;
  for (const auto& r : routers) n += r.bytes;
  return n;
}
uint64_t BmpStream::messages() const {
  uint64_t n = 0;
  for (const auto& r : routers) n += r.messages;
  return n;
}
uint64_t BmpStream::announced() const {
  uint64_t n = 0;
  for (const auto& r : routers) n += r.announced;
  return n;
}
uint64_t BmpStream::withdrawn() const {
  uint64_t n = 0;
  for (const auto& r : routers) n += r.withdrawn;
  return n;
}
uint64_t BmpStream::final_routes() const {
  uint64_t n = 0;
  for (const auto& r : routers) n += r.final_routes;
  return n;
}
uint64_t BmpStream::memory_bytes() const {
  std::unordered_set<const BmpSegment*> seen;
  uint64_t n = 0;
  for (const auto& r : routers) {
    for (const auto& s : r.segments) {
      if (seen.insert(s.get()).second) n += s->bytes.capacity();
    }
  }
  return n;
}

absl::StatusOr<BmpStream> BuildBmpStream(const BmpStreamConfig& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  BmpStream stream;
  stream.config = config;

  const auto table_start = SteadyClock::now();
  auto table = LoadTable(config, &stream.source);
  if (!table.ok()) return table.status();
  stream.table_seconds = SecondsSince(table_start);
  stream.ipv4_prefixes = table->ipv4;
  stream.ipv6_prefixes = table->prefixes.size() - table->ipv4;
  stream.origins = table->origin_asns.size();
  const int paths = config.add_path > 0 ? config.add_path : 1;
  stream.attribute_sets_per_peer = table->attribute_sets * static_cast<size_t>(paths);

  const auto encode_start = SteadyClock::now();
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  Encoder encoder(
      config, *table,
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count()));
  const size_t n = table->prefixes.size();
  std::vector<PeerSpec> peers;
  std::vector<PeerTable> states(static_cast<size_t>(config.peers));
  for (int p = 0; p < config.peers; ++p) {
    peers.push_back(MakePeer(p));
    states[p].alive.assign(n, 1);
    states[p].generation.assign(n, 0);
    states[p].alive_count = n;
  }

  // Shared by every router: the peers' Peer Ups and dumps, churn, flaps.
  std::vector<std::shared_ptr<const BmpSegment>> shared;
  for (int p = 0; p < config.peers; ++p) {
    auto s = std::make_shared<BmpSegment>();
    s->name = fmt::format("peer {} up and dump", p);
    encoder.PeerUp(peers[p], s.get());
    encoder.Dump(peers[p], states[p], s.get());
    s->bytes.shrink_to_fit();
    shared.push_back(std::move(s));
  }
  if (config.churn > 0 && n > 0) {
    auto s = std::make_shared<BmpSegment>();
    s->name = "churn";
    std::mt19937_64 rng(config.seed ^ 0x636875726e);
    for (uint64_t e = 0; e < config.churn; ++e) {
      for (int p = 0; p < config.peers; ++p) {
        PeerTable& state = states[p];
        const size_t i = rng() % n;
        const bool withdraw = static_cast<int>(rng() % 100) < config.withdraw_percent;
        if (!state.alive[i]) {
          state.alive[i] = 1;
          ++state.alive_count;
          encoder.Reannounce(peers[p], i, true, state, s.get());
        } else if (withdraw) {
          state.alive[i] = 0;
          --state.alive_count;
          encoder.Withdraw(peers[p], i, s.get());
        } else {
          ++state.generation[i];
          encoder.Reannounce(peers[p], i, false, state, s.get());
        }
      }
    }
    s->bytes.shrink_to_fit();
    shared.push_back(std::move(s));
  }
  for (int f = 0; f < config.flaps; ++f) {
    const int p = f % config.peers;
    auto s = std::make_shared<BmpSegment>();
    s->name = fmt::format("flap {} (peer {})", f, p);
    encoder.PeerDown(peers[p], s.get());
    encoder.PeerUp(peers[p], s.get());
    encoder.Dump(peers[p], states[p], s.get());
    s->bytes.shrink_to_fit();
    shared.push_back(std::move(s));
  }
  uint64_t final_routes = 0;
  for (const PeerTable& state : states)
    final_routes += state.alive_count * static_cast<uint64_t>(paths);

  for (int r = 0; r < config.routers; ++r) {
    BmpRouterStream router;
    router.source = BmpRouterSource(r);
    router.sys_name = fmt::format("bench-router-{}", r);
    auto init = std::make_shared<BmpSegment>();
    init->name = "initiation";
    encoder.Initiation(router.sys_name, init.get());
    router.segments.push_back(std::move(init));
    router.segments.insert(router.segments.end(), shared.begin(), shared.end());
    for (const auto& s : router.segments) AddTotals(*s, &router);
    router.final_routes = final_routes;
    stream.routers.push_back(std::move(router));
  }
  stream.encode_seconds = SecondsSince(encode_start);
  return stream;
}

}  // namespace ribflow::bench
