#include "bmp/collector.h"

#include <asio.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "absl/hash/hash.h"

namespace ribflow::bmp {

namespace {

using SteadyClock = std::chrono::steady_clock;

IpAddress FromAsio(const asio::ip::address& address) {
  if (address.is_v4()) return IpAddress::FromV4(address.to_v4().to_uint());
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return IpAddress::FromV4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  }
  const asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  return IpAddress::FromV6Bytes(bytes.data());
}

asio::ip::address ToAsio(const IpAddress& address) {
  if (address.is_v4()) return asio::ip::address_v4(address.v4());
  asio::ip::address_v6::bytes_type bytes;
  std::copy(address.bytes().begin(), address.bytes().end(), bytes.begin());
  return asio::ip::address_v6(bytes);
}

// Bytes read from a socket, waiting for the applier.
struct Chunk {
  std::unique_ptr<uint8_t[]> data;
  size_t size = 0;
};

// Chunks kept for reuse per connection: enough for steady streaming, not the whole queue.
constexpr size_t kSpareChunks = 16;
// Bytes an applier takes from one router before giving the others a turn (a few ms of work):
// bounds how long a paused router waits for its applier when several share it.
constexpr size_t kApplyTurnBytes = 256 << 10;

}  // namespace

absl::Status CollectorConfig::Validate() const {
  if (!Endpoint::Parse(listen)) {
    return absl::InvalidArgumentError("bmp.listen: expected ADDR:PORT, got \"" + listen + "\"");
  }
  if (receive_buffer < 0) return absl::InvalidArgumentError("bmp.receive_buffer: negative");
  if (read_chunk < 4096 || read_chunk > (16u << 20)) {
    return absl::InvalidArgumentError("bmp.read_chunk: between 4 KiB and 16 MiB");
  }
  if (queue_bytes < 2 * read_chunk) {
    return absl::InvalidArgumentError("bmp.queue_bytes: at least two read chunks");
  }
  if (apply_threads < 1 || apply_threads > 64) {
    return absl::InvalidArgumentError("bmp.apply_threads: between 1 and 64");
  }
  if (sweep_budget == 0) return absl::InvalidArgumentError("bmp.sweep_budget: at least 1");
  if (session.keep.count() < 0) return absl::InvalidArgumentError("bmp.keep: negative");
  return session.framer.Validate();
}

// One TCP connection from a router.
struct Connection {
  explicit Connection(asio::io_context& io) : socket(io) {}
  asio::ip::tcp::socket socket;
  IpAddress router;
  RouterMetrics* metrics = nullptr;
  std::unique_ptr<RouterSession> session;
  size_t applier = 0;

  std::mutex mutex;  // the queue, shared by the I/O thread and the applier
  std::deque<Chunk> queue;
  std::vector<Chunk> spare;
  size_t queued_bytes = 0;
  bool paused = false;  // the queue is full: the socket is not being read
  bool ended = false;   // no more bytes will come
  std::string end_reason;

  std::atomic<bool> scheduled{false};  // in its applier's ready list

  // I/O thread only.
  Chunk reading;
  SteadyClock::time_point last_read_done{};
  bool has_read = false;

  // Applier only.
  bool failed = false;    // stream error: the rest is discarded
  bool finished = false;  // the session was closed
};

class Collector::Impl {
 public:
  Impl(CollectorConfig config, ribflow::Rib* rib, prometheus::Registry& registry)
      : config_(std::move(config)), rib_(rib), metrics_(registry), acceptor_(io_) {
    accepted_ = &metrics_.connections.Add({{"result", "accepted"}});
    refused_ = &metrics_.connections.Add({{"result", "refused"}});
    failed_ = &metrics_.connections.Add({{"result", "failed"}});
    sessions_ = &metrics_.sessions.Add({});
  }
  ~Impl() {
    try {
      Stop();
    } catch (const std::exception& e) {  // joining a thread failed: nothing left to do
      std::fprintf(stderr, "bmp collector: stopping: %s\n", e.what());
    }
  }

  absl::Status Start();
  void Stop();
  uint16_t port() const { return port_; }
  std::vector<RouterStatus> Routers() const;
  double max_read_gap_seconds() const;

 private:
  struct Applier {
    std::thread thread;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::shared_ptr<Connection>> ready;
    bool stop = false;
  };
  struct RouterEntry {
    std::unique_ptr<RouterMetrics> metrics;
    std::shared_ptr<Connection> active;   // being read and applied
    std::shared_ptr<Connection> waiting;  // newer; starts when `active` has finished
    SessionInfo last_session;
    bool connected = false;
    std::chrono::system_clock::time_point since{};
  };

  void Accept();
  void OnAccepted(asio::ip::tcp::socket socket);
  void StartRead(const std::shared_ptr<Connection>& connection);
  void OnRead(const std::shared_ptr<Connection>& connection, const asio::error_code& error,
              size_t bytes);
  void Schedule(const std::shared_ptr<Connection>& connection);
  void ApplierLoop(Applier* applier);
  void Drain(const std::shared_ptr<Connection>& connection, ribflow::Rib::Writer& writer);
  void Finish(const std::shared_ptr<Connection>& connection);
  void HousekeepingLoop();
  void RefreshGauges();

  const CollectorConfig config_;
  ribflow::Rib* rib_;
  BmpMetrics metrics_;
  prometheus::Counter* accepted_;
  prometheus::Counter* refused_;
  prometheus::Counter* failed_;
  prometheus::Gauge* sessions_;

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread io_thread_;
  std::vector<std::unique_ptr<Applier>> appliers_;
  std::thread housekeeping_;
  std::mutex housekeeping_mutex_;
  std::condition_variable housekeeping_wake_;
  bool started_ = false;
  bool stopping_ = false;  // under housekeeping_mutex_

  mutable std::mutex routers_mutex_;
  std::map<IpAddress, RouterEntry> routers_;
};

absl::Status Collector::Impl::Start() {
  if (absl::Status status = config_.Validate(); !status.ok()) return status;
  const Endpoint endpoint = *Endpoint::Parse(config_.listen);
  const asio::ip::tcp::endpoint bind_to(ToAsio(endpoint.address), endpoint.port);
  asio::error_code error;
  if (acceptor_.open(bind_to.protocol(), error) ||
      acceptor_.set_option(asio::socket_base::reuse_address(true), error)) {
    return absl::InternalError("bmp.listen " + config_.listen + ": " + error.message());
  }
  // Set before listen(): accepted sockets inherit it, and the TCP window scale they negotiate
  // at the handshake depends on it.
  if (config_.receive_buffer > 0) {
    acceptor_.set_option(asio::socket_base::receive_buffer_size(config_.receive_buffer), error);
  }
  if (acceptor_.bind(bind_to, error) ||
      acceptor_.listen(asio::socket_base::max_listen_connections, error)) {
    return absl::UnavailableError("bmp.listen " + config_.listen + ": " + error.message());
  }
  port_ = acceptor_.local_endpoint().port();
  started_ = true;
  for (int i = 0; i < config_.apply_threads; ++i) {
    appliers_.push_back(std::make_unique<Applier>());
    Applier* applier = appliers_.back().get();
    applier->thread = std::thread([this, applier] { ApplierLoop(applier); });
  }
  housekeeping_ = std::thread([this] { HousekeepingLoop(); });
  Accept();
  io_thread_ = std::thread([this] { io_.run(); });
  return absl::OkStatus();
}

void Collector::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  // Stop the I/O thread first: from then on only this thread touches the asio objects (they
  // are not thread-safe). Closing the sockets aborts their reads; poll() runs those handlers,
  // which mark each connection ended.
  io_.stop();
  io_thread_.join();
  {
    asio::error_code ignored;
    acceptor_.close(ignored);
    std::lock_guard lock(routers_mutex_);
    for (auto& [address, entry] : routers_) {
      for (auto* c : {&entry.active, &entry.waiting}) {
        if (*c) (*c)->socket.close(ignored);
      }
    }
  }
  io_.restart();
  io_.poll();
  // Every session ends as for a disconnect; the appliers finish what is queued first.
  {
    std::lock_guard lock(routers_mutex_);
    for (auto& [address, entry] : routers_) {
      entry.waiting.reset();
      if (!entry.active) continue;
      {
        std::lock_guard queue_lock(entry.active->mutex);
        entry.active->ended = true;
        if (entry.active->end_reason.empty()) entry.active->end_reason = "collector stopped";
      }
      Schedule(entry.active);
    }
  }
  for (auto& applier : appliers_) {
    {
      std::lock_guard lock(applier->mutex);
      applier->stop = true;
    }
    applier->wake.notify_all();
    applier->thread.join();
  }
  {
    std::lock_guard lock(housekeeping_mutex_);
    stopping_ = true;
  }
  housekeeping_wake_.notify_all();
  housekeeping_.join();
}

void Collector::Impl::Accept() {
  acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;  // Stop
    if (!error) {
      OnAccepted(std::move(socket));
    } else {
      failed_->Increment();
    }
    Accept();
  });
}

void Collector::Impl::OnAccepted(asio::ip::tcp::socket socket) {
  asio::error_code error;
  const asio::ip::tcp::endpoint remote = socket.remote_endpoint(error);
  if (error) {
    failed_->Increment();
    return;
  }
  const IpAddress router = FromAsio(remote.address());
  if (!config_.allowed_prefixes.empty() &&
      std::none_of(config_.allowed_prefixes.begin(), config_.allowed_prefixes.end(),
                   [&](const Prefix& p) { return p.Contains(router); })) {
    refused_->Increment();
    socket.close(error);
    return;
  }
  accepted_->Increment();
  auto connection = std::make_shared<Connection>(io_);
  connection->socket = std::move(socket);
  connection->router = router;
  connection->applier = absl::Hash<IpAddress>{}(router) % appliers_.size();
  std::lock_guard lock(routers_mutex_);
  RouterEntry& entry = routers_[router];
  if (!entry.metrics) entry.metrics = std::make_unique<RouterMetrics>(metrics_, router.ToString());
  connection->metrics = entry.metrics.get();
  connection->session =
      std::make_unique<RouterSession>(config_.session, router, rib_, entry.metrics.get());
  sessions_->Increment();
  if (entry.active) {
    // The router reconnected before its old connection was seen to end (a half-open TCP
    // session): end the old one; the new one is read once the old one's peers are stale.
    if (entry.waiting) {
      entry.waiting->socket.close(error);
      sessions_->Decrement();
    }
    entry.waiting = connection;
    entry.active->socket.close(error);
    return;
  }
  entry.active = connection;
  entry.connected = true;
  entry.since = std::chrono::system_clock::now();
  StartRead(connection);
}

void Collector::Impl::StartRead(const std::shared_ptr<Connection>& connection) {
  if (connection->has_read) {
    const std::chrono::duration<double> gap = SteadyClock::now() - connection->last_read_done;
    connection->metrics->ObserveReadGap(gap.count());
  }
  if (!connection->reading.data) {
    std::lock_guard lock(connection->mutex);
    if (!connection->spare.empty()) {
      connection->reading = std::move(connection->spare.back());
      connection->spare.pop_back();
    } else {
      connection->reading.data = std::make_unique<uint8_t[]>(config_.read_chunk);
    }
  }
  connection->socket.async_read_some(
      asio::buffer(connection->reading.data.get(), config_.read_chunk),
      [this, connection](const asio::error_code& error, size_t bytes) {
        OnRead(connection, error, bytes);
      });
}

void Collector::Impl::OnRead(const std::shared_ptr<Connection>& connection,
                             const asio::error_code& error, size_t bytes) {
  connection->last_read_done = SteadyClock::now();
  connection->has_read = true;
  bool full = false;
  {
    std::lock_guard lock(connection->mutex);
    if (bytes > 0) {
      connection->reading.size = bytes;
      connection->queued_bytes += bytes;
      connection->queue.push_back(std::move(connection->reading));
      connection->reading = Chunk{};
    }
    if (error) {
      connection->ended = true;
      if (connection->end_reason.empty()) {
        connection->end_reason = error == asio::error::eof ? "closed by the router"
                                 : error == asio::error::operation_aborted
                                     ? "closed by the collector"
                                     : error.message();
      }
    } else if (connection->queued_bytes >= config_.queue_bytes) {
      connection->paused = full = true;
    }
  }
  Schedule(connection);
  if (error) return;
  if (full) {
    connection->metrics->read_pauses().Increment();
    return;  // the applier resumes reading once a chunk fits again
  }
  StartRead(connection);
}

void Collector::Impl::Schedule(const std::shared_ptr<Connection>& connection) {
  if (connection->scheduled.exchange(true)) return;
  Applier& applier = *appliers_[connection->applier];
  {
    std::lock_guard lock(applier.mutex);
    applier.ready.push_back(connection);
  }
  applier.wake.notify_one();
}

void Collector::Impl::ApplierLoop(Applier* applier) {
  ribflow::Rib::Writer writer(*rib_);
  for (;;) {
    std::shared_ptr<Connection> connection;
    {
      std::unique_lock lock(applier->mutex);
      applier->wake.wait(lock, [&] { return applier->stop || !applier->ready.empty(); });
      if (applier->ready.empty()) return;  // stopping, and nothing left
      connection = std::move(applier->ready.front());
      applier->ready.pop_front();
    }
    // Cleared before draining: bytes queued from now on schedule the connection again.
    connection->scheduled.store(false);
    Drain(connection, writer);
  }
}

void Collector::Impl::Drain(const std::shared_ptr<Connection>& connection,
                            ribflow::Rib::Writer& writer) {
  if (connection->finished) return;
  size_t applied = 0;
  for (;;) {
    Chunk chunk;
    bool end = false;
    {
      std::lock_guard lock(connection->mutex);
      if (connection->queue.empty()) {
        end = connection->ended;
      } else {
        chunk = std::move(connection->queue.front());
        connection->queue.pop_front();
      }
    }
    if (!chunk.data) {
      if (end) Finish(connection);
      return;
    }
    if (!connection->failed) {
      const absl::Status status =
          connection->session->Consume({chunk.data.get(), chunk.size}, writer);
      if (!status.ok()) {
        // BMP has no marker to find the next message by: end this router's connection.
        connection->failed = true;
        std::fprintf(stderr, "bmp: router %s: %s; closing its connection\n",
                     connection->router.ToString().c_str(), status.ToString().c_str());
        asio::post(io_, [connection] {
          asio::error_code ignored;
          connection->socket.close(ignored);
        });
      }
    }
    applied += chunk.size;
    bool resume = false;
    size_t queued;
    {
      std::lock_guard lock(connection->mutex);
      connection->queued_bytes -= chunk.size;
      queued = connection->queued_bytes;
      if (connection->spare.size() < kSpareChunks) {
        chunk.size = 0;
        connection->spare.push_back(std::move(chunk));
      }
      // Resume as soon as a chunk fits again, not at some lower mark: under sustained
      // backpressure the socket is then read at the pace the applier frees room, in small
      // steps, and the gap between two reads stays one applier turn, never a long stall
      // that a router would take for a dead collector.
      if (connection->paused && queued + config_.read_chunk <= config_.queue_bytes) {
        connection->paused = false;
        resume = true;
      }
    }
    connection->metrics->queue_bytes().Set(static_cast<double>(queued));
    if (resume) asio::post(io_, [this, connection] { StartRead(connection); });
    if (applied >= kApplyTurnBytes) {
      Schedule(connection);  // other routers of this applier get a turn
      return;
    }
  }
}

void Collector::Impl::Finish(const std::shared_ptr<Connection>& connection) {
  connection->finished = true;
  std::string reason;
  {
    std::lock_guard lock(connection->mutex);
    reason = connection->end_reason;
  }
  connection->session->Close(reason);
  connection->metrics->queue_bytes().Set(0);
  sessions_->Decrement();
  std::lock_guard lock(routers_mutex_);
  RouterEntry& entry = routers_[connection->router];
  if (entry.active != connection) return;
  entry.last_session = connection->session->info();
  entry.active.reset();
  entry.connected = false;
  entry.since = std::chrono::system_clock::now();
  if (entry.waiting) {
    entry.active = std::move(entry.waiting);
    entry.connected = true;
    asio::post(io_, [this, next = entry.active] { StartRead(next); });
  }
}

void Collector::Impl::HousekeepingLoop() {
  auto next_gauges = SteadyClock::now();
  std::unique_lock lock(housekeeping_mutex_);
  while (!stopping_) {
    lock.unlock();
    rib_->FlushExpiredPeers(ribflow::Rib::Clock::now());
    // Bounded steps, no lock held between them: lookups and other writers go on.
    while (rib_->SweepFlushedPeers(config_.sweep_budget)) {
      std::lock_guard stop_check(housekeeping_mutex_);
      if (stopping_) break;
    }
    if (SteadyClock::now() >= next_gauges) {
      RefreshGauges();
      next_gauges = SteadyClock::now() + std::chrono::seconds(1);
    }
    lock.lock();
    housekeeping_wake_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void Collector::Impl::RefreshGauges() {
  struct Counts {
    int64_t routes = 0;
    size_t live = 0, stale = 0;
  };
  std::map<IpAddress, Counts> counts;
  for (const ribflow::Rib::PeerStatus& peer : rib_->Peers()) {
    Counts& c = counts[peer.key.router];
    c.routes += peer.routes;
    ++(peer.stale ? c.stale : c.live);
  }
  std::lock_guard lock(routers_mutex_);
  for (auto& [address, entry] : routers_) {
    const Counts c = counts[address];
    entry.metrics->routes().Set(static_cast<double>(c.routes));
    entry.metrics->live_peers().Set(static_cast<double>(c.live));
    entry.metrics->stale_peers().Set(static_cast<double>(c.stale));
  }
}

std::vector<RouterStatus> Collector::Impl::Routers() const {
  std::map<IpAddress, RouterStatus> by_router;
  for (const ribflow::Rib::PeerStatus& peer : rib_->Peers()) {
    RouterStatus& status = by_router[peer.key.router];
    status.routes += peer.routes;
    ++(peer.stale ? status.stale_peers : status.live_peers);
  }
  std::vector<RouterStatus> routers;
  std::lock_guard lock(routers_mutex_);
  for (const auto& [address, entry] : routers_) {
    RouterStatus status = by_router[address];
    status.connected = entry.connected;
    status.since = entry.since;
    status.session = entry.active ? entry.active->session->info() : entry.last_session;
    status.session.router = address;
    status.max_read_gap_seconds = entry.metrics->max_read_gap();
    if (entry.active) {
      std::lock_guard queue_lock(entry.active->mutex);
      status.queue_bytes = entry.active->queued_bytes;
    }
    routers.push_back(std::move(status));
  }
  return routers;
}

double Collector::Impl::max_read_gap_seconds() const {
  double max = 0;
  std::lock_guard lock(routers_mutex_);
  for (const auto& [address, entry] : routers_) max = std::max(max, entry.metrics->max_read_gap());
  return max;
}

Collector::Collector(CollectorConfig config, ribflow::Rib* rib, prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(config), rib, registry)) {}
Collector::~Collector() = default;
absl::Status Collector::Start() { return impl_->Start(); }
void Collector::Stop() { impl_->Stop(); }
uint16_t Collector::port() const { return impl_->port(); }
std::vector<RouterStatus> Collector::Routers() const { return impl_->Routers(); }
double Collector::max_read_gap_seconds() const { return impl_->max_read_gap_seconds(); }

}  // namespace ribflow::bmp
