#include "bmp/bmp_sender.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ribflow::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

sockaddr_in V4Address(const IpAddress& address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(address.v4());
  return sa;
}

}  // namespace

// A socket bound to `source` and connected to `target`; refused connections are retried
// until `deadline` (the collector may not listen yet).
absl::StatusOr<int> ConnectFrom(const IpAddress& source, const Endpoint& target,
                                SteadyClock::time_point deadline) {
  const sockaddr_in from = V4Address(source, 0);
  const sockaddr_in to = V4Address(target.address, target.port);
  for (;;) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError(fmt::format("socket: {}", std::strerror(errno)));
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof(from)) != 0) {
      const int e = errno;
      close(fd);
      return absl::InternalError(
          fmt::format("bind to {}: {}", source.ToString(), std::strerror(e)));
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0) return fd;
    const int e = errno;
    close(fd);
    if (e != ECONNREFUSED || SteadyClock::now() >= deadline) {
      return absl::UnavailableError(fmt::format("connect from {} to {}: {}", source.ToString(),
                                                target.ToString(), std::strerror(e)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::StatusOr<std::unique_ptr<BmpSender>> BmpSender::Connect(const BmpStream& stream,
                                                              const Endpoint& target,
                                                              std::chrono::milliseconds timeout) {
  if (!target.address.is_v4()) {
    return absl::InvalidArgumentError("the target must be an IPv4 (loopback) address");
  }
  std::unique_ptr<BmpSender> sender(new BmpSender(stream));
  const auto deadline = SteadyClock::now() + timeout;
  for (const BmpRouterStream& router : stream.routers) {
    auto fd = ConnectFrom(router.source, target, deadline);
    if (!fd.ok()) return fd.status();  // the destructor closes the others
    sender->fds_.push_back(*fd);
    BmpSendResult result;
    result.source = router.source;
    sender->results_.push_back(result);
  }
  sender->ends_.resize(sender->fds_.size());
  return sender;
}

BmpSender::~BmpSender() {
  if (!Done()) Abort();
  Wait();
  Close();
}

void BmpSender::Start() {
  start_ = SteadyClock::now();
  for (size_t i = 0; i < fds_.size(); ++i) threads_.emplace_back([this, i] { Run(i); });
}

void BmpSender::Run(size_t router) {
  const int fd = fds_[router];
  BmpSendResult& result = results_[router];
  for (const auto& segment : stream_.routers[router].segments) {
    const uint8_t* data = segment->bytes.data();
    size_t left = segment->bytes.size();
    while (left > 0) {
      const ssize_t n = send(fd, data, std::min(left, kWriteChunk), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        result.error = fmt::format("send after {} bytes: {}", result.bytes,
                                   n < 0 ? std::strerror(errno) : "closed");
        break;
      }
      data += n;
      left -= static_cast<size_t>(n);
      result.bytes += static_cast<uint64_t>(n);
    }
    if (!result.error.empty()) break;
    result.messages += segment->messages;
    result.routes += segment->announced + segment->withdrawn;
  }
  ends_[router] = SteadyClock::now();
  result.seconds = std::chrono::duration<double>(ends_[router] - start_).count();
  finished_.fetch_add(1, std::memory_order_release);
}

void BmpSender::Wait() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void BmpSender::Abort() {
  for (int fd : fds_) {
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
  }
  Wait();
}

void BmpSender::Close() {
  for (int& fd : fds_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

SteadyClock::time_point BmpSender::end_time() const {
  SteadyClock::time_point end = start_;
  for (const auto& t : ends_) end = std::max(end, t);
  return end;
}

bool BmpSender::ok() const {
  return std::all_of(results_.begin(), results_.end(),
                     [](const BmpSendResult& r) { return r.error.empty(); });
}

}  // namespace ribflow::bench
