// How the interop tests read one BMP stream of a capture: the framer cuts it into messages,
// each message is decoded, every Peer Up's OPENs give the options its peer's UPDATEs are read
// with, and every Route Monitoring UPDATE is decoded with them. Where a capture cannot tell
// the options, it retries:
// - a capture that starts after the Peer Up cannot say whether ADD-PATH is on: an UPDATE that
//   loses routes without it is read again with ADD-PATH on every family;
// - the per-peer A flag does not always tell the AS width (FRR's Loc-RIB mixes 2- and
//   4-octet AS paths under one Peer Up; pmacct's captures 205, 206 and 208 hold a
//   global-instance peer whose A flag is clear and whose AS_PATH is 2-octet): an UPDATE of any
//   peer type that loses routes is read again at the other AS width, as the collector does
//   (bmp::RouterSession::DecodeWithFallbacks).
// Shared by bmp_captures_test.cc (everything decodes) and bmp_tshark_test.cc (the counts match
// tshark's dissection).
//
// Threading model: DecodeBmpStream holds no state between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "bgp/open.h"
#include "bgp/update.h"
#include "bmp/framer.h"
#include "bmp/message.h"

namespace ribflow::interop {

// The TCP ports the captures use for BMP (captures/ANALYSIS.txt).
inline constexpr uint16_t kBmpPorts[] = {1790, 10179};

// One framed message of a stream, as DecodeBmpStream hands it over. Pointers are valid during
// the callback only.
struct DecodedBmpMessage {
  uint64_t stream_offset = 0;      // where the message starts in the stream
  std::span<const uint8_t> bytes;  // the whole message, common header included
  // Null when bmp::Decode failed (`errors` says why).
  const bmp::Message* message = nullptr;
  // Route Monitoring: the UPDATE as finally read, with the options it was read with.
  const bgp::Update* update = nullptr;
  bgp::SessionOptions update_options;
  bool without_peer_up = false;              // no Peer Up seen for this peer: options unknown
  bool retried_with_add_path = false;        // read again with ADD-PATH on every family
  bool retried_with_other_as_width = false;  // read again at the other AS width
  // What loses routes or messages: a BMP decoding error, an OPEN that does not decode (its
  // peer's options are then unknown), the errors of an UPDATE that is treated as withdrawn or
  // discarded.
  std::vector<std::string> errors;
};

// A peer's identity within one BMP session, to find the options its Peer Up negotiated.
using PeerIdentity = std::tuple<std::string, RouteDistinguisher, uint8_t>;

inline PeerIdentity IdentityOf(const bmp::PeerHeader& peer) {
  return {peer.address.ToString(), peer.distinguisher, static_cast<uint8_t>(peer.rib())};
}

inline bool LosesRoutes(bgp::ErrorAction action) {
  return action == bgp::ErrorAction::kTreatAsWithdraw ||
         action == bgp::ErrorAction::kDiscardMessage;
}

// Calls `visit` for every message framed from `bytes`, in stream order. Returns the framer's
// error ("stream: ..."), which ends the stream, if any.
inline std::optional<std::string> DecodeBmpStream(
    std::span<const uint8_t> bytes, const std::function<void(const DecodedBmpMessage&)>& visit) {
  bmp::Framer framer;
  bmp::Message message;
  bgp::Update update;
  std::map<PeerIdentity, bgp::SessionOptions> options;
  uint64_t offset = 0;
  while (!bytes.empty()) {
    bytes = bytes.subspan(framer.Append(bytes));
    std::span<const uint8_t> framed;
    for (;;) {
      const bmp::Framer::Result result = framer.Next(&framed);
      if (result == bmp::Framer::Result::kNeedMoreBytes) break;
      if (result == bmp::Framer::Result::kStreamError) {
        return "stream: " + framer.error().ToString();
      }
      DecodedBmpMessage decoded;
      decoded.stream_offset = offset;
      decoded.bytes = framed;
      offset += framed.size();
      if (const bmp::Error error = bmp::Decode(framed, &message); !error.ok()) {
        decoded.errors.push_back("bmp: " + error.ToString());
        visit(decoded);
        continue;
      }
      decoded.message = &message;
      if (message.type == bmp::MessageType::kPeerUp) {
        bgp::Open sent, received;
        if (auto e = bgp::DecodeOpen(message.peer_up.sent_open, &sent)) {
          decoded.errors.push_back("sent OPEN: " + e->ToString());
        } else if (auto e = bgp::DecodeOpen(message.peer_up.received_open, &received)) {
          decoded.errors.push_back("received OPEN: " + e->ToString());
        } else {
          options[IdentityOf(message.peer)] = message.peer.adj_rib_out()
                                                  ? bgp::NegotiateForSent(sent, received)
                                                  : bgp::NegotiateForReceived(sent, received);
        }
      } else if (message.type == bmp::MessageType::kRouteMonitoring) {
        bgp::SessionOptions session;
        const auto it = options.find(IdentityOf(message.peer));
        if (it != options.end()) {
          session = it->second;
        } else {
          // The capture began after the Peer Up: whether ADD-PATH is on is unknown, so both
          // are tried.
          decoded.without_peer_up = true;
        }
        // RFC 7854 4.2: the per-peer header's A flag, not the OPENs, says how this message
        // encodes AS paths (the exporter may have rewritten them to 4-octet); a Loc-RIB
        // (RFC 9069) has no A flag and uses 4-octet ASNs.
        session.four_octet_as = !message.peer.legacy_as_path();
        bgp::SessionOptions used = session;
        bgp::ErrorAction action = bgp::DecodeUpdate(message.route_monitoring.update, used, &update);
        if (LosesRoutes(action) && decoded.without_peer_up) {
          used = session;
          used.add_path = bgp::AddPathFamilies::All();
          action = bgp::DecodeUpdate(message.route_monitoring.update, used, &update);
          decoded.retried_with_add_path = true;
        }
        if (LosesRoutes(action)) {
          // Whatever the peer type, the A flag can be wrong: FRR's Loc-RIB mixes 2- and
          // 4-octet AS paths under one Peer Up, and pmacct's captures 205, 206 and 208 hold a
          // global-instance peer with the A flag clear and a 2-octet AS_PATH (tshark, which
          // guesses the width from the bytes, reads it the same way). The other width is tried
          // without the ADD-PATH guess.
          used = session;
          used.four_octet_as = !used.four_octet_as;
          action = bgp::DecodeUpdate(message.route_monitoring.update, used, &update);
          decoded.retried_with_other_as_width = true;
        }
        if (LosesRoutes(action)) {
          for (const bgp::DecodeError& e : update.errors) {
            decoded.errors.push_back("update: " + e.ToString());
          }
        }
        decoded.update = &update;
        decoded.update_options = used;
      }
      visit(decoded);
    }
  }
  return std::nullopt;
}

}  // namespace ribflow::interop
