// Decoding errors of the BGP codec, as values.
//
// ErrorKind names what is wrong after the RFC 4271 / RFC 7606 error it corresponds to; its
// names (ErrorKindName) are stable and fit metric labels. ErrorAction is the RFC 7606 outcome
// a receiver applies to an UPDATE, adapted to a collector: where the RFC says "session reset"
// or "AFI/SAFI disable" a collector can do neither to a BMP-monitored session, so the message
// is discarded and the caller counts it.
//
// A DecodeError holds no allocated memory (its detail is a static string), so recording one is
// as cheap on a storm of malformed messages as on a single one.
//
// Threading model: plain values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ribflow::bgp {

enum class ErrorKind : uint8_t {
  kNone,
  // Message framing (RFC 4271 6.1).
  kTruncated,         // fewer bytes than the header or a length field announces
  kBadMarker,         // marker not all ones
  kBadMessageLength,  // header length out of range for its type, or not the bytes given
  kBadMessageType,
  // OPEN (RFC 4271 6.2, RFC 5492, RFC 9072).
  kUnsupportedVersion,
  kMalformedOptionalParameters,
  kMalformedCapability,
  // UPDATE (RFC 4271 6.3, RFC 7606).
  kMalformedAttributeList,  // section lengths overrun, attribute cut short, MP_* twice
  kBadAttributeFlags,       // Optional/Transitive bits not those of the attribute type
  kBadAttributeLength,      // length not the one the attribute type requires
  kDuplicateAttribute,      // second and later occurrences are discarded
  kMissingWellKnownAttribute,
  kUnrecognizedWellKnownAttribute,
  kInvalidOrigin,
  kMalformedAsPath,
  kMalformedAs4Path,
  kMalformedMpReach,  // MP_REACH_NLRI header or next hop
  kMalformedMpUnreach,
  kMalformedNlri,  // a prefix, label stack or EVPN route that does not parse
};

// "none", "truncated", "bad_attribute_length", ...: stable, for metric labels and logs.
std::string_view ErrorKindName(ErrorKind kind);

// RFC 7606 section 2 approaches, weakest first: several errors in one message take the
// strongest (RFC 7606 section 3(h)).
enum class ErrorAction : uint8_t {
  kNone,
  // The malformed attribute is ignored; the rest of the message is used.
  kAttributeDiscard,
  // Every route the message announces is handled as withdrawn (RFC 7606 section 2).
  kTreatAsWithdraw,
  // RFC 7606 (or RFC 4271 where 7606 keeps it) resets the session or disables the family:
  // the message cannot be trusted, the collector drops it and counts it.
  kDiscardMessage,
};

// "none", "attribute_discard", "treat_as_withdraw", "discard_message".
std::string_view ErrorActionName(ErrorAction action);

struct DecodeError {
  ErrorKind kind = ErrorKind::kNone;
  ErrorAction action = ErrorAction::kNone;
  uint8_t attribute_type = 0;  // the path attribute concerned; 0 when none
  uint32_t offset = 0;         // from the first byte of the message (the marker)
  const char* detail = "";     // static text, never freed

  // "bad_attribute_length at offset 42 (attribute 5): LOCAL_PREF is not 4 bytes"
  std::string ToString() const;
  // InvalidArgument carrying ToString(), for callers that speak absl::Status.
  absl::Status ToStatus() const;
};

}  // namespace ribflow::bgp
