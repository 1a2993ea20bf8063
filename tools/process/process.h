// Helpers for integration tests and benchmarks that run real servers (FRR, gobgpd, pmbmpd,
// ribflow itself) as child processes on loopback.
//
// - TempDir: a fresh directory under $TMPDIR, removed with everything in it at destruction
//   (kept when RIBFLOW_KEEP_TEMP is set, to read the servers' logs after a failure).
// - ChildProcess: runs a program with argv and extra environment, in a working directory,
//   with stdout and stderr going to files there; stopped by signal and reaped. Its destructor
//   kills and reaps the child, so a failed assertion (which returns from the test body)
//   leaves nothing running; the child also gets SIGKILL if the test process dies
//   (PR_SET_PDEATHSIG).
// - RunCommand: runs a short command to completion and returns its exit status and output.
// - FreeTcpPort, WaitForTcpPort, TcpPortListening: loopback ports.
// - HttpGet: a blocking HTTP/1.1 GET, one request per connection, returning status and body.
// - WaitUntil: polls a condition until it holds or a deadline passes (tests assert on state,
//   never on fixed sleeps).
// - ProcessCpuSeconds, ProcessStatusKib: what a process used, from /proc (benchmarks).
//
// Threading model: a ChildProcess belongs to the thread that started it (PR_SET_PDEATHSIG
// fires when that thread exits). The free functions are reentrant.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ribflow::tools {

class TempDir {
 public:
  // Creates "$TMPDIR/<prefix>XXXXXX" (TMPDIR defaults to /tmp).
  explicit TempDir(std::string_view prefix = "ribflow-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct ProcessSpec {
  // argv[0] is the program: a path, or a name looked up in PATH.
  std::vector<std::string> argv;
  // NAME=VALUE entries added to (or replacing those of) the test's own environment.
  std::vector<std::string> env;
  // Working directory; stdout and stderr go to <dir>/<name>.stdout and <dir>/<name>.stderr.
  std::filesystem::path dir;
  // Names the output files and the process in messages.
  std::string name;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;

  // Starts the child; on failure returns false with *error set. Output files are appended
  // to, so a restarted process keeps the earlier output above the new one. An exec failure
  // (no such program) shows as the child exiting with status 127 and a line in its stderr.
  bool Start(const ProcessSpec& spec, std::string* error);

  // Whether the child is still running (reaps it if it has exited).
  bool Running();
  // Sends `signal` and waits up to `timeout` for the child to exit; sends SIGKILL after that.
  // Returns the wait status (as waitpid gives it), or nullopt when there was no child.
  std::optional<int> Stop(int signal, std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void Kill() { Stop(SIGKILL, std::chrono::seconds(5)); }

  pid_t pid() const { return pid_; }
  const std::string& name() const { return spec_.name; }
  const ProcessSpec& spec() const { return spec_; }
  // The wait status once the child was reaped.
  std::optional<int> wait_status() const { return wait_status_; }
  std::filesystem::path stdout_path() const;
  std::filesystem::path stderr_path() const;
  // The last `bytes` of stdout and stderr, for failure messages.
  std::string OutputTail(size_t bytes = 2000) const;
  // "gobgpd (pid 123): running" / "...: exited with status 1" / "...: killed by signal 9".
  std::string Describe();

 private:
  void Reap(int status);

  ProcessSpec spec_;
  pid_t pid_ = -1;
  std::optional<int> wait_status_;
};

// "exited with status N" / "killed by signal N" for a waitpid status.
std::string DescribeWaitStatus(int status);

struct CommandResult {
  int exit_status = -1;  // -1: did not exit normally (signal, timeout, could not start)
  std::string output;    // stdout then stderr
};
// Runs `argv` to completion in `dir` (killed after `timeout`). Output goes through files in
// `dir`, named after argv[0].
CommandResult RunCommand(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A TCP port that was free on `host` a moment ago: bound to port 0, read, closed. Another
// process may take it before the caller does; the kernel's random ephemeral choice makes that
// rare on a test machine.
uint16_t FreeTcpPort(const std::string& host = "127.0.0.1");
// Whether a TCP socket listens on `port` (any IPv4 or IPv6 address), from /proc/net/tcp and
// tcp6: unlike a connection attempt, looking leaves the server undisturbed.
bool TcpPortListening(uint16_t port);
// Connects until host:port accepts (then closes) or `timeout` passes. When `process` is
// given, gives up as soon as it is no longer running.
bool WaitForTcpPort(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
                    ChildProcess* process = nullptr);

struct HttpResponse {
  int status = 0;     // 0 when no response was read (`error` says why)
  std::string body;   // without the headers; chunked transfer encoding undone
  std::string error;  // connect/read failure or malformed response
};
// GET http://host:port<target> (target starts with "/"), HTTP/1.1 with Connection: close.
HttpResponse HttpGet(const std::string& host, uint16_t port, const std::string& target,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Calls `condition` every `interval` until it returns true (then true) or `timeout` passes
// (then false, after one last call).
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// utime + stime of a process (all its threads), in seconds; nullopt if it is gone.
std::optional<double> ProcessCpuSeconds(pid_t pid);
// A "VmRSS"/"VmHWM"-style field of /proc/PID/status, in KiB; nullopt if absent.
std::optional<uint64_t> ProcessStatusKib(pid_t pid, std::string_view field);

}  // namespace ribflow::tools
