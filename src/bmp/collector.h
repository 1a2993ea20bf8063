// Collector: the BMP listener. Accepts routers over TCP and feeds their sessions to the RIB.
//
// Threads and queues (the design goal: reading a router's socket never waits behind RIB work
// for long, seeds/000):
// - One I/O thread (asio) accepts connections and reads every socket, in chunks of read_chunk
//   bytes, into the connection's queue. It does nothing else, so a socket is read again as
//   soon as the kernel has bytes for it.
// - apply_threads applier threads frame, decode and apply the queued bytes (RouterSession),
//   each with its own Rib::Writer. A router is always served by the same applier (chosen by
//   its address), so its messages are applied in order; several routers apply in parallel,
//   and routers sharing an applier take turns of 256 KiB.
// - Backpressure: a router's queue holds at most queue_bytes. When it is full, its socket is
//   not read until the applier has freed room for one read (counted in
//   ribflow_bmp_read_pauses_total): TCP then slows the router down to the pace of the RIB,
//   which only happens when the RIB truly cannot keep up, and reads go on in small steps. The time
//   between finishing a read and being ready for the next one is measured per socket
//   (ribflow_bmp_read_gap_seconds, _max_seconds).
// - One housekeeping thread flushes peers whose keep time ran out, sweeps flushed peers'
//   routes out of the RIB in bounded steps, and refreshes gauges.
// A router is identified by its source address. A new connection from a router that is still
// connected replaces the old one; it starts being read once the old one is closed (its peers
// marked stale), so that the new session's Peer Ups revive them.
//
// Threading model: Start/Stop from one thread; Routers() and the accessors from any thread.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bmp/metrics.h"
#include "bmp/session.h"
#include "common/endpoint.h"
#include "rib/rib.h"

namespace ribflow::bmp {

struct CollectorConfig {
  std::string listen = "0.0.0.0:10179";
  // SO_RCVBUF for router sockets; 0 keeps the kernel's default (the kernel caps it at
  // net.core.rmem_max).
  int receive_buffer = 4 << 20;
  // Source prefixes routers may connect from; empty allows any.
  std::vector<Prefix> allowed_prefixes;
  // Bytes read from one router and not yet applied, at most (backpressure above it).
  size_t queue_bytes = 64 << 20;
  size_t read_chunk = 64 << 10;
  int apply_threads = 1;
  // Prefixes the housekeeping thread visits per sweep step (no lock held between steps).
  size_t sweep_budget = 4096;
  SessionConfig session;

  absl::Status Validate() const;
};

// What the API shows of a router: its current or last session.
struct RouterStatus {
  SessionInfo session;
  bool connected = false;
  std::chrono::system_clock::time_point since{};  // connected or disconnected at
  uint64_t queue_bytes = 0;
  double max_read_gap_seconds = 0;
  // From the RIB: its peers (one per BGP neighbour and RIB kind) and their routes.
  size_t live_peers = 0;
  size_t stale_peers = 0;
  int64_t routes = 0;
};

class Collector {
 public:
  Collector(CollectorConfig config, ribflow::Rib* rib, prometheus::Registry& registry);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Binds the listener and starts the threads; an error if the address cannot be bound.
  absl::Status Start();
  // Closes every session (their peers become stale, as for a disconnect) and joins the threads.
  void Stop();
  // The bound port (useful with port 0).
  uint16_t port() const;

  std::vector<RouterStatus> Routers() const;
  // The longest read gap of any socket since Start.
  double max_read_gap_seconds() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ribflow::bmp
