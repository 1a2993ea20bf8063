// What `ribflow-bench bmp --compare` needs to run collectors as child processes and watch them:
// spawning and stopping a child, its CPU time and memory from /proc, free ports, whether a
// port listens, and a one-shot HTTP GET.
//
// A child dies with the bench: it is started with PR_SET_PDEATHSIG (SIGKILL), so a bench
// killed or crashing takes its collectors with it; a ChildProcess going out of scope stops its
// child (SIGTERM, then SIGKILL after a grace period).
//
// Threading model: a ChildProcess is used by one thread; the free functions are reentrant.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ribflow::bench {

class ChildProcess {
 public:
  // Runs argv[0] (searched in PATH when it has no slash) with `argv`, stdout and stderr
  // appended to `output_path`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::string& output_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False once the child has exited (reaped here); ExitDescription() then says how.
  bool Alive();
  std::string ExitDescription() const;
  // SIGTERM, then SIGKILL if it has not exited within `grace`; reaps it.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool exited_ = false;
  int status_ = 0;
};

// utime + stime of a process (all its threads), in seconds; nullopt if it is gone.
std::optional<double> ProcessCpuSeconds(pid_t pid);
// A "Vm..." line of /proc/PID/status (VmRSS, VmHWM), in KiB; nullopt if absent.
std::optional<uint64_t> ProcessStatusKib(pid_t pid, std::string_view field);

// A TCP port free on 127.0.0.1 right now (bound to port 0, then released).
absl::StatusOr<uint16_t> FreeTcpPort();
// Whether a socket listens on TCP `port` (any local address), per /proc/net/tcp and tcp6.
bool TcpListening(uint16_t port);

struct HttpResponse {
  int status = 0;
  std::string body;
};
// GET http://127.0.0.1:port/path (HTTP/1.0, the reply read until the server closes), with a
// timeout on connecting, sending and each read.
absl::StatusOr<HttpResponse> HttpGet(uint16_t port, std::string_view path,
                                     std::chrono::milliseconds timeout);

// The last `max_bytes` of a file (a child's log, for error messages).
std::string FileTail(const std::string& path, size_t max_bytes = 2000);

}  // namespace ribflow::bench
