#include "bgp/open.h"

#include "bgp/message.h"
#include "common/byte_reader.h"

namespace ribflow::bgp {
namespace {

constexpr uint8_t kCapabilitiesParameter = 2;  // RFC 5492
// RFC 9072: a Non-Ext OP Len of 255 followed by a Non-Ext OP Type of 255 announces 2-byte
// parameter lengths.
constexpr uint8_t kExtendedParametersMarker = 255;

// Reads the OPEN after its header. One function per field group and per capability, each
// checking lengths through ByteReader before reading.
class OpenParser {
 public:
  OpenParser(std::span<const uint8_t> message, Open* open) : message_(message), open_(open) {}

  std::optional<DecodeError> Run(ByteReader in) {
    uint32_t identifier;
    if (!in.ReadU8(&open_->version) || !in.ReadU16(&open_->my_as) ||
        !in.ReadU16(&open_->hold_time) || !in.ReadU32(&identifier)) {
      return Error(ErrorKind::kTruncated, in, "OPEN shorter than its fixed fields");
    }
    open_->bgp_identifier = identifier;
    if (open_->version != 4) {
      return Error(ErrorKind::kUnsupportedVersion, in, "BGP version is not 4");
    }
    return ParseOptionalParameters(in);
  }

 private:
  uint32_t OffsetOf(const ByteReader& at) const {
    return uint32_t(at.rest().data() - message_.data());
  }
  DecodeError Error(ErrorKind kind, const ByteReader& at, const char* detail) const {
    return {kind, ErrorAction::kDiscardMessage, 0, OffsetOf(at), detail};
  }

  std::optional<DecodeError> ParseOptionalParameters(ByteReader& in) {
    uint8_t length;
    if (!in.ReadU8(&length)) {
      return Error(ErrorKind::kTruncated, in, "no optional parameters length");
    }
    uint8_t first_type = 0;
    const bool extended = length == kExtendedParametersMarker && in.PeekU8(&first_type) &&
                          first_type == kExtendedParametersMarker;
    size_t parameters_length = length;
    if (extended) {
      uint16_t extended_length;
      if (!in.Skip(1) || !in.ReadU16(&extended_length)) {
        return Error(ErrorKind::kMalformedOptionalParameters, in, "extended length cut short");
      }
      parameters_length = extended_length;
    }
    if (parameters_length != in.remaining()) {
      return Error(ErrorKind::kMalformedOptionalParameters, in,
                   "optional parameters length is not the rest of the message");
    }
    while (!in.empty()) {
      if (auto error = ParseOptionalParameter(in, extended)) return error;
    }
    return std::nullopt;
  }

  std::optional<DecodeError> ParseOptionalParameter(ByteReader& in, bool extended) {
    uint8_t type = 0, short_length = 0;
    uint16_t length = 0;
    bool read = in.ReadU8(&type);
    if (extended) {
      read = read && in.ReadU16(&length);
    } else {
      read = read && in.ReadU8(&short_length);
      length = short_length;
    }
    ByteReader value;
    if (!read || !in.Sub(length, &value)) {
      return Error(ErrorKind::kMalformedOptionalParameters, in, "parameter overruns the list");
    }
    // Other parameter types (authentication, deprecated) carry nothing the codec uses.
    if (type != kCapabilitiesParameter) return std::nullopt;
    while (!value.empty()) {
      if (auto error = ParseCapability(value)) return error;
    }
    return std::nullopt;
  }

  std::optional<DecodeError> ParseCapability(ByteReader& in) {
    uint8_t code, length;
    ByteReader value;
    if (!in.ReadU8(&code) || !in.ReadU8(&length) || !in.Sub(length, &value)) {
      return Error(ErrorKind::kMalformedCapability, in, "capability overruns its parameter");
    }
    switch (CapabilityCode(code)) {
      case CapabilityCode::kMultiprotocol:
        return ParseMultiprotocol(value);
      case CapabilityCode::kRouteRefresh:
        return ParseEmptyCapability(value, &open_->route_refresh);
      case CapabilityCode::kExtendedMessage:
        return ParseEmptyCapability(value, &open_->extended_message);
      case CapabilityCode::kGracefulRestart:
        return ParseGracefulRestart(value);
      case CapabilityCode::kFourOctetAs:
        return ParseFourOctetAs(value);
      case CapabilityCode::kAddPath:
        return ParseAddPath(value);
    }
    open_->unknown_capabilities.push_back(code);
    return std::nullopt;
  }

  // RFC 4760 section 8: AFI (2), reserved (1), SAFI (1).
  std::optional<DecodeError> ParseMultiprotocol(ByteReader value) {
    uint16_t afi;
    uint8_t safi;
    if (value.remaining() != 4 || !value.ReadU16(&afi) || !value.Skip(1) || !value.ReadU8(&safi)) {
      return Error(ErrorKind::kMalformedCapability, value, "multiprotocol is not 4 bytes");
    }
    open_->multiprotocol.push_back({Afi(afi), Safi(safi)});
    return std::nullopt;
  }

  // Route refresh (RFC 2918) and extended message (RFC 8654) have no value.
  std::optional<DecodeError> ParseEmptyCapability(const ByteReader& value, bool* flag) {
    if (!value.empty()) {
      return Error(ErrorKind::kMalformedCapability, value, "capability must be empty");
    }
    *flag = true;
    return std::nullopt;
  }

  // RFC 6793 section 3: the speaker's 4-byte AS.
  std::optional<DecodeError> ParseFourOctetAs(ByteReader value) {
    uint32_t asn;
    if (value.remaining() != 4 || !value.ReadU32(&asn)) {
      return Error(ErrorKind::kMalformedCapability, value, "4-octet AS is not 4 bytes");
    }
    open_->four_octet_as = asn;
    return std::nullopt;
  }

  // RFC 7911 section 4: (AFI (2), SAFI (1), Send/Receive (1)) repeated.
  std::optional<DecodeError> ParseAddPath(ByteReader value) {
    const size_t first = open_->add_path.size();
    while (!value.empty()) {
      uint16_t afi = 0;
      uint8_t safi = 0, send_receive = 0;
      if (!value.ReadU16(&afi) || !value.ReadU8(&safi) || !value.ReadU8(&send_receive)) {
        return Error(ErrorKind::kMalformedCapability, value, "ADD-PATH is not 4-byte tuples");
      }
      if (send_receive < AddPathCapability::kReceive ||
          send_receive > AddPathCapability::kSendReceive) {
        // "the capability SHOULD be treated as not understood and ignored": all of it.
        open_->add_path.resize(first);
        open_->unknown_capabilities.push_back(uint8_t(CapabilityCode::kAddPath));
        return std::nullopt;
      }
      open_->add_path.push_back({{Afi(afi), Safi(safi)}, send_receive});
    }
    return std::nullopt;
  }

  // RFC 4724 section 3: flags (4 bits) and restart time (12 bits), then (AFI (2), SAFI (1),
  // flags (1)) repeated.
  std::optional<DecodeError> ParseGracefulRestart(ByteReader value) {
    uint16_t flags_and_time;
    if (!value.ReadU16(&flags_and_time)) {
      return Error(ErrorKind::kMalformedCapability, value, "graceful restart cut short");
    }
    GracefulRestartCapability& restart = open_->graceful_restart.emplace();
    restart.flags = uint8_t(flags_and_time >> 12);
    restart.restart_time = flags_and_time & 0x0fff;
    while (!value.empty()) {
      uint16_t afi = 0;
      uint8_t safi = 0, flags = 0;
      if (!value.ReadU16(&afi) || !value.ReadU8(&safi) || !value.ReadU8(&flags)) {
        return Error(ErrorKind::kMalformedCapability, value, "graceful restart family cut short");
      }
      restart.families.push_back({{Afi(afi), Safi(safi)}, flags});
    }
    return std::nullopt;
  }

  std::span<const uint8_t> message_;
  Open* open_;
};

// ADD-PATH, 4-octet AS and extended message for UPDATEs going from `sender` to `receiver`.
SessionOptions Negotiate(const Open& sender, const Open& receiver) {
  SessionOptions options;
  options.four_octet_as = sender.four_octet_as.has_value() && receiver.four_octet_as.has_value();
  options.extended_message = sender.extended_message && receiver.extended_message;
  for (const AddPathCapability& capability : sender.add_path) {
    if (capability.can_send() &&
        receiver.AdvertisesAddPath(capability.family, AddPathCapability::kReceive)) {
      options.add_path.Add(capability.family.afi, capability.family.safi);
    }
  }
  return options;
}

}  // namespace

bool Open::AdvertisesAddPath(AfiSafi family, uint8_t direction) const {
  for (const AddPathCapability& capability : add_path) {
    if (capability.family == family && (capability.send_receive & direction)) return true;
  }
  return false;
}

std::optional<DecodeError> DecodeOpen(std::span<const uint8_t> message, Open* open) {
  MessageHeader header;
  if (auto error = CheckMessage(message, MessageType::kOpen, false, &header)) return error;
  *open = Open{};
  ByteReader in(message);
  in.Skip(kHeaderSize);  // CheckMessage made sure the header is there
  return OpenParser(message, open).Run(in);
}

SessionOptions NegotiateForReceived(const Open& sent, const Open& received) {
  return Negotiate(/*sender=*/received, /*receiver=*/sent);
}

SessionOptions NegotiateForSent(const Open& sent, const Open& received) {
  return Negotiate(/*sender=*/sent, /*receiver=*/received);
}

}  // namespace ribflow::bgp
