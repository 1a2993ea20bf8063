#include "bmp/session.h"

#include <algorithm>

#include "bgp/open.h"

namespace ribflow::bmp {

RibKind RibKindOf(Rib rib) {
  switch (rib) {
    case Rib::kAdjRibInPrePolicy:
      return RibKind::kAdjRibInPre;
    case Rib::kAdjRibInPostPolicy:
      return RibKind::kAdjRibInPost;
    case Rib::kLocRib:
      return RibKind::kLocRib;
    case Rib::kAdjRibOutPrePolicy:
      return RibKind::kAdjRibOutPre;
    case Rib::kAdjRibOutPostPolicy:
      return RibKind::kAdjRibOutPost;
  }
  return RibKind::kAdjRibInPre;
}

namespace {

constexpr Rib kBmpRibOfKind[kRibKindCount] = {Rib::kAdjRibInPrePolicy, Rib::kAdjRibInPostPolicy,
                                              Rib::kLocRib, Rib::kAdjRibOutPrePolicy,
                                              Rib::kAdjRibOutPostPolicy};

bool LosesRoutes(bgp::ErrorAction action) {
  return action == bgp::ErrorAction::kTreatAsWithdraw ||
         action == bgp::ErrorAction::kDiscardMessage;
}

}  // namespace

std::string_view RibKindName(RibKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kRibKindCount ? RibName(kBmpRibOfKind[index]) : "unknown";
}

std::optional<RibKind> ParseRibKind(std::string_view name) {
  for (int i = 0; i < kRibKindCount; ++i) {
    if (RibName(kBmpRibOfKind[i]) == name) return static_cast<RibKind>(i);
  }
  return std::nullopt;
}

RouterSession::RouterSession(const SessionConfig& config, const IpAddress& router,
                             ribflow::Rib* rib, RouterMetrics* metrics)
    : config_(config), router_(router), rib_(rib), metrics_(metrics), framer_(config.framer) {
  info_.router = router;
}

absl::Status RouterSession::Consume(std::span<const uint8_t> bytes, ribflow::Rib::Writer& writer) {
  metrics_->CountBytes(bytes.size());
  while (!bytes.empty()) {
    bytes = bytes.subspan(framer_.Append(bytes));
    std::span<const uint8_t> message;
    for (;;) {
      const Framer::Result result = framer_.Next(&message);
      if (result == Framer::Result::kNeedMoreBytes) break;
      if (result == Framer::Result::kStreamError) {
        metrics_->CountError("bmp", ErrorKindName(framer_.error().kind));
        return framer_.error().ToStatus();
      }
      Apply(message, writer);
    }
  }
  return absl::OkStatus();
}

void RouterSession::Apply(std::span<const uint8_t> bytes, ribflow::Rib::Writer& writer) {
  messages_.store(messages_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  const Error error = Decode(bytes, &message_);
  metrics_->CountMessage(message_.type);
  if (!error.ok()) {
    metrics_->CountError("bmp", ErrorKindName(error.kind));
    return;
  }
  if (closed_) return;  // after Termination: the router is going away
  switch (message_.type) {
    case MessageType::kRouteMonitoring:
      OnRouteMonitoring(message_, writer);
      break;
    case MessageType::kStatisticsReport:
      OnStatistics(message_);
      break;
    case MessageType::kPeerDown:
      OnPeerDown(message_);
      break;
    case MessageType::kPeerUp:
      OnPeerUp(message_);
      break;
    case MessageType::kInitiation: {
      std::lock_guard lock(info_mutex_);
      info_.sys_name = message_.initiation.sys_name;
      info_.sys_descr = message_.initiation.sys_descr;
      break;
    }
    case MessageType::kTermination: {
      std::lock_guard lock(info_mutex_);
      info_.terminated = true;
    }
      Close("termination");
      break;
    case MessageType::kRouteMirroring:
      break;  // counted above; mirrored messages are never applied
  }
}

RouterSession::BmpPeerKey RouterSession::KeyOf(const PeerHeader& header) {
  return {header.address, header.distinguisher, static_cast<uint8_t>(header.type)};
}

PeerKey RouterSession::RibKeyOf(const PeerHeader& header, RibKind kind) const {
  return PeerKey{.router = router_,
                 .peer = header.address,
                 .distinguisher = header.distinguisher,
                 .asn = header.as,
                 .rib = kind};
}

RouterSession::BmpPeer& RouterSession::PeerFor(const PeerHeader& header) {
  auto [it, inserted] = peers_.try_emplace(KeyOf(header));
  if (inserted) it->second.asn = header.as;
  return it->second;
}

void RouterSession::OnPeerUp(const Message& message) {
  const PeerHeader& header = message.peer;
  BmpPeer& peer = PeerFor(header);
  if (peer.peer_up) FlushPeer(header, peer);  // a new BGP session of a peer that was up
  bgp::Open sent, received;
  const auto sent_error = bgp::DecodeOpen(message.peer_up.sent_open, &sent);
  const auto received_error = bgp::DecodeOpen(message.peer_up.received_open, &received);
  if (sent_error) metrics_->CountError("bgp_open", bgp::ErrorKindName(sent_error->kind));
  if (received_error) metrics_->CountError("bgp_open", bgp::ErrorKindName(received_error->kind));
  if (!sent_error && !received_error) {
    peer.received = bgp::NegotiateForReceived(sent, received);
    peer.sent = bgp::NegotiateForSent(sent, received);
    peer.peer_up = true;
  }  // else read as if no Peer Up was seen
  peer.add_path_flipped.fill(false);
  // The RIB may still hold this peer, stale since the router's last connection: revive it.
  for (int k = 0; k < kRibKindCount; ++k) {
    const auto kind = static_cast<RibKind>(k);
    if (peer.ids[k] == kNoPeer && config_.policy.Accepts(kind)) {
      peer.ids[k] = rib_->FindPeer(RibKeyOf(header, kind), /*revive=*/true);
    }
  }
  std::lock_guard lock(info_mutex_);
  info_.peers_up = std::count_if(peers_.begin(), peers_.end(),
                                 [](const auto& entry) { return entry.second.peer_up; });
}

void RouterSession::FlushPeer(const PeerHeader& header, BmpPeer& peer) {
  for (int k = 0; k < kRibKindCount; ++k) {
    PeerId id = peer.ids[k];
    // A peer stale since an earlier connection and not seen in this one is flushed too.
    if (id == kNoPeer) id = rib_->FindPeer(RibKeyOf(header, static_cast<RibKind>(k)), false);
    if (id != kNoPeer) rib_->FlushPeer(id);
    peer.ids[k] = kNoPeer;
  }
}

void RouterSession::OnPeerDown(const Message& message) {
  const PeerHeader& header = message.peer;
  BmpPeer& peer = PeerFor(header);
  FlushPeer(header, peer);
  metrics_->RemovePeerStatistics(header.address.ToString());
  peers_.erase(KeyOf(header));
  std::lock_guard lock(info_mutex_);
  info_.peers_up = std::count_if(peers_.begin(), peers_.end(),
                                 [](const auto& entry) { return entry.second.peer_up; });
}

void RouterSession::OnStatistics(const Message& message) {
  const std::string peer = message.peer.address.ToString();
  for (const Stat& stat : message.statistics.stats) {
    metrics_->SetStatistic(peer, message.peer.as, stat);
  }
}

bgp::ErrorAction RouterSession::DecodeWithFallbacks(const Message& message, BmpPeer& peer) {
  const PeerHeader& header = message.peer;
  const std::span<const uint8_t> bytes = message.route_monitoring.update;
  bgp::SessionOptions negotiated = header.adj_rib_out() ? peer.sent : peer.received;
  // RFC 7854 4.2: the A flag, not the OPENs, says how this message encodes AS paths (the
  // exporter may have rewritten them to 4-octet); a Loc-RIB has no A flag and is 4-octet.
  negotiated.four_octet_as = !header.legacy_as_path();
  bgp::SessionOptions opposite = negotiated;
  opposite.add_path =
      negotiated.add_path.empty() ? bgp::AddPathFamilies::All() : bgp::AddPathFamilies{};
  bool& flipped = peer.add_path_flipped[static_cast<size_t>(RibKindOf(header.rib()))];
  const bgp::SessionOptions& first = flipped ? opposite : negotiated;
  const bgp::ErrorAction action = bgp::DecodeUpdate(bytes, first, &update_);
  if (!LosesRoutes(action)) return action;
  if (!LosesRoutes(bgp::DecodeUpdate(bytes, flipped ? negotiated : opposite, &update_))) {
    flipped = !flipped;
    return update_.action;
  }
  // The A flag is not always right either: FRR's Loc-RIB mixes 2- and 4-octet AS paths, and
  // pmacct's captures 205/206/208 hold a global-instance peer with the A flag clear and a
  // 2-octet AS_PATH (tshark reads it the same way).
  bgp::SessionOptions other_width = first;
  other_width.four_octet_as = !other_width.four_octet_as;
  if (!LosesRoutes(bgp::DecodeUpdate(bytes, other_width, &update_))) return update_.action;
  // No fallback helped: the first reading, its errors and outcome, is the one applied.
  return bgp::DecodeUpdate(bytes, first, &update_);
}

bool RouterSession::KeepsRoute(const bgp::Nlri& route, RouteDistinguisher rd) const {
  (void)route;
  const ImportPolicy& policy = config_.policy;
  if (!policy.rds.empty() &&
      std::find(policy.rds.begin(), policy.rds.end(), rd) == policy.rds.end()) {
    return false;
  }
  if (rd != 0 && !policy.route_targets.empty()) {
    return std::any_of(
        update_.route_targets.begin(), update_.route_targets.end(), [&](uint64_t rt) {
          return std::find(policy.route_targets.begin(), policy.route_targets.end(), rt) !=
                 policy.route_targets.end();
        });
  }
  return true;
}

void RouterSession::OnRouteMonitoring(const Message& message, ribflow::Rib::Writer& writer) {
  const PeerHeader& header = message.peer;
  const RibKind kind = RibKindOf(header.rib());
  BmpPeer& peer = PeerFor(header);
  const bgp::ErrorAction action = DecodeWithFallbacks(message, peer);
  if (action != bgp::ErrorAction::kNone) {
    metrics_->CountUpdateOutcome(action);
    for (const bgp::DecodeError& error : update_.errors) {
      metrics_->CountError("bgp_update", bgp::ErrorKindName(error.kind));
    }
  }
  const size_t routes = update_.announced.size() + update_.withdrawn.size();
  if (routes == 0) return;  // End-of-RIB, or nothing left
  if (!config_.policy.Accepts(kind)) {
    metrics_->CountRoutes(RouteOperation::kFiltered, routes);
    return;
  }
  PeerId& id = peer.ids[static_cast<size_t>(kind)];
  if (id == kNoPeer) id = rib_->AddPeer(RibKeyOf(header, kind));
  if (id == kNoPeer) {
    metrics_->CountError("rib", "peer_limit");
    metrics_->CountRoutes(RouteOperation::kRejected, routes);
    return;
  }
  // A route with no RD of its own belongs to its peer's VRF when the peer is an RD instance.
  const RouteDistinguisher peer_rd =
      header.type == PeerType::kRdInstance ? header.distinguisher : 0;
  size_t filtered = 0, withdrawn = 0, announced = 0, rejected = 0;
  for (const bgp::Nlri& route : update_.withdrawn) {
    const RouteDistinguisher rd = route.rd != 0 ? route.rd : peer_rd;
    if (!KeepsRoute(route, rd)) {
      ++filtered;
      continue;
    }
    writer.Withdraw(id, rd, route.prefix, route.path_id);
    ++withdrawn;
  }
  AttributesView attributes = update_.rib_attributes();
  if (!config_.policy.keep_as_paths) attributes.as_path = {};
  if (!config_.policy.keep_communities) {
    attributes.communities = {};
    attributes.large_communities = {};
  }
  for (const bgp::Nlri& route : update_.announced) {
    const RouteDistinguisher rd = route.rd != 0 ? route.rd : peer_rd;
    if (!KeepsRoute(route, rd)) {
      ++filtered;
      continue;
    }
    // FRR's Loc-RIB sends no NEXT_HOP (docs/bmp.md): the route is kept, its next hop unset.
    const IpAddress* next_hop = update_.NextHopFor(route);
    const absl::Status status = writer.Announce(id, rd, route.prefix, route.path_id,
                                                next_hop ? *next_hop : IpAddress(), attributes);
    if (status.ok()) {
      ++announced;
    } else {
      ++rejected;
      metrics_->CountError("rib", "resource_exhausted");
    }
  }
  metrics_->CountRoutes(RouteOperation::kAnnounced, announced);
  metrics_->CountRoutes(RouteOperation::kWithdrawn, withdrawn);
  metrics_->CountRoutes(RouteOperation::kFiltered, filtered);
  metrics_->CountRoutes(RouteOperation::kRejected, rejected);
}

void RouterSession::Close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  const auto deadline = ribflow::Rib::Clock::now() + config_.keep;
  for (auto& [key, peer] : peers_) {
    for (PeerId id : peer.ids) {
      if (id == kNoPeer) continue;
      if (config_.keep.count() > 0) {
        rib_->MarkPeerStale(id, deadline);
      } else {
        rib_->FlushPeer(id);
      }
    }
  }
  std::lock_guard lock(info_mutex_);
  info_.close_reason = reason;
  info_.peers_up = 0;
}

SessionInfo RouterSession::info() const {
  std::lock_guard lock(info_mutex_);
  SessionInfo info = info_;
  info.messages = messages_.load(std::memory_order_relaxed);
  return info;
}

}  // namespace ribflow::bmp
