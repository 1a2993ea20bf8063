// `ribflow-bench bmp-seed`: the seed scenario (../shared/seeds/000) at RIB level, in one
// process: N routers dump full tables over loopback TCP into the BMP collector and then flap
// their peers, while a thread does RIB lookups flat out. Lookup latency during the dumps and
// during the flaps is compared with the same thread's latency on the full, quiet RIB (idle),
// and the collector's longest socket read gap is reported: what a router would feel.
//
// Phases, on the same connections: dump (Initiation, Peer Ups, full tables, End-of-RIB),
// idle (nothing sent), flaps (Peer Down, Peer Up and a fresh dump, per flap). Each phase ends
// when the collector has applied every message sent so far.
#pragma once

#include <cstdint>
#include <string>

namespace ribflow::bench {

struct BmpSeedConfig {
  std::string table;    // "" = synthetic
  size_t prefixes = 0;  // 0 = the whole table
  int routers = 4;
  int peers = 2;  // per router: a flap takes one down, the other keeps the prefixes routed
  int flaps = 2;  // per router
  int apply_threads = 1;
  double idle_seconds = 5;
  uint64_t seed = 1;
  bool json = false;
};

int RunBmpSeedScenario(const BmpSeedConfig& config);

}  // namespace ribflow::bench
