#include "bgp/error.h"

namespace ribflow::bgp {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kTruncated:
      return "truncated";
    case ErrorKind::kBadMarker:
      return "bad_marker";
    case ErrorKind::kBadMessageLength:
      return "bad_message_length";
    case ErrorKind::kBadMessageType:
      return "bad_message_type";
    case ErrorKind::kUnsupportedVersion:
      return "unsupported_version";
    case ErrorKind::kMalformedOptionalParameters:
      return "malformed_optional_parameters";
    case ErrorKind::kMalformedCapability:
      return "malformed_capability";
    case ErrorKind::kMalformedAttributeList:
      return "malformed_attribute_list";
    case ErrorKind::kBadAttributeFlags:
      return "bad_attribute_flags";
    case ErrorKind::kBadAttributeLength:
      return "bad_attribute_length";
    case ErrorKind::kDuplicateAttribute:
      return "duplicate_attribute";
    case ErrorKind::kMissingWellKnownAttribute:
      return "missing_well_known_attribute";
    case ErrorKind::kUnrecognizedWellKnownAttribute:
      return "unrecognized_well_known_attribute";
    case ErrorKind::kInvalidOrigin:
      return "invalid_origin";
    case ErrorKind::kMalformedAsPath:
      return "malformed_as_path";
    case ErrorKind::kMalformedAs4Path:
      return "malformed_as4_path";
    case ErrorKind::kMalformedMpReach:
      return "malformed_mp_reach";
    case ErrorKind::kMalformedMpUnreach:
      return "malformed_mp_unreach";
    case ErrorKind::kMalformedNlri:
      return "malformed_nlri";
  }
  return "unknown";
}

std::string_view ErrorActionName(ErrorAction action) {
  switch (action) {
    case ErrorAction::kNone:
      return "none";
    case ErrorAction::kAttributeDiscard:
      return "attribute_discard";
    case ErrorAction::kTreatAsWithdraw:
      return "treat_as_withdraw";
    case ErrorAction::kDiscardMessage:
      return "discard_message";
  }
  return "unknown";
}

std::string DecodeError::ToString() const {
  std::string text(ErrorKindName(kind));
  text += " at offset " + std::to_string(offset);
  if (attribute_type != 0) text += " (attribute " + std::to_string(attribute_type) + ")";
  if (detail[0] != '\0') text += std::string(": ") + detail;
  return text;
}

absl::Status DecodeError::ToStatus() const {
  if (kind == ErrorKind::kNone) return absl::OkStatus();
  return absl::InvalidArgumentError("bgp: " + ToString());
}

}  // namespace ribflow::bgp
