// BmpSender: plays a BmpStream to a collector over TCP, one connection per router, as fast as
// TCP allows.
//
// Each router's connection is bound to the router's own source address (127.0.0.(10+i): a
// collector tells routers apart by source address, and loopback accepts any 127/8 source), so
// the target must be reachable from there (a loopback address). Connect() opens every
// connection first, retrying refused ones until a deadline (the collector may still be
// starting); Start() then releases one thread per router, which writes its segments with
// blocking send()s of up to kWriteChunk bytes. Sending is pure writing: the bytes were encoded
// before. A connection stays open after its last byte, until Close() or destruction: closing
// it would make a collector drop the router (pmbmpd frees the router's RIB on disconnect).
//
// Threading model: Connect/Start/Wait/Abort/Close from one thread; Done() and results() once Wait
// returned, or Done() at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "bmp/bmp_stream.h"
#include "common/endpoint.h"

namespace ribflow::bench {

struct BmpSendResult {
  IpAddress source;
  uint64_t bytes = 0;     // written
  uint64_t messages = 0;  // in the segments written in full
  uint64_t routes = 0;    // NLRIs announced and withdrawn in the segments written in full
  double seconds = 0;     // from Start() to this router's last byte written
  std::string error;      // empty on success
};

// A socket bound to `source` and connected to `target`; refused connections are retried
// until `deadline` (the collector may not listen yet).
absl::StatusOr<int> ConnectFrom(const IpAddress& source, const Endpoint& target,
                                std::chrono::steady_clock::time_point deadline);

class BmpSender {
 public:
  static constexpr size_t kWriteChunk = 4 << 20;

  // Connects every router of `stream` (which must outlive the sender) to `target`.
  static absl::StatusOr<std::unique_ptr<BmpSender>> Connect(const BmpStream& stream,
                                                            const Endpoint& target,
                                                            std::chrono::milliseconds timeout);
  ~BmpSender();
  BmpSender(const BmpSender&) = delete;
  BmpSender& operator=(const BmpSender&) = delete;

  void Start();
  // Every router has written its whole stream (or failed).
  bool Done() const { return finished_.load(std::memory_order_acquire) == fds_.size(); }
  // Joins the threads.
  void Wait();
  // Shuts the connections down, which ends blocked writes (a collector that stopped reading),
  // and joins the threads.
  void Abort();
  // Closes the connections (the collector sees the routers go).
  void Close();

  std::chrono::steady_clock::time_point start_time() const { return start_; }
  // When the last router finished writing; valid once Done().
  std::chrono::steady_clock::time_point end_time() const;
  const std::vector<BmpSendResult>& results() const { return results_; }
  bool ok() const;

 private:
  explicit BmpSender(const BmpStream& stream) : stream_(stream) {}
  void Run(size_t router);

  const BmpStream& stream_;
  std::vector<int> fds_;
  std::vector<BmpSendResult> results_;
  std::vector<std::chrono::steady_clock::time_point> ends_;
  std::vector<std::thread> threads_;
  std::chrono::steady_clock::time_point start_{};
  std::atomic<size_t> finished_{0};
};

}  // namespace ribflow::bench
