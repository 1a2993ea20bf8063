#include "bmp/bmp_bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bmp/bmp_sender.h"
#include "bmp/bmp_verify.h"
#include "common/endpoint.h"
#include "process/process.h"

namespace ribflow::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(20);
// pmbmpd is done when its CPU time has not grown for this long after the last byte was sent.
constexpr auto kPmbmpdQuietTime = std::chrono::seconds(1);
// A collector has started when its RSS has not changed for this long.
constexpr auto kSteadyTime = std::chrono::milliseconds(300);

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// 1234567 -> "1,234,567"
std::string Group(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// --- A minimal JSON reader, for the collector's API replies ---------------------------------

struct Json {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  // An object's members, in order: keys[i] names values[i].
  std::vector<std::string> keys;
  std::vector<Json> values;

  const Json* Find(std::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &values[i];
    }
    return nullptr;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  std::optional<Json> Read() {
    Json value;
    if (!Value(&value, 0)) return std::nullopt;
    Space();
    if (pos_ != text_.size()) return std::nullopt;
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  void Space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool String(std::string* out) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\') {
        if (pos_ >= text_.size()) return false;
        c = text_[pos_++];
        if (c == 'u') {  // kept as '?': the API's names are ASCII
          if (pos_ + 4 > text_.size()) return false;
          pos_ += 4;
          c = '?';
        } else if (c == 'n') {
          c = '\n';
        } else if (c == 't') {
          c = '\t';
        }
      }
      *out += c;
    }
    if (pos_ >= text_.size()) return false;
    ++pos_;
    return true;
  }
  bool Value(Json* out, int depth) {
    if (depth > kMaxDepth) return false;
    Space();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '{') {
      out->type = Json::Type::kObject;
      ++pos_;
      Space();
      if (pos_ < text_.size() && text_[pos_] == '}') return ++pos_, true;
      for (;;) {
        Space();
        std::string key;
        if (!String(&key)) return false;
        Space();
        if (pos_ >= text_.size() || text_[pos_++] != ':') return false;
        Json value;
        if (!Value(&value, depth + 1)) return false;
        out->keys.push_back(std::move(key));
        out->values.push_back(std::move(value));
        Space();
        if (pos_ >= text_.size()) return false;
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        return text_[pos_++] == '}';
      }
    }
    if (c == '[') {
      out->type = Json::Type::kArray;
      ++pos_;
      Space();
      if (pos_ < text_.size() && text_[pos_] == ']') return ++pos_, true;
      for (;;) {
        Json value;
        if (!Value(&value, depth + 1)) return false;
        out->array.push_back(std::move(value));
        Space();
        if (pos_ >= text_.size()) return false;
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        return text_[pos_++] == ']';
      }
    }
    if (c == '"') {
      out->type = Json::Type::kString;
      return String(&out->string);
    }
    if (Literal("true") || Literal("false")) {
      out->type = Json::Type::kBool;
      return true;
    }
    if (Literal("null")) return true;
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           std::string_view("+-0123456789.eE").find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    if (pos_ == start) return false;
    out->type = Json::Type::kNumber;
    out->number = std::strtod(std::string(text_.substr(start, pos_ - start)).c_str(), nullptr);
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// What ribflow's GET /api/v1/bmp/routers says, summed over routers.
struct RibflowRouters {
  size_t routers = 0;
  int64_t routes = 0;
  std::optional<uint64_t> messages;  // when the API reports "messages"
};

std::optional<RibflowRouters> ParseRouters(std::string_view body) {
  const auto json = JsonReader(body).Read();
  if (!json || json->type != Json::Type::kObject) return std::nullopt;
  const Json* routers = json->Find("routers");
  if (routers == nullptr || routers->type != Json::Type::kArray) return std::nullopt;
  RibflowRouters out;
  for (const Json& router : routers->array) {
    const Json* routes = router.Find("routes");
    if (routes == nullptr || routes->type != Json::Type::kNumber) return std::nullopt;
    ++out.routers;
    out.routes += static_cast<int64_t>(routes->number);
    if (const Json* messages = router.Find("messages");
        messages != nullptr && messages->type == Json::Type::kNumber) {
      out.messages = out.messages.value_or(0) + static_cast<uint64_t>(messages->number);
    }
  }
  return out;
}

// --- The stream, verification, sending ------------------------------------------------------

std::string PackingName(const BmpStreamConfig& c) {
  return c.prefixes_per_update > 0
             ? fmt::format("at most {} prefixes per UPDATE", c.prefixes_per_update)
             : "UPDATEs packed up to 4096 bytes";
}

void PrintStream(const BmpStream& s) {
  const BmpStreamConfig& c = s.config;
  fmt::print("stream: {} prefixes ({} IPv4, {} IPv6) from {}, {} origin ASes\n",
             Group(s.prefixes()), Group(s.ipv4_prefixes), Group(s.ipv6_prefixes), s.source,
             Group(s.origins));
  fmt::print(
      "  {} router(s) x {} peer(s){}, {}; {} attribute sets per peer ({} per million "
      "prefixes)\n",
      c.routers, c.peers,
      c.add_path > 0 ? fmt::format(", ADD-PATH {} paths", c.add_path) : std::string(),
      PackingName(c), Group(s.attribute_sets_per_peer),
      Group(s.prefixes() > 0
                ? s.attribute_sets_per_peer * 1'000'000 / (s.prefixes() * std::max(1, c.add_path))
                : 0));
  if (c.churn > 0 || c.flaps > 0) {
    fmt::print("  churn {} events per peer ({}% withdrawals), {} flap(s) per router\n",
               Group(c.churn), c.withdraw_percent, c.flaps);
  }
  fmt::print(
      "  total: {} bytes ({:.1f} MiB), {} messages, {} NLRIs announced, {} withdrawn; "
      "{} routes held at the end\n",
      Group(s.bytes()), static_cast<double>(s.bytes()) / (1 << 20), Group(s.messages()),
      Group(s.announced()), Group(s.withdrawn()), Group(s.final_routes()));
  fmt::print("  per router: {} bytes, {} messages; memory held {:.1f} MiB (shared by routers)\n",
             Group(s.routers.front().bytes), Group(s.routers.front().messages),
             static_cast<double>(s.memory_bytes()) / (1 << 20));
  const double mib = static_cast<double>(s.routers.front().bytes) / (1 << 20);
  fmt::print("  table {:.2f} s; encode {:.2f} s ({:.0f} MiB/s, {:.2f} M NLRIs/s)\n",
             s.table_seconds, s.encode_seconds, mib / s.encode_seconds,
             static_cast<double>(s.routers.front().announced + s.routers.front().withdrawn) /
                 s.encode_seconds / 1e6);
}

std::string StreamJson(const BmpStream& s) {
  const BmpStreamConfig& c = s.config;
  return fmt::format(
      "{{\"source\":{},\"prefixes\":{},\"ipv4_prefixes\":{},\"ipv6_prefixes\":{},\"origins\":{},"
      "\"routers\":{},\"peers\":{},\"add_path\":{},\"prefixes_per_update\":{},\"churn\":{},"
      "\"withdraw_percent\":{},\"flaps\":{},\"seed\":{},\"attribute_sets_per_peer\":{},"
      "\"bytes\":{},\"messages\":{},\"announced\":{},\"withdrawn\":{},\"final_routes\":{},"
      "\"memory_bytes\":{},\"table_seconds\":{:.3f},\"encode_seconds\":{:.3f}}}",
      JsonString(s.source), s.prefixes(), s.ipv4_prefixes, s.ipv6_prefixes, s.origins, c.routers,
      c.peers, c.add_path, c.prefixes_per_update, c.churn, c.withdraw_percent, c.flaps, c.seed,
      s.attribute_sets_per_peer, s.bytes(), s.messages(), s.announced(), s.withdrawn(),
      s.final_routes(), s.memory_bytes(), s.table_seconds, s.encode_seconds);
}

std::string VerifyJson(const BmpVerifyResult& v) {
  std::string problems;
  for (const std::string& p : v.problems) problems += (problems.empty() ? "" : ",") + JsonString(p);
  return fmt::format(
      "{{\"ok\":{},\"messages\":{},\"route_monitoring\":{},\"end_of_ribs\":{},\"announced\":{},"
      "\"withdrawn\":{},\"peer_ups\":{},\"peer_downs\":{},\"final_routes\":{},"
      "\"decode_errors\":{},\"first_peer_attribute_sets\":{},\"seconds\":{:.3f},"
      "\"problems\":[{}]}}",
      v.ok(), v.messages, v.route_monitoring, v.end_of_ribs, v.announced, v.withdrawn, v.peer_ups,
      v.peer_downs, v.final_routes, v.decode_errors, v.first_peer_attribute_sets, v.seconds,
      problems);
}

struct SendTotals {
  uint64_t bytes = 0, messages = 0, routes = 0;
  double seconds = 0;  // the slowest router
};
SendTotals Totals(const std::vector<BmpSendResult>& results) {
  SendTotals t;
  for (const BmpSendResult& r : results) {
    t.bytes += r.bytes;
    t.messages += r.messages;
    t.routes += r.routes;
    t.seconds = std::max(t.seconds, r.seconds);
  }
  return t;
}

void PrintSend(const std::vector<BmpSendResult>& results) {
  for (const BmpSendResult& r : results) {
    fmt::print("  router {}: {} bytes, {} messages, {} routes in {:.3f} s ({:.0f} MiB/s){}\n",
               r.source.ToString(), Group(r.bytes), Group(r.messages), Group(r.routes), r.seconds,
               static_cast<double>(r.bytes) / (1 << 20) / std::max(r.seconds, 1e-9),
               r.error.empty() ? "" : "  ERROR: " + r.error);
  }
  const SendTotals t = Totals(results);
  fmt::print(
      "  total: {} bytes, {} messages, {} routes in {:.3f} s ({:.0f} MiB/s, {:.0f} "
      "routes/s)\n",
      Group(t.bytes), Group(t.messages), Group(t.routes), t.seconds,
      static_cast<double>(t.bytes) / (1 << 20) / std::max(t.seconds, 1e-9),
      static_cast<double>(t.routes) / std::max(t.seconds, 1e-9));
}

std::string SendJson(const std::vector<BmpSendResult>& results) {
  std::string routers;
  for (const BmpSendResult& r : results) {
    routers += fmt::format(
        "{}{{\"source\":{},\"bytes\":{},\"messages\":{},\"routes\":{},"
        "\"seconds\":{:.4f},\"error\":{}}}",
        routers.empty() ? "" : ",", JsonString(r.source.ToString()), r.bytes, r.messages, r.routes,
        r.seconds, JsonString(r.error));
  }
  const SendTotals t = Totals(results);
  return fmt::format(
      "{{\"bytes\":{},\"messages\":{},\"routes\":{},\"seconds\":{:.4f},"
      "\"routers\":[{}]}}",
      t.bytes, t.messages, t.routes, t.seconds, routers);
}

int SendToTarget(const BmpStream& stream, const BmpBenchConfig& config, std::string* json) {
  const auto target = Endpoint::Parse(config.target);
  if (!target) {
    fmt::print(stderr, "--target: \"{}\" is not ADDR:PORT\n", config.target);
    return 2;
  }
  const auto timeout =
      std::chrono::milliseconds(static_cast<int64_t>(config.timeout_seconds * 1000));
  auto sender =
      BmpSender::Connect(stream, *target, std::min(timeout, std::chrono::milliseconds(10000)));
  if (!sender.ok()) {
    fmt::print(stderr, "send: {}\n", sender.status().ToString());
    return 1;
  }
  (*sender)->Start();
  (*sender)->Wait();
  if (!config.json) {
    fmt::print("send to {}:\n", target->ToString());
    PrintSend((*sender)->results());
  }
  *json = SendJson((*sender)->results());
  if (config.hold_seconds > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(config.hold_seconds));
  }
  (*sender)->Close();
  return (*sender)->ok() ? 0 : 1;
}

// --- Collectors side by side ----------------------------------------------------------------

struct CollectorResult {
  std::string name;
  std::string error;       // empty when measured
  std::string completion;  // how the end of ingestion was decided
  std::string output_path;
  double ready_seconds = 0;       // from spawn to ready
  double send_seconds = 0;        // the sender's last byte, from its start
  double ingest_seconds = 0;      // ingestion complete, from the sender's start
  double cpu_seconds = 0;         // CPU used from ready to complete
  double cpu_total_seconds = 0;   // CPU used since spawn
  uint64_t baseline_rss_kib = 0;  // VmRSS once ready
  uint64_t peak_rss_kib = 0;      // VmHWM once complete
  uint64_t final_rss_kib = 0;     // VmRSS once complete
  int64_t routes_reported = -1;   // what the collector says it holds; -1: cannot tell
  std::vector<BmpSendResult> send;

  bool ok() const { return error.empty(); }
  int64_t net_peak_kib() const {
    return static_cast<int64_t>(peak_rss_kib) - static_cast<int64_t>(baseline_rss_kib);
  }
};

// How one collector is run and judged complete.
struct CollectorSpec {
  std::string name;
  std::vector<std::string> argv;
  uint16_t bmp_port = 0;
  // Ready to receive, beyond its BMP port listening (ribflow: the API answers).
  std::function<bool()> ready;
  // Called every kPollInterval once sending started, with whether the sender is done, when it
  // finished, and when the collector's CPU time last grew. Returns when ingestion completed
  // (nullopt: not yet), and may fill `routes` with what the collector says it holds.
  std::function<std::optional<SteadyClock::time_point>(bool sent, SteadyClock::time_point sent_at,
                                                       SteadyClock::time_point cpu_grew_at,
                                                       int64_t* routes)>
      complete;
  // Run once measured, before the collector is stopped (pmbmpd's dump check); may fill the
  // routes reported, or return an error.
  std::function<std::string(CollectorResult*)> after;
  std::string log_path;  // its log, when not its output
  // Between SIGTERM and SIGKILL when stopping it.
  std::chrono::milliseconds stop_grace{5000};
};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

CollectorResult RunCollector(const BmpStream& stream, const BmpBenchConfig& config,
                             const CollectorSpec& spec, const std::string& dir) {
  CollectorResult result;
  result.name = spec.name;
  result.output_path = dir + "/" + spec.name + ".out";
  const auto timeout =
      std::chrono::milliseconds(static_cast<int64_t>(config.timeout_seconds * 1000));
  auto fail = [&](std::string why, tools::ChildProcess* child) {
    if (child != nullptr && !child->Running()) why += " (" + child->Describe() + ")";
    if (child != nullptr) child->Stop(SIGTERM, spec.stop_grace);
    std::string tail;
    if (!spec.log_path.empty()) {
      const std::string log = ReadWholeFile(spec.log_path);
      tail = log.substr(log.size() - std::min<size_t>(log.size(), 2000));
    } else if (child != nullptr) {
      tail = child->OutputTail();
    }
    result.error = why;
    if (!tail.empty()) result.error += "\n  end of its output:\n" + tail;
    return result;
  };

  const auto spawned_at = SteadyClock::now();
  tools::ChildProcess child_process;
  tools::ProcessSpec process_spec;
  process_spec.argv = spec.argv;
  process_spec.dir = dir;
  process_spec.name = spec.name;
  if (std::string error; !child_process.Start(process_spec, &error)) return fail(error, nullptr);
  tools::ChildProcess* child = &child_process;
  result.output_path = child->stderr_path().string();

  // Ready: the BMP port listens (read from /proc: a test connection would count as a router).
  for (;;) {
    if (!child->Running()) return fail("exited while starting", child);
    if (tools::TcpPortListening(spec.bmp_port) && (!spec.ready || spec.ready())) break;
    if (SteadyClock::now() - spawned_at > std::min(timeout, std::chrono::milliseconds(60000))) {
      return fail("not ready after 60 s", child);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.ready_seconds = Seconds(SteadyClock::now() - spawned_at);
  // Startup goes on after the port listens (pmbmpd allocates and clears its tables after
  // listen()): the baseline is taken once the RSS has not moved for kSteadyTime, or after 10 s.
  {
    const auto settle_deadline = SteadyClock::now() + std::chrono::seconds(10);
    uint64_t rss = tools::ProcessStatusKib(child->pid(), "VmRSS").value_or(0);
    auto steady_since = SteadyClock::now();
    while (SteadyClock::now() - steady_since < kSteadyTime &&
           SteadyClock::now() < settle_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!child->Running()) return fail("exited while starting", child);
      const uint64_t now_rss = tools::ProcessStatusKib(child->pid(), "VmRSS").value_or(0);
      if (now_rss != rss) {
        rss = now_rss;
        steady_since = SteadyClock::now();
      }
    }
  }
  const double baseline_cpu = tools::ProcessCpuSeconds(child->pid()).value_or(0);
  result.baseline_rss_kib = tools::ProcessStatusKib(child->pid(), "VmRSS").value_or(0);

  Endpoint target;
  target.address = IpAddress::FromV4(0x7f000001);
  target.port = spec.bmp_port;
  auto sender = BmpSender::Connect(stream, target, std::chrono::seconds(10));
  if (!sender.ok()) return fail(sender.status().ToString(), child);
  (*sender)->Start();
  const auto start = (*sender)->start_time();
  double cpu = baseline_cpu;
  auto cpu_grew_at = start;
  std::optional<SteadyClock::time_point> done_at;
  int64_t routes = -1;
  for (;;) {
    std::this_thread::sleep_for(kPollInterval);
    if (!child->Running()) {
      (*sender)->Abort();
      return fail("exited while ingesting", child);
    }
    const auto now = SteadyClock::now();
    if (const auto c = tools::ProcessCpuSeconds(child->pid()); c && *c > cpu) {
      cpu = *c;
      cpu_grew_at = now;
    }
    const bool sent = (*sender)->Done();
    if (sent && !(*sender)->ok()) {
      (*sender)->Wait();
      result.send = (*sender)->results();
      return fail("sending failed", child);
    }
    done_at = spec.complete(sent, sent ? (*sender)->end_time() : now, cpu_grew_at, &routes);
    if (done_at) break;
    if (now - start > timeout) {
      (*sender)->Abort();
      result.send = (*sender)->results();
      return fail(fmt::format("ingestion not complete after {:.0f} s (routes reported: {}, "
                              "expected {})",
                              config.timeout_seconds, routes, stream.final_routes()),
                  child);
    }
  }
  // Measured at once: the collector is idle now (pmbmpd) or just done (ribflow).
  result.cpu_total_seconds = tools::ProcessCpuSeconds(child->pid()).value_or(cpu);
  result.cpu_seconds = result.cpu_total_seconds - baseline_cpu;
  result.peak_rss_kib = tools::ProcessStatusKib(child->pid(), "VmHWM").value_or(0);
  result.final_rss_kib = tools::ProcessStatusKib(child->pid(), "VmRSS").value_or(0);
  (*sender)->Wait();
  result.send = (*sender)->results();
  result.send_seconds = Seconds((*sender)->end_time() - start);
  result.ingest_seconds = Seconds(*done_at - start);
  result.routes_reported = routes;
  if (spec.after) {
    if (std::string e = spec.after(&result); !e.empty()) return fail(e, child);
  }
  child->Stop(SIGTERM, spec.stop_grace);
  (*sender)->Close();
  return result;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

std::optional<CollectorSpec> RibflowSpec(const BmpStream& stream, const BmpBenchConfig& config,
                                         const std::string& dir, std::string* error) {
  const uint16_t bmp_port = tools::FreeTcpPort();
  uint16_t http_port = tools::FreeTcpPort();
  while (bmp_port != 0 && http_port == bmp_port) http_port = tools::FreeTcpPort();
  if (bmp_port == 0 || http_port == 0) {
    *error = "no free port";
    return std::nullopt;
  }
  const std::string cfg = dir + "/ribflow.yaml";
  if (!WriteFile(cfg, fmt::format("bmp:\n  listen: \"127.0.0.1:{}\"\nhttp:\n  listen: "
                                  "\"127.0.0.1:{}\"\n",
                                  bmp_port, http_port))) {
    *error = "cannot write " + cfg;
    return std::nullopt;
  }
  CollectorSpec spec;
  spec.name = "ribflow";
  // Absolute: the child runs in the temporary directory.
  spec.argv = {std::filesystem::absolute(config.ribflow).string(), "outlet", "--config", cfg};
  spec.bmp_port = bmp_port;
  const uint16_t http = http_port;
  spec.ready = [http] {
    return tools::HttpGet("127.0.0.1", http, "/api/v1/bmp/routers", std::chrono::seconds(2))
               .status == 200;
  };
  const int64_t expected_routes = static_cast<int64_t>(stream.final_routes());
  const uint64_t expected_messages = stream.messages();
  const size_t expected_routers = stream.routers.size();
  spec.complete = [=](bool sent, SteadyClock::time_point, SteadyClock::time_point,
                      int64_t* routes) -> std::optional<SteadyClock::time_point> {
    const tools::HttpResponse r =
        tools::HttpGet("127.0.0.1", http, "/api/v1/bmp/routers", std::chrono::seconds(5));
    const auto now = SteadyClock::now();
    if (r.status != 200) return std::nullopt;
    const auto state = ParseRouters(r.body);
    if (!state) return std::nullopt;
    *routes = state->routes;
    // Every message in, when the API says (flaps make the route count pass through the final
    // figure mid-stream), and the routes the stream leaves.
    if (sent && state->routers == expected_routers && state->routes == expected_routes &&
        (!state->messages || *state->messages == expected_messages)) {
      return now;
    }
    return std::nullopt;
  };
  return spec;
}

// The ENTRIES count of the first "Dumping BMP tables - END (... ENTRIES: N ...)" line of
// pmbmpd's log at or after `from`; -1 when there is none yet.
int64_t DumpEntries(const std::string& log, size_t from) {
  const size_t end = log.find("Dumping BMP tables - END", from);
  if (end == std::string::npos) return -1;
  const size_t line_end = log.find('\n', end);
  if (line_end == std::string::npos) return -1;  // the line is still being written
  const size_t entries = log.find("ENTRIES: ", end);
  if (entries == std::string::npos || entries > line_end) return -1;
  return std::strtoll(log.c_str() + entries + 9, nullptr, 10);
}

std::optional<CollectorSpec> PmbmpdSpec(const BmpStream& stream, const BmpBenchConfig& config,
                                        const std::string& dir, std::string* error) {
  const uint16_t port = tools::FreeTcpPort();
  if (port == 0) {
    *error = "no free port";
    return std::nullopt;
  }
  const std::string conf = dir + "/pmbmpd.conf";
  const std::string log = dir + "/pmbmpd.log";
  std::string text = fmt::format(
      "! ribflow-bench bmp (no msglog)\n"
      "daemonize: false\n"
      "pidfile: {}/pmbmpd.pid\n"
      "logfile: {}\n"
      "bmp_daemon_ip: 127.0.0.1\n"
      "bmp_daemon_port: {}\n"
      "bmp_daemon_max_peers: {}\n",
      dir, log, port, stream.routers.size() + 1);
  // Standalone pmbmpd keeps no RIB at all unless a dump backend is configured (skip_rib in
  // pmacct's bmp_link_misc_structs): a dump file is what makes it store routes. Its first dump
  // is bmp_dump_refresh_time after the minute it started: a day, or a minute for the check.
  if (!config.pmbmpd_parse_only) {
    text += fmt::format(
        "! a dump backend, so that pmbmpd keeps a RIB\n"
        "bmp_dump_file: /dev/null\nbmp_dump_refresh_time: {}\n",
        config.pmbmpd_dump_check ? 60 : 86400);
  }
  if (!WriteFile(conf, text)) {
    *error = "cannot write " + conf;
    return std::nullopt;
  }
  CollectorSpec spec;
  spec.name = config.pmbmpd_parse_only ? "pmbmpd-parse-only" : "pmbmpd";
  spec.argv = {config.pmbmpd, "-f", conf};
  spec.bmp_port = port;
  spec.log_path = log;
  // pmbmpd blocks its signals outside a short window before select(): when idle it only sees
  // SIGTERM with its next input. SIGKILL follows soon.
  spec.stop_grace = std::chrono::milliseconds(500);
  spec.complete = [](bool sent, SteadyClock::time_point sent_at,
                     SteadyClock::time_point cpu_grew_at,
                     int64_t*) -> std::optional<SteadyClock::time_point> {
    if (!sent) return std::nullopt;
    const auto last = std::max(sent_at, cpu_grew_at);
    if (SteadyClock::now() - last < kPmbmpdQuietTime) return std::nullopt;
    return last;
  };
  if (config.pmbmpd_dump_check && !config.pmbmpd_parse_only) {
    const double timeout = config.timeout_seconds;
    spec.after = [log, timeout](CollectorResult* r) -> std::string {
      // A dump that ran during ingestion shows part of the table: wait for the next one (each
      // minute), which pmbmpd runs in a forked child and logs with its ENTRIES.
      const size_t from = ReadWholeFile(log).size();
      const auto deadline =
          SteadyClock::now() + std::chrono::duration<double>(std::min(timeout, 150.0));
      for (;;) {
        if (const int64_t entries = DumpEntries(ReadWholeFile(log), from); entries >= 0) {
          r->routes_reported = entries;
          return "";
        }
        if (SteadyClock::now() > deadline) return "no RIB dump in pmbmpd's log within 150 s";
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    };
  }
  return spec;
}

void PrintCollector(const CollectorResult& r, const BmpStream& stream) {
  if (!r.ok()) {
    fmt::print("{}: FAILED: {}\n", r.name, r.error);
    return;
  }
  const double routes = static_cast<double>(stream.announced() + stream.withdrawn());
  fmt::print("{}: ready in {:.2f} s; {}\n", r.name, r.ready_seconds, r.completion);
  fmt::print("  sent in {:.3f} s, ingested in {:.3f} s ({:.0f} routes/s)\n", r.send_seconds,
             r.ingest_seconds, routes / r.ingest_seconds);
  fmt::print("  CPU {:.2f} s ({:.0f} routes per CPU-second), {:.2f} s since start\n", r.cpu_seconds,
             routes / std::max(r.cpu_seconds, 1e-9), r.cpu_total_seconds);
  fmt::print(
      "  RSS after startup {:.1f} MiB, peak {:.1f} MiB (net {:.1f} MiB), at the end "
      "{:.1f} MiB\n",
      r.baseline_rss_kib / 1024.0, r.peak_rss_kib / 1024.0, r.net_peak_kib() / 1024.0,
      r.final_rss_kib / 1024.0);
  if (r.routes_reported >= 0) {
    fmt::print("  routes it reports holding: {} (stream leaves {})\n", Group(r.routes_reported),
               Group(stream.final_routes()));
  }
}

std::string CollectorJson(const CollectorResult& r, const BmpStream& stream) {
  const double routes = static_cast<double>(stream.announced() + stream.withdrawn());
  if (!r.ok()) {
    return fmt::format("{{\"name\":{},\"ok\":false,\"error\":{}}}", JsonString(r.name),
                       JsonString(r.error));
  }
  return fmt::format(
      "{{\"name\":{},\"ok\":true,\"completion\":{},\"ready_seconds\":{:.3f},"
      "\"send_seconds\":{:.4f},\"ingest_seconds\":{:.4f},\"routes_per_second\":{:.0f},"
      "\"cpu_seconds\":{:.3f},\"cpu_total_seconds\":{:.3f},\"routes_per_cpu_second\":{:.0f},"
      "\"baseline_rss_kib\":{},\"peak_rss_kib\":{},\"net_peak_rss_kib\":{},\"final_rss_kib\":{},"
      "\"routes_reported\":{},\"send\":{}}}",
      JsonString(r.name), JsonString(r.completion), r.ready_seconds, r.send_seconds,
      r.ingest_seconds, routes / r.ingest_seconds, r.cpu_seconds, r.cpu_total_seconds,
      routes / std::max(r.cpu_seconds, 1e-9), r.baseline_rss_kib, r.peak_rss_kib, r.net_peak_kib(),
      r.final_rss_kib, r.routes_reported, SendJson(r.send));
}

struct Ratios {
  double wall = 0, cpu = 0, peak = 0, net_peak = 0;
};
Ratios RatiosOf(const CollectorResult& pmbmpd, const CollectorResult& ribflow) {
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  return {
      ratio(pmbmpd.ingest_seconds, ribflow.ingest_seconds),
      ratio(pmbmpd.cpu_seconds, ribflow.cpu_seconds),
      ratio(static_cast<double>(pmbmpd.peak_rss_kib), static_cast<double>(ribflow.peak_rss_kib)),
      ratio(static_cast<double>(pmbmpd.net_peak_kib()),
            static_cast<double>(ribflow.net_peak_kib()))};
}

int Compare(const BmpStream& stream, const BmpBenchConfig& config, std::string* json) {
  char templ[] = "/tmp/ribflow-bench-bmp-XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    fmt::print(stderr, "mkdtemp failed\n");
    return 1;
  }
  const std::string dir = templ;
  std::vector<CollectorResult> results;
  for (const std::string& name : config.collectors) {
    std::string error;
    std::optional<CollectorSpec> spec;
    if (name == "ribflow") {
      if (access(config.ribflow.c_str(), X_OK) != 0) {
        error = fmt::format("{}: no such executable (--ribflow BIN; or --collectors pmbmpd)",
                            config.ribflow);
      } else {
        spec = RibflowSpec(stream, config, dir, &error);
      }
    } else if (name == "pmbmpd" || name == "pmbmpd-parse-only") {
      BmpBenchConfig c = config;
      c.pmbmpd_parse_only = config.pmbmpd_parse_only || name == "pmbmpd-parse-only";
      spec = PmbmpdSpec(stream, c, dir, &error);
    } else {
      error = "unknown collector (ribflow, pmbmpd, pmbmpd-parse-only)";
    }
    CollectorResult r;
    if (spec) {
      if (!config.json) fmt::print("running {} ...\n", name);
      std::fflush(stdout);
      r = RunCollector(stream, config, *spec, dir);
      r.completion =
          name == "ribflow"
              ? "complete when GET /api/v1/bmp/routers reported every route (and message) sent"
              : "complete when its CPU time stopped growing for 1 s after the last byte sent" +
                    std::string(name == "pmbmpd" && !config.pmbmpd_parse_only
                                    ? " (RIB kept: dump backend configured)"
                                    : " (parse only: no dump backend, so no RIB)");
    } else {
      r.name = name;
      r.error = error;
    }
    if (!config.json) PrintCollector(r, stream);
    results.push_back(std::move(r));
  }

  const CollectorResult* ribflow = nullptr;
  const CollectorResult* pmbmpd = nullptr;
  for (const CollectorResult& r : results) {
    if (r.ok() && r.name == "ribflow") ribflow = &r;
    if (r.ok() && r.name == "pmbmpd") pmbmpd = &r;
  }
  std::string ratios_json = "null";
  if (ribflow != nullptr && pmbmpd != nullptr) {
    const Ratios q = RatiosOf(*pmbmpd, *ribflow);
    const double routes = static_cast<double>(stream.announced() + stream.withdrawn());
    if (!config.json) {
      fmt::print("\n{:<28}{:>14}{:>14}{:>16}\n", "", "ribflow", "pmbmpd", "pmbmpd/ribflow");
      fmt::print("{:<28}{:>14.3f}{:>14.3f}{:>16.2f}\n", "ingest wall time (s)",
                 ribflow->ingest_seconds, pmbmpd->ingest_seconds, q.wall);
      fmt::print("{:<28}{:>14.0f}{:>14.0f}{:>16.2f}\n", "routes/s (wall)",
                 routes / ribflow->ingest_seconds, routes / pmbmpd->ingest_seconds,
                 q.wall > 0 ? 1 / q.wall : 0.0);
      fmt::print("{:<28}{:>14.2f}{:>14.2f}{:>16.2f}\n", "CPU (s)", ribflow->cpu_seconds,
                 pmbmpd->cpu_seconds, q.cpu);
      fmt::print("{:<28}{:>14.0f}{:>14.0f}{:>16.2f}\n", "routes per CPU-second",
                 routes / std::max(ribflow->cpu_seconds, 1e-9),
                 routes / std::max(pmbmpd->cpu_seconds, 1e-9), q.cpu > 0 ? 1 / q.cpu : 0.0);
      fmt::print("{:<28}{:>14.1f}{:>14.1f}{:>16.2f}\n", "peak RSS (MiB)",
                 ribflow->peak_rss_kib / 1024.0, pmbmpd->peak_rss_kib / 1024.0, q.peak);
      fmt::print("{:<28}{:>14.1f}{:>14.1f}{:>16.2f}\n", "peak RSS net of startup (MiB)",
                 ribflow->net_peak_kib() / 1024.0, pmbmpd->net_peak_kib() / 1024.0, q.net_peak);
    }
    ratios_json = fmt::format(
        "{{\"ingest_seconds\":{:.3f},\"cpu_seconds\":{:.3f},\"peak_rss\":{:.3f},"
        "\"net_peak_rss\":{:.3f}}}",
        q.wall, q.cpu, q.peak, q.net_peak);
  }
  std::string collectors;
  for (const CollectorResult& r : results) {
    collectors += (collectors.empty() ? "" : ",") + CollectorJson(r, stream);
  }
  *json = fmt::format("{{\"collectors\":[{}],\"ratios_pmbmpd_over_ribflow\":{},\"dir\":{}}}",
                      collectors, ratios_json, JsonString(dir));
  const bool ok =
      std::all_of(results.begin(), results.end(), [](const CollectorResult& r) { return r.ok(); });
  if (config.keep_temp || !ok) {
    if (!config.json) fmt::print("configs and logs kept in {}\n", dir);
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return ok ? 0 : 1;
}

}  // namespace

int RunBmpBench(const BmpBenchConfig& config) {
  auto stream = BuildBmpStream(config.stream);
  if (!stream.ok()) {
    fmt::print(stderr, "bmp: {}\n", stream.status().ToString());
    return 1;
  }
  if (!config.json) PrintStream(*stream);
  int rc = 0;
  std::string verify_json = "null", send_json = "null", compare_json = "null";
  if (config.verify) {
    const BmpVerifyResult v = VerifyBmpStream(*stream);
    verify_json = VerifyJson(v);
    if (!config.json) {
      fmt::print(
          "verify: {} in {:.2f} s: {} messages ({} route monitoring, {} End-of-RIB), {} "
          "Peer Up, {} Peer Down, {} NLRIs announced, {} withdrawn, {} routes held at "
          "the end, {} attribute sets (first peer), {} decode errors\n",
          v.ok() ? "OK" : "FAILED", v.seconds, Group(v.messages), Group(v.route_monitoring),
          Group(v.end_of_ribs), Group(v.peer_ups), Group(v.peer_downs), Group(v.announced),
          Group(v.withdrawn), Group(v.final_routes), Group(v.first_peer_attribute_sets),
          Group(v.decode_errors));
      for (const std::string& p : v.problems) fmt::print("  {}\n", p);
    }
    if (!v.ok()) rc = 1;
  }
  if (rc == 0 && !config.target.empty()) rc = SendToTarget(*stream, config, &send_json);
  if (rc == 0 && config.compare) rc = Compare(*stream, config, &compare_json);
  if (config.json) {
    fmt::print("{{\"stream\":{},\"verify\":{},\"send\":{},\"compare\":{}}}\n", StreamJson(*stream),
               verify_json, send_json, compare_json);
  }
  return rc;
}

}  // namespace ribflow::bench
