// The BMP stream `ribflow-bench bmp` plays: what N routers, each monitoring M BGP peers that
// send a full table, send a collector (RFC 7854, BMP version 3), encoded ahead of time so that
// sending it is nothing but write().
//
// Per router, in order:
//   1. Initiation (sysDescr, sysName).
//   2. Per peer: Peer Up (both OPENs: 4-octet AS, multiprotocol IPv4 and IPv6 unicast, route
//      refresh, optionally ADD-PATH), the peer's whole table as Route Monitoring messages
//      (pre-policy Adj-RIB-In), then End-of-RIB for IPv4 and IPv6 unicast.
//   3. Churn: per peer, `churn` random prefixes re-announced with changed attributes (one
//      prefix per UPDATE, as churn arrives) or withdrawn (withdraw_percent of them; a withdrawn
//      prefix drawn again is announced again), the peers interleaved.
//   4. Flaps: `flaps` times, peer (flap % M) goes down (Peer Down reason 2, FSM event), comes
//      back up (Peer Up) and dumps its current table again (with End-of-RIB).
//
// The table: the prefixes of a table file (common/table_file.h, "PREFIX ASN") or the synthetic
// table of the RIB benchmark (same size and prefix-length distribution). Attributes are made
// up per peer and origin AS, deterministic from the seed: AS paths of 2-6 ASNs starting with
// the peer's AS and ending in the origin AS, MED on some, 0-6 communities, large communities
// on some, the peer's next hop; about kAttributeSetsPerMillion distinct attribute sets per
// million prefixes, assigned so that neighbouring prefixes of one origin share a set. Like
// Juniper and Cisco, an UPDATE packs consecutive prefixes that share attributes up to the
// 4096-byte BGP limit (or prefixes_per_update of them; 1 is what FRR sends). IPv4 prefixes go
// in the UPDATE's NLRI field, IPv6 ones in MP_REACH_NLRI.
//
// Every router sends the same bytes apart from its Initiation (the per-peer parts are encoded
// once and shared): routers are told apart by the collector by their source address, so this
// costs the collectors nothing and keeps memory at one copy of M tables whatever N is.
//
// Threading model: BuildBmpStream is a pure function; a BmpStream is immutable once built and may
// be read by any number of threads (one sender thread per router).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ip_address.h"

namespace ribflow::bench {

// Distinct attribute sets per million prefixes of one peer: what full-table peers show.
inline constexpr uint64_t kAttributeSetsPerMillion = 250'000;

struct BmpStreamConfig {
  std::string table;  // table file; "" = synthetic
  // Use only this many prefixes of the table (evenly spread over it, IPv4 and IPv6 alike);
  // 0 = all.
  size_t prefixes = 0;
  int routers = 1;
  int peers = 1;                // per router
  int add_path = 0;             // ADD-PATH (RFC 7911) with this many paths per prefix; 0 = off
  int prefixes_per_update = 0;  // most NLRIs per UPDATE; 0 = as many as fit in 4096 bytes
  uint64_t churn = 0;           // churn events per peer
  int withdraw_percent = 10;    // of the churn events: withdrawals
  int flaps = 0;                // per router
  uint64_t seed = 1;

  absl::Status Validate() const;
};

// A run of whole BMP messages and what they carry.
struct BmpSegment {
  std::string name;  // "initiation", "peer 3 dump", "churn", "flap 2"
  std::vector<uint8_t> bytes;
  uint64_t messages = 0;
  uint64_t route_monitoring = 0;  // Route Monitoring messages (UPDATEs), End-of-RIB included
  uint64_t end_of_ribs = 0;
  uint64_t announced = 0;  // NLRIs announced (with ADD-PATH, one per path)
  uint64_t withdrawn = 0;  // NLRIs withdrawn
  uint64_t peer_ups = 0;
  uint64_t peer_downs = 0;
};

// What one router sends, in order.
struct BmpRouterStream {
  IpAddress source;  // the address the router connects from: 127.0.0.(10+i)
  std::string sys_name;
  std::vector<std::shared_ptr<const BmpSegment>> segments;
  // Totals over the segments.
  uint64_t bytes = 0;
  uint64_t messages = 0;
  uint64_t route_monitoring = 0;
  uint64_t announced = 0;
  uint64_t withdrawn = 0;
  uint64_t peer_ups = 0;
  uint64_t peer_downs = 0;
  // Routes the router's peers hold once the whole stream is applied (with ADD-PATH, paths).
  uint64_t final_routes = 0;
};

struct BmpStream {
  BmpStreamConfig config;
  std::string source;  // the table file, or "synthetic"
  size_t ipv4_prefixes = 0;
  size_t ipv6_prefixes = 0;
  size_t origins = 0;                  // distinct origin ASNs
  size_t attribute_sets_per_peer = 0;  // distinct attribute sets in one peer's initial table
  double table_seconds = 0;            // loading or generating the table
  double encode_seconds = 0;           // encoding the messages
  std::vector<BmpRouterStream> routers;

  size_t prefixes() const { return ipv4_prefixes + ipv6_prefixes; }
  // Sums over routers.
  uint64_t bytes() const;
  uint64_t messages() const;
  uint64_t announced() const;
  uint64_t withdrawn() const;
  uint64_t final_routes() const;
  // Bytes held (segments shared by routers counted once).
  uint64_t memory_bytes() const;
};

// The source address of router `index`: 127.0.0.10 + index (loopback accepts any 127/8).
IpAddress BmpRouterSource(int index);

absl::StatusOr<BmpStream> BuildBmpStream(const BmpStreamConfig& config);

}  // namespace ribflow::bench
