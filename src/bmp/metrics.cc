#include "bmp/metrics.h"

#include <fmt/format.h>

#include <utility>

namespace ribflow::bmp {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

BmpMetrics::BmpMetrics(prometheus::Registry& registry)
    : messages(BuildCounter()
                   .Name("ribflow_bmp_messages_total")
                   .Help("BMP messages received, by router and message type")
                   .Register(registry)),
      received_bytes(BuildCounter()
                         .Name("ribflow_bmp_received_bytes_total")
                         .Help("Bytes read from BMP sessions, by router")
                         .Register(registry)),
      errors(BuildCounter()
                 .Name("ribflow_bmp_errors_total")
                 .Help("Errors by router, source (bmp, bgp_open, bgp_update, rib) and kind")
                 .Register(registry)),
      update_outcomes(BuildCounter()
                          .Name("ribflow_bmp_update_error_outcomes_total")
                          .Help("UPDATEs with errors by RFC 7606 outcome, by router")
                          .Register(registry)),
      routes(BuildCounter()
                 .Name("ribflow_bmp_routes_total")
                 .Help("Routes (NLRIs) received, by router and what was done with them")
                 .Register(registry)),
      router_routes(BuildGauge()
                        .Name("ribflow_bmp_rib_routes")
                        .Help("Routes in the RIB learnt from each router (live and stale peers)")
                        .Register(registry)),
      peers(BuildGauge()
                .Name("ribflow_bmp_peers")
                .Help("Peers (one per BGP neighbour and RIB) in the RIB, by router and state")
                .Register(registry)),
      queue_bytes(BuildGauge()
                      .Name("ribflow_bmp_queue_bytes")
                      .Help("Bytes read from a router's socket and not yet applied")
                      .Register(registry)),
      read_pauses(BuildCounter()
                      .Name("ribflow_bmp_read_pauses_total")
                      .Help("Times reading a router's socket paused because its queue was full "
                            "(backpressure to TCP)")
                      .Register(registry)),
      read_gap_max(BuildGauge()
                       .Name("ribflow_bmp_read_gap_max_seconds")
                       .Help("Longest time between finishing one read of a router's socket and "
                             "being ready to read it again, since the process started")
                       .Register(registry)),
      read_gap(BuildHistogram()
                   .Name("ribflow_bmp_read_gap_seconds")
                   .Help("Time between finishing one read of a router's socket and being ready "
                         "to read it again")
                   .Register(registry)),
      connections(BuildCounter()
                      .Name("ribflow_bmp_connections_total")
                      .Help("BMP connections, by result (accepted, refused by the allowed "
                            "prefixes, failed)")
                      .Register(registry)),
      sessions(BuildGauge()
                   .Name("ribflow_bmp_sessions")
                   .Help("BMP sessions (router connections) open")
                   .Register(registry)),
      statistics(BuildGauge()
                     .Name("ribflow_bmp_statistic")
                     .Help("Last value of each BMP Statistics Report counter or gauge, by "
                           "router, peer, stat type (IANA number), AFI and SAFI")
                     .Register(registry)) {}

namespace {

constexpr std::string_view kRouteOperationNames[] = {"announced", "withdrawn", "filtered",
                                                     "rejected"};

}  // namespace

RouterMetrics::RouterMetrics(BmpMetrics& families, std::string router)
    : families_(families),
      router_(std::move(router)),
      received_bytes_(families.received_bytes.Add({{"router", router_}})),
      router_routes_(families.router_routes.Add({{"router", router_}})),
      live_peers_(families.peers.Add({{"router", router_}, {"state", "up"}})),
      stale_peers_(families.peers.Add({{"router", router_}, {"state", "stale"}})),
      queue_bytes_(families.queue_bytes.Add({{"router", router_}})),
      read_pauses_(families.read_pauses.Add({{"router", router_}})),
      read_gap_max_(families.read_gap_max.Add({{"router", router_}})),
      read_gap_(families.read_gap.Add(
          {{"router", router_}},
          prometheus::Histogram::BucketBoundaries{0.0001, 0.001, 0.01, 0.1, 1, 10})) {
  for (size_t i = 0; i <= kKnownTypes; ++i) {
    const std::string type = i < kKnownTypes
                                 ? std::string(MessageTypeName(static_cast<MessageType>(i)))
                                 : std::string("unknown");
    messages_[i] = &families.messages.Add({{"router", router_}, {"type", type}});
  }
  for (size_t i = 0; i < kRouteOperationCount; ++i) {
    routes_[i] = &families.routes.Add(
        {{"router", router_}, {"operation", std::string(kRouteOperationNames[i])}});
  }
}

void RouterMetrics::CountError(std::string_view source, std::string_view kind) {
  std::lock_guard lock(mutex_);
  const auto key = std::make_pair(source, kind);
  auto it = errors_.find(key);
  if (it == errors_.end()) {
    prometheus::Counter& counter = families_.errors.Add(
        {{"router", router_}, {"source", std::string(source)}, {"kind", std::string(kind)}});
    it = errors_.emplace(key, &counter).first;
  }
  it->second->Increment();
}

void RouterMetrics::CountUpdateOutcome(bgp::ErrorAction action) {
  const auto index = static_cast<size_t>(action);
  if (action == bgp::ErrorAction::kNone || index >= outcomes_.size()) return;
  std::lock_guard lock(mutex_);
  if (outcomes_[index] == nullptr) {
    outcomes_[index] = &families_.update_outcomes.Add(
        {{"router", router_}, {"action", std::string(bgp::ErrorActionName(action))}});
  }
  outcomes_[index]->Increment();
}

void RouterMetrics::ObserveReadGap(double seconds) {
  read_gap_.Observe(seconds);
  double max = max_read_gap_.load(std::memory_order_relaxed);
  while (seconds > max && !max_read_gap_.compare_exchange_weak(max, seconds)) {
  }
  if (seconds > max) read_gap_max_.Set(seconds);
}

double RouterMetrics::max_read_gap() const { return max_read_gap_.load(std::memory_order_relaxed); }

void RouterMetrics::SetStatistic(const std::string& peer, uint32_t peer_asn, const Stat& stat) {
  if (stat.shape == StatShape::kRaw) return;  // unknown type or length: nothing to show
  std::lock_guard lock(mutex_);
  auto key = std::make_tuple(peer, stat.type, stat.afi, stat.safi);
  auto it = statistics_.find(key);
  if (it == statistics_.end()) {
    prometheus::Labels labels{{"router", router_},
                              {"peer", peer},
                              {"peer_asn", std::to_string(peer_asn)},
                              {"stat", std::to_string(stat.type)}};
    if (stat.shape == StatShape::kAfiSafiGauge64) {
      labels.emplace("afi", std::to_string(stat.afi));
      labels.emplace("safi", std::to_string(stat.safi));
    }
    it = statistics_.emplace(std::move(key), &families_.statistics.Add(labels)).first;
  }
  it->second->Set(static_cast<double>(stat.value));
}

void RouterMetrics::RemovePeerStatistics(const std::string& peer) {
  std::lock_guard lock(mutex_);
  for (auto it = statistics_.begin(); it != statistics_.end();) {
    if (std::get<0>(it->first) == peer) {
      families_.statistics.Remove(it->second);
      it = statistics_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ribflow::bmp
