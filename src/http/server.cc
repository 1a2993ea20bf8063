#include "http/server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <poll.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>

#include "common/endpoint.h"
#include "http/json_writer.h"

namespace ribflow::http {
namespace {

// mg_check_feature bit: civetweb was built with USE_IPV6.
constexpr unsigned kCivetwebIpv6 = 8;
// Accepted connections waiting for a worker thread (civetweb's default, made explicit): with the
// kernel's listen backlog behind it, the only queue in front of the handlers.
constexpr const char* kConnectionQueue = "20";
// Request line and headers, at most (civetweb's default, made explicit).
constexpr const char* kMaxRequestSize = "16384";

void InitCivetweb() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeComponent(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && HexDigit(text[i + 1]) >= 0 &&
               HexDigit(text[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(text[i + 1]) * 16 + HexDigit(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Connects to `target` and closes the connection. False when nothing listens there (any
// more), or the attempt cannot even be made.
bool Knock(const Endpoint& target) {
  sockaddr_storage address{};
  socklen_t address_length = 0;
  if (target.address.is_v4()) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(target.port);
    v4->sin_addr.s_addr = htonl(target.address.v4());
    address_length = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(target.port);
    std::memcpy(&v6->sin6_addr, target.address.bytes().data(), 16);
    address_length = sizeof(sockaddr_in6);
  }
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool listening = false;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), address_length) == 0) {
    listening = true;
  } else if (errno == EINPROGRESS) {
    // Wait (briefly: the address is local) for the handshake, so that the connection reaches
    // the listener's accept queue before it is closed.
    pollfd poll_fd{.fd = fd, .events = POLLOUT, .revents = 0};
    if (poll(&poll_fd, 1, 50) == 1) {
      int error = 0;
      socklen_t error_length = sizeof(error);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length);
      listening = error == 0;
    } else {
      listening = true;  // no answer yet: maybe still listening
    }
  }
  close(fd);
  return listening;
}

// The Date header (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". Written here
// because civetweb 1.15 formats its own with gmtime(), whose static result its worker threads
// then share (a data race that ThreadSanitizer reports); civetweb sends no Date of its own when
// the response has one.
std::string HttpDate(time_t now) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday % 7],
                utc.tm_mday, kMonths[utc.tm_mon % 12], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return text;
}

}  // namespace

absl::Status HttpServerConfig::Validate() const {
  if (!Endpoint::Parse(listen)) {
    return absl::InvalidArgumentError("http.listen: expected ADDR:PORT, got \"" + listen + "\"");
  }
  if (threads < 1 || threads > 256) {
    return absl::InvalidArgumentError("http.threads: between 1 and 256");
  }
  if (request_timeout_ms < 1 || request_timeout_ms > 3600000) {
    return absl::InvalidArgumentError("http.request_timeout_ms: between 1 and 3600000");
  }
  return absl::OkStatus();
}

std::optional<std::string> HttpRequest::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

HttpResponse ErrorResponse(int status, std::string_view message) {
  JsonWriter json;
  json.BeginObject();
  json.Key("error");
  json.String(message);
  json.EndObject();
  return HttpResponse{.status = status, .content_type = "application/json", .body = json.Take()};
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      params.emplace_back(DecodeComponent(pair), std::string());
    } else {
      params.emplace_back(DecodeComponent(pair.substr(0, equals)),
                          DecodeComponent(pair.substr(equals + 1)));
    }
  }
  return params;
}

HttpServer::HttpServer(HttpServerConfig config, prometheus::Registry& registry)
    : config_(std::move(config)),
      requests_(prometheus::BuildCounter()
                    .Name("ribflow_http_requests_total")
                    .Help("HTTP requests answered, by path (a served path, or \"other\") and "
                          "status code")
                    .Register(registry)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string path, HttpHandler handler) {
  // Once started, worker threads read the handlers without a lock.
  if (context_ != nullptr) {
    std::fprintf(stderr, "http: a handler for %s came after Start; ignored\n", path.c_str());
    return;
  }
  handlers_.insert_or_assign(std::move(path), std::move(handler));
}

absl::Status HttpServer::Start() {
  if (context_ != nullptr) return absl::FailedPreconditionError("http: already started");
  if (absl::Status status = config_.Validate(); !status.ok()) return status;
  const Endpoint endpoint = *Endpoint::Parse(config_.listen);
  if (!endpoint.address.is_v4() && mg_check_feature(kCivetwebIpv6) == 0) {
    return absl::UnimplementedError("http.listen " + config_.listen +
                                    ": this civetweb library was built without IPv6 support "
                                    "(USE_IPV6); listen on an IPv4 address");
  }
  InitCivetweb();

  // civetweb's port syntax is ours: "192.0.2.1:8080", "[2001:db8::1]:8080"; port 0 binds a
  // free port, which mg_get_server_ports reports.
  const std::string listening_ports = endpoint.ToString();
  const std::string threads = std::to_string(config_.threads);
  const std::string timeout = std::to_string(config_.request_timeout_ms);
  const std::pair<const char*, const char*> settings[] = {
      {"listening_ports", listening_ports.c_str()},
      {"num_threads", threads.c_str()},
      {"request_timeout_ms", timeout.c_str()},
      {"connection_queue", kConnectionQueue},
      {"max_request_size", kMaxRequestSize},
      // One request per connection: a kept-alive connection holds a worker thread while idle.
      {"enable_keep_alive", "no"},
      // civetweb sends the status line and each header in its own write; without NODELAY,
      // Nagle's algorithm holds a small write until the previous one is acknowledged, which
      // costs a round trip or two per response on a real network.
      {"tcp_nodelay", "1"},
  };
  std::vector<const char*> options;
  for (const auto& [name, value] : settings) {
    options.push_back(name);
    options.push_back(value);
  }
  options.push_back(nullptr);
  mg_callbacks callbacks{};
  callbacks.begin_request = &HttpServer::OnBeginRequest;
  callbacks.log_message = &HttpServer::OnLogMessage;
  mg_init_data init{
      .callbacks = &callbacks, .user_data = this, .configuration_options = options.data()};
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error{
      .code = &error_code, .text = error_text, .text_buffer_size = sizeof(error_text)};

  {
    const std::lock_guard lock(log_mutex_);
    starting_ = true;
    start_log_.clear();
  }
  context_ = mg_start2(&init, &error);
  std::string log;
  {
    const std::lock_guard lock(log_mutex_);
    starting_ = false;
    log = std::move(start_log_);
    start_log_.clear();
  }
  if (context_ == nullptr) {
    // The log says why ("cannot bind to 127.0.0.1:8080: 98 (Address already in use)"); the
    // error text only that the ports failed.
    return absl::UnavailableError("http.listen " + config_.listen + ": " +
                                  (log.empty() ? std::string(error_text) : log));
  }
  mg_server_port ports[1] = {};
  if (mg_get_server_ports(context_, 1, ports) != 1) {
    Stop();
    return absl::InternalError("http.listen " + config_.listen + ": no listening port");
  }
  port_.store(static_cast<uint16_t>(ports[0].port), std::memory_order_relaxed);
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (context_ == nullptr) return;
  // civetweb's accepting thread polls the listener in 2-second slices and looks at the stop
  // flag only between them, so mg_stop alone takes up to 2 s even when idle. Connecting to the
  // listener while mg_stop waits ends the slice at once.
  Endpoint target = *Endpoint::Parse(config_.listen);
  target.port = port();
  if (target.address == IpAddress() || target.address == IpAddress::FromV4(0)) {
    target.address =
        target.address.is_v4() ? IpAddress::FromV4(INADDR_LOOPBACK) : *IpAddress::Parse("::1");
  }
  std::atomic<bool> stopped{false};
  std::thread waker([&target, &stopped] {
    while (!stopped.load(std::memory_order_acquire) && Knock(target)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  mg_stop(context_);
  stopped.store(true, std::memory_order_release);
  waker.join();
  context_ = nullptr;
}

int HttpServer::OnBeginRequest(mg_connection* connection) {
  const mg_request_info* info = mg_get_request_info(connection);
  auto* server = static_cast<HttpServer*>(info->user_data);
  // No exception may unwind into civetweb (C).
  try {
    return server->Serve(connection, *info);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http: answering a request failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "http: answering a request failed\n");
  }
  return 500;  // whatever was sent stands; civetweb closes the connection
}

int HttpServer::OnLogMessage(const mg_connection* connection, const char* message) {
  const mg_context* context = connection != nullptr ? mg_get_context(connection) : nullptr;
  auto* server = context != nullptr ? static_cast<HttpServer*>(mg_get_user_data(context)) : nullptr;
  if (server != nullptr) {
    const std::lock_guard lock(server->log_mutex_);
    if (server->starting_) {
      if (!server->start_log_.empty()) server->start_log_ += "; ";
      server->start_log_ += message;
    }
  }
  // Not printed: after Start, civetweb's messages concern single connections, which any client
  // can open many of (civetweb itself drops them when no error_log_file is configured).
  return 1;
}

int HttpServer::Serve(mg_connection* connection, const mg_request_info& info) {
  const std::string_view method = info.request_method != nullptr ? info.request_method : "";
  // No local_uri: an absolute URI naming another host.
  const std::string_view path = info.local_uri != nullptr ? info.local_uri : "";
  const bool head = method == "HEAD";
  const auto handler = handlers_.find(path);
  const std::string_view path_label =
      handler != handlers_.end() ? std::string_view(handler->first) : std::string_view("other");

  HttpResponse response;
  bool method_not_allowed = false;
  if (handler == handlers_.end()) {
    response = ErrorResponse(404, "no such path");
  } else if (method != "GET" && !head) {
    response = ErrorResponse(405, "only GET and HEAD are served");
    method_not_allowed = true;
  } else {
    HttpRequest request{.method = std::string(method),
                        .path = std::string(path),
                        .params = info.query_string != nullptr ? ParseQuery(info.query_string)
                                                               : decltype(HttpRequest::params)()};
    response = CallHandler(handler->second, request, handler->first);
  }

  const std::string content_length = std::to_string(response.body.size());
  const std::string date = HttpDate(time(nullptr));
  mg_response_header_start(connection, response.status);
  mg_response_header_add(connection, "Date", date.c_str(), -1);
  mg_response_header_add(connection, "Content-Type", response.content_type.data(),
                         static_cast<int>(response.content_type.size()));
  mg_response_header_add(connection, "Content-Length", content_length.c_str(), -1);
  if (method_not_allowed) mg_response_header_add(connection, "Allow", "GET, HEAD", -1);
  mg_response_header_send(connection);
  if (!head && !response.body.empty()) {
    mg_write(connection, response.body.data(), response.body.size());
  }
  CountRequest(path_label, response.status);
  return response.status;
}

HttpResponse HttpServer::CallHandler(const HttpHandler& handler, const HttpRequest& request,
                                     std::string_view path) {
  HttpResponse response;
  try {
    response = handler(request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http: the handler of %.*s threw: %s\n", static_cast<int>(path.size()),
                 path.data(), e.what());
    return ErrorResponse(500, "internal error");
  } catch (...) {
    std::fprintf(stderr, "http: the handler of %.*s threw\n", static_cast<int>(path.size()),
                 path.data());
    return ErrorResponse(500, "internal error");
  }
  if (response.status < 100 || response.status > 599) {
    std::fprintf(stderr, "http: the handler of %.*s returned status %d\n",
                 static_cast<int>(path.size()), path.data(), response.status);
    return ErrorResponse(500, "internal error");
  }
  // The content type goes into a header line: a line break in it would split the response.
  if (response.content_type.find_first_of("\r\n") != std::string::npos) {
    std::fprintf(stderr, "http: the handler of %.*s returned a content type with a line break\n",
                 static_cast<int>(path.size()), path.data());
    return ErrorResponse(500, "internal error");
  }
  return response;
}

void HttpServer::CountRequest(std::string_view path_label, int status) {
  requests_.Add({{"path", std::string(path_label)}, {"code", std::to_string(status)}}).Increment();
}

HttpHandler MetricsHandler(const prometheus::Registry& registry) {
  return [&registry](const HttpRequest&) {
    return HttpResponse{.status = 200,
                        .content_type = std::string(kPrometheusContentType),
                        .body = prometheus::TextSerializer().Serialize(registry.Collect())};
  };
}

}  // namespace ribflow::http
