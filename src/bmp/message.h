// BMP (BGP Monitoring Protocol) messages: RFC 7854, with the Adj-RIB-Out flag and statistics
// of RFC 8671, the Loc-RIB instance peer of RFC 9069, the Peer Up TLVs of RFC 9736 and the
// statistics types of RFC 9972 (IANA "BGP Monitoring Protocol (BMP) Parameters").
//
// Decode() takes exactly one complete message, as Framer (framer.h) yields them from a TCP
// stream, and fills a Message: the common header, the per-peer header with the RIB the message
// is about, and the body of its type. The BGP messages BMP carries (the UPDATE of a Route
// Monitoring message, the two OPENs of a Peer Up, the NOTIFICATION of a Peer Down, mirrored
// PDUs) are not decoded here: they are spans into the caller's buffer for src/bgp/, framed and
// checked only as far as BMP needs (marker, length, type). Every span and string_view in a
// Message points into the decoded buffer and is valid as long as that buffer is.
//
// Errors are values: Decode returns an Error whose kind has a stable snake_case name for metric
// labels, with the offset and the field where decoding stopped. Decode never throws and never
// reads outside its input (every read goes through ByteReader). An error concerns one message
// only: the framer has already delimited it, so the session goes on with the next one. Only the
// framer's errors (bad version, absurd length) end a session, because BMP has no way to resync.
//
// Threading model: Decode is a pure function of its input. A Message belongs to one thread (the
// session reading one router) and is reused from message to message: its vectors keep their
// capacity, so in steady state decoding allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/ip_address.h"

namespace ribflow::bmp {

inline constexpr uint8_t kVersion = 3;
inline constexpr size_t kCommonHeaderLength = 6;  // version, message length, message type
inline constexpr size_t kPerPeerHeaderLength = 42;
// A bound on the TLVs (statistics included) kept from one message, so that a hostile message
// full of empty TLVs cannot make a session's Message hold millions of entries. Real exporters
// send tens (a statistics report per AFI/SAFI stays in the hundreds).
inline constexpr size_t kMaxTlvsPerMessage = 4096;

// Stable names: they label metrics (ribflow_bmp_decode_errors_total{kind="truncated"}).
enum class ErrorKind : uint8_t {
  kOk,
  kBadVersion,       // the common header's version is not 3
  kBadLength,        // the message length field is below 6 or disagrees with the bytes given
  kMessageTooLarge,  // framer: the length field exceeds the configured maximum
  kTruncated,        // a fixed-size field runs past the end of the message
  kUnknownType,      // message type not in RFC 7854 (the message is framed and skipped)
  kUnknownPeerType,  // peer type other than 0-3 (the per-peer header is still decoded)
  kBadBgpMarker,     // an embedded BGP message whose marker is not all ones
  kBadBgpLength,     // an embedded BGP message's length is below 19 or past the end
  kBadBgpType,       // an embedded BGP message of the wrong type (an OPEN in Route Monitoring)
  kBadTlv,           // a TLV running past the end, or of the wrong length for its type
  kBadStatsCount,    // a statistics report whose Stats Count disagrees with its stats
  kTooManyTlvs,      // more than kMaxTlvsPerMessage TLVs
  kTrailingBytes,    // bytes left after a body that has no room for more
};
std::string_view ErrorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kOk;
  // Where decoding stopped: from the start of the message for Decode, from the start of the
  // stream for the framer.
  uint64_t offset = 0;
  // The field being read, static text ("per-peer header", "sent OPEN").
  std::string_view field;

  bool ok() const { return kind == ErrorKind::kOk; }
  // "truncated at offset 12: per-peer header"; "ok" when ok.
  std::string ToString() const;
  // InvalidArgument with ToString(); OkStatus() when ok. For logs and callers speaking Status.
  absl::Status ToStatus() const;
};

enum class MessageType : uint8_t {
  kRouteMonitoring = 0,
  kStatisticsReport = 1,
  kPeerDown = 2,
  kPeerUp = 3,
  kInitiation = 4,
  kTermination = 5,
  kRouteMirroring = 6,
};
// "route_monitoring", ..., "unknown" for any other value.
std::string_view MessageTypeName(MessageType type);

enum class PeerType : uint8_t {
  kGlobalInstance = 0,
  kRdInstance = 1,
  kLocalInstance = 2,
  kLocRibInstance = 3,  // RFC 9069
};
// "global_instance", ..., "unknown".
std::string_view PeerTypeName(PeerType type);

// The RIB a per-peer message is about, derived from the peer type and the L and O flags.
enum class Rib : uint8_t {
  kAdjRibInPrePolicy,
  kAdjRibInPostPolicy,
  kAdjRibOutPrePolicy,   // RFC 8671
  kAdjRibOutPostPolicy,  // RFC 8671
  kLocRib,               // RFC 9069
};
// "adj_rib_in_pre_policy", ..., "loc_rib".
std::string_view RibName(Rib rib);

// RFC 7854 section 4.2; flags of RFC 8671 section 4 and RFC 9069 section 4.2.
struct PeerHeader {
  // Flags of peer types 0-2.
  static constexpr uint8_t kFlagIpv6 = 0x80;          // V: the peer address is IPv6
  static constexpr uint8_t kFlagPostPolicy = 0x40;    // L: post-policy (else pre-policy)
  static constexpr uint8_t kFlagLegacyAsPath = 0x20;  // A: AS_PATH in 2-byte ASNs
  static constexpr uint8_t kFlagAdjRibOut = 0x10;     // O: Adj-RIB-Out (else Adj-RIB-In)
  // Flag of the Loc-RIB instance peer (type 3): the same bit as V means something else there.
  static constexpr uint8_t kFlagLocRibFiltered = 0x80;  // F: the Loc-RIB is filtered

  PeerType type = PeerType::kGlobalInstance;  // may hold an unknown value (kUnknownPeerType)
  uint8_t flags = 0;                          // as on the wire
  RouteDistinguisher distinguisher = 0;
  // IPv4 (from the last 4 bytes) when V is clear, else IPv6. Peer types without a V flag
  // (Loc-RIB, unknown) keep the 16 bytes as they are: RFC 9069 zero-fills them ("::").
  IpAddress address;
  uint32_t as = 0;
  uint32_t bgp_id = 0;  // host order
  uint32_t timestamp_seconds = 0;
  uint32_t timestamp_microseconds = 0;

  bool is_loc_rib() const { return type == PeerType::kLocRibInstance; }
  // The V, L, A and O flags exist for peer types 0-2 only.
  bool has_adj_rib_flags() const { return static_cast<uint8_t>(type) <= 2; }
  bool ipv6() const { return has_adj_rib_flags() && (flags & kFlagIpv6) != 0; }
  bool post_policy() const { return has_adj_rib_flags() && (flags & kFlagPostPolicy) != 0; }
  // The BGP messages of this peer encode AS_PATH with 2-byte ASNs: the BGP decoder needs it.
  bool legacy_as_path() const { return has_adj_rib_flags() && (flags & kFlagLegacyAsPath) != 0; }
  bool adj_rib_out() const { return has_adj_rib_flags() && (flags & kFlagAdjRibOut) != 0; }
  bool loc_rib_filtered() const { return is_loc_rib() && (flags & kFlagLocRibFiltered) != 0; }
  Rib rib() const;
};

// A type-length-value element (RFC 7854 section 4.4): 2-byte type, 2-byte length, value.
struct Tlv {
  uint16_t type = 0;
  std::span<const uint8_t> value;

  // The value as text: information strings are UTF-8 without a terminator (not validated).
  std::string_view text() const {
    return {reinterpret_cast<const char*>(value.data()), value.size()};
  }
};

// Information TLV types of Initiation (RFC 7854 4.4), Peer Up (RFC 9736, RFC 9069 4.3) and
// Peer Down reason 6 (RFC 9069 5.3) messages.
inline constexpr uint16_t kTlvString = 0;
inline constexpr uint16_t kTlvSysDescr = 1;      // Initiation
inline constexpr uint16_t kTlvSysName = 2;       // Initiation
inline constexpr uint16_t kTlvVrfTableName = 3;  // Peer Up, Peer Down (RFC 9069)
inline constexpr uint16_t kTlvAdminLabel = 4;    // Peer Up (RFC 9736)

// Route Monitoring (RFC 7854 4.6): one BGP UPDATE.
struct RouteMonitoring {
  std::span<const uint8_t> update;  // the whole BGP message, header included
  // TLVs after the UPDATE. RFC 7854 has none, but exporters append some (a Loc-RIB exporter in
  // the pmacct captures sends type 60002, path-marking style): kept raw, the UPDATE is valid.
  std::vector<Tlv> tlvs;
};

// How a statistic's data is laid out (IANA "BMP Statistics Types").
enum class StatShape : uint8_t {
  kCounter32,       // 32-bit counter
  kGauge64,         // 64-bit gauge
  kAfiSafiGauge64,  // 2-byte AFI, 1-byte SAFI, 64-bit gauge
  kRaw,             // unregistered type, or a registered one with an unexpected length
};
// The registered shape of a statistics type; kRaw for a type the registry does not list.
StatShape RegisteredStatShape(uint16_t type);

struct Stat {
  uint16_t type = 0;
  StatShape shape = StatShape::kRaw;  // as decoded
  uint16_t afi = 0;                   // kAfiSafiGauge64 only
  uint8_t safi = 0;                   // kAfiSafiGauge64 only
  uint64_t value = 0;                 // the counter or gauge; 0 when kRaw
  std::span<const uint8_t> data;      // the Stat Data as on the wire
};

// Statistics Report (RFC 7854 4.8). "A BMP implementation MUST ignore unrecognized stat types
// on receipt, and likewise MUST ignore unexpected data in the Stat Data field": such stats are
// kept raw and counted, never an error. A Stats Count other than the number of stats present
// is bad_stats_count, reported with every stat decoded.
struct StatisticsReport {
  uint32_t declared_count = 0;  // the Stats Count field; stats.size() is what was present
  std::vector<Stat> stats;
  uint32_t unknown_type_count = 0;  // types the registry does not list
  uint32_t bad_length_count = 0;    // registered types whose data length is not theirs
};

// Peer Down reason codes (RFC 7854 4.9, RFC 9069 5.3).
enum class PeerDownReason : uint8_t {
  kLocalNotification = 1,   // local system closed, NOTIFICATION PDU follows
  kLocalFsmEvent = 2,       // local system closed, 2-byte FSM event code follows
  kRemoteNotification = 3,  // remote system closed, NOTIFICATION PDU follows
  kRemoteNoData = 4,        // remote system closed, no data
  kPeerDeconfigured = 5,    // peer de-configured, no data
  kLocalTlvData = 6,        // local system closed, TLV data follows (RFC 9069)
};

struct PeerDown {
  PeerDownReason reason = PeerDownReason::kRemoteNoData;  // may hold an unregistered value
  std::span<const uint8_t> notification;  // reasons 1 and 3: the whole BGP NOTIFICATION
  uint16_t fsm_event = 0;                 // reason 2
  std::vector<Tlv> tlvs;                  // reason 6
  std::string_view table_name;            // reason 6: the VRF/Table Name TLV, if any
  // Everything after the reason code. An unregistered reason is not an error (the peer is down
  // all the same): its data is only here.
  std::span<const uint8_t> data;
};

// Peer Up (RFC 7854 4.10).
struct PeerUp {
  IpAddress local_address;  // same family rule as PeerHeader::address
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  std::span<const uint8_t> sent_open;      // whole BGP OPEN messages, headers included
  std::span<const uint8_t> received_open;  //
  std::vector<Tlv> tlvs;                   // information TLVs, unknown types kept raw
  std::string_view table_name;             // VRF/Table Name TLV (RFC 9069), if any
};

// Initiation (RFC 7854 4.3).
struct Initiation {
  std::vector<Tlv> tlvs;       // every TLV in order, unknown types kept raw
  std::string_view sys_descr;  // first sysDescr TLV, if any
  std::string_view sys_name;   // first sysName TLV, if any
};

inline constexpr uint16_t kTlvTerminationString = 0;
inline constexpr uint16_t kTlvTerminationReason = 1;
enum class TerminationReason : uint16_t {
  kAdministrativelyClosed = 0,
  kUnspecified = 1,
  kOutOfResources = 2,
  kRedundantConnection = 3,
  kPermanentlyAdministrativelyClosed = 4,
};

// Termination (RFC 7854 4.5).
struct Termination {
  std::vector<Tlv> tlvs;  // every TLV in order
  // The reason TLV's code (may be unregistered); nullopt without one.
  std::optional<TerminationReason> reason;
};

inline constexpr uint16_t kTlvMirroredBgpMessage = 0;
inline constexpr uint16_t kTlvMirroringInformation = 1;
inline constexpr uint16_t kMirroringErroredPdu = 0;
inline constexpr uint16_t kMirroringMessagesLost = 1;

// Route Mirroring (RFC 7854 4.7): decoded and counted, never applied to a RIB. The BGP message
// TLVs are left as mirrored: an errored PDU may well have a broken BGP header.
struct RouteMirroring {
  std::vector<Tlv> tlvs;  // every TLV in order
  uint32_t bgp_message_count = 0;
  bool errored_pdu = false;    // information code 0
  bool messages_lost = false;  // information code 1
  uint32_t unknown_count = 0;  // unknown TLV types and information codes
};

// One decoded message, reused from message to message. Decode first resets every field (the
// vectors keep their storage), so only the body named by `type` holds anything.
struct Message {
  MessageType type = MessageType::kInitiation;  // may hold an unknown value (kUnknownType)
  uint32_t length = 0;                          // the common header's message length
  // Set once a per-peer header was read in full, even if the body then failed: a session can
  // still tell which peer a broken message was about.
  bool has_peer_header = false;
  PeerHeader peer;

  RouteMonitoring route_monitoring;
  StatisticsReport statistics;
  PeerDown peer_down;
  PeerUp peer_up;
  Initiation initiation;
  Termination termination;
  RouteMirroring route_mirroring;
};

// Decodes `message`, which must be exactly one BMP message (its length field equal to its size).
// On error, `out` holds what was decoded before the failing field (the type and length once
// the common header was read, the peer once has_peer_header is set, the TLVs read so far).
[[nodiscard]] Error Decode(std::span<const uint8_t> message, Message* out);

}  // namespace ribflow::bmp
