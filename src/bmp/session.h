// RouterSession: one BMP router's connection, applied to the RIB.
//
// It turns the router's byte stream into RIB changes, message by message and in order:
// - Initiation: the router's sysName/sysDescr.
// - Peer Up: both OPENs decoded; how this peer's UPDATEs are encoded (4-octet AS, ADD-PATH per
//   family) is negotiated from them, for the Adj-RIB-In and, separately, the Adj-RIB-Out. If
//   the RIB still holds the peer, stale from an earlier connection, it is revived (its flush
//   cancelled). A second Peer Up for a peer that is up is a new BGP session: the routes of the
//   previous one are flushed.
// - Route Monitoring: the UPDATE decoded with the peer's options, then each withdrawn and
//   announced route applied through the applier thread's Rib::Writer, under the import policy.
//   The A flag of the per-peer header, not the OPENs, says whether AS paths are 2-octet.
//   ADD-PATH is read as the Peer Up negotiated it (none without a Peer Up: a capture, gobgpd's
//   Loc-RIB); when that loses routes and the opposite setting does not, the opposite is kept
//   for that peer and RIB (FRR 8.4 negotiates ADD-PATH and sends no path identifiers). An
//   UPDATE that still loses routes is read again with the other AS width (FRR's Loc-RIB mixes
//   them; some exporters' A flags are wrong: see docs/bmp.md).
// - Peer Down: the peer's routes, in every RIB kind, are flushed (hidden at once, reclaimed by
//   the collector's sweeper in bounded steps, so a storm of Peer Downs costs little here).
// - Statistics Report: every counter into the metrics. Route Mirroring: counted, not applied.
// - Termination, or the connection closing: Close() marks every peer of the router stale for
//   the keep time; the collector's sweeper flushes those that no Peer Up revived by then.
// One malformed message is counted (metrics, by kind) and skipped, per RFC 7606 withdrawn or
// its bad attribute discarded; only a framing error (no way to find the next message) ends
// the session, and with it only this router's connection.
//
// Memory: the framer, the decoded message and the UPDATE are reused; once they have grown to
// the largest message seen, applying a message allocates nothing except what the RIB interns.
//
// Threading model: a session is fed by one thread at a time (its applier). info() may be
// called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "bgp/types.h"
#include "bgp/update.h"
#include "bmp/framer.h"
#include "bmp/message.h"
#include "bmp/metrics.h"
#include "rib/rib.h"

namespace ribflow::bmp {

inline constexpr int kRibKindCount = 5;
// The RIB's kind for a BMP RIB.
RibKind RibKindOf(Rib rib);
// "adj_rib_in_pre_policy", ... the names of bmp::Rib (RibName), for the RIB's kinds.
std::string_view RibKindName(RibKind kind);
std::optional<RibKind> ParseRibKind(std::string_view name);

// What a listener takes from its routers.
struct ImportPolicy {
  // Which RIBs are applied; routes of the others are counted as filtered.
  std::array<bool, kRibKindCount> ribs = {true, true, true, true, true};
  // Route distinguishers whose routes are kept; empty keeps every one. 0 is the global table.
  std::vector<RouteDistinguisher> rds;
  // VPN routes (those with an RD) are kept only if they carry one of these route-target
  // extended communities (raw 8-byte values); empty keeps every one. Routes of the global
  // table are not filtered by route target.
  std::vector<uint64_t> route_targets;
  bool keep_as_paths = true;     // false: only the origin AS is kept
  bool keep_communities = true;  // false: no standard or large communities are kept

  bool Accepts(RibKind kind) const { return ribs[static_cast<size_t>(kind)]; }
};

struct SessionConfig {
  ImportPolicy policy;
  // How long the peers of a router that disconnected, or sent Termination, keep their routes
  // (stale) before they are flushed. A Peer Up for the same peer within that time revives it.
  std::chrono::milliseconds keep{std::chrono::minutes(5)};
  FramerOptions framer;
};

// What the API shows of a session.
struct SessionInfo {
  IpAddress router;
  std::string sys_name;
  std::string sys_descr;
  uint64_t messages = 0;
  uint64_t peers_up = 0;  // BMP peers (BGP neighbours) announced by Peer Up and not down
  bool terminated = false;
  std::string close_reason;  // empty while open
};

class RouterSession {
 public:
  RouterSession(const SessionConfig& config, const IpAddress& router, ribflow::Rib* rib,
                RouterMetrics* metrics);
  RouterSession(const RouterSession&) = delete;
  RouterSession& operator=(const RouterSession&) = delete;

  // Feeds bytes as read from the socket and applies every whole message. Returns the stream
  // error when framing failed: the connection must then be closed (BMP cannot resynchronize).
  absl::Status Consume(std::span<const uint8_t> bytes, ribflow::Rib::Writer& writer);
  // Applies one whole BMP message.
  void Apply(std::span<const uint8_t> message, ribflow::Rib::Writer& writer);
  // The connection is over: marks every peer stale until now + keep (or flushes them at once
  // when keep is zero). Idempotent.
  void Close(std::string_view reason);

  SessionInfo info() const;
  const IpAddress& router() const { return router_; }

 private:
  // A monitored BGP neighbour, as BMP names it.
  struct BmpPeerKey {
    IpAddress address;
    RouteDistinguisher distinguisher = 0;
    uint8_t type = 0;  // PeerType
    friend bool operator==(const BmpPeerKey&, const BmpPeerKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const BmpPeerKey& k) {
      return H::combine(std::move(h), k.address, k.distinguisher, k.type);
    }
  };
  struct BmpPeer {
    uint32_t asn = 0;
    bool peer_up = false;          // a Peer Up was seen (else options are guessed)
    bgp::SessionOptions received;  // Adj-RIB-In, Loc-RIB
    bgp::SessionOptions sent;      // Adj-RIB-Out
    // Per RIB kind: UPDATEs are read with the opposite of the negotiated ADD-PATH setting,
    // because reading them as negotiated lost routes and the opposite did not. FRR 8.4 and
    // gobgpd's post-policy monitoring send no path identifiers although the Peer Up shows
    // ADD-PATH negotiated; a peer seen without Peer Up may send them.
    std::array<bool, kRibKindCount> add_path_flipped{};
    std::array<PeerId, kRibKindCount> ids;
    BmpPeer() { ids.fill(kNoPeer); }
  };

  static BmpPeerKey KeyOf(const PeerHeader& header);
  PeerKey RibKeyOf(const PeerHeader& header, RibKind kind) const;
  BmpPeer& PeerFor(const PeerHeader& header);
  void OnPeerUp(const Message& message);
  void OnPeerDown(const Message& message);
  void OnRouteMonitoring(const Message& message, ribflow::Rib::Writer& writer);
  void OnStatistics(const Message& message);
  // Decodes the UPDATE into update_, retrying with the fallbacks above; the outcome.
  bgp::ErrorAction DecodeWithFallbacks(const Message& message, BmpPeer& peer);
  bool KeepsRoute(const bgp::Nlri& route, RouteDistinguisher rd) const;
  void FlushPeer(const PeerHeader& header, BmpPeer& peer);

  const SessionConfig& config_;
  const IpAddress router_;
  ribflow::Rib* rib_;
  RouterMetrics* metrics_;
  Framer framer_;
  Message message_;
  bgp::Update update_;
  std::vector<uint32_t> no_asns_;  // empty spans for policies that drop attributes
  absl::flat_hash_map<BmpPeerKey, BmpPeer> peers_;
  bool closed_ = false;
  std::atomic<uint64_t> messages_{0};

  mutable std::mutex info_mutex_;  // guards info_: written on Initiation, Peer Up/Down, Close
  SessionInfo info_;
};

}  // namespace ribflow::bmp
