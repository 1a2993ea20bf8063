// The BGP OPEN message (RFC 4271 section 4.2) and the capabilities that change how UPDATEs are
// encoded, and the negotiation that turns a session's two OPENs into SessionOptions.
//
// A BMP Peer Up (RFC 7854 section 4.10) carries both OPENs of a monitored session: the one the
// monitored router sent to its peer and the one it received. NegotiateForReceived gives the
// encoding of the UPDATEs the router received (Adj-RIB-In, BMP route monitoring pre- and
// post-policy); NegotiateForSent that of the UPDATEs it sent (Adj-RIB-Out, RFC 8671), where the
// roles of the two OPENs swap.
//
// Decoding an OPEN allocates (capability lists); it happens once per peer session.
//
// Threading model: stateless functions over caller-owned values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/error.h"
#include "bgp/types.h"

namespace ribflow::bgp {

// Capability codes (IANA "Capability Codes") this codec interprets.
enum class CapabilityCode : uint8_t {
  kMultiprotocol = 1,     // RFC 4760
  kRouteRefresh = 2,      // RFC 2918
  kExtendedMessage = 6,   // RFC 8654
  kGracefulRestart = 64,  // RFC 4724
  kFourOctetAs = 65,      // RFC 6793
  kAddPath = 69,          // RFC 7911
};

// The 2-byte AS a 4-octet speaker puts where a 2-byte field cannot hold its AS (RFC 6793).
inline constexpr uint32_t kAsTrans = 23456;

struct AddPathCapability {
  static constexpr uint8_t kReceive = 1;
  static constexpr uint8_t kSend = 2;
  static constexpr uint8_t kSendReceive = 3;

  AfiSafi family;
  uint8_t send_receive = 0;  // kReceive, kSend or kSendReceive

  bool can_receive() const { return send_receive & kReceive; }
  bool can_send() const { return send_receive & kSend; }
  friend bool operator==(const AddPathCapability&, const AddPathCapability&) = default;
};

// RFC 4724, kept minimal: the collector reports it, it does not act on it.
struct GracefulRestartCapability {
  struct Family {
    AfiSafi family;
    uint8_t flags = 0;  // 0x80: forwarding state preserved
    friend bool operator==(const Family&, const Family&) = default;
  };
  uint8_t flags = 0;          // the 4 high bits of the first byte: 0x8 restart state, 0x4 N-bit
  uint16_t restart_time = 0;  // seconds, 12 bits
  std::vector<Family> families;
  friend bool operator==(const GracefulRestartCapability&,
                         const GracefulRestartCapability&) = default;
};

struct Open {
  uint8_t version = 4;
  uint16_t my_as = 0;  // AS_TRANS when the real AS needs 4 bytes
  uint16_t hold_time = 0;
  uint32_t bgp_identifier = 0;  // host order

  std::vector<AfiSafi> multiprotocol;       // capability 1, in the order advertised
  bool route_refresh = false;               // capability 2
  bool extended_message = false;            // capability 6
  std::optional<uint32_t> four_octet_as;    // capability 65: the real AS
  std::vector<AddPathCapability> add_path;  // capability 69
  std::optional<GracefulRestartCapability> graceful_restart;  // capability 64
  std::vector<uint8_t> unknown_capabilities;                  // codes of the others, in order

  // The speaker's AS: the 4-octet AS capability when present, else My Autonomous System.
  uint32_t asn() const { return four_octet_as ? *four_octet_as : my_as; }
  // Whether the speaker advertised ADD-PATH `direction` (kReceive or kSend) for a family.
  bool AdvertisesAddPath(AfiSafi family, uint8_t direction) const;
};

// Decodes one OPEN message, header included; `message` must hold exactly that message.
// Optional parameters may use the RFC 9072 extended format. A malformed capability this codec
// interprets fails the decode (its value would decide how UPDATEs are read); an unknown
// capability or optional parameter is kept as its code or skipped. Hold time and BGP identifier
// are reported as received, not judged: the session is already up between two routers.
// Returns nullopt on success, leaving `open` fully rewritten; on error `open` is unspecified.
std::optional<DecodeError> DecodeOpen(std::span<const uint8_t> message, Open* open);

// How to read the UPDATEs the monitored router RECEIVED from its peer (Adj-RIB-In): `sent` is
// the OPEN the router sent, `received` the one its peer sent.
// - four_octet_as: both advertised capability 65.
// - extended_message: both advertised capability 6.
// - ADD-PATH for a family: the receiver (the router, `sent`) advertised receive (1 or 3) and
//   the sender (the peer, `received`) advertised send (2 or 3) for it (RFC 7911 section 4).
SessionOptions NegotiateForReceived(const Open& sent, const Open& received);

// How to read the UPDATEs the monitored router SENT to its peer (Adj-RIB-Out, RFC 8671): the
// router is now the sender, so ADD-PATH needs send in `sent` and receive in `received`.
SessionOptions NegotiateForSent(const Open& sent, const Open& received);

}  // namespace ribflow::bgp
