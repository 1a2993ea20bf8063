#include "rib/workload.h"

#include <algorithm>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace ribflow::bench {
namespace {

// Prefix-length histograms of ../shared/data/fulltable-prefixes.txt.gz (its README).
constexpr std::pair<int, uint32_t> kV4Lengths[] = {
    {8, 16},     {9, 14},     {10, 39},     {11, 97},     {12, 306},   {13, 599},
    {14, 1223},  {15, 2249},  {16, 14310},  {17, 9053},   {18, 15072}, {19, 27788},
    {20, 49815}, {21, 57824}, {22, 122384}, {23, 126268}, {24, 741888}};
constexpr std::pair<int, uint32_t> kV6Lengths[] = {
    {19, 1},    {20, 15},    {21, 3},    {22, 6},     {23, 6},    {24, 42},
    {25, 13},   {26, 18},    {27, 19},   {28, 173},   {29, 5532}, {30, 759},
    {31, 360},  {32, 27182}, {33, 5995}, {34, 5884},  {35, 2084}, {36, 10386},
    {37, 1366}, {38, 2836},  {39, 1928}, {40, 24765}, {41, 4874}, {42, 3613},
    {43, 1758}, {44, 26975}, {45, 5090}, {46, 8379},  {47, 9843}, {48, 129950}};
constexpr uint32_t kSyntheticOrigins = 81497;

std::vector<TableEntry> SyntheticTable(std::mt19937_64& rng) {
  std::vector<TableEntry> out;
  absl::flat_hash_set<Prefix> seen;
  // Origins follow a skewed distribution: a few networks originate thousands of prefixes.
  std::discrete_distribution<uint32_t> origin_rank;
  {
    std::vector<double> w(kSyntheticOrigins);
    for (uint32_t i = 0; i < kSyntheticOrigins; ++i) w[i] = 1.0 / (i + 10);
    origin_rank = std::discrete_distribution<uint32_t>(w.begin(), w.end());
  }
  auto add = [&](const Prefix& p) {
    if (seen.insert(p).second) out.push_back({p, 1000 + origin_rank(rng) * 3});
  };
  for (const auto& [length, count] : kV4Lengths) {
    for (uint32_t i = 0; i < count;) {
      // Unicast space, 1.0.0.0 - 223.255.255.255.
      const uint32_t a = 0x01000000u + static_cast<uint32_t>(rng() % (0xdf000000u - 0x01000000u));
      const Prefix p = *Prefix::Make(IpAddress::FromV4(a), length);
      if (seen.contains(p)) continue;
      add(p);
      ++i;
    }
  }
  for (const auto& [length, count] : kV6Lengths) {
    for (uint32_t i = 0; i < count;) {
      uint8_t b[16] = {};
      const uint64_t r = rng();
      b[0] = 0x20 | (r & 0x0f) % 4;  // 2000::/14, as allocated space mostly is
      for (int k = 1; k < 8; ++k) b[k] = static_cast<uint8_t>(r >> (8 * k));
      const Prefix p = *Prefix::Make(IpAddress::FromV6(b), length);
      if (seen.contains(p)) continue;
      add(p);
      ++i;
    }
  }
  // In (address, length) order, as the real file is and as routers dump their tables.
  std::sort(out.begin(), out.end(), [](const TableEntry& a, const TableEntry& b) {
    if (a.prefix.is_v4() != b.prefix.is_v4()) return a.prefix.is_v4();
    return a.prefix < b.prefix;
  });
  return out;
}

// AS path lengths seen on full tables: mostly 3 to 6 hops.
constexpr uint32_t kPathLengthWeights[] = {3, 10, 25, 27, 18, 9, 4, 2, 1, 1};  // lengths 1..10

}  // namespace

absl::StatusOr<Workload> BuildWorkload(const std::string& table_path, size_t lookups,
                                       uint64_t seed) {
  Workload w;
  std::mt19937_64 rng(seed);
  if (table_path.empty()) {
    w.source = "synthetic";
    w.table = SyntheticTable(rng);
  } else {
    auto table = ReadTableFile(table_path);
    if (!table.ok()) return table.status();
    w.source = table_path;
    w.table = std::move(*table);
  }
  // Paths: per origin AS, kVariants paths ending in it.
  absl::flat_hash_map<uint32_t, uint32_t> origins;
  w.origin_index.reserve(w.table.size());
  for (const TableEntry& e : w.table) {
    auto [it, inserted] = origins.try_emplace(e.origin_asn, static_cast<uint32_t>(origins.size()));
    w.origin_index.push_back(it->second);
  }
  std::vector<uint32_t> by_index(origins.size());
  for (const auto& [asn, index] : origins) by_index[index] = asn;
  std::discrete_distribution<int> path_length(std::begin(kPathLengthWeights),
                                              std::end(kPathLengthWeights));
  std::vector<uint32_t> transits(2000);
  for (auto& t : transits) t = 2000 + static_cast<uint32_t>(rng() % 400000);
  const uint32_t upstreams[Workload::kVariants] = {174, 3356, 6939};
  w.paths.resize(origins.size() * Workload::kVariants);
  for (uint32_t o = 0; o < by_index.size(); ++o) {
    for (uint32_t v = 0; v < Workload::kVariants; ++v) {
      Attributes& a = w.paths[o * Workload::kVariants + v];
      a.origin_asn = by_index[o];
      const int length = 1 + path_length(rng);
      if (length > 1) a.as_path.push_back(upstreams[v]);
      for (int i = 2; i < length; ++i) a.as_path.push_back(transits[rng() % transits.size()]);
      a.as_path.push_back(a.origin_asn);
      const int communities = static_cast<int>(rng() % 6);
      for (int i = 0; i < communities; ++i) {
        a.communities.push_back((upstreams[v] << 16) | static_cast<uint32_t>(rng() % 3000));
      }
    }
  }
  // Lookup addresses: a random table entry, random host bits inside it.
  w.lookup_addresses.reserve(lookups);
  for (size_t i = 0; i < lookups; ++i) {
    const Prefix& p = w.table[rng() % w.table.size()].prefix;
    std::array<uint8_t, 16> b = p.address.bytes();
    const int offset = p.is_v4() ? 12 : 0;
    const int bits = p.address.family_bits();
    for (int bit = p.length; bit < bits; ++bit) {
      if (rng() & 1) b[offset + bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
    w.lookup_addresses.push_back(IpAddress::FromV6Bytes(b.data()));
  }
  return w;
}

}  // namespace ribflow::bench
