#include "process/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace ribflow::tools {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// TempDir

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      (fs::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") / (std::string(prefix) + "XXXXXX"))
          .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp(%s): %s\n", pattern.c_str(), std::strerror(errno));
    std::abort();
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  if (std::getenv("RIBFLOW_KEEP_TEMP") != nullptr) {
    std::fprintf(stderr, "RIBFLOW_KEEP_TEMP: kept %s\n", path_.c_str());
    return;
  }
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

// ---------------------------------------------------------------------------------------------
// ChildProcess

namespace {

// The parent's environment with `overrides` (NAME=VALUE) added or replacing.
std::vector<std::string> MergedEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> merged;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                      [&](const auto& o) { return name_of(o) == name_of(entry); });
    if (!replaced) merged.push_back(entry);
  }
  merged.insert(merged.end(), overrides.begin(), overrides.end());
  return merged;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

std::string ReadTail(const fs::path& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const auto wanted = static_cast<std::streamoff>(bytes);
  const std::streamoff start = size > wanted ? size - wanted : 0;
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return start > 0 ? "..." + text : text;
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !wait_status_) Stop(SIGKILL, std::chrono::seconds(5));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : spec_(std::move(other.spec_)), pid_(other.pid_), wait_status_(other.wait_status_) {
  other.pid_ = -1;
  other.wait_status_.reset();
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !wait_status_) Stop(SIGKILL, std::chrono::seconds(5));
    spec_ = std::move(other.spec_);
    pid_ = other.pid_;
    wait_status_ = other.wait_status_;
    other.pid_ = -1;
    other.wait_status_.reset();
  }
  return *this;
}

fs::path ChildProcess::stdout_path() const { return spec_.dir / (spec_.name + ".stdout"); }
fs::path ChildProcess::stderr_path() const { return spec_.dir / (spec_.name + ".stderr"); }

bool ChildProcess::Start(const ProcessSpec& spec, std::string* error) {
  if (pid_ > 0 && !wait_status_) {
    *error = spec_.name + " is already running";
    return false;
  }
  if (spec.argv.empty()) {
    *error = "empty argv";
    return false;
  }
  spec_ = spec;
  if (spec_.name.empty()) spec_.name = fs::path(spec.argv[0]).filename().string();
  if (spec_.dir.empty()) spec_.dir = fs::current_path();
  pid_ = -1;
  wait_status_.reset();

  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed (the test process has threads).
  std::vector<std::string> argv_strings = spec_.argv;
  std::vector<std::string> env_strings = MergedEnvironment(spec_.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  const std::string dir = spec_.dir.string();
  const int out = open(stdout_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = open(stderr_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || err < 0 || null < 0) {
    *error = "cannot open output files in " + dir + ": " + std::strerror(errno);
    for (int fd : {out, err, null}) {
      if (fd >= 0) close(fd);
    }
    return false;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // The child dies with the test process, whatever kills it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
    // No descriptor of the test process (listening sockets above all) leaks into the child.
    syscall(SYS_close_range, 3U, ~0U, 0U);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    if (chdir(dir.c_str()) != 0) _exit(126);
    execvpe(argv[0], argv.data(), envp.data());
    static constexpr char kMessage[] = "exec failed\n";
    (void)!write(2, kMessage, sizeof(kMessage) - 1);
    _exit(127);
  }
  const int fork_errno = errno;
  close(out);
  close(err);
  close(null);
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(fork_errno);
    return false;
  }
  pid_ = pid;
  return true;
}

void ChildProcess::Reap(int status) { wait_status_ = status; }

bool ChildProcess::Running() {
  if (pid_ <= 0 || wait_status_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    Reap(status);
    return false;
  }
  return r == 0;
}

std::optional<int> ChildProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (wait_status_) return wait_status_;
  kill(pid_, signal);
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      Reap(status);
      return wait_status_;
    }
    if (r < 0) return std::nullopt;  // not our child any more
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  if (waitpid(pid_, &status, 0) == pid_) Reap(status);
  return wait_status_;
}

std::string ChildProcess::OutputTail(size_t bytes) const {
  std::string text;
  const std::string out = ReadTail(stdout_path(), bytes);
  const std::string err = ReadTail(stderr_path(), bytes);
  if (!out.empty()) text += "--- " + spec_.name + " stdout:\n" + out + "\n";
  if (!err.empty()) text += "--- " + spec_.name + " stderr:\n" + err + "\n";
  return text;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

std::string ChildProcess::Describe() {
  std::string text = spec_.name + " (pid " + std::to_string(pid_) + "): ";
  if (pid_ <= 0) return text + "not started";
  if (Running()) return text + "running";
  return text + (wait_status_ ? DescribeWaitStatus(*wait_status_) : "gone");
}

CommandResult RunCommand(const std::vector<std::string>& argv, const fs::path& dir,
                         std::chrono::milliseconds timeout) {
  static std::atomic<int> counter{0};
  CommandResult result;
  if (argv.empty()) return result;
  ProcessSpec spec;
  spec.argv = argv;
  spec.dir = dir;
  spec.name = "cmd" + std::to_string(++counter) + "-" + fs::path(argv[0]).filename().string();
  ChildProcess process;
  std::string error;
  if (!process.Start(spec, &error)) {
    result.output = error;
    return result;
  }
  const auto deadline = Clock::now() + timeout;
  while (process.Running() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::optional<int> status = process.Stop(SIGKILL, std::chrono::seconds(5));
  if (status && WIFEXITED(*status)) result.exit_status = WEXITSTATUS(*status);
  std::ostringstream output;
  output << std::ifstream(process.stdout_path()).rdbuf();
  std::ostringstream errors;
  errors << std::ifstream(process.stderr_path()).rdbuf();
  result.output = output.str() + errors.str();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Ports

namespace {

// host:port as a socket address; false when host is not an IPv4 or IPv6 literal.
bool MakeAddress(const std::string& host, uint16_t port, sockaddr_storage* address,
                 socklen_t* length) {
  *address = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *length = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// A socket connected to host:port, or -1.
int Connect(const std::string& host, uint16_t port) {
  sockaddr_storage address;
  socklen_t length = 0;
  if (!MakeAddress(host, port, &address, &length)) return -1;
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

uint16_t FreeTcpPort(const std::string& host) {
  // Never the same port twice in one test process, even if the kernel offers it again.
  static std::mutex mutex;
  static std::set<uint16_t> handed_out;
  sockaddr_storage address;
  socklen_t length = 0;
  if (!MakeAddress(host, 0, &address, &length)) return 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_storage bound = address;
    socklen_t bound_length = length;
    uint16_t port = 0;
    if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) == 0) {
      port = ntohs(bound.ss_family == AF_INET
                       ? reinterpret_cast<const sockaddr_in*>(&bound)->sin_port
                       : reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
    }
    close(fd);
    if (port == 0) return 0;
    std::lock_guard lock(mutex);
    if (handed_out.insert(port).second) return port;
  }
  return 0;
}

bool TcpPortListening(uint16_t port) {
  char wanted[8];
  std::snprintf(wanted, sizeof(wanted), ":%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // "  sl  local_address rem_address   st ...": state 0A is LISTEN.
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      if (state == "0A" && local.size() > 5 && local.compare(local.size() - 5, 5, wanted) == 0) {
        return true;
      }
    }
  }
  return false;
}

bool WaitForTcpPort(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
                    ChildProcess* process) {
  return WaitUntil(
             [&] {
               if (process != nullptr && !process->Running()) return true;  // checked below
               const int fd = Connect(host, port);
               if (fd < 0) return false;
               close(fd);
               return true;
             },
             timeout, std::chrono::milliseconds(20)) &&
         (process == nullptr || process->Running());
}

// ---------------------------------------------------------------------------------------------
// HTTP

namespace {

// Undoes chunked transfer encoding; false when malformed.
bool Dechunk(std::string_view in, std::string* out) {
  out->clear();
  for (;;) {
    const size_t line_end = in.find("\r\n");
    if (line_end == std::string_view::npos) return false;
    const std::string size_text(in.substr(0, line_end));
    char* end = nullptr;
    const unsigned long size = std::strtoul(size_text.c_str(), &end, 16);
    if (end == size_text.c_str()) return false;
    in.remove_prefix(line_end + 2);
    if (size == 0) return true;
    if (in.size() < size + 2) return false;
    out->append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

HttpResponse HttpGet(const std::string& host, uint16_t port, const std::string& target,
                     std::chrono::milliseconds timeout) {
  HttpResponse response;
  const int fd = Connect(host, port);
  if (fd < 0) {
    response.error = "connect to " + host + ":" + std::to_string(port) + ": " + strerror(errno);
    return response;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const std::string host_header = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host_header + ":" +
                              std::to_string(port) +
                              "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      response.error = std::string("send: ") + strerror(errno);
      close(fd);
      return response;
    }
    sent += static_cast<size_t>(n);
  }
  // Read until the server closes, or until Content-Length bytes of body have arrived.
  const auto deadline = Clock::now() + timeout;
  std::string raw;
  std::optional<size_t> body_start, content_length;
  char buffer[16384];
  for (;;) {
    if (Clock::now() > deadline) {
      response.error = "timed out reading the response";
      break;
    }
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      response.error = std::string("recv: ") + strerror(errno);
      break;
    }
    if (n == 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    if (!body_start) {
      const size_t end = raw.find("\r\n\r\n");
      if (end != std::string::npos) {
        body_start = end + 4;
        const std::string headers = Lower(raw.substr(0, end));
        const size_t at = headers.find("\r\ncontent-length:");
        if (at != std::string::npos) {
          content_length = std::strtoull(headers.c_str() + at + 17, nullptr, 10);
        }
      }
    }
    if (body_start && content_length && raw.size() >= *body_start + *content_length) break;
  }
  close(fd);
  if (!body_start) {
    if (response.error.empty()) response.error = "no complete HTTP header in: " + raw;
    return response;
  }
  // "HTTP/1.1 200 OK"
  if (raw.compare(0, 5, "HTTP/") != 0 || raw.find(' ') == std::string::npos) {
    response.error = "malformed status line: " + raw.substr(0, raw.find("\r\n"));
    return response;
  }
  response.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  const std::string headers = Lower(raw.substr(0, *body_start));
  std::string body = raw.substr(*body_start);
  if (content_length) {
    if (body.size() < *content_length) {
      response.error = "body shorter than Content-Length";
    } else {
      body.resize(*content_length);
    }
  } else if (headers.find("transfer-encoding: chunked") != std::string::npos) {
    std::string plain;
    if (!Dechunk(body, &plain)) response.error = "malformed chunked body";
    body = std::move(plain);
  }
  response.body = std::move(body);
  return response;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

std::optional<double> ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; fields are counted
  // from the last ')'. utime and stime are fields 14 and 15 (1-based).
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<uint64_t> ProcessStatusKib(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
        line[field.size()] == ':') {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return std::nullopt;
}

}  // namespace ribflow::tools
