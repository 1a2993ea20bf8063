// The BMP collector's metrics (ribflow_bmp_*), declared in one place.
//
// BmpMetrics holds the metric families, registered once per process. RouterMetrics holds one
// router's series, looked up once when its session starts, so that the per-message path only
// adds to counters it already points at (an atomic add each; per-route counts are summed per
// message first). Series whose label values come from the wire (error kinds, statistics
// types, peers) are created on first use; a router's peer series go when the peer goes down.
//
// Threading model: prometheus-cpp metrics are thread-safe. A RouterMetrics is used by its
// session's applier thread and by the housekeeping thread (gauges), never freed while either
// runs: the collector keeps it for the router's lifetime in the process.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "bgp/error.h"
#include "bmp/message.h"

namespace ribflow::bmp {

struct BmpMetrics {
  explicit BmpMetrics(prometheus::Registry& registry);

  prometheus::Family<prometheus::Counter>& messages;         // {router, type}
  prometheus::Family<prometheus::Counter>& received_bytes;   // {router}
  prometheus::Family<prometheus::Counter>& errors;           // {router, source, kind}
  prometheus::Family<prometheus::Counter>& update_outcomes;  // {router, action}
  prometheus::Family<prometheus::Counter>& routes;           // {router, operation}
  prometheus::Family<prometheus::Gauge>& router_routes;      // {router}
  prometheus::Family<prometheus::Gauge>& peers;              // {router, state}
  prometheus::Family<prometheus::Gauge>& queue_bytes;        // {router}
  prometheus::Family<prometheus::Counter>& read_pauses;      // {router}
  prometheus::Family<prometheus::Gauge>& read_gap_max;       // {router}
  prometheus::Family<prometheus::Histogram>& read_gap;       // {router}
  prometheus::Family<prometheus::Counter>& connections;      // {result}
  prometheus::Family<prometheus::Gauge>& sessions;           // {}
  prometheus::Family<prometheus::Gauge>& statistics;  // {router, peer, peer_asn, stat, afi, safi}
};

// Route operations counted per router.
enum class RouteOperation : uint8_t {
  kAnnounced,  // applied to the RIB
  kWithdrawn,  // applied to the RIB (whether or not the route was there)
  kFiltered,   // left out by the import policy (RIB kind, RD, route target)
  kRejected,   // the RIB refused it (peer or next-hop limit)
};
inline constexpr int kRouteOperationCount = 4;

class RouterMetrics {
 public:
  RouterMetrics(BmpMetrics& families, std::string router);
  RouterMetrics(const RouterMetrics&) = delete;
  RouterMetrics& operator=(const RouterMetrics&) = delete;

  const std::string& router() const { return router_; }
  void CountMessage(MessageType type) {
    const auto index = static_cast<size_t>(type);
    messages_[index < kKnownTypes ? index : kKnownTypes]->Increment();
  }
  void CountBytes(size_t bytes) { received_bytes_.Increment(static_cast<double>(bytes)); }
  void CountRoutes(RouteOperation operation, size_t count) {
    if (count != 0) routes_[static_cast<size_t>(operation)]->Increment(static_cast<double>(count));
  }
  // Error paths: may create a series (once per source and kind). Both must be static strings
  // (the names of the codecs' error kinds, literals): they are kept as keys.
  void CountError(std::string_view source, std::string_view kind);
  void CountUpdateOutcome(bgp::ErrorAction action);

  prometheus::Gauge& routes() { return router_routes_; }
  prometheus::Gauge& live_peers() { return live_peers_; }
  prometheus::Gauge& stale_peers() { return stale_peers_; }
  prometheus::Gauge& queue_bytes() { return queue_bytes_; }
  prometheus::Counter& read_pauses() { return read_pauses_; }
  // Records one gap between two reads of the router's socket.
  void ObserveReadGap(double seconds);
  double max_read_gap() const;

  // A statistics-report value of one peer (label values from the wire, so created on demand).
  void SetStatistic(const std::string& peer, uint32_t peer_asn, const Stat& stat);
  // Removes a peer's statistics series (the peer went down).
  void RemovePeerStatistics(const std::string& peer);

 private:
  static constexpr size_t kKnownTypes = 7;  // RFC 7854 types 0-6; the last slot counts others
  BmpMetrics& families_;
  const std::string router_;
  std::array<prometheus::Counter*, kKnownTypes + 1> messages_{};
  std::array<prometheus::Counter*, kRouteOperationCount> routes_{};
  prometheus::Counter& received_bytes_;
  prometheus::Gauge& router_routes_;
  prometheus::Gauge& live_peers_;
  prometheus::Gauge& stale_peers_;
  prometheus::Gauge& queue_bytes_;
  prometheus::Counter& read_pauses_;
  prometheus::Gauge& read_gap_max_;
  prometheus::Histogram& read_gap_;
  std::atomic<double> max_read_gap_{0};
  std::mutex mutex_;  // error and statistics series, created off the per-route path
  std::map<std::pair<std::string_view, std::string_view>, prometheus::Counter*> errors_;
  std::array<prometheus::Counter*, 4> outcomes_{};
  std::map<std::tuple<std::string, uint16_t, uint16_t, uint8_t>, prometheus::Gauge*> statistics_;
};

}  // namespace ribflow::bmp
