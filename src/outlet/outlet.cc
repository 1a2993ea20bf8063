#include "outlet/outlet.h"

namespace ribflow {

absl::Status OutletConfig::Validate() const {
  if (rib.max_peers == 0 || rib.max_peers > 65535) {
    return absl::InvalidArgumentError("rib.max_peers: between 1 and 65535");
  }
  if (absl::Status status = bmp.Validate(); !status.ok()) return status;
  return http.Validate();
}

Outlet::Outlet(OutletConfig config)
    : config_(std::move(config)),
      rib_(std::make_unique<ribflow::Rib>(config_.rib)),
      collector_(std::make_unique<bmp::Collector>(config_.bmp, rib_.get(), registry_)),
      http_(std::make_unique<http::HttpServer>(config_.http, registry_)),
      api_(std::make_unique<http::Api>(rib_.get(), collector_.get())) {}

Outlet::~Outlet() { Stop(); }

absl::Status Outlet::Start() {
  if (absl::Status status = config_.Validate(); !status.ok()) return status;
  if (absl::Status status = collector_->Start(); !status.ok()) return status;
  api_->Register(*http_);
  http_->Handle("/metrics", http::MetricsHandler(registry_));
  if (absl::Status status = http_->Start(); !status.ok()) {
    collector_->Stop();
    return status;
  }
  started_ = true;
  return absl::OkStatus();
}

void Outlet::Stop() {
  if (!started_) return;
  started_ = false;
  http_->Stop();  // no handler runs once it returns: the API's RIB reader can go
  collector_->Stop();
}

}  // namespace ribflow
