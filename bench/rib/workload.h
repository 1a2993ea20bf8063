// What the RIB benchmark plays: a full table (real or synthetic), AS paths for it, and the
// addresses lookups ask for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/table_file.h"
#include "rib/attributes.h"

namespace ribflow::bench {

struct Workload {
  std::string source;  // the file, or "synthetic"
  std::vector<TableEntry> table;
  // Attribute sets: kVariants per origin AS (a peer sees variant peer % kVariants), so the
  // same path is shared by several peers, as full-table peers of one network share paths.
  static constexpr uint32_t kVariants = 3;
  std::vector<Attributes> paths;
  std::vector<uint32_t> origin_index;  // per table entry: its origin's index into paths
  std::vector<IpAddress> lookup_addresses;

  const Attributes& PathFor(size_t entry, uint32_t variant) const {
    return paths[origin_index[entry] * kVariants + variant % kVariants];
  }
};

// Loads `table_path` ("" = synthetic: same size and prefix-length distribution as the real
// file, see docs/rib.md) and builds paths and `lookups` lookup addresses from `seed`.
absl::StatusOr<Workload> BuildWorkload(const std::string& table_path, size_t lookups,
                                       uint64_t seed);

}  // namespace ribflow::bench
