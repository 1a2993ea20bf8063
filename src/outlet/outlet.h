// Outlet: the service that holds the RIB, feeds it from BMP routers and serves the API.
// (The flow pipeline, Kafka consumer to ClickHouse, joins it later.)
//
// Components, started in dependency order and stopped in reverse: the RIB, the BMP collector
// (rib), the HTTP server (/metrics, /api/v1/... over the RIB and the collector).
//
// Threading model: Start and Stop from one thread; the components run their own threads.
#pragma once

#include <prometheus/registry.h>

#include <memory>

#include "absl/status/status.h"
#include "bmp/collector.h"
#include "http/api.h"
#include "http/server.h"
#include "rib/rib.h"

namespace ribflow {

struct OutletConfig {
  ribflow::Rib::Config rib;
  bmp::CollectorConfig bmp;
  http::HttpServerConfig http;

  absl::Status Validate() const;
};

class Outlet {
 public:
  explicit Outlet(OutletConfig config);
  ~Outlet();
  Outlet(const Outlet&) = delete;
  Outlet& operator=(const Outlet&) = delete;

  absl::Status Start();
  void Stop();

  uint16_t bmp_port() const { return collector_->port(); }
  uint16_t http_port() const { return http_->port(); }
  ribflow::Rib& rib() { return *rib_; }

 private:
  const OutletConfig config_;
  prometheus::Registry registry_;
  std::unique_ptr<ribflow::Rib> rib_;
  std::unique_ptr<bmp::Collector> collector_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<http::Api> api_;
  bool started_ = false;
};

}  // namespace ribflow
