// HttpServer: the process's HTTP endpoint (/metrics, the REST API), on civetweb.
//
// Handlers are registered by exact path before Start. Only GET and HEAD are served: a
// registered path asked with another method gets 405 (with "Allow: GET, HEAD"), an unknown
// path 404, a handler that throws 500, each error with a JSON body {"error": "..."}. HEAD runs
// the GET handler and sends its headers without the body. Query parameters arrive decoded
// (%XX and '+'); the path is civetweb's: decoded, with dot segments removed.
//
// Bounds (hostile clients): civetweb serves one request per connection (no keep-alive: an idle
// kept-alive connection would hold a worker thread), with `threads` worker threads; accepted
// connections wait in civetweb's fixed-size queue (connection_queue), then in the kernel's
// listen backlog. A request's headers are at most 16 KiB (civetweb's max_request_size), and
// each read or write on a connection gives up after request_timeout_ms. Requests are counted
// in ribflow_http_requests_total{path,code}, where path is a registered path or "other", so
// clients cannot create series.
//
// civetweb notes: Start() sets SIGPIPE to ignored for the whole process (civetweb does, in
// mg_start). Listening on IPv6 needs a civetweb built with USE_IPV6; Debian's 1.15 is not, and
// Start() then fails with kUnimplemented.
//
// Threading model: Handle, Start and Stop from one thread (Stop must not be called from a
// handler); port() from any thread. Handlers run on civetweb's worker threads, up to `threads`
// at once, and must be thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"

struct mg_connection;
struct mg_context;
struct mg_request_info;

namespace ribflow::http {

struct HttpServerConfig {
  // "ADDR:PORT": IPv4 "127.0.0.1:8080" or IPv6 "[::1]:8080". Port 0 takes a free port (see
  // HttpServer::port()).
  std::string listen = "127.0.0.1:8080";
  // Requests served at once (civetweb's worker threads), within [1, 256].
  int threads = 4;
  // How long one read or write on a connection may wait for the client, within
  // [1, 3600000]. Bounds how long a slow client holds a worker thread.
  int request_timeout_ms = 10000;

  absl::Status Validate() const;
};

struct HttpRequest {
  std::string method;  // "GET" or "HEAD"
  std::string path;
  // The query's parameters, decoded, in their order in the URL. Any bytes may appear in them
  // (clients are not trusted): check them before use.
  std::vector<std::pair<std::string, std::string>> params;

  // The value of the first parameter with this name.
  std::optional<std::string> Param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;  // a status outside [100, 599] becomes 500
  std::string content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A JSON error response: {"error": message}.
HttpResponse ErrorResponse(int status, std::string_view message);

// Splits a query string ("a=1&b=%3A%3A1") into decoded name/value pairs: %XX is the byte XX,
// '+' a space (HTML form encoding); a malformed escape is kept as it is; "name" without '='
// has an empty value; empty pairs ("a=1&&b=2") are skipped.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

class HttpServer {
 public:
  HttpServer(HttpServerConfig config, prometheus::Registry& registry);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves GET and HEAD of exactly `path` ("/metrics") with `handler`. Before Start only:
  // ignored (with a message on stderr) once started.
  void Handle(std::string path, HttpHandler handler);

  // Binds the listen address and starts civetweb's threads. An error, with civetweb's reason,
  // when the configuration is invalid or the address cannot be bound (port in use, address not
  // local): kInvalidArgument, kUnavailable, or kUnimplemented for IPv6 without civetweb's IPv6.
  absl::Status Start();
  // Closes the listener and waits for the handlers running to return: once Stop returns, no
  // handler runs, so what they use may go. Their responses are dropped, though (civetweb stops
  // writing once it is stopping). Takes a few milliseconds when idle. Idempotent.
  void Stop();

  // The bound port once started (the one the kernel chose when the configured port is 0).
  uint16_t port() const { return port_.load(std::memory_order_relaxed); }

 private:
  static int OnBeginRequest(mg_connection* connection);
  static int OnLogMessage(const mg_connection* connection, const char* message);

  // Answers one request; returns the status sent.
  int Serve(mg_connection* connection, const mg_request_info& info);
  HttpResponse CallHandler(const HttpHandler& handler, const HttpRequest& request,
                           std::string_view path);
  void CountRequest(std::string_view path_label, int status);

  const HttpServerConfig config_;
  prometheus::Family<prometheus::Counter>& requests_;
  std::map<std::string, HttpHandler, std::less<>> handlers_;  // read-only once started
  mg_context* context_ = nullptr;
  std::atomic<uint16_t> port_{0};

  // civetweb's log messages while Start runs: the reason when the listener cannot be set up.
  std::mutex log_mutex_;
  bool starting_ ABSL_GUARDED_BY(log_mutex_) = false;
  std::string start_log_ ABSL_GUARDED_BY(log_mutex_);
};

// The Prometheus content type of the text exposition format.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Serves `registry` in the Prometheus text format: server.Handle("/metrics",
// MetricsHandler(registry)). The registry must outlive the server.
HttpHandler MetricsHandler(const prometheus::Registry& registry);

}  // namespace ribflow::http
