// Real routers exporting BMP: FRR 8.4 (`bgpd -M bmp`) and gobgpd 3.10, each fed routes over a
// real BGP session on loopback, first into a BMP sink decoded with our own codec (what the
// exporters send), then into the collector (`ribflow outlet`), whose HTTP API must show exactly
// the injected routes through neighbor shutdown, BMP session loss (stale, then flush) and
// revival.
//
// Topology (all on 127.0.0.x, data in a temp dir, every child killed at the end):
//
//   injector gobgpd 127.0.0.2, AS 4200000001 (4-octet), passive, ADD-PATH send for IPv4 and
//   IPv6 unicast; routes added with `gobgp global rib add` (InjectedPaths(): IPv4 and IPv6,
//   communities, large communities, 4-octet ASNs in paths, two paths for 192.0.2.0/24 with
//   distinct identifiers, documentation next hops, since FRR resets sessions over Martian ones)
//        |  eBGP over loopback                         |
//   FRR bgpd -M bmp 127.0.0.3, AS 65000           gobgpd 127.0.0.4, AS 65100
//   (no zebra, connects to the injector;          (connects to the injector; ADD-PATH receive;
//   soft-reconfiguration inbound, without which   [[bmp-servers]] route-monitoring-policy "all":
//   its pre-policy monitoring sends withdrawals;  pre-, post-policy and Loc-RIB)
//   BMP pre- and post-policy, IPv4 and IPv6)
//        |  BMP                                        |  BMP
//   the BMP sink (test 1) or, through a TCP relay per collector (test 2), collectors A and B
//
// The relay (TcpTap) forwards each BMP connection from the exporter's own address (127.0.0.3,
// 127.0.0.4): exporters connecting to 127.0.0.1 all come from 127.0.0.1, and the collector
// names a router by its source address. The relay also lets the test cut a BMP session without
// touching the router, and keeps the bytes for diagnostics.
//
// Collector test, once per exporter (one exporter per topology, so that each exporter's
// failures stand alone and gobgpd's slow reconnects do not slow FRR's run):
//   collector A: keep 3 s; collector B: keep 60 s; both fed by the exporter at once.
//   1. Both RIBs hold exactly the expected routes (ExpectedRoutes(): per RIB, peer, prefix,
//      ADD-PATH path id and attributes), checked through /api/v1/rib/routes for every injected
//      prefix and through the route counts of /api/v1/bmp/peers (so nothing else is there);
//      /api/v1/bmp/routers and /api/v1/rib/lookup agree.
//   2. The BMP session dies: FRR's connections are cut at the relays, which refuse FRR's
//      redials for a while; gobgpd is killed (SIGKILL). In A and B the peers turn "stale" with
//      their routes and the router "down". A flushes them after its 3 s keep. B revives them
//      (B's relay lets FRR back in at once; gobgpd is restarted once A has flushed): peers
//      "up", routes exact, and a watcher polling B throughout sees no route missing. A then
//      gets the router back and holds the routes again.
//      FRR is reconnected, not restarted: a restarted bgpd sends a Peer Down for its neighbor
//      (BGP ID 0, FSM event 0) before the Peer Up, so its routes rightly go.
//   3. The BGP neighbor is shut down on the exporter (vtysh `neighbor shutdown`, `gobgp
//      neighbor disable`): its routes are flushed in A and B.
//
// What the exporters send (asserted by the sink test, see ExpectedRoutes()):
// - FRR 8.4: no ADD-PATH path identifiers in Route Monitoring although its Peer Up carries
//   OPENs that negotiate ADD-PATH receive (FRR advertises it by default): a reader following
//   the OPENs mis-reads every FRR route. Of two paths for one prefix only the last one sent is
//   left per RIB (live updates send both, a reconnect's table dump sends one). AS paths carry
//   FRR's own AS prepended (65000 4200000001 ...), as if sent to the peer. A Peer Down with
//   BGP ID 0 precedes the first Peer Up at start; a BMP reconnect starts with Initiation, Peer
//   Up and the whole table, then End-of-RIB markers, with no Peer Down.
// - gobgpd 3.10: pre-policy routes carry the ADD-PATH path ids the injector sent (1 and 2 for
//   the two paths, numbered by the injector in the order they were added); post-policy
//   routes carry none, although they share the pre-policy Peer Up's negotiated ADD-PATH;
//   Loc-RIB routes (peer type 3, address zero, no Peer Up) are the best paths. `neighbor
//   disable` sends a Peer Down (reason 1 with the NOTIFICATION, or 4); it sends no
//   statistics before its 15 s minimum interval.
//
// Pitfalls met: gobgpd dials its BGP peers 5-10 s after it starts (minimum connect-retry 5 s,
// randomized), so each gobgpd-to-gobgpd session takes that long; its injector side needs
// `idle-hold-time-after-reset` short, or it refuses the restarted exporter for 30 s. After a
// collector restart gobgpd reconnects its BMP session only ~30 s later: the test restarts the
// exporter, never the collector, and starts the collectors before the exporters.
//
// RIBFLOW_BINARY in the environment overrides the collector binary (the test skips without
// one); RIBFLOW_KEEP_TEMP keeps the temp dir (configs, every daemon's output) for a post-mortem.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "bgp/open.h"
#include "bgp/update.h"
#include "bmp/framer.h"
#include "bmp/message.h"
#include "process/process.h"

#ifndef RIBFLOW_BINARY
#define RIBFLOW_BINARY ""
#endif

namespace ribflow {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using tools::ChildProcess;
using tools::HttpGet;
using tools::ProcessSpec;
using tools::WaitUntil;
using Clock = std::chrono::steady_clock;

constexpr char kFrrBgpd[] = "/usr/lib/frr/bgpd";

constexpr char kInjectorAddress[] = "127.0.0.2";
constexpr char kFrrAddress[] = "127.0.0.3";
constexpr char kGobgpAddress[] = "127.0.0.4";
constexpr uint32_t kInjectorAs = 4200000001;
constexpr uint32_t kFrrAs = 65000;
constexpr uint32_t kGobgpAs = 65100;
constexpr char kFrrHostname[] = "ribflow-frr";
constexpr char kGobgpSysName[] = "ribflow-gobgp";
constexpr char kGobgpSysDescr[] = "gobgpd exporter of the ribflow integration test";

constexpr char kPrePolicy[] = "adj_rib_in_pre_policy";
constexpr char kPostPolicy[] = "adj_rib_in_post_policy";
constexpr char kLocRib[] = "loc_rib";

enum class Exporter { kFrr, kGobgp };
void PrintTo(Exporter exporter, std::ostream* out) {
  *out << (exporter == Exporter::kFrr ? "FRR" : "gobgpd");
}

const char* AddressOf(Exporter exporter) {
  return exporter == Exporter::kFrr ? kFrrAddress : kGobgpAddress;
}

// ---------------------------------------------------------------------------------------------
// A small JSON reader, enough for the collector's API.

struct Json {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  // Object members, in order: names[i] names values[i]. (Two vectors: a vector of pairs would
  // need Json complete.)
  std::vector<std::string> names;
  std::vector<Json> values;

  // The member `key`, or a null value.
  const Json& operator[](std::string_view key) const {
    static const Json kNull;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == key) return values[i];
    }
    return kNull;
  }
  std::string str() const { return type == Type::kString ? string : ""; }
  int64_t integer() const { return type == Type::kNumber ? static_cast<int64_t>(number) : -1; }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  std::optional<Json> Read(std::string* error) {
    Json value;
    if (!Value(&value, 0) || (SkipSpace(), pos_ != text_.size())) {
      *error = "malformed JSON at offset " + std::to_string(pos_) + ": " +
               std::string(text_.substr(0, 300));
      return std::nullopt;
    }
    return value;
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() &&
           std::string_view(" \t\r\n").find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool Value(Json* out, int depth) {
    if (depth > 64) return false;
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '{') return Object(out, depth);
    if (c == '[') return Array(out, depth);
    if (c == '"') {
      out->type = Json::Type::kString;
      return String(&out->string);
    }
    if (Literal("true")) {
      out->type = Json::Type::kBool;
      out->boolean = true;
      return true;
    }
    if (Literal("false")) {
      out->type = Json::Type::kBool;
      return true;
    }
    if (Literal("null")) return true;
    return Number(out);
  }
  bool Number(Json* out) {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           std::string_view("+-0123456789.eE").find(text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    if (pos_ == start) return false;
    const std::string number(text_.substr(start, pos_ - start));
    char* end = nullptr;
    out->type = Json::Type::kNumber;
    out->number = std::strtod(number.c_str(), &end);
    return end == number.c_str() + number.size();
  }
  bool String(std::string* out) {
    ++pos_;  // the opening quote
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case 'n':
          out->push_back('\n');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return false;
          const unsigned code = std::stoul(std::string(text_.substr(pos_, 4)), nullptr, 16);
          pos_ += 4;
          // UTF-8 of a BMP code point (surrogate pairs are not needed here).
          if (code < 0x80) {
            out->push_back(static_cast<char>(code));
          } else if (code < 0x800) {
            out->push_back(static_cast<char>(0xc0 | (code >> 6)));
            out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
          } else {
            out->push_back(static_cast<char>(0xe0 | (code >> 12)));
            out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
            out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
          }
          break;
        }
        default:
          out->push_back(e);  // \" \\ \/
      }
    }
    return false;
  }
  bool Array(Json* out, int depth) {
    out->type = Json::Type::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      Json element;
      if (!Value(&element, depth + 1)) return false;
      out->array.push_back(std::move(element));
      SkipSpace();
      if (pos_ >= text_.size()) return false;
      if (text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      if (text_[pos_++] != ',') return false;
    }
  }
  bool Object(Json* out, int depth) {
    out->type = Json::Type::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      std::string name;
      if (pos_ >= text_.size() || text_[pos_] != '"' || !String(&name)) return false;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_++] != ':') return false;
      Json member;
      if (!Value(&member, depth + 1)) return false;
      out->names.push_back(std::move(name));
      out->values.push_back(std::move(member));
      SkipSpace();
      if (pos_ >= text_.size()) return false;
      if (text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      if (text_[pos_++] != ',') return false;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The routes: what is injected, what each exporter must report, and how routes compare.

// One path as the injector announces it, or (in ExpectedRoutes) as the exporter reports it.
struct Path {
  std::string prefix;
  std::string next_hop;
  std::vector<uint32_t> as_path;
  std::vector<std::string> communities;        // "64496:100"
  std::vector<std::string> large_communities;  // "4200000001:1:2"
};

std::string Join(const std::vector<std::string>& items, const char* separator = ",") {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

std::string Describe(const Path& path) {
  std::string as_path;
  for (uint32_t asn : path.as_path) as_path += (as_path.empty() ? "" : " ") + std::to_string(asn);
  return path.prefix + " nh " + path.next_hop + " path [" + as_path + "] comm [" +
         Join(path.communities) + "] large [" + Join(path.large_communities) + "]";
}

bool SameAttributes(const Path& a, const Path& b) {
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  return a.prefix == b.prefix && a.next_hop == b.next_hop && a.as_path == b.as_path &&
         sorted(a.communities) == sorted(b.communities) &&
         sorted(a.large_communities) == sorted(b.large_communities);
}

// Announced by the injector. Paths of one prefix are announced in this order, with ADD-PATH
// identifiers 1, 2, ... when a prefix has several. The first path of a prefix is its best (the
// shortest AS path).
const std::vector<Path>& InjectedPaths() {
  static const std::vector<Path> paths = {
      {"203.0.113.0/24", "198.51.100.1", {65010}, {"64496:100", "64496:200"}, {"4200000001:1:2"}},
      {"192.0.2.0/24", "198.51.100.1", {65020, 4200000002}, {"64496:1"}, {}},
      {"192.0.2.0/24", "198.51.100.2", {65021, 65022, 4200000002}, {"64496:2"}, {"64496:7:8"}},
      {"2001:db8:1::/48",
       "2001:db8::1",
       {65030, 4200000003},
       {"64496:300"},
       {"64496:3:4", "4200000001:5:6"}},
      {"2001:db8:2::/48", "2001:db8::2", {4200000004}, {}, {}},
  };
  return paths;
}

std::vector<std::string> InjectedPrefixes() {
  std::vector<std::string> prefixes;
  for (const Path& path : InjectedPaths()) {
    if (std::find(prefixes.begin(), prefixes.end(), path.prefix) == prefixes.end()) {
      prefixes.push_back(path.prefix);
    }
  }
  return prefixes;
}

// An address inside each injected prefix, for lookups.
std::string AddressIn(const std::string& prefix) {
  if (prefix == "203.0.113.0/24") return "203.0.113.7";
  if (prefix == "192.0.2.0/24") return "192.0.2.200";
  if (prefix == "2001:db8:1::/48") return "2001:db8:1::7";
  return "2001:db8:2:1::1";
}

// A route as the collector (or the sink's model of a RIB) holds it.
struct Route {
  std::string router;
  std::string rib;
  std::string peer;
  uint32_t peer_asn = 0;
  uint32_t path_id = 0;
  Path path;
};

std::string Describe(const Route& route) {
  return route.router + " " + route.rib + " peer " + route.peer + " AS" +
         std::to_string(route.peer_asn) + " id " + std::to_string(route.path_id) + ": " +
         Describe(route.path);
}

// A route the RIB must hold: its attributes are one of `alternatives` (an exporter that drops
// ADD-PATH identifiers keeps one of the paths of a prefix, whichever it sent last).
struct ExpectedRoute {
  std::string router;
  std::string rib;
  std::optional<std::string> peer;  // nullopt: any (gobgpd's Loc-RIB peer has no address)
  uint32_t peer_asn = 0;
  std::string prefix;
  uint32_t path_id = 0;
  std::vector<Path> alternatives;
};

std::string Describe(const ExpectedRoute& e) {
  std::string text = e.router + " " + e.rib + " peer " + e.peer.value_or("*") + " AS" +
                     std::to_string(e.peer_asn) + " id " + std::to_string(e.path_id) + ": ";
  for (size_t i = 0; i < e.alternatives.size(); ++i) {
    text += (i > 0 ? " | or | " : "") + Describe(e.alternatives[i]);
  }
  return text;
}

bool Matches(const ExpectedRoute& e, const Route& r) {
  if (e.router != r.router || e.rib != r.rib || (e.peer && *e.peer != r.peer) ||
      e.peer_asn != r.peer_asn || e.prefix != r.path.prefix || e.path_id != r.path_id) {
    return false;
  }
  return std::any_of(e.alternatives.begin(), e.alternatives.end(),
                     [&](const Path& p) { return SameAttributes(p, r.path); });
}

Path AsReceived(const Path& injected, std::vector<uint32_t> prepended) {
  Path path = injected;
  prepended.insert(prepended.end(), injected.as_path.begin(), injected.as_path.end());
  path.as_path = std::move(prepended);
  return path;
}

// Every route the exporter's RIBs must hold once the injected routes have arrived.
std::vector<ExpectedRoute> ExpectedRoutes(Exporter exporter) {
  std::vector<ExpectedRoute> expected;
  const std::string router = AddressOf(exporter);
  for (const std::string& prefix : InjectedPrefixes()) {
    std::vector<Path> paths;  // as the exporter reports them, in announcement order
    for (const Path& injected : InjectedPaths()) {
      if (injected.prefix != prefix) continue;
      // FRR 8.4 writes the AS path as it would send it to the peer: its own AS first.
      paths.push_back(exporter == Exporter::kFrr ? AsReceived(injected, {kFrrAs, kInjectorAs})
                                                 : AsReceived(injected, {kInjectorAs}));
    }
    if (exporter == Exporter::kFrr) {
      // No path ids: one route per prefix and RIB, the last path FRR sent.
      for (const char* rib : {kPrePolicy, kPostPolicy}) {
        expected.push_back({router, rib, kInjectorAddress, kInjectorAs, prefix, 0, paths});
      }
      continue;
    }
    // gobgpd: pre-policy with the injector's path ids, post-policy without (one route per
    // prefix, the last path sent), Loc-RIB with the best path.
    for (size_t i = 0; i < paths.size(); ++i) {
      expected.push_back({router,
                          kPrePolicy,
                          kInjectorAddress,
                          kInjectorAs,
                          prefix,
                          static_cast<uint32_t>(i + 1),
                          {paths[i]}});
    }
    expected.push_back({router, kPostPolicy, kInjectorAddress, kInjectorAs, prefix, 0, paths});
    expected.push_back({router, kLocRib, std::nullopt, kGobgpAs, prefix, 0, {paths.front()}});
  }
  return expected;
}

// Empty when `actual` and `expected` pair off exactly (each actual route matching its expected
// one); else what is missing and what is unexpected.
std::string CompareRoutes(const std::vector<Route>& actual,
                          const std::vector<ExpectedRoute>& expected) {
  // Backtracking over a dozen routes at most.
  std::vector<int> owner(actual.size(), -1);
  std::function<bool(size_t)> assign = [&](size_t i) {
    if (i == expected.size()) return true;
    for (size_t j = 0; j < actual.size(); ++j) {
      if (owner[j] >= 0 || !Matches(expected[i], actual[j])) continue;
      owner[j] = static_cast<int>(i);
      if (assign(i + 1)) return true;
      owner[j] = -1;
    }
    return false;
  };
  if (actual.size() == expected.size() && assign(0)) return "";
  // Greedy pairing, for the message.
  std::vector<bool> used(actual.size(), false);
  std::string missing, unexpected;
  for (const ExpectedRoute& e : expected) {
    bool found = false;
    for (size_t j = 0; j < actual.size() && !found; ++j) {
      if (!used[j] && Matches(e, actual[j])) used[j] = found = true;
    }
    if (!found) missing += "\n  missing:    " + Describe(e);
  }
  for (size_t j = 0; j < actual.size(); ++j) {
    if (!used[j]) unexpected += "\n  unexpected: " + Describe(actual[j]);
  }
  return std::to_string(actual.size()) + " routes, " + std::to_string(expected.size()) +
         " expected" + missing + unexpected;
}

// ---------------------------------------------------------------------------------------------
// What an exporter sent: one BMP stream decoded with our codec, its routes applied to a model
// of its RIBs.

struct StreamFacts {
  std::string router;
  bool initiation = false;
  std::string sys_name, sys_descr;
  std::map<std::string, int> messages;              // by type name
  std::set<std::string> peer_headers;               // distinct per-peer headers, described
  std::vector<std::string> peer_events;             // Peer Up / Peer Down, in order
  std::map<std::string, bool> add_path_negotiated;  // by peer address: for Adj-RIB-In, IPv4
  std::set<uint16_t> stat_types;
  int updates = 0;
  int updates_as_negotiated = 0;          // read with the options the Peer Up negotiated
  int updates_without_add_path = 0;       // ADD-PATH negotiated, but the UPDATE had no ids
  int updates_with_guessed_add_path = 0;  // no ADD-PATH negotiated, but the UPDATE had ids
  int end_of_rib = 0;
  std::map<std::string, std::set<uint32_t>> path_ids;  // by RIB, of announced routes
  std::vector<std::string> errors;
  std::map<std::string, Route> rib;  // the model: every route announced and not withdrawn

  std::vector<Route> Routes() const {
    std::vector<Route> routes;
    for (const auto& [key, route] : rib) routes.push_back(route);
    return routes;
  }
  std::string Summary() const;
};

std::string StreamFacts::Summary() const {
  std::ostringstream out;
  out << "router " << router << ": sysName \"" << sys_name << "\", sysDescr \"" << sys_descr
      << "\"\n  messages:";
  for (const auto& [type, count] : messages) out << " " << type << "=" << count;
  out << "\n  per-peer headers:";
  for (const std::string& h : peer_headers) out << "\n    " << h;
  out << "\n  peer events:";
  for (const std::string& e : peer_events) out << "\n    " << e;
  out << "\n  UPDATEs " << updates << ": as negotiated " << updates_as_negotiated
      << ", without the negotiated ADD-PATH ids " << updates_without_add_path
      << ", with ADD-PATH ids not negotiated " << updates_with_guessed_add_path << "; End-of-RIB "
      << end_of_rib << "\n  path ids by RIB:";
  for (const auto& [rib_name, ids] : path_ids) {
    out << " " << rib_name << "={";
    for (uint32_t id : ids) out << " " << id;
    out << " }";
  }
  out << "\n  statistics types:";
  for (uint16_t t : stat_types) out << " " << t;
  out << "\n  routes held: " << rib.size();
  for (const auto& [key, route] : rib) out << "\n    " << Describe(route);
  for (const std::string& e : errors) out << "\n  error: " << e;
  out << "\n";
  return out.str();
}

bool LosesRoutes(bgp::ErrorAction action) {
  return action == bgp::ErrorAction::kTreatAsWithdraw ||
         action == bgp::ErrorAction::kDiscardMessage;
}

std::string CommunityText(uint32_t c) {
  return std::to_string(c >> 16) + ":" + std::to_string(c & 0xffff);
}

std::string LargeCommunityText(const LargeCommunity& c) {
  return std::to_string(c.global_admin) + ":" + std::to_string(c.local_data1) + ":" +
         std::to_string(c.local_data2);
}

StreamFacts DecodeStream(std::span<const uint8_t> bytes, const std::string& router) {
  StreamFacts facts;
  facts.router = router;
  // Options per BMP peer (address, RD, peer type), as the collector keys them: for the
  // Adj-RIB-In and the Adj-RIB-Out.
  std::map<std::tuple<std::string, RouteDistinguisher, int>,
           std::pair<bgp::SessionOptions, bgp::SessionOptions>>
      options;
  bmp::Framer framer;
  bmp::Message message;
  bgp::Update update;
  while (!bytes.empty()) {
    bytes = bytes.subspan(framer.Append(bytes));
    std::span<const uint8_t> framed;
    for (;;) {
      const bmp::Framer::Result result = framer.Next(&framed);
      if (result == bmp::Framer::Result::kNeedMoreBytes) break;
      if (result == bmp::Framer::Result::kStreamError) {
        facts.errors.push_back("stream: " + framer.error().ToString());
        return facts;
      }
      if (const bmp::Error error = bmp::Decode(framed, &message); !error.ok()) {
        facts.errors.push_back("bmp: " + error.ToString());
        continue;
      }
      ++facts.messages[std::string(bmp::MessageTypeName(message.type))];
      const bmp::PeerHeader& peer = message.peer;
      const std::string peer_address = peer.address.ToString();
      const auto key = std::make_tuple(peer_address, peer.distinguisher, int(peer.type));
      if (message.has_peer_header) {
        char flags[8];
        std::snprintf(flags, sizeof(flags), "0x%02x", peer.flags);
        facts.peer_headers.insert(std::string(bmp::MessageTypeName(message.type)) + ": type " +
                                  std::string(bmp::PeerTypeName(peer.type)) + ", flags " + flags +
                                  " (" + std::string(bmp::RibName(peer.rib())) + "), peer " +
                                  peer_address + " AS" + std::to_string(peer.as));
      }
      switch (message.type) {
        case bmp::MessageType::kInitiation:
          facts.initiation = true;
          facts.sys_name = std::string(message.initiation.sys_name);
          facts.sys_descr = std::string(message.initiation.sys_descr);
          break;
        case bmp::MessageType::kPeerUp: {
          bgp::Open sent, received;
          if (auto e = bgp::DecodeOpen(message.peer_up.sent_open, &sent)) {
            facts.errors.push_back("sent OPEN: " + e->ToString());
            break;
          }
          if (auto e = bgp::DecodeOpen(message.peer_up.received_open, &received)) {
            facts.errors.push_back("received OPEN: " + e->ToString());
            break;
          }
          options[key] = {bgp::NegotiateForReceived(sent, received),
                          bgp::NegotiateForSent(sent, received)};
          const bool add_path =
              options[key].first.add_path.Contains(bgp::Afi::kIpv4, bgp::Safi::kUnicast);
          facts.add_path_negotiated[peer_address] = add_path;
          facts.peer_events.push_back("peer up " + peer_address + " AS" + std::to_string(peer.as) +
                                      ", BGP ID " + std::to_string(peer.bgp_id) +
                                      ", ADD-PATH for IPv4: " + (add_path ? "yes" : "no"));
          break;
        }
        case bmp::MessageType::kPeerDown: {
          facts.peer_events.push_back("peer down " + peer_address + " reason " +
                                      std::to_string(int(message.peer_down.reason)) + ", BGP ID " +
                                      std::to_string(peer.bgp_id));
          // Every route of the peer, in every RIB, goes.
          for (auto it = facts.rib.begin(); it != facts.rib.end();) {
            it = it->second.peer == peer_address ? facts.rib.erase(it) : std::next(it);
          }
          options.erase(key);
          break;
        }
        case bmp::MessageType::kStatisticsReport:
          for (const bmp::Stat& stat : message.statistics.stats) {
            facts.stat_types.insert(stat.type);
          }
          break;
        case bmp::MessageType::kRouteMonitoring: {
          ++facts.updates;
          const auto it = options.find(key);
          bgp::SessionOptions session;
          if (it != options.end()) {
            session = peer.adj_rib_out() ? it->second.second : it->second.first;
          }
          session.four_octet_as = !peer.legacy_as_path();
          const std::span<const uint8_t> bytes_of_update = message.route_monitoring.update;
          if (!LosesRoutes(bgp::DecodeUpdate(bytes_of_update, session, &update))) {
            ++facts.updates_as_negotiated;
          } else {
            // The other reading: without ADD-PATH when it was negotiated, with it when not.
            bgp::SessionOptions other = session;
            const bool had_add_path = !session.add_path.empty();
            if (had_add_path) {
              other.add_path = bgp::AddPathFamilies();
            } else {
              other.add_path = bgp::AddPathFamilies::All();
            }
            if (!LosesRoutes(bgp::DecodeUpdate(bytes_of_update, other, &update))) {
              ++(had_add_path ? facts.updates_without_add_path
                              : facts.updates_with_guessed_add_path);
            } else {
              bgp::DecodeUpdate(bytes_of_update, session, &update);
              for (const bgp::DecodeError& e : update.errors) {
                facts.errors.push_back("update: " + e.ToString());
              }
              break;
            }
          }
          if (update.end_of_rib) ++facts.end_of_rib;
          Route route;
          route.router = router;
          route.rib = std::string(bmp::RibName(peer.rib()));
          route.peer = peer_address;
          route.peer_asn = peer.as;
          auto model_key = [&](const bgp::Nlri& nlri) {
            return route.rib + "|" + peer_address + "|" + nlri.prefix.ToString() + "|" +
                   std::to_string(nlri.path_id);
          };
          for (const bgp::Nlri& nlri : update.withdrawn) facts.rib.erase(model_key(nlri));
          for (const bgp::Nlri& nlri : update.announced) {
            route.path_id = nlri.path_id;
            route.path.prefix = nlri.prefix.ToString();
            const IpAddress* next_hop = update.NextHopFor(nlri);
            route.path.next_hop = next_hop != nullptr ? next_hop->ToString() : "";
            route.path.as_path = update.flat_as_path;
            route.path.communities.clear();
            for (uint32_t c : update.communities)
              route.path.communities.push_back(CommunityText(c));
            route.path.large_communities.clear();
            for (const LargeCommunity& c : update.large_communities) {
              route.path.large_communities.push_back(LargeCommunityText(c));
            }
            facts.path_ids[route.rib].insert(nlri.path_id);
            facts.rib[model_key(nlri)] = route;
          }
          break;
        }
        default:
          break;
      }
    }
  }
  return facts;
}

// ---------------------------------------------------------------------------------------------
// TcpTap: accepts TCP connections on 127.0.0.1 and keeps every byte received. As a sink it does
// nothing more; as a relay it forwards each connection to an upstream listener, connecting from
// a chosen source address.

class TcpTap {
 public:
  struct Upstream {
    std::string source_address;  // bound before connecting: the address the upstream sees
    uint16_t port = 0;           // on 127.0.0.1
  };

  TcpTap() = default;
  ~TcpTap() { Stop(); }
  TcpTap(const TcpTap&) = delete;
  TcpTap& operator=(const TcpTap&) = delete;

  // Listens on 127.0.0.1:<ephemeral> and starts the thread.
  bool Start(std::optional<Upstream> upstream, std::string* error) {
    upstream_ = std::move(upstream);
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listen_fd_ < 0 || wake_fd_ < 0 ||
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      *error = std::string("tap listener: ") + std::strerror(errno);
      return false;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Loop(); });
    return true;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    Command([this] { stopping_ = true; });
    thread_.join();
    for (int fd : {listen_fd_, wake_fd_}) {
      if (fd >= 0) close(fd);
    }
    listen_fd_ = wake_fd_ = -1;
  }

  uint16_t port() const { return port_; }
  // Connections accepted so far (refused ones included).
  int accepted() const { return accepted_.load(); }
  // Closes every open connection, both sides; returns once they are closed.
  void CloseConnections() {
    Command([this] { close_requested_ = true; });
  }
  // While refusing, a new connection is closed as soon as it is accepted (nothing relayed).
  void SetRefusing(bool refusing) {
    Command([this, refusing] { refusing_ = refusing; });
  }
  // The bytes received on each connection (refused ones excepted), in accept order.
  std::vector<std::vector<uint8_t>> Streams() const {
    std::lock_guard lock(mutex_);
    return streams_;
  }

 private:
  struct Connection {
    int down = -1;  // from the exporter
    int up = -1;    // to the upstream; -1 for a sink
    size_t stream = 0;
  };

  // Runs `change` under the lock, wakes the thread and waits until it has acted on it.
  template <typename F>
  void Command(F change) {
    std::unique_lock lock(mutex_);
    change();
    const uint64_t wanted = ++commands_;
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
    done_.wait(lock, [&] { return commands_done_ >= wanted; });
  }

  static bool SendAll(int fd, const uint8_t* data, size_t size) {
    while (size > 0) {
      const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  int ConnectUpstream() const {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in source{};
    source.sin_family = AF_INET;
    inet_pton(AF_INET, upstream_->source_address.c_str(), &source.sin_addr);
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    target.sin_port = htons(upstream_->port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0 ||
        connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  static void CloseConnection(Connection& c) {
    for (int* fd : {&c.down, &c.up}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }

  void Loop() {
    std::vector<Connection> connections;
    std::vector<uint8_t> buffer(64 << 10);
    for (;;) {
      std::vector<pollfd> fds = {{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      std::vector<std::pair<size_t, bool>> owners;  // per fd after the first two: (conn, is_up)
      for (size_t i = 0; i < connections.size(); ++i) {
        fds.push_back({connections[i].down, POLLIN, 0});
        owners.emplace_back(i, false);
        if (connections[i].up >= 0) {
          fds.push_back({connections[i].up, POLLIN, 0});
          owners.emplace_back(i, true);
        }
      }
      if (poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) {
        uint64_t ignored;
        (void)!read(wake_fd_, &ignored, sizeof(ignored));
        std::lock_guard lock(mutex_);
        if (stopping_ || close_requested_) {
          for (Connection& c : connections) CloseConnection(c);
          connections.clear();
          close_requested_ = false;
        }
        commands_done_ = commands_;
        done_.notify_all();
        if (stopping_) return;
        continue;  // the descriptors polled may be closed now
      }
      if (fds[1].revents != 0) {
        const int down = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (down >= 0) {
          ++accepted_;
          bool refusing;
          {
            std::lock_guard lock(mutex_);
            refusing = refusing_;
          }
          const int up = refusing || !upstream_ ? -1 : ConnectUpstream();
          if (refusing || (upstream_ && up < 0)) {
            close(down);
          } else {
            std::lock_guard lock(mutex_);
            streams_.emplace_back();
            connections.push_back({down, up, streams_.size() - 1});
          }
        }
      }
      std::vector<bool> closed(connections.size(), false);
      for (size_t k = 2; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        const auto [index, is_up] = owners[k - 2];
        Connection& c = connections[index];
        if (closed[index]) continue;
        const ssize_t n = recv(fds[k].fd, buffer.data(), buffer.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        bool ok = n > 0;
        if (ok && !is_up) {
          {
            std::lock_guard lock(mutex_);
            streams_[c.stream].insert(streams_[c.stream].end(), buffer.begin(), buffer.begin() + n);
          }
          if (c.up >= 0) ok = SendAll(c.up, buffer.data(), static_cast<size_t>(n));
        } else if (ok) {
          ok = SendAll(c.down, buffer.data(), static_cast<size_t>(n));
        }
        if (!ok) {
          // One side closed or failed: close the other, so the end propagates.
          CloseConnection(c);
          closed[index] = true;
        }
      }
      std::vector<Connection> open;
      for (size_t i = 0; i < connections.size(); ++i) {
        if (!closed[i]) open.push_back(connections[i]);
      }
      connections = std::move(open);
    }
  }

  std::optional<Upstream> upstream_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> accepted_{0};

  mutable std::mutex mutex_;
  std::condition_variable done_;
  uint64_t commands_ = 0;                      // guarded by mutex_
  uint64_t commands_done_ = 0;                 // guarded by mutex_
  bool stopping_ = false;                      // guarded by mutex_
  bool close_requested_ = false;               // guarded by mutex_
  bool refusing_ = false;                      // guarded by mutex_
  std::vector<std::vector<uint8_t>> streams_;  // guarded by mutex_
};

// ---------------------------------------------------------------------------------------------
// The routers: the injector and the exporters, with their configurations.

bool HaveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (access((fs::path(dir) / name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Why the real routers cannot run here, or empty.
std::string MissingRouters() {
  std::vector<std::string> missing;
  for (const char* program : {kFrrBgpd, "vtysh", "gobgpd", "gobgp"}) {
    if (!HaveProgram(program)) missing.emplace_back(program);
  }
  if (missing.empty()) return "";
  return "missing " + Join(missing, ", ") +
         " (Debian packages frr and gobgpd; scripts/setup installs them)";
}

bool WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

class Topology {
 public:
  explicit Topology(fs::path dir) : dir_(std::move(dir)) {}

  // Starts the injector, adds the routes, then starts the exporters wanted, each sending BMP
  // to 127.0.0.1 on the ports given.
  AssertionResult Start(bool frr, bool gobgp, std::vector<uint16_t> frr_bmp_ports,
                        std::vector<uint16_t> gobgp_bmp_ports) {
    frr_bmp_ports_ = std::move(frr_bmp_ports);
    gobgp_bmp_ports_ = std::move(gobgp_bmp_ports);
    injector_bgp_port_ = tools::FreeTcpPort(kInjectorAddress);
    injector_api_port_ = tools::FreeTcpPort();
    gobgp_api_port_ = tools::FreeTcpPort();
    if (AssertionResult r = StartInjector(frr, gobgp); !r) return r;
    if (AssertionResult r = InjectRoutes(); !r) return r;
    if (frr) {
      if (AssertionResult r = StartFrr(); !r) return r;
    }
    if (gobgp) {
      if (AssertionResult r = StartGobgp(); !r) return r;
    }
    return AssertionSuccess();
  }

  // (Re)starts the gobgpd exporter.
  AssertionResult StartGobgp() {
    const std::string config = dir_ / "gobgp-exporter.toml";
    std::ostringstream toml;
    toml << "[global.config]\n  as = " << kGobgpAs << "\n  router-id = \"" << kGobgpAddress
         << "\"\n  port = -1\n"
         << Neighbor(kInjectorAddress, kInjectorAs, kGobgpAddress, injector_bgp_port_,
                     /*passive=*/false, "receive = true");
    for (uint16_t port : gobgp_bmp_ports_) {
      toml << "[[bmp-servers]]\n  [bmp-servers.config]\n    address = \"127.0.0.1\"\n"
           << "    port = " << port << "\n    route-monitoring-policy = \"all\"\n"
           << "    statistics-timeout = 15\n    sys-name = \"" << kGobgpSysName << "\"\n"
           << "    sys-descr = \"" << kGobgpSysDescr << "\"\n";
    }
    if (!WriteFile(config, toml.str())) return AssertionFailure() << "cannot write " << config;
    return StartDaemon(&gobgp_, "gobgpd-exporter",
                       {"gobgpd", "-f", config, "--api-hosts",
                        "127.0.0.1:" + std::to_string(gobgp_api_port_), "--pprof-disable", "-p"},
                       gobgp_api_port_);
  }

  void KillGobgp() { gobgp_.Kill(); }

  // Shuts the BGP session with the injector down on the exporter.
  AssertionResult ShutdownNeighbor(Exporter exporter) {
    const std::vector<std::string> command =
        exporter == Exporter::kFrr
            ? std::vector<std::string>{"vtysh",
                                       "--vty_socket",
                                       (dir_ / "frr").string(),
                                       "-c",
                                       "configure terminal",
                                       "-c",
                                       "router bgp " + std::to_string(kFrrAs),
                                       "-c",
                                       std::string("neighbor ") + kInjectorAddress + " shutdown"}
            : std::vector<std::string>{
                  "gobgp",          "-p",     std::to_string(gobgp_api_port_), "neighbor",
                  kInjectorAddress, "disable"};
    const tools::CommandResult result = tools::RunCommand(command, dir_);
    if (result.exit_status != 0) {
      return AssertionFailure() << Join(command, " ") << ": exit " << result.exit_status << "\n"
                                << result.output;
    }
    return AssertionSuccess();
  }

  // The routers' own view, for failure messages.
  std::string Diagnostics() {
    std::string text = "\n=== routers\n";
    for (ChildProcess* p : {&injector_, &frr_, &gobgp_}) {
      if (p->pid() > 0) text += p->Describe() + "\n";
    }
    auto run = [&](const std::vector<std::string>& command) {
      text += "$ " + Join(command, " ") + "\n" + tools::RunCommand(command, dir_).output;
    };
    run({"gobgp", "-p", std::to_string(injector_api_port_), "neighbor"});
    if (gobgp_.Running()) {
      run({"gobgp", "-p", std::to_string(gobgp_api_port_), "neighbor"});
      run({"gobgp", "-p", std::to_string(gobgp_api_port_), "global", "rib", "-a", "ipv4"});
    }
    if (frr_.Running()) {
      run({"vtysh", "--vty_socket", (dir_ / "frr").string(), "-c", "show bgp summary", "-c",
           "show bmp"});
    }
    for (ChildProcess* p : {&injector_, &frr_, &gobgp_}) {
      if (p->pid() > 0) text += p->OutputTail(1500);
    }
    return text;
  }

 private:
  // A [[neighbors]] section: IPv4 and IPv6 unicast with `add_paths` (TOML key = value).
  static std::string Neighbor(const char* address, uint32_t as, const char* local_address,
                              uint16_t remote_port, bool passive, const std::string& add_paths) {
    std::ostringstream toml;
    toml << "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"" << address
         << "\"\n    peer-as = " << as
         << "\n"
         // gobgpd's floor is 5 s; idle-hold short so that a restarted peer is accepted at once.
         << "  [neighbors.timers.config]\n    connect-retry = 5\n"
         << "    idle-hold-time-after-reset = 1\n"
         << "  [neighbors.transport.config]\n    local-address = \"" << local_address << "\"\n";
    if (remote_port != 0) toml << "    remote-port = " << remote_port << "\n";
    if (passive) toml << "    passive-mode = true\n";
    for (const char* family : {"ipv4-unicast", "ipv6-unicast"}) {
      toml << "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n"
           << "      afi-safi-name = \"" << family << "\"\n"
           << "    [neighbors.afi-safis.add-paths.config]\n      " << add_paths << "\n";
    }
    return toml.str();
  }

  AssertionResult StartInjector(bool frr, bool gobgp) {
    std::ostringstream toml;
    toml << "[global.config]\n  as = " << kInjectorAs << "\n  router-id = \"" << kInjectorAddress
         << "\"\n  port = " << injector_bgp_port_ << "\n  local-address-list = [\""
         << kInjectorAddress << "\"]\n";
    // Passive: the exporters connect (FRR within a second; gobgpd after its 5-10 s).
    if (frr) toml << Neighbor(kFrrAddress, kFrrAs, kInjectorAddress, 0, true, "send-max = 8");
    if (gobgp) {
      toml << Neighbor(kGobgpAddress, kGobgpAs, kInjectorAddress, 0, true, "send-max = 8");
    }
    const fs::path config = dir_ / "gobgp-injector.toml";
    if (!WriteFile(config, toml.str())) return AssertionFailure() << "cannot write " << config;
    return StartDaemon(&injector_, "gobgpd-injector",
                       {"gobgpd", "-f", config, "--api-hosts",
                        "127.0.0.1:" + std::to_string(injector_api_port_), "--pprof-disable", "-p"},
                       injector_api_port_);
  }

  AssertionResult InjectRoutes() {
    std::map<std::string, int> paths_of_prefix;
    for (const Path& path : InjectedPaths()) ++paths_of_prefix[path.prefix];
    std::map<std::string, int> identifier;
    for (const Path& path : InjectedPaths()) {
      std::vector<std::string> command = {
          "gobgp",
          "-p",
          std::to_string(injector_api_port_),
          "global",
          "rib",
          "add",
          "-a",
          path.prefix.find(':') != std::string::npos ? "ipv6" : "ipv4",
          path.prefix};
      // Two paths of one prefix need distinct local identifiers, or the second replaces the
      // first. (On the wire gobgpd numbers the paths it sends itself: 1, 2, ...)
      if (paths_of_prefix[path.prefix] > 1) {
        command.insert(command.end(), {"identifier", std::to_string(++identifier[path.prefix])});
      }
      std::string as_path;
      for (uint32_t asn : path.as_path) {
        as_path += (as_path.empty() ? "" : " ") + std::to_string(asn);
      }
      command.insert(command.end(), {"nexthop", path.next_hop, "aspath", as_path});
      if (!path.communities.empty()) {
        command.insert(command.end(), {"community", Join(path.communities)});
      }
      if (!path.large_communities.empty()) {
        command.insert(command.end(), {"large-community", Join(path.large_communities)});
      }
      const tools::CommandResult result = tools::RunCommand(command, dir_);
      if (result.exit_status != 0) {
        return AssertionFailure() << Join(command, " ") << ": exit " << result.exit_status << "\n"
                                  << result.output;
      }
    }
    return AssertionSuccess();
  }

  AssertionResult StartFrr() {
    const fs::path vty = dir_ / "frr";
    fs::create_directories(vty);
    std::ostringstream conf;
    conf << "frr defaults traditional\nhostname " << kFrrHostname
         << "\n"
         // Without zebra, bgpd logs a line per route at lower levels.
         << "log stdout critical\n!\n"
         << "router bgp " << kFrrAs << "\n bgp router-id " << kFrrAddress << "\n"
         << " no bgp ebgp-requires-policy\n no bgp network import-check\n"
         << " neighbor " << kInjectorAddress << " remote-as " << kInjectorAs << "\n"
         << " neighbor " << kInjectorAddress << " port " << injector_bgp_port_ << "\n"
         << " neighbor " << kInjectorAddress << " update-source " << kFrrAddress << "\n"
         << " neighbor " << kInjectorAddress << " timers connect 1\n";
    for (const char* family : {"ipv4", "ipv6"}) {
      // Pre-policy monitoring reads the Adj-RIB-In that soft-reconfiguration keeps; without it
      // FRR 8.4 sends withdrawals for pre-policy.
      conf << " address-family " << family << " unicast\n  neighbor " << kInjectorAddress
           << " activate\n  neighbor " << kInjectorAddress
           << " soft-reconfiguration inbound\n exit-address-family\n";
    }
    conf << " bmp targets collectors\n";
    for (uint16_t port : frr_bmp_ports_) {
      conf << "  bmp connect 127.0.0.1 port " << port << " min-retry 100 max-retry 1000\n";
    }
    for (const char* family : {"ipv4", "ipv6"}) {
      for (const char* policy : {"pre-policy", "post-policy"}) {
        conf << "  bmp monitor " << family << " unicast " << policy << "\n";
      }
    }
    conf << "  bmp stats interval 1000\n exit\n!\n";
    const fs::path config = dir_ / "bgpd.conf";
    if (!WriteFile(config, conf.str())) return AssertionFailure() << "cannot write " << config;
    // No zebra (-Z), no user switch (-S), no BGP listener (-p 0: FRR dials the injector), no
    // vty TCP port (-P 0).
    AssertionResult started =
        StartDaemon(&frr_, "frr-bgpd",
                    {kFrrBgpd, "-M", "bmp", "-f", config.string(), "-Z", "-S", "-p", "0", "-P", "0",
                     "--vty_socket", vty.string(), "-i", (vty / "bgpd.pid").string()},
                    0);
    if (!started) return started;
    // Ready when its vty socket exists (vtysh commands need it).
    if (!WaitUntil([&] { return fs::exists(vty / "bgpd.vty") || !frr_.Running(); }, 10s) ||
        !frr_.Running()) {
      return AssertionFailure() << "FRR bgpd did not start: " << frr_.Describe() << "\n"
                                << frr_.OutputTail();
    }
    return AssertionSuccess();
  }

  // Starts a daemon and, when api_port is set, waits until its API port accepts.
  AssertionResult StartDaemon(ChildProcess* process, const std::string& name,
                              std::vector<std::string> argv, uint16_t api_port) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.dir = dir_;
    spec.name = name;
    std::string error;
    if (!process->Start(spec, &error)) return AssertionFailure() << name << ": " << error;
    if (api_port != 0 && !tools::WaitForTcpPort("127.0.0.1", api_port, 15s, process)) {
      return AssertionFailure() << name << " did not open its API port " << api_port << ": "
                                << process->Describe() << "\n"
                                << process->OutputTail();
    }
    return AssertionSuccess();
  }

  fs::path dir_;
  std::vector<uint16_t> frr_bmp_ports_, gobgp_bmp_ports_;
  uint16_t injector_bgp_port_ = 0, injector_api_port_ = 0, gobgp_api_port_ = 0;
  ChildProcess injector_, frr_, gobgp_;
};

// ---------------------------------------------------------------------------------------------
// Test 1: what the exporters send, through a BMP sink and our own codec (no collector).

// Waits until the last stream of `tap` holds exactly `expected`; the facts of that stream.
StreamFacts WaitForStream(const TcpTap& tap, const std::string& router,
                          const std::vector<ExpectedRoute>& expected, size_t min_streams,
                          std::chrono::milliseconds timeout, std::string* diff) {
  StreamFacts facts;
  WaitUntil(
      [&] {
        const auto streams = tap.Streams();
        if (streams.size() < min_streams) {
          *diff = std::to_string(streams.size()) + " BMP connections so far";
          return false;
        }
        facts = DecodeStream(streams.back(), router);
        *diff = CompareRoutes(facts.Routes(), expected);
        return diff->empty();
      },
      timeout, 100ms);
  return facts;
}

TEST(BmpRoutersTest, FrrAndGobgpExportTheInjectedRoutesOverBmp) {
  if (const std::string missing = MissingRouters(); !missing.empty()) GTEST_SKIP() << missing;
  tools::TempDir dir("ribflow-bmp-sink-");
  TcpTap frr_sink, gobgp_sink;
  std::string error;
  ASSERT_TRUE(frr_sink.Start(std::nullopt, &error)) << error;
  ASSERT_TRUE(gobgp_sink.Start(std::nullopt, &error)) << error;
  Topology routers(dir.path());
  ASSERT_TRUE(routers.Start(true, true, {frr_sink.port()}, {gobgp_sink.port()}));

  // Every injected route arrives, in every RIB, with the attributes and path ids expected.
  std::string frr_diff, gobgp_diff;
  StreamFacts frr =
      WaitForStream(frr_sink, kFrrAddress, ExpectedRoutes(Exporter::kFrr), 1, 60s, &frr_diff);
  StreamFacts gobgp = WaitForStream(gobgp_sink, kGobgpAddress, ExpectedRoutes(Exporter::kGobgp), 1,
                                    60s, &gobgp_diff);
  EXPECT_TRUE(frr_diff.empty()) << frr_diff << "\n"
                                << "FRR:\n"
                                << frr.Summary() << routers.Diagnostics();
  EXPECT_TRUE(gobgp_diff.empty()) << gobgp_diff << "\n"
                                  << "gobgpd:\n"
                                  << gobgp.Summary() << routers.Diagnostics();
  // FRR sends statistics every second (gobgpd's shortest interval is 15 s: not waited for).
  WaitUntil(
      [&] { return !DecodeStream(frr_sink.Streams().back(), kFrrAddress).stat_types.empty(); }, 5s);
  frr = DecodeStream(frr_sink.Streams().back(), kFrrAddress);
  std::printf("=== what FRR sent\n%s=== what gobgpd sent\n%s", frr.Summary().c_str(),
              gobgp.Summary().c_str());

  EXPECT_TRUE(frr.errors.empty()) << frr.Summary();
  EXPECT_TRUE(gobgp.errors.empty()) << gobgp.Summary();
  EXPECT_EQ(frr.sys_name, kFrrHostname);
  EXPECT_EQ(frr.sys_descr.rfind("FRRouting", 0), 0u) << frr.sys_descr;
  EXPECT_EQ(gobgp.sys_name, kGobgpSysName);
  EXPECT_EQ(gobgp.sys_descr, kGobgpSysDescr);
  EXPECT_FALSE(frr.stat_types.empty()) << "no Statistics Report from FRR";
  // The injector's 4-octet AS in the per-peer headers, and ADD-PATH negotiated by the OPENs.
  EXPECT_TRUE(frr.add_path_negotiated[kInjectorAddress]) << frr.Summary();
  EXPECT_TRUE(gobgp.add_path_negotiated[kInjectorAddress]) << gobgp.Summary();
  // FRR 8.4: ADD-PATH negotiated, but no path id in any Route Monitoring message.
  EXPECT_EQ(frr.updates_as_negotiated, frr.end_of_rib) << frr.Summary();
  EXPECT_GT(frr.updates_without_add_path, 0) << frr.Summary();
  // gobgpd: ids in pre-policy, none in post-policy and Loc-RIB.
  EXPECT_EQ(gobgp.path_ids[kPrePolicy], (std::set<uint32_t>{1, 2})) << gobgp.Summary();
  EXPECT_EQ(gobgp.path_ids[kPostPolicy], (std::set<uint32_t>{0})) << gobgp.Summary();
  EXPECT_EQ(gobgp.path_ids[kLocRib], (std::set<uint32_t>{0})) << gobgp.Summary();
  EXPECT_GT(gobgp.updates_without_add_path, 0) << gobgp.Summary();

  // A BMP reconnect: FRR dials again and sends its whole table (one path per prefix), with no
  // Peer Down before the Peer Up.
  frr_sink.CloseConnections();
  StreamFacts frr_again =
      WaitForStream(frr_sink, kFrrAddress, ExpectedRoutes(Exporter::kFrr), 2, 20s, &frr_diff);
  EXPECT_TRUE(frr_diff.empty()) << frr_diff << "\n"
                                << "FRR after a BMP reconnect:\n"
                                << frr_again.Summary() << routers.Diagnostics();
  ASSERT_FALSE(frr_again.peer_events.empty()) << frr_again.Summary();
  EXPECT_EQ(frr_again.peer_events.front().rfind("peer up", 0), 0u) << frr_again.Summary();
  std::printf("=== FRR after a BMP reconnect\n%s", frr_again.Summary().c_str());

  // Neighbor shutdown on each exporter: Peer Down, every route of the peer gone.
  ASSERT_TRUE(routers.ShutdownNeighbor(Exporter::kFrr));
  ASSERT_TRUE(routers.ShutdownNeighbor(Exporter::kGobgp));
  frr = WaitForStream(frr_sink, kFrrAddress, {}, 2, 20s, &frr_diff);
  gobgp = WaitForStream(gobgp_sink, kGobgpAddress, {}, 1, 20s, &gobgp_diff);
  EXPECT_TRUE(frr_diff.empty()) << frr_diff << "\n" << frr.Summary() << routers.Diagnostics();
  EXPECT_TRUE(gobgp_diff.empty()) << gobgp_diff << "\n" << gobgp.Summary() << routers.Diagnostics();
  EXPECT_EQ(frr.peer_events.back().rfind("peer down " + std::string(kInjectorAddress), 0), 0u)
      << frr.Summary();
  EXPECT_EQ(gobgp.peer_events.back().rfind("peer down " + std::string(kInjectorAddress), 0), 0u)
      << gobgp.Summary();
  std::printf("=== after neighbor shutdown\nFRR: %s\ngobgpd: %s\n", frr.peer_events.back().c_str(),
              gobgp.peer_events.back().c_str());
}

// ---------------------------------------------------------------------------------------------
// Test 2: the collector, through its HTTP API.

std::string RibflowBinary() {
  const char* from_env = std::getenv("RIBFLOW_BINARY");
  return from_env != nullptr && *from_env != '\0' ? from_env : RIBFLOW_BINARY;
}

class Collector {
 public:
  Collector(std::string name, fs::path dir, std::string keep)
      : name_(std::move(name)), dir_(std::move(dir)), keep_(std::move(keep)) {}

  AssertionResult Start() {
    bmp_port_ = tools::FreeTcpPort();
    http_port_ = tools::FreeTcpPort();
    const fs::path config = dir_ / (name_ + ".yaml");
    std::ostringstream yaml;
    yaml << "bmp:\n  listen: \"127.0.0.1:" << bmp_port_ << "\"\n  keep: \"" << keep_ << "\"\n"
         << "http:\n  listen: \"127.0.0.1:" << http_port_ << "\"\n";
    if (!WriteFile(config, yaml.str())) return AssertionFailure() << "cannot write " << config;
    ProcessSpec spec;
    spec.argv = {RibflowBinary(), "outlet", "--config", config.string()};
    spec.dir = dir_;
    spec.name = name_;
    std::string error;
    if (!process_.Start(spec, &error)) return AssertionFailure() << name_ << ": " << error;
    // Ready when the API answers and the BMP port listens. The BMP port is looked at, not
    // connected to: a connection would show up as a router.
    const bool ready = WaitUntil(
        [&] {
          if (!process_.Running()) return true;
          return HttpGet("127.0.0.1", http_port_, "/api/v1/bmp/routers").status == 200 &&
                 tools::TcpPortListening(bmp_port_);
        },
        20s, 50ms);
    if (!ready || !process_.Running()) {
      return AssertionFailure() << name_ << " did not start (HTTP " << http_port_ << ", BMP "
                                << bmp_port_ << "): " << process_.Describe() << "\n"
                                << process_.OutputTail();
    }
    return AssertionSuccess();
  }

  // SIGTERM: the collector must exit with status 0.
  AssertionResult Stop() {
    const std::optional<int> status = process_.Stop(SIGTERM, 10s);
    if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      return AssertionFailure() << name_ << " on SIGTERM: "
                                << (status ? tools::DescribeWaitStatus(*status) : "gone") << "\n"
                                << process_.OutputTail();
    }
    return AssertionSuccess();
  }

  // GET `target`; the JSON body, or nullopt with *error set (status and body included).
  std::optional<Json> Get(const std::string& target, int* status, std::string* error) const {
    const tools::HttpResponse response = HttpGet("127.0.0.1", http_port_, target);
    *status = response.status;
    if (response.status == 0) {
      *error = name_ + " GET " + target + ": " + response.error;
      return std::nullopt;
    }
    std::optional<Json> json = JsonReader(response.body).Read(error);
    if (!json) {
      *error =
          name_ + " GET " + target + " (status " + std::to_string(response.status) + "): " + *error;
    }
    return json;
  }

  const std::string& name() const { return name_; }
  uint16_t bmp_port() const { return bmp_port_; }
  ChildProcess& process() { return process_; }

 private:
  std::string name_;
  fs::path dir_;
  std::string keep_;
  uint16_t bmp_port_ = 0, http_port_ = 0;
  ChildProcess process_;
};

// One peer of /api/v1/bmp/peers.
struct ApiPeer {
  std::string router, address, rib, state, rd;
  uint32_t asn = 0;
  int64_t routes = 0;
};

std::string Describe(const ApiPeer& p) {
  return p.router + " " + p.rib + " peer " + p.address + " AS" + std::to_string(p.asn) + " rd " +
         p.rd + " " + p.state + " routes " + std::to_string(p.routes);
}

// What the collector shows of one router: its peers and the routes of every injected prefix.
struct RouterView {
  std::vector<ApiPeer> peers;
  std::vector<Route> routes;
  std::string error;  // the API could not be read

  int64_t PeerRoutes() const {
    int64_t total = 0;
    for (const ApiPeer& p : peers) total += p.routes;
    return total;
  }
  bool AllPeers(std::string_view state) const {
    return !peers.empty() && std::all_of(peers.begin(), peers.end(),
                                         [&](const ApiPeer& p) { return p.state == state; });
  }
  std::string Describe() const {
    std::string text = error.empty() ? "" : "error: " + error + "\n";
    for (const ApiPeer& p : peers) text += "  peer " + ribflow::Describe(p) + "\n";
    for (const Route& r : routes) text += "  route " + ribflow::Describe(r) + "\n";
    return text;
  }
};

std::vector<ApiPeer> GetPeers(const Collector& collector, const std::string& router,
                              std::string* error) {
  int status = 0;
  const std::optional<Json> json = collector.Get("/api/v1/bmp/peers", &status, error);
  std::vector<ApiPeer> peers;
  if (!json) return peers;
  if (status != 200 || (*json)["peers"].type != Json::Type::kArray) {
    *error = collector.name() + " /api/v1/bmp/peers: status " + std::to_string(status);
    return peers;
  }
  for (const Json& p : (*json)["peers"].array) {
    if (p["router"].str() != router) continue;
    peers.push_back({p["router"].str(), p["address"].str(), p["rib"].str(), p["state"].str(),
                     p["rd"].str(), static_cast<uint32_t>(p["asn"].integer()),
                     p["routes"].integer()});
  }
  return peers;
}

Route RouteOf(const Json& r) {
  Route route;
  route.router = r["router"].str();
  route.rib = r["rib"].str();
  route.peer = r["peer"].str();
  route.peer_asn = static_cast<uint32_t>(r["peer_asn"].integer());
  route.path_id = static_cast<uint32_t>(r["path_id"].integer());
  route.path.prefix = r["prefix"].str();
  route.path.next_hop = r["next_hop"].str();
  for (const Json& asn : r["as_path"].array) {
    route.path.as_path.push_back(static_cast<uint32_t>(asn.integer()));
  }
  for (const Json& c : r["communities"].array) route.path.communities.push_back(c.str());
  for (const Json& c : r["large_communities"].array) {
    route.path.large_communities.push_back(c.str());
  }
  return route;
}

RouterView View(const Collector& collector, const std::string& router) {
  RouterView view;
  view.peers = GetPeers(collector, router, &view.error);
  for (const std::string& prefix : InjectedPrefixes()) {
    int status = 0;
    const std::optional<Json> json =
        collector.Get("/api/v1/rib/routes?prefix=" + prefix, &status, &view.error);
    if (!json) return view;
    if (status != 200 || (*json)["routes"].type != Json::Type::kArray) {
      view.error = collector.name() + " /api/v1/rib/routes?prefix=" + prefix + ": status " +
                   std::to_string(status);
      return view;
    }
    for (const Json& r : (*json)["routes"].array) {
      if (r["router"].str() == router) view.routes.push_back(RouteOf(r));
    }
  }
  return view;
}

// Empty when the view holds exactly `expected`, through peers in `peer_state`: every expected
// (RIB, peer) as one peer with its route count, no other peer of the router, and the routes of
// every injected prefix.
std::string CompareView(const RouterView& view, const std::vector<ExpectedRoute>& expected,
                        std::string_view peer_state) {
  if (!view.error.empty()) return view.error;
  std::string diff;
  std::map<std::pair<std::string, std::string>, int64_t> counts;  // (rib, peer or "*")
  std::map<std::pair<std::string, std::string>, uint32_t> asns;
  for (const ExpectedRoute& e : expected) {
    ++counts[{e.rib, e.peer.value_or("*")}];
    asns[{e.rib, e.peer.value_or("*")}] = e.peer_asn;
  }
  std::vector<bool> used(view.peers.size(), false);
  for (const auto& [key, count] : counts) {
    bool found = false;
    for (size_t i = 0; i < view.peers.size() && !found; ++i) {
      const ApiPeer& p = view.peers[i];
      if (used[i] || p.rib != key.first || (key.second != "*" && p.address != key.second)) {
        continue;
      }
      used[i] = found = true;
      if (p.state != peer_state || p.routes != count || p.asn != asns[key] || p.rd != "0:0") {
        diff += "\n  peer " + Describe(p) + ", expected " + std::string(peer_state) + " with " +
                std::to_string(count) + " routes, AS" + std::to_string(asns[key]) + ", rd 0:0";
      }
    }
    if (!found) diff += "\n  no peer " + key.first + " " + key.second;
  }
  for (size_t i = 0; i < view.peers.size(); ++i) {
    if (!used[i]) diff += "\n  unexpected peer " + Describe(view.peers[i]);
  }
  const std::string routes = CompareRoutes(view.routes, expected);
  if (!routes.empty()) diff += "\n  routes: " + routes;
  return diff;
}

// Whether the router has no peer left with routes, and no route in any injected prefix; the
// Loc-RIB peer of gobgpd (no Peer Up, so no Peer Down) may stay, empty.
std::string CompareFlushed(const RouterView& view) {
  if (!view.error.empty()) return view.error;
  std::string diff;
  for (const ApiPeer& p : view.peers) {
    if (p.address == kInjectorAddress || p.routes != 0) diff += "\n  peer " + Describe(p);
  }
  for (const Route& r : view.routes) diff += "\n  route " + Describe(r);
  return diff;
}

// Polls `collector` until `compare` of the router's view is empty; the last difference.
std::string WaitForView(const Collector& collector, const std::string& router,
                        const std::function<std::string(const RouterView&)>& compare,
                        std::chrono::milliseconds timeout, RouterView* last = nullptr) {
  std::string diff;
  RouterView view;
  WaitUntil(
      [&] {
        view = View(collector, router);
        diff = compare(view);
        return diff.empty();
      },
      timeout, 100ms);
  if (last != nullptr) *last = view;
  return diff;
}

// Polls a collector in the background and records every moment it held fewer routes of the
// router than `expected`: a revival must never flush.
class RouteWatcher {
 public:
  RouteWatcher(const Collector& collector, std::string router, int64_t expected)
      : collector_(collector), router_(std::move(router)), expected_(expected) {
    thread_ = std::thread([this] { Run(); });
  }
  ~RouteWatcher() { Stop(); }
  RouteWatcher(const RouteWatcher&) = delete;
  RouteWatcher& operator=(const RouteWatcher&) = delete;

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // After Stop(): the moments routes were missing (empty if none), and the states seen.
  const std::vector<std::string>& violations() const { return violations_; }
  const std::set<std::string>& states() const { return states_; }
  int polls() const { return polls_; }

 private:
  void Run() {
    const auto start = Clock::now();
    while (!stop_) {
      std::string error;
      const std::vector<ApiPeer> peers = GetPeers(collector_, router_, &error);
      ++polls_;
      int64_t total = 0;
      std::string states;
      for (const ApiPeer& p : peers) {
        total += p.routes;
        states_.insert(p.state);
      }
      if ((error.empty() && total < expected_) || !error.empty()) {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        std::string text = "at " + std::to_string(ms) +
                           " ms: " + (error.empty() ? std::to_string(total) + " routes" : error);
        for (const ApiPeer& p : peers) text += "; " + Describe(p);
        if (violations_.size() < 20) violations_.push_back(text);
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  const Collector& collector_;
  std::string router_;
  int64_t expected_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::string> violations_;
  std::set<std::string> states_;
  int polls_ = 0;
};

// The router entry of /api/v1/bmp/routers, or a null value.
Json RouterEntry(const Collector& collector, const std::string& router, std::string* error) {
  int status = 0;
  const std::optional<Json> json = collector.Get("/api/v1/bmp/routers", &status, error);
  if (json) {
    for (const Json& r : (*json)["routers"].array) {
      if (r["address"].str() == router) return r;
    }
  }
  return Json();
}

// Checks /api/v1/bmp/routers and /api/v1/rib/lookup once the routes are all there.
void CheckRouterAndLookups(const Collector& collector, Exporter exporter,
                           const std::vector<ExpectedRoute>& expected) {
  const std::string router = AddressOf(exporter);
  std::string error;
  const Json entry = RouterEntry(collector, router, &error);
  ASSERT_EQ(entry.type, Json::Type::kObject)
      << "no router " << router << " in " << collector.name() << " " << error;
  EXPECT_EQ(entry["state"].str(), "up");
  if (exporter == Exporter::kFrr) {
    EXPECT_EQ(entry["sys_name"].str(), kFrrHostname);
    EXPECT_EQ(entry["sys_descr"].str().rfind("FRRouting", 0), 0u) << entry["sys_descr"].str();
  } else {
    EXPECT_EQ(entry["sys_name"].str(), kGobgpSysName);
    EXPECT_EQ(entry["sys_descr"].str(), kGobgpSysDescr);
  }
  const std::vector<ApiPeer> peers = GetPeers(collector, router, &error);
  EXPECT_EQ(entry["peers"].integer(), static_cast<int64_t>(peers.size()))
      << "router peers vs /api/v1/bmp/peers";
  EXPECT_EQ(entry["routes"].integer(), static_cast<int64_t>(expected.size()));
  EXPECT_GT(entry["messages"].integer(), 0);

  // Longest match within the router's RIBs: every injected prefix, and nothing else.
  for (const std::string& prefix : InjectedPrefixes()) {
    int status = 0;
    const std::string target = "/api/v1/rib/lookup?ip=" + AddressIn(prefix) + "&exporter=" + router;
    const std::optional<Json> json = collector.Get(target, &status, &error);
    ASSERT_TRUE(json) << error;
    EXPECT_EQ(status, 200) << target;
    EXPECT_EQ((*json)["prefix"].str(), prefix) << target;
    EXPECT_EQ((*json)["router"].str(), router) << target;
  }
  int status = 0;
  const std::string target = "/api/v1/rib/lookup?ip=198.18.0.1&exporter=" + router;
  const std::optional<Json> json = collector.Get(target, &status, &error);
  ASSERT_TRUE(json) << error;
  EXPECT_EQ(status, 404) << target;
  EXPECT_EQ((*json)["error"].str(), "no route") << target;
}

// What the exporter sent through a relay, decoded: for failure messages.
std::string Sent(const TcpTap& relay, Exporter exporter) {
  std::string text;
  const auto streams = relay.Streams();
  for (size_t i = 0; i < streams.size(); ++i) {
    text += "--- BMP connection " + std::to_string(i + 1) + " of " +
            std::to_string(streams.size()) + ", decoded by the test:\n" +
            DecodeStream(streams[i], AddressOf(exporter)).Summary();
  }
  return text;
}

class CollectorTest : public ::testing::TestWithParam<Exporter> {};

TEST_P(CollectorTest, RibHoldsExactlyTheInjectedRoutesThroughShutdownLossAndRevival) {
  const Exporter exporter = GetParam();
  const std::string router = AddressOf(exporter);
  if (const std::string missing = MissingRouters(); !missing.empty()) GTEST_SKIP() << missing;
  if (!HaveProgram(RibflowBinary()) || RibflowBinary().empty()) {
    GTEST_SKIP() << "no ribflow binary at \"" << RibflowBinary()
                 << "\": build the ribflow target, or set RIBFLOW_BINARY";
  }
  tools::TempDir dir("ribflow-bmp-collector-");
  // A flushes 3 s after a router's BMP session ends; B keeps its peers for 60 s.
  Collector a("collector-keep-3s", dir.path(), "3s");
  Collector b("collector-keep-60s", dir.path(), "60s");
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  TcpTap relay_a, relay_b;
  std::string error;
  ASSERT_TRUE(relay_a.Start(TcpTap::Upstream{router, a.bmp_port()}, &error)) << error;
  ASSERT_TRUE(relay_b.Start(TcpTap::Upstream{router, b.bmp_port()}, &error)) << error;
  Topology routers(dir.path());
  const bool frr = exporter == Exporter::kFrr;
  ASSERT_TRUE(frr ? routers.Start(true, false, {relay_a.port(), relay_b.port()}, {})
                  : routers.Start(false, true, {}, {relay_a.port(), relay_b.port()}));
  const std::vector<ExpectedRoute> expected = ExpectedRoutes(exporter);
  auto diagnostics = [&] {
    return routers.Diagnostics() + "\n=== sent to " + a.name() + "\n" + Sent(relay_a, exporter) +
           a.process().OutputTail() + b.process().OutputTail();
  };
  auto exactly = [&](const RouterView& v) { return CompareView(v, expected, "up"); };

  // 1. Both collectors hold exactly the injected routes.
  {
    SCOPED_TRACE("routes injected");
    for (const Collector* c : {&a, &b}) {
      // gobgpd dials its BGP peer 5-10 s after it starts; FRR within a second.
      const std::string diff = WaitForView(*c, router, exactly, frr ? 30s : 60s);
      ASSERT_TRUE(diff.empty()) << diff << "\n"
                                << c->name() << " does not hold the injected routes of " << router
                                << diagnostics();
    }
    CheckRouterAndLookups(a, exporter, expected);
    if (HasFatalFailure()) return;
  }

  // 2. The BMP session dies. In A: stale, then flushed after 3 s. In B: stale, then revived
  //    within its 60 s keep, never flushed.
  {
    SCOPED_TRACE("BMP session lost");
    RouteWatcher watcher(b, router, static_cast<int64_t>(expected.size()));
    const auto lost_at = Clock::now();
    if (frr) {
      // FRR redials within a second: the relays refuse it until the test lets it back.
      for (TcpTap* relay : {&relay_a, &relay_b}) {
        relay->SetRefusing(true);
        relay->CloseConnections();
      }
    } else {
      routers.KillGobgp();
    }
    auto stale = [&](const RouterView& v) { return CompareView(v, expected, "stale"); };
    RouterView view;
    for (const Collector* c : {&a, &b}) {
      const std::string diff = WaitForView(*c, router, stale, 10s, &view);
      EXPECT_TRUE(diff.empty()) << diff << "\n"
                                << c->name() << ": the peers of " << router
                                << " are not stale with their routes after the BMP session ended";
      const Json entry = RouterEntry(*c, router, &error);
      EXPECT_EQ(entry["state"].str(), "down") << c->name() << " router " << router;
    }
    int status = 0;
    a.Get("/api/v1/rib/lookup?ip=203.0.113.7&exporter=" + router, &status, &error);
    EXPECT_EQ(status, 200) << "lookup while the peers are stale";
    if (frr) relay_b.SetRefusing(false);  // B's session comes back while A counts down

    std::string diff = WaitForView(a, router, CompareFlushed, 20s, &view);
    const double flushed_after = std::chrono::duration<double>(Clock::now() - lost_at).count();
    EXPECT_TRUE(diff.empty()) << diff << "\n"
                              << a.name() << ": the stale peers of " << router
                              << " were not flushed after the 3 s keep\n"
                              << view.Describe() << diagnostics();
    EXPECT_GE(flushed_after, 2.5) << a.name() << " flushed before the keep time ran out";
    a.Get("/api/v1/rib/lookup?ip=203.0.113.7&exporter=" + router, &status, &error);
    EXPECT_EQ(status, 404) << "lookup after the flush";
    std::printf("%s: %s flushed %.1f s after its BMP session ended\n", a.name().c_str(),
                router.c_str(), flushed_after);

    if (!frr) {
      ASSERT_TRUE(routers.StartGobgp());
    }
    diff = WaitForView(b, router, exactly, 60s, &view);
    EXPECT_TRUE(diff.empty()) << diff << "\n"
                              << b.name() << ": " << router << " was not revived\n"
                              << diagnostics();
    EXPECT_GE(relay_b.accepted(), 2) << "the exporter did not reconnect to " << b.name();
    watcher.Stop();
    EXPECT_TRUE(watcher.violations().empty())
        << b.name() << " lost routes of " << router << " during the revival:\n"
        << Join(watcher.violations(), "\n");
    std::printf(
        "%s: revived %s %.1f s after its BMP session ended; %d polls, peer states "
        "seen: %s\n",
        b.name().c_str(), router.c_str(),
        std::chrono::duration<double>(Clock::now() - lost_at).count(), watcher.polls(),
        Join(std::vector<std::string>(watcher.states().begin(), watcher.states().end())).c_str());

    // A gets the router back, as a new session.
    if (frr) relay_a.SetRefusing(false);
    diff = WaitForView(a, router, exactly, 60s, &view);
    EXPECT_TRUE(diff.empty()) << diff << "\n"
                              << a.name() << ": " << router << " did not come back\n"
                              << diagnostics();
  }

  // 3. The BGP neighbor is shut down on the exporter: its routes are flushed everywhere.
  {
    SCOPED_TRACE("BGP neighbor shut down");
    ASSERT_TRUE(routers.ShutdownNeighbor(exporter));
    for (const Collector* c : {&a, &b}) {
      RouterView view;
      const std::string diff = WaitForView(*c, router, CompareFlushed, 20s, &view);
      EXPECT_TRUE(diff.empty()) << diff << "\n"
                                << c->name() << ": the routes of the shut neighbor remain\n"
                                << view.Describe() << diagnostics();
    }
    int status = 0;
    a.Get("/api/v1/rib/lookup?ip=203.0.113.7&exporter=" + router, &status, &error);
    EXPECT_EQ(status, 404) << "lookup after the neighbor shutdown";
  }

  EXPECT_TRUE(a.Stop());
  EXPECT_TRUE(b.Stop());
}

INSTANTIATE_TEST_SUITE_P(Exporters, CollectorTest,
                         ::testing::Values(Exporter::kFrr, Exporter::kGobgp),
                         [](const ::testing::TestParamInfo<Exporter>& info) {
                           return std::string(info.param == Exporter::kFrr ? "Frr" : "Gobgp");
                         });

}  // namespace
}  // namespace ribflow
