// The BGP message header (RFC 4271 section 4.1): a 16-byte marker of all ones, a length
// covering the whole message and a type.
//
// DecodeHeader validates the header alone, for framing a stream (read 19 bytes, learn the
// length, read the rest). CheckMessage also checks that a buffer holds exactly one message of
// an expected type, which is how BMP carries BGP messages (RFC 7854: one PDU per Route
// Monitoring message, two OPENs in a Peer Up).
//
// Threading model: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bgp/error.h"

namespace ribflow::bgp {

enum class MessageType : uint8_t {
  kOpen = 1,
  kUpdate = 2,
  kNotification = 3,
  kKeepalive = 4,
  kRouteRefresh = 5,  // RFC 2918
};

inline constexpr size_t kMarkerSize = 16;
inline constexpr size_t kHeaderSize = 19;
inline constexpr size_t kMaxMessageSize = 4096;
// RFC 8654, once both speakers advertised the Extended Message capability; OPEN and KEEPALIVE
// keep the 4096-byte limit.
inline constexpr size_t kMaxExtendedMessageSize = 65535;

struct MessageHeader {
  uint16_t length = 0;  // of the whole message, header included
  MessageType type = MessageType::kKeepalive;
};

// Validates the first 19 bytes of `bytes`: marker, type, and a length within the limits of
// the type (RFC 4271 section 6.1, RFC 8654). Does not require the rest of the message to be
// there. Error actions are kDiscardMessage.
std::optional<DecodeError> DecodeHeader(std::span<const uint8_t> bytes, bool extended_message,
                                        MessageHeader* header);

// DecodeHeader, then: the type is `expected` and `bytes` holds exactly `header.length` bytes
// (kTruncated when fewer, kBadMessageLength when more).
std::optional<DecodeError> CheckMessage(std::span<const uint8_t> bytes, MessageType expected,
                                        bool extended_message, MessageHeader* header);

}  // namespace ribflow::bgp
