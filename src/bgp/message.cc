#include "bgp/message.h"

#include "common/byte_reader.h"

namespace ribflow::bgp {
namespace {

DecodeError HeaderError(ErrorKind kind, uint32_t offset, const char* detail) {
  return {kind, ErrorAction::kDiscardMessage, 0, offset, detail};
}

// The smallest valid length of each message type (RFC 4271 section 4, RFC 2918).
size_t MinimumLength(MessageType type) {
  switch (type) {
    case MessageType::kOpen:
      return 29;
    case MessageType::kUpdate:
      return 23;
    case MessageType::kNotification:
      return 21;
    case MessageType::kKeepalive:
      return 19;
    case MessageType::kRouteRefresh:
      return 23;
  }
  return kHeaderSize;
}

size_t MaximumLength(MessageType type, bool extended_message) {
  switch (type) {
    case MessageType::kKeepalive:
      return kHeaderSize;
    case MessageType::kOpen:
      return kMaxMessageSize;  // RFC 8654 section 3: OPEN is never extended
    default:
      return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize;
  }
}

}  // namespace

std::optional<DecodeError> DecodeHeader(std::span<const uint8_t> bytes, bool extended_message,
                                        MessageHeader* header) {
  ByteReader in(bytes);
  std::span<const uint8_t> marker;
  uint16_t length;
  uint8_t type;
  if (!in.ReadBytes(kMarkerSize, &marker) || !in.ReadU16(&length) || !in.ReadU8(&type)) {
    return HeaderError(ErrorKind::kTruncated, 0, "shorter than the 19-byte header");
  }
  for (uint8_t byte : marker) {
    if (byte != 0xff) return HeaderError(ErrorKind::kBadMarker, 0, "marker is not all ones");
  }
  if (type < uint8_t(MessageType::kOpen) || type > uint8_t(MessageType::kRouteRefresh)) {
    return HeaderError(ErrorKind::kBadMessageType, 18, "unknown message type");
  }
  const auto message_type = MessageType(type);
  if (length < MinimumLength(message_type)) {
    return HeaderError(ErrorKind::kBadMessageLength, 16, "length below the type's minimum");
  }
  if (length > MaximumLength(message_type, extended_message)) {
    return HeaderError(ErrorKind::kBadMessageLength, 16, "length above the type's maximum");
  }
  header->length = length;
  header->type = message_type;
  return std::nullopt;
}

std::optional<DecodeError> CheckMessage(std::span<const uint8_t> bytes, MessageType expected,
                                        bool extended_message, MessageHeader* header) {
  if (auto error = DecodeHeader(bytes, extended_message, header)) return error;
  if (header->type != expected) {
    return HeaderError(ErrorKind::kBadMessageType, 18, "not the expected message type");
  }
  if (bytes.size() < header->length) {
    return HeaderError(ErrorKind::kTruncated, uint32_t(bytes.size()),
                       "fewer bytes than the header length");
  }
  if (bytes.size() > header->length) {
    return HeaderError(ErrorKind::kBadMessageLength, 16, "bytes follow the message");
  }
  return std::nullopt;
}

}  // namespace ribflow::bgp
