#include "bmp/bmp_verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <span>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "bgp/open.h"
#include "bgp/update.h"
#include "bmp/framer.h"
#include "bmp/message.h"

namespace ribflow::bench {
namespace {

// At most this many problems are listed: one broken encoder would otherwise list millions.
constexpr size_t kMaxProblems = 20;

struct ModelPeer {
  bool up = false;
  bgp::SessionOptions options;
  absl::flat_hash_set<std::pair<Prefix, uint32_t>> routes;  // (prefix, path id)
  int end_of_ribs = 0;                                      // seen since the last Peer Up
};

class RouterChecker {
 public:
  RouterChecker(const BmpRouterStream& router, bool count_attribute_sets, BmpVerifyResult* result)
      : router_(router), count_attribute_sets_(count_attribute_sets), result_(result) {}

  void Run() {
    bmp::Framer framer;
    // Fed in 64 KiB chunks, as a socket would: messages straddle chunk boundaries.
    constexpr size_t kChunk = 64 << 10;
    for (const auto& segment : router_.segments) {
      std::span<const uint8_t> bytes(segment->bytes);
      while (!bytes.empty()) {
        const size_t taken = framer.Append(bytes.first(std::min(kChunk, bytes.size())));
        bytes = bytes.subspan(taken);
        std::span<const uint8_t> message;
        for (;;) {
          const bmp::Framer::Result r = framer.Next(&message);
          if (r == bmp::Framer::Result::kNeedMoreBytes) break;
          if (r == bmp::Framer::Result::kStreamError) {
            Problem(fmt::format("framing: {}", framer.error().ToString()));
            ++result_->decode_errors;
            return;
          }
          Apply(message);
        }
        if (taken == 0 && framer.buffered() == 0) break;  // cannot happen; never spin
      }
    }
    if (framer.buffered() != 0) Problem(fmt::format("{} bytes left unframed", framer.buffered()));
    for (const auto& [address, peer] : peers_) result_->final_routes += peer.routes.size();
  }

 private:
  void Problem(std::string text) {
    if (result_->problems.size() < kMaxProblems) {
      result_->problems.push_back(fmt::format("router {}: {}", router_.sys_name, text));
    }
  }

  void Apply(std::span<const uint8_t> bytes) {
    ++result_->messages;
    if (const bmp::Error e = bmp::Decode(bytes, &message_); !e.ok()) {
      ++result_->decode_errors;
      Problem(fmt::format("BMP message {}: {}", result_->messages, e.ToString()));
      return;
    }
    switch (message_.type) {
      case bmp::MessageType::kInitiation:
        if (message_.initiation.sys_name != router_.sys_name) {
          Problem(fmt::format("Initiation sysName \"{}\"", message_.initiation.sys_name));
        }
        break;
      case bmp::MessageType::kPeerUp:
        OnPeerUp();
        break;
      case bmp::MessageType::kPeerDown: {
        ++result_->peer_downs;
        ModelPeer& peer = peers_[message_.peer.address];
        peer.up = false;
        peer.routes.clear();
        break;
      }
      case bmp::MessageType::kRouteMonitoring:
        OnRouteMonitoring();
        break;
      default:
        Problem(fmt::format("unexpected {} message", bmp::MessageTypeName(message_.type)));
    }
  }

  void OnPeerUp() {
    ++result_->peer_ups;
    bgp::Open sent, received;
    if (auto e = bgp::DecodeOpen(message_.peer_up.sent_open, &sent)) {
      ++result_->decode_errors;
      Problem("sent OPEN: " + e->ToString());
      return;
    }
    if (auto e = bgp::DecodeOpen(message_.peer_up.received_open, &received)) {
      ++result_->decode_errors;
      Problem("received OPEN: " + e->ToString());
      return;
    }
    ModelPeer& peer = peers_[message_.peer.address];
    if (peer.up)
      Problem(fmt::format("Peer Up for {}, already up", message_.peer.address.ToString()));
    peer.up = true;
    peer.end_of_ribs = 0;
    peer.routes.clear();
    peer.options = bgp::NegotiateForReceived(sent, received);
    if (received.asn() != message_.peer.as) {
      Problem(fmt::format("peer {}: OPEN AS {} but per-peer header AS {}",
                          message_.peer.address.ToString(), received.asn(), message_.peer.as));
    }
    if (!first_peer_) first_peer_ = message_.peer.address;
  }

  void OnRouteMonitoring() {
    ++result_->route_monitoring;
    auto it = peers_.find(message_.peer.address);
    if (it == peers_.end() || !it->second.up) {
      Problem(fmt::format("Route Monitoring for {}, not up", message_.peer.address.ToString()));
      return;
    }
    ModelPeer& peer = it->second;
    const bgp::ErrorAction action =
        bgp::DecodeUpdate(message_.route_monitoring.update, peer.options, &update_);
    if (action != bgp::ErrorAction::kNone || !update_.errors.empty()) {
      ++result_->decode_errors;
      Problem(fmt::format("UPDATE {}: {}", result_->route_monitoring,
                          update_.errors.empty() ? std::string(bgp::ErrorActionName(action))
                                                 : update_.errors.front().ToString()));
      return;
    }
    if (update_.end_of_rib) {
      ++result_->end_of_ribs;
      ++peer.end_of_ribs;
      return;
    }
    for (const bgp::Nlri& n : update_.withdrawn) {
      ++result_->withdrawn;
      if (peer.routes.erase({n.prefix, n.path_id}) == 0) {
        Problem(fmt::format("withdrawn {} path {}: not announced", n.prefix.ToString(), n.path_id));
      }
    }
    if (update_.announced.empty()) return;
    if (update_.origin_asn == 0 || update_.flat_as_path.size() < 2 ||
        update_.flat_as_path.front() != message_.peer.as) {
      Problem(fmt::format("UPDATE {}: AS path does not run from the peer to an origin",
                          result_->route_monitoring));
    }
    for (const bgp::Nlri& n : update_.announced) {
      ++result_->announced;
      if (update_.NextHopFor(n) == nullptr) {
        Problem(fmt::format("{}: no next hop", n.prefix.ToString()));
      }
      peer.routes.insert({n.prefix, n.path_id});
    }
    if (count_attribute_sets_ && message_.peer.address == first_peer_ && peer.end_of_ribs < 2) {
      const AttributesView a = update_.rib_attributes();
      uint64_t h = absl::HashOf(a.origin_asn);
      for (uint32_t asn : a.as_path) h = absl::HashOf(h, asn);
      h = absl::HashOf(h, 0xfffffffful);
      for (uint32_t c : a.communities) h = absl::HashOf(h, c);
      h = absl::HashOf(h, 0xfffffffeul);
      for (const LargeCommunity& c : a.large_communities) {
        h = absl::HashOf(h, c.global_admin, c.local_data1, c.local_data2);
      }
      attribute_sets_.insert(h);
      result_->first_peer_attribute_sets = attribute_sets_.size();
    }
  }

  const BmpRouterStream& router_;
  const bool count_attribute_sets_;
  BmpVerifyResult* result_;
  bmp::Message message_;
  bgp::Update update_;
  absl::flat_hash_map<IpAddress, ModelPeer> peers_;
  std::optional<IpAddress> first_peer_;  // of the first Peer Up
  absl::flat_hash_set<uint64_t> attribute_sets_;
};

template <typename T>
void Expect(BmpVerifyResult* r, std::string_view what, T decoded, T encoded) {
  if (decoded != encoded) {
    r->problems.push_back(fmt::format("{}: decoded {}, encoded {}", what, decoded, encoded));
  }
}

}  // namespace

BmpVerifyResult VerifyBmpStream(const BmpStream& stream) {
  const auto start = std::chrono::steady_clock::now();
  BmpVerifyResult r;
  uint64_t route_monitoring = 0, end_of_ribs = 0, peer_ups = 0, peer_downs = 0;
  for (size_t i = 0; i < stream.routers.size(); ++i) {
    const BmpRouterStream& router = stream.routers[i];
    RouterChecker(router, i == 0, &r).Run();
    route_monitoring += router.route_monitoring;
    peer_ups += router.peer_ups;
    peer_downs += router.peer_downs;
    for (const auto& s : router.segments) end_of_ribs += s->end_of_ribs;
  }
  Expect(&r, "messages", r.messages, stream.messages());
  Expect(&r, "route monitoring messages", r.route_monitoring, route_monitoring);
  Expect(&r, "End-of-RIBs", r.end_of_ribs, end_of_ribs);
  Expect(&r, "peer ups", r.peer_ups, peer_ups);
  Expect(&r, "peer downs", r.peer_downs, peer_downs);
  Expect(&r, "NLRIs announced", r.announced, stream.announced());
  Expect(&r, "NLRIs withdrawn", r.withdrawn, stream.withdrawn());
  Expect(&r, "routes held at the end", r.final_routes, stream.final_routes());
  if (stream.config.churn == 0) {
    // Without churn, the first dump is all the first peer sends before flaps re-send it.
    Expect<uint64_t>(&r, "attribute sets of the first peer", r.first_peer_attribute_sets,
                     stream.attribute_sets_per_peer);
  }
  Expect<uint64_t>(&r, "decode errors", r.decode_errors, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ribflow::bench
