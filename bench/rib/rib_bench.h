// `ribflow-bench rib`: ribflow's RIB and the global-lock baseline, one after the other in one
// process, on the same table, paths and lookup addresses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ribflow::bench {

struct RibBenchConfig {
  std::string table;  // "" = synthetic
  std::vector<std::string> impls = {"ribflow", "global-lock"};
  int peers = 10;  // peers holding the full table
  int readers = 1;
  std::vector<int> writers = {0, 1};  // one concurrent phase per value
  double seconds = 5;
  bool json = false;
  uint64_t seed = 1;
  size_t lookup_addresses = 1 << 22;
};

int RunRibBench(const RibBenchConfig& config);

}  // namespace ribflow::bench
