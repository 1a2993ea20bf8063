// Interop: on every BMP capture under ../shared/data/captures (Akvorado's and pmacct's test
// data), what ribflow's decoders find matches what tshark (Wireshark's dissectors, an
// independent implementation) finds: BMP messages by type, Route Monitoring UPDATEs, routes by
// family and by field (NLRI, MP_REACH_NLRI, Withdrawn Routes, MP_UNREACH_NLRI), VPNv4, labeled
// and EVPN routes, ADD-PATH path identifiers, AS path ASNs, communities of the three kinds, next
// hops and the other path attributes (kCountInfo lists them).
//
// How the two are lined up. Both read the pcap file itself, each with its own TCP reassembly
// (tshark's defaults, run with -n and a time limit, its personal preferences ignored). tshark
// reports what it dissects per frame, a BMP message in the frame that completes it; our side
// attributes each message the same way (the frame that brought its last missing byte). The
// counts are compared per file, and per frame so that differences cannot cancel out.
//
// "Where tshark decodes cleanly": a frame where tshark raised an expert error (a malformed
// packet, a dissector exception) is left out on both sides, and so is every frame of a TCP
// stream where tshark saw a sequence or reassembly problem (a lost or out-of-order segment),
// since its framing of that stream is then in doubt. The test prints what it left out and why,
// and a table of both sides' counts per file. Every count of every file must match, except for
// the differences kKnownDifferences lists, each explained and asserted exactly; and ribflow
// must decode every message without an error (as bmp_captures_test asserts).
//
// The AS width: tshark guesses it from the bytes; ribflow takes the per-peer A flag and reads
// an UPDATE that loses routes again at the other width (bmp_stream_decoder.h). That is how the
// global-instance peer of pmacct's captures 205, 206 and 208, whose A flag is clear but whose
// AS_PATH is 2-octet, matches.
//
// What tshark 4.0 does not expose, and so is not compared: VPNv6 prefixes and RDs (one
// label-stack item per route, counted in "lbl"), VPLS, the RIB a message is about, End-of-RIB.
//
// Skips when tshark is not on PATH or ../shared/data is absent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bmp_stream_decoder.h"
#include "common/pcap_reader.h"

extern char** environ;  // POSIX has the program declare it

namespace ribflow {
namespace {

namespace fs = std::filesystem;
using interop::kBmpPorts;

// ---------------------------------------------------------------------------------------------
// What is counted.

enum Count : uint8_t {
  // BMP messages by type (RFC 7854 section 4.1).
  kRouteMonitoring,
  kStatisticsReport,
  kPeerDown,
  kPeerUp,
  kInitiation,
  kTermination,
  kRouteMirroring,
  kUpdates,  // BGP UPDATEs inside Route Monitoring
  // Routes by family and by the field that carries them.
  kIpv4Announced,    // IPv4 in the UPDATE's NLRI field
  kIpv4MpAnnounced,  // IPv4 in MP_REACH_NLRI (unicast, multicast, labeled, VPN)
  kIpv6MpAnnounced,  // IPv6 in MP_REACH_NLRI (unicast, multicast, labeled; not VPN)
  kIpv4Withdrawn,    // IPv4 in the Withdrawn Routes field
  kIpv4MpWithdrawn,  // IPv4 in MP_UNREACH_NLRI
  kIpv6MpWithdrawn,  // IPv6 in MP_UNREACH_NLRI (not VPN)
  kVpnRoutes,        // VPNv4 routes, announced or withdrawn (tshark: one RD each)
  kLabeledRoutes,    // labeled unicast and VPN routes (tshark: one label stack each)
  kEvpnRoutes,       // EVPN routes of any type, announced or withdrawn
  kPathIds,          // routes carrying an ADD-PATH path identifier (RFC 7911)
  // Attributes.
  kAsns,                 // ASNs in AS_PATH and AS4_PATH segments
  kCommunities,          // RFC 1997 communities
  kExtendedCommunities,  // RFC 4360
  kLargeCommunities,     // RFC 8092
  kNextHops,             // NEXT_HOP attributes
  kMpNextHops,           // addresses in MP_REACH_NLRI next hops (global and link-local)
  kMpReach,              // MP_REACH_NLRI attributes
  kMpUnreach,            // MP_UNREACH_NLRI attributes
  kOrigin,
  kMed,
  kLocalPref,
  kAtomicAggregate,
  kAggregator,
  kOriginatorId,
  kClusterIds,       // CLUSTER_LIST entries
  kOtherAttributes,  // attributes ribflow does not decode (AIGP, Prefix-SID, OTC, ...)
  kCountKinds,
};

struct CountInfo {
  const char* column;  // table header
  const char* name;
};

constexpr std::array<CountInfo, kCountKinds> kCountInfo = {{
    {"RM", "Route Monitoring messages"},
    {"Stat", "Statistics Report messages"},
    {"PDn", "Peer Down messages"},
    {"PUp", "Peer Up messages"},
    {"Init", "Initiation messages"},
    {"Term", "Termination messages"},
    {"Mirr", "Route Mirroring messages"},
    {"UPD", "UPDATEs in Route Monitoring"},
    {"a4", "IPv4 routes announced in NLRI"},
    {"a4mp", "IPv4 routes announced in MP_REACH_NLRI"},
    {"a6mp", "IPv6 routes announced in MP_REACH_NLRI (VPNv6 in lbl only)"},
    {"w4", "IPv4 routes withdrawn in Withdrawn Routes"},
    {"w4mp", "IPv4 routes withdrawn in MP_UNREACH_NLRI"},
    {"w6mp", "IPv6 routes withdrawn in MP_UNREACH_NLRI (VPNv6 in lbl only)"},
    {"vpn", "VPNv4 routes (RDs)"},
    {"lbl", "labeled and VPN routes (label stacks)"},
    {"evpn", "EVPN routes"},
    {"pid", "ADD-PATH path identifiers"},
    {"asn", "AS path ASNs"},
    {"comm", "communities"},
    {"xcom", "extended communities"},
    {"lcom", "large communities"},
    {"nh", "NEXT_HOP attributes"},
    {"mpnh", "MP_REACH_NLRI next-hop addresses"},
    {"mpr", "MP_REACH_NLRI attributes"},
    {"mpu", "MP_UNREACH_NLRI attributes"},
    {"orig", "ORIGIN attributes"},
    {"med", "MULTI_EXIT_DISC attributes"},
    {"lp", "LOCAL_PREF attributes"},
    {"aa", "ATOMIC_AGGREGATE attributes"},
    {"aggr", "AGGREGATOR attributes"},
    {"oid", "ORIGINATOR_ID attributes"},
    {"clid", "CLUSTER_LIST entries"},
    {"oth", "other attributes"},
}};

using Counts = std::array<int64_t, kCountKinds>;

void Add(Counts* sum, const Counts& counts) {
  for (size_t i = 0; i < counts.size(); ++i) (*sum)[i] += counts[i];
}

// A difference between ribflow and tshark on one count of one file that is understood:
// `ours - tshark` must equal `difference` exactly, so that a fix or a new difference shows.
struct KnownDifference {
  const char* file;
  Count count;
  int64_t difference;
};

constexpr KnownDifference kKnownDifferences[] = {
    // A VPLS route (AFI 25, SAFI 65): ribflow does not decode VPLS and skips the MP_REACH_NLRI's
    // NLRI and next hop whole (update.h, RFC 7606 section 5.4), tshark decodes the next hop.
    {"outlet__routing__provider__bmp__testdata__bmp-reach-vpls.pcap", kMpNextHops, -1},
};

// ---------------------------------------------------------------------------------------------
// Our side: each stream through the decoders, each message attributed to a frame.

// For each byte of `stream`, the first frame (in capture order) that carried it; 0 for none.
// `packets` are the capture's; the stream's own segments are those of its direction from its
// first frame up to (not including) `end_frame`, the first frame of the next connection on the
// same 4-tuple. Sequence numbers map to stream offsets as TcpStreams maps them.
std::vector<uint64_t> FirstFrameOfEachByte(std::span<const Packet> packets, const TcpStream& stream,
                                           uint64_t end_frame) {
  std::vector<uint64_t> frame_of(stream.bytes.size(), 0);
  auto in_stream = [&](const Packet& p) {
    return p.protocol == kIpProtocolTcp && p.frame_number >= stream.first_frame_number &&
           p.frame_number < end_frame && (p.tcp_flags & kTcpFlagRst) == 0 &&
           p.src == stream.key.src && p.dst == stream.key.dst &&
           p.src_port == stream.key.src_port && p.dst_port == stream.key.dst_port;
  };
  std::optional<uint32_t> base;
  for (const Packet& p : packets) {
    if (!in_stream(p)) continue;
    if (stream.starts_at_syn) {
      if ((p.tcp_flags & kTcpFlagSyn) != 0) {
        base = p.tcp_sequence + (stream.syn_payload_at_isn ? 0 : 1);
        break;
      }
    } else if (!p.payload.empty()) {
      if (!base || static_cast<int32_t>(p.tcp_sequence - *base) < 0) base = p.tcp_sequence;
    }
  }
  if (!base) return frame_of;
  for (const Packet& p : packets) {
    if (!in_stream(p) || p.payload.empty()) continue;
    // A SYN's payload starts the stream, whichever way its sequence numbers count.
    const int64_t start = (p.tcp_flags & kTcpFlagSyn) != 0
                              ? 0
                              : static_cast<int64_t>(static_cast<int32_t>(p.tcp_sequence - *base));
    for (size_t i = 0; i < p.payload.size(); ++i) {
      const int64_t offset = start + static_cast<int64_t>(i);
      if (offset < 0 || offset >= static_cast<int64_t>(frame_of.size())) continue;
      if (frame_of[offset] == 0) frame_of[offset] = p.frame_number;
    }
  }
  return frame_of;
}

void CountRoute(const bgp::Nlri& route, bool announced, const bgp::SessionOptions& options,
                Counts* counts) {
  switch (route.afi) {
    case bgp::Afi::kIpv4:
      if (!route.from_mp_attribute) {
        ++(*counts)[announced ? kIpv4Announced : kIpv4Withdrawn];
      } else {
        ++(*counts)[announced ? kIpv4MpAnnounced : kIpv4MpWithdrawn];
      }
      break;
    case bgp::Afi::kIpv6:
      // tshark 4.0 dissects a VPNv6 route into one label-stack item whose text holds the RD
      // and the prefix: no prefix or RD field to count. VPNv6 routes are compared in
      // kLabeledRoutes only.
      if (route.safi != bgp::Safi::kMplsVpn) {
        ++(*counts)[announced ? kIpv6MpAnnounced : kIpv6MpWithdrawn];
      }
      break;
    default:
      ++(*counts)[kEvpnRoutes];
      break;
  }
  if (route.safi == bgp::Safi::kMplsVpn && route.afi == bgp::Afi::kIpv4) ++(*counts)[kVpnRoutes];
  if (route.safi == bgp::Safi::kMplsVpn || route.safi == bgp::Safi::kLabeledUnicast) {
    ++(*counts)[kLabeledRoutes];
  }
  if (options.add_path.Contains(route.afi, route.safi)) ++(*counts)[kPathIds];
}

void CountMessage(const interop::DecodedBmpMessage& decoded, Counts* counts) {
  if (decoded.message == nullptr) return;  // counted nowhere: shows as a difference
  const auto type = static_cast<size_t>(decoded.message->type);
  if (type <= static_cast<size_t>(bmp::MessageType::kRouteMirroring)) {
    ++(*counts)[kRouteMonitoring + type];
  }
  if (decoded.update == nullptr) return;
  const bgp::Update& update = *decoded.update;
  ++(*counts)[kUpdates];
  for (const bgp::Nlri& route : update.announced) {
    CountRoute(route, true, decoded.update_options, counts);
  }
  for (const bgp::Nlri& route : update.withdrawn) {
    CountRoute(route, false, decoded.update_options, counts);
  }
  (*counts)[kEvpnRoutes] += update.skipped_evpn_routes;
  (*counts)[kAsns] +=
      static_cast<int64_t>(update.as_path.asns.size() + update.as4_path.asns.size());
  (*counts)[kCommunities] += static_cast<int64_t>(update.communities.size());
  (*counts)[kExtendedCommunities] += static_cast<int64_t>(update.extended_communities.size());
  (*counts)[kLargeCommunities] += static_cast<int64_t>(update.large_communities.size());
  (*counts)[kNextHops] += update.next_hop ? 1 : 0;
  (*counts)[kMpNextHops] += (update.mp_next_hop ? 1 : 0) + (update.mp_link_local_next_hop ? 1 : 0);
  (*counts)[kMpReach] += update.mp_reach_family ? 1 : 0;
  (*counts)[kMpUnreach] += update.mp_unreach_family ? 1 : 0;
  (*counts)[kOrigin] += update.origin ? 1 : 0;
  (*counts)[kMed] += update.med ? 1 : 0;
  (*counts)[kLocalPref] += update.local_pref ? 1 : 0;
  (*counts)[kAtomicAggregate] += update.atomic_aggregate ? 1 : 0;
  (*counts)[kAggregator] += update.aggregator ? 1 : 0;
  (*counts)[kOriginatorId] += update.originator_id ? 1 : 0;
  (*counts)[kClusterIds] += static_cast<int64_t>(update.cluster_list.size());
  (*counts)[kOtherAttributes] += static_cast<int64_t>(update.unknown_attributes.size());
}

struct OurSide {
  std::map<uint64_t, Counts> frames;  // by the frame that completes each message
  size_t streams = 0;
  std::vector<std::string> problems;  // messages not attributable to a frame, stream errors
  std::vector<std::string> notes;     // stream gaps and conflicting retransmissions
  std::vector<std::string> errors;    // what loses routes or messages (bmp_stream_decoder.h)
};

OurSide DecodeCapture(const PcapCapture& capture) {
  OurSide side;
  for (uint16_t port : kBmpPorts) {
    const std::vector<TcpStream> streams = TcpStreams(capture.packets, port);
    for (size_t s = 0; s < streams.size(); ++s) {
      const TcpStream& stream = streams[s];
      ++side.streams;
      uint64_t end_frame = UINT64_MAX;
      for (size_t t = s + 1; t < streams.size(); ++t) {
        if (streams[t].key == stream.key) {
          end_frame = streams[t].first_frame_number;
          break;
        }
      }
      const std::vector<uint64_t> frame_of =
          FirstFrameOfEachByte(capture.packets, stream, end_frame);
      if (stream.gap || stream.conflicting_bytes > 0) {
        side.notes.push_back(stream.key.ToString() + ": gap or conflicting retransmission");
      }
      // The frame that completes a message: the last to bring one of its bytes; 0 for none.
      auto frame_for = [&](const interop::DecodedBmpMessage& decoded) {
        uint64_t frame = 0;
        const uint64_t end = decoded.stream_offset + decoded.bytes.size();
        for (uint64_t i = decoded.stream_offset; i < end; ++i) {
          if (frame_of[i] == 0) return uint64_t{0};
          frame = std::max(frame, frame_of[i]);
        }
        return frame;
      };
      const std::optional<std::string> stream_error =
          interop::DecodeBmpStream(stream.bytes, [&](const interop::DecodedBmpMessage& decoded) {
            const uint64_t frame = frame_for(decoded);
            if (frame == 0) {
              side.problems.push_back(stream.key.ToString() + ": no frame for the message at " +
                                      std::to_string(decoded.stream_offset));
              return;
            }
            for (const std::string& error : decoded.errors) {
              side.errors.push_back("frame " + std::to_string(frame) + ": " + error);
            }
            CountMessage(decoded, &side.frames[frame]);
          });
      if (stream_error) side.problems.push_back(stream.key.ToString() + ": " + *stream_error);
    }
  }
  return side;
}

// ---------------------------------------------------------------------------------------------
// tshark's side.

// The absolute path of `name` found on PATH, or nullopt.
std::optional<std::string> FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest = path;
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty()) continue;
    const std::string candidate = std::string(dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

struct ProcessResult {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1;  // when it exited normally
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] an absolute path) without a shell, so that no argument needs escaping,
// with this process's environment plus `environment` ("NAME=value", replacing the same names),
// and collects its standard output and error. Killed after `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& environment,
                         std::chrono::milliseconds timeout) {
  ProcessResult result;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view name(*entry, std::strcspn(*entry, "="));
    const bool replaced = std::any_of(environment.begin(), environment.end(), [&](const auto& e) {
      return e.size() > name.size() && e.compare(0, name.size(), name) == 0 &&
             e[name.size()] == '=';
    });
    if (!replaced) env.push_back(*entry);
  }
  for (const std::string& entry : environment) env.push_back(const_cast<char*>(entry.c_str()));
  env.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = std::strerror(spawned);
    return result;
  }
  result.started = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[1 << 16];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    const int ready = poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// The fields tshark prints for each frame, in this order (-T fields). Multiple occurrences are
// joined by kValueSeparator; only their number matters, except where noted.
enum Field : uint8_t {
  kFrameNumber,
  kTcpStream,
  kExpertSeverity,  // numbers, one per expert item
  kExpertGroup,
  kExpertMessage,
  kBmpType,  // values
  kBgpType,  // values
  kNlriPrefix,
  kMpReachIpv4Prefix,
  kMpReachIpv6Prefix,
  kWithdrawnPrefix,
  kMpUnreachIpv4Prefix,
  kMpUnreachIpv6Prefix,
  kRd,
  kLabelStack,
  kEvpnNlri,
  kPathId,
  kAs2,
  kAs4,
  kCommunityAs,
  kCommunityWellKnown,
  kExtendedCommunityType,
  kLargeCommunityGa,
  kNextHop,
  kMpNextHopIpv4,
  kMpNextHopIpv6,
  kMpNextHopLinkLocal,
  kAttributeTypeCode,  // values
  kClusterId,
  kFieldCount,
};

constexpr std::array<const char*, kFieldCount> kFieldNames = {
    "frame.number",
    "tcp.stream",
    "_ws.expert.severity",
    "_ws.expert.group",
    "_ws.expert.message",
    "bmp.type",
    "bgp.type",
    "bgp.nlri_prefix",
    "bgp.mp_reach_nlri_ipv4_prefix",
    "bgp.mp_reach_nlri_ipv6_prefix",
    "bgp.withdrawn_prefix",
    "bgp.mp_unreach_nlri_ipv4_prefix",
    "bgp.mp_unreach_nlri_ipv6_prefix",
    "bgp.rd",
    "bgp.label_stack",
    "bgp.evpn.nlri",
    "bgp.nlri_path_id",
    "bgp.update.path_attribute.as_path_segment.as2",
    "bgp.update.path_attribute.as_path_segment.as4",
    "bgp.update.path_attribute.community_as",
    "bgp.update.path_attribute.community_wellknown",
    "bgp.ext_com.type",
    "bgp.large_communities.ga",
    "bgp.update.path_attribute.next_hop",
    "bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4",
    "bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6",
    "bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local",
    "bgp.update.path_attribute.type_code",
    "bgp.path_attribute.cluster_id",
};

constexpr char kValueSeparator = '\x1f';  // no field value holds it

// Expert severities and groups (Wireshark's epan/proto.h).
constexpr uint32_t kSeverityWarn = 0x00600000;
constexpr uint32_t kSeverityError = 0x00800000;
constexpr uint32_t kGroupSequence = 0x02000000;
constexpr uint32_t kGroupReassemble = 0x06000000;

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  for (;;) {
    const size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text = text.substr(at + 1);
  }
  return parts;
}

uint64_t ToNumber(std::string_view text) {
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return UINT64_MAX;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return text.empty() ? UINT64_MAX : value;
}

struct TsharkFrame {
  Counts counts{};
  uint64_t stream = UINT64_MAX;                // tcp.stream
  std::vector<std::string> errors;             // expert errors: the frame is left out
  std::vector<std::string> sequence_problems;  // TCP sequence warnings: its stream is left out
};

// The attribute type codes ribflow decodes (bgp/update.h); tshark's other codes are counted as
// kOtherAttributes.
bool DecodedAttribute(uint64_t code) {
  return (code >= 1 && code <= 10) || (code >= 14 && code <= 18) || code == 32;
}

// The attributes counted by their type code (the others by their fields).
constexpr std::pair<uint64_t, Count> kAttributeCounts[] = {
    {1, kOrigin},     {4, kMed},          {5, kLocalPref}, {6, kAtomicAggregate},
    {7, kAggregator}, {9, kOriginatorId}, {14, kMpReach},  {15, kMpUnreach},
};

std::optional<TsharkFrame> ParseTsharkLine(std::string_view line, uint64_t* frame_number) {
  const std::vector<std::string_view> fields = Split(line, '\t');
  if (fields.size() != kFieldCount) return std::nullopt;
  *frame_number = ToNumber(fields[kFrameNumber]);
  if (*frame_number == UINT64_MAX) return std::nullopt;
  TsharkFrame frame;
  frame.stream = ToNumber(fields[kTcpStream]);
  auto all = [&](Field field) { return Split(fields[field], kValueSeparator); };
  auto number_of = [&](Field field) { return static_cast<int64_t>(all(field).size()); };
  const auto severities = all(kExpertSeverity);
  const auto groups = all(kExpertGroup);
  const auto messages = all(kExpertMessage);
  for (size_t i = 0; i < severities.size(); ++i) {
    const uint64_t severity = ToNumber(severities[i]);
    const uint64_t group = i < groups.size() ? ToNumber(groups[i]) : 0;
    const std::string message = i < messages.size() ? std::string(messages[i]) : "?";
    if (severity != UINT64_MAX && severity >= kSeverityError) {
      frame.errors.push_back(message);
    } else if (severity != UINT64_MAX && severity >= kSeverityWarn &&
               (group == kGroupSequence || group == kGroupReassemble)) {
      frame.sequence_problems.push_back(message);
    }
  }
  Counts& c = frame.counts;
  for (std::string_view type : all(kBmpType)) {
    const uint64_t value = ToNumber(type);
    if (value <= static_cast<uint64_t>(bmp::MessageType::kRouteMirroring)) {
      ++c[kRouteMonitoring + value];
    }
  }
  for (std::string_view type : all(kBgpType)) c[kUpdates] += type == "2" ? 1 : 0;
  c[kIpv4Announced] = number_of(kNlriPrefix);
  c[kIpv4MpAnnounced] = number_of(kMpReachIpv4Prefix);
  c[kIpv6MpAnnounced] = number_of(kMpReachIpv6Prefix);
  c[kIpv4Withdrawn] = number_of(kWithdrawnPrefix);
  c[kIpv4MpWithdrawn] = number_of(kMpUnreachIpv4Prefix);
  c[kIpv6MpWithdrawn] = number_of(kMpUnreachIpv6Prefix);
  c[kVpnRoutes] = number_of(kRd);
  c[kLabeledRoutes] = number_of(kLabelStack);
  c[kEvpnRoutes] = number_of(kEvpnNlri);
  c[kPathIds] = number_of(kPathId);
  c[kAsns] = number_of(kAs2) + number_of(kAs4);
  c[kCommunities] = number_of(kCommunityAs) + number_of(kCommunityWellKnown);
  c[kExtendedCommunities] = number_of(kExtendedCommunityType);
  c[kLargeCommunities] = number_of(kLargeCommunityGa);
  c[kNextHops] = number_of(kNextHop);
  c[kMpNextHops] =
      number_of(kMpNextHopIpv4) + number_of(kMpNextHopIpv6) + number_of(kMpNextHopLinkLocal);
  c[kClusterIds] = number_of(kClusterId);
  for (std::string_view text : all(kAttributeTypeCode)) {
    const uint64_t code = ToNumber(text);
    const auto counted = std::find_if(std::begin(kAttributeCounts), std::end(kAttributeCounts),
                                      [&](const auto& entry) { return entry.first == code; });
    if (counted != std::end(kAttributeCounts)) {
      ++c[counted->second];
    } else if (!DecodedAttribute(code)) {
      ++c[kOtherAttributes];
    }
  }
  return frame;
}

struct TsharkSide {
  std::map<uint64_t, TsharkFrame> frames;
  std::string failure;  // empty when tshark ran and its output parsed
};

constexpr auto kTsharkTimeout = std::chrono::seconds(60);

// `config_dir` is an empty directory: tshark's personal preferences (decode-as entries,
// disabled protocols, the BGP AS width) must not change what it finds.
TsharkSide RunTshark(const std::string& tshark, const fs::path& capture,
                     const fs::path& config_dir) {
  std::vector<std::string> argv = {tshark, "-n", "-r", capture.string()};
  std::string filter;
  for (uint16_t port : kBmpPorts) {
    argv.push_back("-d");
    argv.push_back("tcp.port==" + std::to_string(port) + ",bmp");
    filter += (filter.empty() ? "" : " || ") + std::string("tcp.port == ") + std::to_string(port);
  }
  // tshark's defaults, stated so that a user's preferences cannot change them. Not
  // tcp.reassemble_out_of_order: with it, tshark 4.0 drops every pmacct stream whose SYN
  // carries payload numbered from the ISN (see TcpStream::syn_payload_at_isn).
  for (const char* preference :
       {"tcp.desegment_tcp_streams:TRUE", "bmp.desegment:TRUE", "bgp.desegment:TRUE"}) {
    argv.push_back("-o");
    argv.push_back(preference);
  }
  argv.insert(argv.end(),
              {"-Y", filter, "-T", "fields", "-E", "header=n", "-E", "separator=/t", "-E",
               "occurrence=a", "-E", std::string("aggregator=") + kValueSeparator});
  for (const char* field : kFieldNames) {
    argv.push_back("-e");
    argv.push_back(field);
  }
  TsharkSide side;
  const ProcessResult run =
      RunProcess(argv, {"WIRESHARK_CONFIG_DIR=" + config_dir.string()}, kTsharkTimeout);
  if (!run.started) {
    side.failure = "tshark did not start: " + run.err;
    return side;
  }
  if (run.timed_out) {
    side.failure = "tshark took longer than " + std::to_string(kTsharkTimeout.count()) + " s";
    return side;
  }
  if (run.exit_code != 0) {
    side.failure = "tshark exited with " + std::to_string(run.exit_code) + ": " + run.err;
    return side;
  }
  for (std::string_view line : Split(run.out, '\n')) {
    if (line.empty()) continue;
    uint64_t frame_number = 0;
    std::optional<TsharkFrame> frame = ParseTsharkLine(line, &frame_number);
    if (!frame) {
      side.failure = "unexpected tshark line: " + std::string(line.substr(0, 200));
      return side;
    }
    side.frames[frame_number] = std::move(*frame);
  }
  return side;
}

// ---------------------------------------------------------------------------------------------
// The comparison.

struct FileResult {
  std::string name;
  // Over the frames compared.
  Counts ours{};
  Counts tshark{};
  // Summed over frames: |ours - tshark| per frame. Equal to |ours - tshark| per file when no
  // difference in one frame is hidden by an opposite one in another.
  Counts frame_differences_sum{};
  size_t frames_compared = 0;
  // Left out.
  size_t frames_excluded = 0;
  Counts ours_excluded{};                           // what our side had in them
  std::map<std::string, size_t> exclusion_reasons;  // reason -> frames
  std::vector<std::string> frame_differences;       // the first few frames that differ
};

int64_t MessagesIn(const Counts& counts) {
  int64_t n = 0;
  for (size_t i = kRouteMonitoring; i <= kRouteMirroring; ++i) n += counts[i];
  return n;
}

// Sums both sides over the frames of one capture, leaving out those where tshark does not
// decode cleanly.
FileResult Compare(const std::string& name, const OurSide& ours, const TsharkSide& theirs) {
  FileResult result;
  result.name = name;
  // Streams where tshark's reassembly is in doubt.
  std::map<uint64_t, std::string> excluded_streams;
  for (const auto& [number, frame] : theirs.frames) {
    if (!frame.sequence_problems.empty() && frame.stream != UINT64_MAX) {
      excluded_streams.try_emplace(frame.stream, "TCP: " + frame.sequence_problems.front());
    }
  }
  std::set<uint64_t> frames;
  for (const auto& [number, frame] : ours.frames) frames.insert(number);
  for (const auto& [number, frame] : theirs.frames) {
    if (MessagesIn(frame.counts) > 0 || !frame.errors.empty()) frames.insert(number);
  }
  for (uint64_t number : frames) {
    const auto our_frame = ours.frames.find(number);
    const auto their_frame = theirs.frames.find(number);
    const Counts our_counts = our_frame != ours.frames.end() ? our_frame->second : Counts{};
    const Counts their_counts =
        their_frame != theirs.frames.end() ? their_frame->second.counts : Counts{};
    std::string reason;
    if (their_frame != theirs.frames.end()) {
      if (const auto s = excluded_streams.find(their_frame->second.stream);
          s != excluded_streams.end()) {
        reason = s->second;
      } else if (!their_frame->second.errors.empty()) {
        reason = "tshark: " + their_frame->second.errors.front();
      }
    }
    if (!reason.empty()) {
      ++result.frames_excluded;
      Add(&result.ours_excluded, our_counts);
      ++result.exclusion_reasons[reason];
      continue;
    }
    ++result.frames_compared;
    Add(&result.ours, our_counts);
    Add(&result.tshark, their_counts);
    for (size_t i = 0; i < their_counts.size(); ++i) {
      result.frame_differences_sum[i] += std::abs(our_counts[i] - their_counts[i]);
    }
    if (our_counts != their_counts && result.frame_differences.size() < 5) {
      std::string difference = "frame " + std::to_string(number) + ":";
      for (size_t i = 0; i < their_counts.size(); ++i) {
        if (our_counts[i] == their_counts[i]) continue;
        difference += std::string(" ") + kCountInfo[i].column + " " +
                      std::to_string(our_counts[i]) + " vs " + std::to_string(their_counts[i]);
      }
      result.frame_differences.push_back(difference);
    }
  }
  return result;
}

// A table row of `counts`, a star on those that differ from `other`.
std::string Cells(const Counts& counts, const Counts& other) {
  std::string row;
  for (size_t i = 0; i < counts.size(); ++i) {
    char cell[32];
    std::snprintf(cell, sizeof cell, " %5lld%s", static_cast<long long>(counts[i]),
                  other[i] != counts[i] ? "*" : " ");
    row += cell;
  }
  return row;
}

std::string Header() {
  std::string row;
  for (const CountInfo& info : kCountInfo) {
    char cell[32];
    std::snprintf(cell, sizeof cell, " %5s ", info.column);
    row += cell;
  }
  return row;
}

std::string MessageTypes(const Counts& counts) {
  std::string text;
  for (size_t i = kRouteMonitoring; i <= kRouteMirroring; ++i) {
    if (counts[i] == 0) continue;
    text += (text.empty() ? "" : ", ") + std::to_string(counts[i]) + " " + kCountInfo[i].column;
  }
  return text.empty() ? "no BMP message" : text;
}

void PrintTable(const std::vector<FileResult>& results) {
  std::printf("Counts over the frames compared (* = differs from tshark):\n");
  for (const CountInfo& info : kCountInfo) std::printf("  %-5s %s\n", info.column, info.name);
  std::printf("%-72s %-7s%s\n", "file", "side", Header().c_str());
  auto print = [](const std::string& name, const Counts& ours, const Counts& tshark) {
    std::printf("%-72.72s %-7s%s\n", name.c_str(), "ours", Cells(ours, tshark).c_str());
    std::printf("%-72s %-7s%s\n", "", "tshark", Cells(tshark, ours).c_str());
  };
  Counts ours{}, tshark{};
  for (const FileResult& r : results) {
    print(r.name, r.ours, r.tshark);
    Add(&ours, r.ours);
    Add(&tshark, r.tshark);
  }
  print("TOTAL", ours, tshark);
}

std::string FrameDifferences(const FileResult& r) {
  std::string text;
  for (const std::string& difference : r.frame_differences) text += "\n    " + difference;
  return text.empty() ? "" : "; frames that differ:" + text;
}

TEST(BmpTsharkTest, EveryCountMatchesTsharkWhereTsharkDecodesCleanly) {
  const fs::path root = fs::path(RIBFLOW_SHARED_DATA) / "captures";
  if (!fs::exists(root)) GTEST_SKIP() << root << " is absent (needs ../shared/data)";
  const std::optional<std::string> tshark = FindOnPath("tshark");
  if (!tshark) GTEST_SKIP() << "tshark is not on PATH (Debian package tshark)";
  const auto started = std::chrono::steady_clock::now();
  const ProcessResult version = RunProcess({*tshark, "--version"}, {}, kTsharkTimeout);
  std::printf("%s (expectations set with TShark 4.0.17, Debian 12)\n",
              version.out.substr(0, version.out.find('\n')).c_str());

  std::vector<fs::path> captures;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".pcap") captures.push_back(entry.path());
  }
  std::sort(captures.begin(), captures.end());

  std::string config_template = (fs::temp_directory_path() / "ribflow-tshark-XXXXXX").string();
  ASSERT_NE(mkdtemp(config_template.data()), nullptr) << std::strerror(errno);
  const fs::path config_dir = config_template;
  struct RemoveAtExit {
    fs::path path;
    ~RemoveAtExit() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } remove_config_dir{config_dir};

  std::vector<FileResult> results;
  for (const fs::path& path : captures) {
    auto capture = ReadPcap(path.string());
    ASSERT_TRUE(capture.ok()) << path << ": " << capture.status();
    const OurSide ours = DecodeCapture(*capture);
    if (ours.streams == 0) continue;  // not a BMP capture
    const std::string name = path.filename().string();
    EXPECT_TRUE(ours.problems.empty()) << name << ": " << ours.problems.front();
    for (const std::string& note : ours.notes) std::printf("%s: %s\n", name.c_str(), note.c_str());
    EXPECT_TRUE(ours.errors.empty())
        << name << ": " << ours.errors.size() << " decoding errors, first: " << ours.errors.front();
    const TsharkSide theirs = RunTshark(*tshark, path, config_dir);
    ASSERT_TRUE(theirs.failure.empty()) << name << ": " << theirs.failure;
    results.push_back(Compare(name, ours, theirs));
  }

  PrintTable(results);
  std::printf("\nLeft out, where tshark does not decode cleanly:\n");
  size_t files_excluded = 0, frames_excluded = 0, frames_compared = 0;
  Counts excluded{};
  for (const FileResult& r : results) {
    frames_compared += r.frames_compared;
    if (r.frames_excluded == 0) continue;
    frames_excluded += r.frames_excluded;
    Add(&excluded, r.ours_excluded);
    const bool whole = r.frames_compared == 0;
    files_excluded += whole ? 1 : 0;
    std::printf("  %s%s: %zu frames (ours: %s)\n", r.name.c_str(), whole ? " (the whole file)" : "",
                r.frames_excluded, MessageTypes(r.ours_excluded).c_str());
    for (const auto& [reason, n] : r.exclusion_reasons) {
      std::printf("      %4zu frames: %s\n", n, reason.c_str());
    }
  }

  // Every count of every file matches, but for the known differences.
  for (const FileResult& r : results) {
    for (size_t i = 0; i < kCountKinds; ++i) {
      int64_t expected = 0;
      for (const KnownDifference& k : kKnownDifferences) {
        if (r.name == k.file && k.count == i) expected += k.difference;
      }
      EXPECT_EQ(r.ours[i] - r.tshark[i], expected)
          << r.name << ": " << kCountInfo[i].name << ": ribflow " << r.ours[i] << ", tshark "
          << r.tshark[i] << FrameDifferences(r);
      EXPECT_EQ(r.frame_differences_sum[i], std::abs(r.ours[i] - r.tshark[i]))
          << r.name << ": " << kCountInfo[i].name
          << ": differences in some frames cancel out in others" << FrameDifferences(r);
    }
  }
  for (const KnownDifference& k : kKnownDifferences) {
    EXPECT_TRUE(std::any_of(results.begin(), results.end(),
                            [&](const FileResult& r) { return r.name == k.file; }))
        << k.file << " is no longer among the BMP captures";
  }
  EXPECT_GE(results.size(), 30u);  // the BMP captures of ANALYSIS.txt
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "\n%zu BMP capture files (%zu left out whole); %zu frames compared, %zu left out (ours: "
      "%s); %.1f s\n",
      results.size(), files_excluded, frames_compared, frames_excluded,
      MessageTypes(excluded).c_str(), seconds);
}

}  // namespace
}  // namespace ribflow
