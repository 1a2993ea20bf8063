#include "bmp/message.h"

#include <algorithm>

#include "bgp/message.h"
#include "common/byte_reader.h"
#include "fmt/format.h"

namespace ribflow::bmp {
namespace {

// RFC 4271 section 4.1: a 16-byte marker of all ones, a 2-byte length, a 1-byte type.

// Decodes one message through one ByteReader over all of it, so that every error offset is an
// offset into the message. One member function per message type and TLV, in RFC order.
class Decoder {
 public:
  Decoder(std::span<const uint8_t> message, Message* out) : reader_(message), out_(*out) {}

  Error Run() {
    Reset();
    if (Error e = CommonHeader(); !e.ok()) return e;
    switch (out_.type) {
      case MessageType::kRouteMonitoring:
        return WithPeerHeader(&Decoder::RouteMonitoringBody);
      case MessageType::kStatisticsReport:
        return WithPeerHeader(&Decoder::StatisticsReportBody);
      case MessageType::kPeerDown:
        return WithPeerHeader(&Decoder::PeerDownBody);
      case MessageType::kPeerUp:
        return WithPeerHeader(&Decoder::PeerUpBody);
      case MessageType::kInitiation:
        return InitiationBody();
      case MessageType::kTermination:
        return TerminationBody();
      case MessageType::kRouteMirroring:
        return WithPeerHeader(&Decoder::RouteMirroringBody);
    }
    // Framed by its length, so the session can skip it and go on.
    return Fail(ErrorKind::kUnknownType, kCommonHeaderLength - 1, "message type");
  }

 private:
  // Every field back to its default, every vector emptied but keeping its storage: no span
  // from an earlier message survives, and nothing is freed or allocated.
  void Reset() {
    out_.type = MessageType::kInitiation;
    out_.length = 0;
    out_.has_peer_header = false;
    out_.peer = {};
    RouteMonitoring& route_monitoring = out_.route_monitoring;
    route_monitoring.update = {};
    route_monitoring.tlvs.clear();
    StatisticsReport& statistics = out_.statistics;
    statistics.declared_count = 0;
    statistics.stats.clear();
    statistics.unknown_type_count = 0;
    statistics.bad_length_count = 0;
    PeerDown& peer_down = out_.peer_down;
    peer_down.reason = PeerDownReason::kRemoteNoData;
    peer_down.notification = {};
    peer_down.fsm_event = 0;
    peer_down.tlvs.clear();
    peer_down.table_name = {};
    peer_down.data = {};
    PeerUp& peer_up = out_.peer_up;
    peer_up.local_address = {};
    peer_up.local_port = 0;
    peer_up.remote_port = 0;
    peer_up.sent_open = {};
    peer_up.received_open = {};
    peer_up.tlvs.clear();
    peer_up.table_name = {};
    Initiation& initiation = out_.initiation;
    initiation.tlvs.clear();
    initiation.sys_descr = {};
    initiation.sys_name = {};
    Termination& termination = out_.termination;
    termination.tlvs.clear();
    termination.reason.reset();
    RouteMirroring& route_mirroring = out_.route_mirroring;
    route_mirroring.tlvs.clear();
    route_mirroring.bgp_message_count = 0;
    route_mirroring.errored_pdu = false;
    route_mirroring.messages_lost = false;
    route_mirroring.unknown_count = 0;
  }

  Error Fail(ErrorKind kind, size_t offset, std::string_view field) const {
    return Error{kind, offset, field};
  }
  Error Ok() const { return Error{}; }
  // Bodies that end where their last field ends.
  Error ExpectEnd(std::string_view field) const {
    if (!reader_.empty()) return Fail(ErrorKind::kTrailingBytes, reader_.offset(), field);
    return Ok();
  }

  // RFC 7854 4.1: version (1), message length (4), message type (1).
  Error CommonHeader() {
    const size_t size = reader_.remaining();
    uint8_t version;
    if (!reader_.ReadU8(&version)) return Fail(ErrorKind::kTruncated, 0, "common header");
    if (version != kVersion) return Fail(ErrorKind::kBadVersion, 0, "version");
    uint32_t length;
    uint8_t type;
    if (!reader_.ReadU32(&length) || !reader_.ReadU8(&type)) {
      return Fail(ErrorKind::kTruncated, 0, "common header");
    }
    out_.length = length;
    out_.type = static_cast<MessageType>(type);
    if (length < kCommonHeaderLength) {
      return Fail(ErrorKind::kBadLength, 1, "message length below the common header");
    }
    if (length > size) return Fail(ErrorKind::kTruncated, size, "message shorter than its length");
    if (length < size) return Fail(ErrorKind::kBadLength, 1, "message longer than its length");
    return Ok();
  }

  Error WithPeerHeader(Error (Decoder::*body)()) {
    if (Error e = PeerHeaderFields(); !e.ok()) return e;
    return (this->*body)();
  }

  // RFC 7854 4.2, RFC 8671 4, RFC 9069 4.1-4.2.
  Error PeerHeaderFields() {
    const size_t start = reader_.offset();
    PeerHeader& peer = out_.peer;
    uint8_t type;
    uint8_t address[16];
    if (!reader_.ReadU8(&type) || !reader_.ReadU8(&peer.flags) ||
        !reader_.ReadU64(&peer.distinguisher) || !reader_.CopyBytes(sizeof(address), address) ||
        !reader_.ReadU32(&peer.as) || !reader_.ReadU32(&peer.bgp_id) ||
        !reader_.ReadU32(&peer.timestamp_seconds) ||
        !reader_.ReadU32(&peer.timestamp_microseconds)) {
      return Fail(ErrorKind::kTruncated, start, "per-peer header");
    }
    peer.type = static_cast<PeerType>(type);
    peer.address = AddressOf(peer, address);
    out_.has_peer_header = true;
    if (type > static_cast<uint8_t>(PeerType::kLocRibInstance)) {
      // The flags and the body depend on the peer type: nothing more can be trusted.
      return Fail(ErrorKind::kUnknownPeerType, start, "peer type");
    }
    return Ok();
  }

  // A peer or local address field: IPv4 in the last 4 bytes unless the V flag says IPv6.
  static IpAddress AddressOf(const PeerHeader& peer, const uint8_t (&bytes)[16]) {
    if (peer.has_adj_rib_flags() && !peer.ipv6()) {
      return IpAddress::FromFamilyBytes(bytes + 12, /*v4=*/true);
    }
    return IpAddress::FromV6(bytes);
  }

  // A BGP message at the reader, framed by the length in its own header, which bgp::DecodeHeader
  // checks (marker, type, length within the type's limits); src/bgp/ decodes the rest.
  Error BgpMessage(bgp::MessageType expected_type, std::string_view field,
                   std::span<const uint8_t>* out) {
    const size_t start = reader_.offset();
    bgp::MessageHeader header;
    // BMP does not say whether the session negotiated RFC 8654 extended messages: allow them.
    if (auto error = bgp::DecodeHeader(reader_.rest(), /*extended_message=*/true, &header)) {
      return Fail(BgpHeaderErrorKind(error->kind), start + error->offset, field);
    }
    if (header.type != expected_type) {
      return Fail(ErrorKind::kBadBgpType, start + bgp::kMarkerSize + 2, field);
    }
    if (header.length > reader_.remaining()) {
      return Fail(ErrorKind::kBadBgpLength, start + bgp::kMarkerSize, field);
    }
    reader_.ReadBytes(header.length, out);
    return Ok();
  }
  static ErrorKind BgpHeaderErrorKind(bgp::ErrorKind kind) {
    switch (kind) {
      case bgp::ErrorKind::kTruncated:
        return ErrorKind::kTruncated;
      case bgp::ErrorKind::kBadMarker:
        return ErrorKind::kBadBgpMarker;
      case bgp::ErrorKind::kBadMessageType:
        return ErrorKind::kBadBgpType;
      default:
        return ErrorKind::kBadBgpLength;
    }
  }

  // One TLV (RFC 7854 4.4): type (2), length (2), value; `already_read` TLVs came before it
  // in this message.
  Error ReadTlv(std::string_view field, size_t already_read, Tlv* tlv) {
    const size_t start = reader_.offset();
    if (already_read >= kMaxTlvsPerMessage) return Fail(ErrorKind::kTooManyTlvs, start, field);
    uint16_t length;
    if (!reader_.ReadU16(&tlv->type) || !reader_.ReadU16(&length) ||
        !reader_.ReadBytes(length, &tlv->value)) {
      return Fail(ErrorKind::kBadTlv, start, field);
    }
    return Ok();
  }
  // One TLV appended to `tlvs`.
  Error NextTlv(std::string_view field, std::vector<Tlv>* tlvs) {
    Tlv tlv;
    if (Error e = ReadTlv(field, tlvs->size(), &tlv); !e.ok()) return e;
    tlvs->push_back(tlv);
    return Ok();
  }

  // RFC 7854 4.6: the per-peer header, then one BGP UPDATE; then TLVs some exporters add.
  Error RouteMonitoringBody() {
    RouteMonitoring& body = out_.route_monitoring;
    if (Error e = BgpMessage(bgp::MessageType::kUpdate, "BGP UPDATE", &body.update); !e.ok())
      return e;
    while (!reader_.empty()) {
      if (Error e = NextTlv("TLV after the BGP UPDATE", &body.tlvs); !e.ok()) return e;
    }
    return Ok();
  }

  // RFC 7854 4.8: stats count (4), then stats as TLVs.
  Error StatisticsReportBody() {
    StatisticsReport& body = out_.statistics;
    if (!reader_.ReadU32(&body.declared_count)) {
      return Fail(ErrorKind::kTruncated, reader_.offset(), "stats count");
    }
    const size_t count_offset = reader_.offset() - 4;
    while (!reader_.empty()) {
      Tlv tlv;
      if (Error e = ReadTlv("stat", body.stats.size(), &tlv); !e.ok()) return e;
      body.stats.push_back(StatFrom(tlv, &body));
    }
    // Stats Count "indicates the number of statistics records in the following data": a count
    // the records disagree with means a cut or padded message (the stats stay decoded).
    if (body.stats.size() != body.declared_count) {
      return Fail(ErrorKind::kBadStatsCount, count_offset, "stats count");
    }
    return Ok();
  }

  // One statistic (RFC 7854 4.8, RFC 8671 5, RFC 9972 3): decoded when its length is the one
  // its type registers, else kept raw and counted.
  static Stat StatFrom(const Tlv& tlv, StatisticsReport* report) {
    const uint16_t type = tlv.type;
    const std::span<const uint8_t> data = tlv.value;
    Stat stat;
    stat.type = type;
    stat.data = data;
    const StatShape registered = RegisteredStatShape(type);
    ByteReader value(data);
    switch (registered) {
      case StatShape::kCounter32: {
        uint32_t counter;
        if (data.size() == 4 && value.ReadU32(&counter)) {
          stat.shape = registered;
          stat.value = counter;
          return stat;
        }
        break;
      }
      case StatShape::kGauge64:
        if (data.size() == 8 && value.ReadU64(&stat.value)) {
          stat.shape = registered;
          return stat;
        }
        break;
      case StatShape::kAfiSafiGauge64:
        if (data.size() == 11 && value.ReadU16(&stat.afi) && value.ReadU8(&stat.safi) &&
            value.ReadU64(&stat.value)) {
          stat.shape = registered;
          return stat;
        }
        break;
      case StatShape::kRaw:
        ++report->unknown_type_count;
        return stat;
    }
    stat = Stat{.type = type, .data = data};
    ++report->bad_length_count;
    return stat;
  }

  // RFC 7854 4.9, RFC 9069 5.3: reason (1), then data that depends on it.
  Error PeerDownBody() {
    PeerDown& body = out_.peer_down;
    uint8_t reason;
    if (!reader_.ReadU8(&reason)) return Fail(ErrorKind::kTruncated, reader_.offset(), "reason");
    body.reason = static_cast<PeerDownReason>(reason);
    body.data = reader_.rest();
    switch (body.reason) {
      case PeerDownReason::kLocalNotification:
      case PeerDownReason::kRemoteNotification:
        if (Error e =
                BgpMessage(bgp::MessageType::kNotification, "BGP NOTIFICATION", &body.notification);
            !e.ok()) {
          return e;
        }
        return ExpectEnd("after the BGP NOTIFICATION");
      case PeerDownReason::kLocalFsmEvent:
        if (!reader_.ReadU16(&body.fsm_event)) {
          return Fail(ErrorKind::kTruncated, reader_.offset(), "FSM event code");
        }
        return ExpectEnd("after the FSM event code");
      case PeerDownReason::kRemoteNoData:
      case PeerDownReason::kPeerDeconfigured:
        return ExpectEnd("peer down reason without data");
      case PeerDownReason::kLocalTlvData:
        while (!reader_.empty()) {
          if (Error e = NextTlv("peer down TLV", &body.tlvs); !e.ok()) return e;
          if (body.tlvs.back().type == kTlvVrfTableName && body.table_name.empty()) {
            body.table_name = body.tlvs.back().text();
          }
        }
        return Ok();
    }
    // An unregistered reason: the peer is down all the same; its data stays in `data`.
    reader_.Skip(reader_.remaining());
    return Ok();
  }

  // RFC 7854 4.10: local address (16), local port (2), remote port (2), sent OPEN, received
  // OPEN, then information TLVs (RFC 9736).
  Error PeerUpBody() {
    PeerUp& body = out_.peer_up;
    const size_t start = reader_.offset();
    uint8_t local_address[16];
    if (!reader_.CopyBytes(sizeof(local_address), local_address) ||
        !reader_.ReadU16(&body.local_port) || !reader_.ReadU16(&body.remote_port)) {
      return Fail(ErrorKind::kTruncated, start, "local address and ports");
    }
    body.local_address = AddressOf(out_.peer, local_address);
    // Each OPEN is as long as its own BGP header says: that is the only way to find where the
    // received OPEN and then the TLVs begin.
    if (Error e = BgpMessage(bgp::MessageType::kOpen, "sent OPEN", &body.sent_open); !e.ok())
      return e;
    if (Error e = BgpMessage(bgp::MessageType::kOpen, "received OPEN", &body.received_open);
        !e.ok())
      return e;
    while (!reader_.empty()) {
      if (Error e = NextTlv("peer up information TLV", &body.tlvs); !e.ok()) return e;
      if (body.tlvs.back().type == kTlvVrfTableName && body.table_name.empty()) {
        body.table_name = body.tlvs.back().text();
      }
    }
    return Ok();
  }

  // RFC 7854 4.3: information TLVs only.
  Error InitiationBody() {
    Initiation& body = out_.initiation;
    while (!reader_.empty()) {
      if (Error e = NextTlv("initiation TLV", &body.tlvs); !e.ok()) return e;
      const Tlv& tlv = body.tlvs.back();
      if (tlv.type == kTlvSysDescr && body.sys_descr.empty()) body.sys_descr = tlv.text();
      if (tlv.type == kTlvSysName && body.sys_name.empty()) body.sys_name = tlv.text();
    }
    return Ok();
  }

  // RFC 7854 4.5: TLVs, a string or a reason.
  Error TerminationBody() {
    Termination& body = out_.termination;
    while (!reader_.empty()) {
      const size_t start = reader_.offset();
      if (Error e = NextTlv("termination TLV", &body.tlvs); !e.ok()) return e;
      if (body.tlvs.back().type == kTlvTerminationReason) {
        if (Error e = TerminationReasonTlv(body.tlvs.back(), start, &body); !e.ok()) return e;
      }
    }
    return Ok();
  }

  // RFC 7854 4.5: the reason TLV holds a 2-byte code.
  Error TerminationReasonTlv(const Tlv& tlv, size_t start, Termination* body) const {
    uint16_t code;
    if (!TwoByteCode(tlv, &code)) {
      return Fail(ErrorKind::kBadTlv, start, "termination reason TLV (2 bytes)");
    }
    body->reason = static_cast<TerminationReason>(code);
    return Ok();
  }

  // RFC 7854 4.7: TLVs, a BGP message (as mirrored: possibly the errored PDU, so not checked)
  // or an information code.
  Error RouteMirroringBody() {
    RouteMirroring& body = out_.route_mirroring;
    while (!reader_.empty()) {
      const size_t start = reader_.offset();
      if (Error e = NextTlv("route mirroring TLV", &body.tlvs); !e.ok()) return e;
      const Tlv& tlv = body.tlvs.back();
      if (tlv.type == kTlvMirroredBgpMessage) {
        ++body.bgp_message_count;
      } else if (tlv.type == kTlvMirroringInformation) {
        if (Error e = MirroringInformationTlv(tlv, start, &body); !e.ok()) return e;
      } else {
        ++body.unknown_count;
      }
    }
    return Ok();
  }

  // RFC 7854 4.7: the information TLV holds a 2-byte code.
  Error MirroringInformationTlv(const Tlv& tlv, size_t start, RouteMirroring* body) const {
    uint16_t code;
    if (!TwoByteCode(tlv, &code)) {
      return Fail(ErrorKind::kBadTlv, start, "route mirroring information TLV (2 bytes)");
    }
    if (code == kMirroringErroredPdu) {
      body->errored_pdu = true;
    } else if (code == kMirroringMessagesLost) {
      body->messages_lost = true;
    } else {
      ++body->unknown_count;
    }
    return Ok();
  }

  // A TLV value that must be exactly one 2-byte code.
  static bool TwoByteCode(const Tlv& tlv, uint16_t* code) {
    ByteReader value(tlv.value);
    return tlv.value.size() == 2 && value.ReadU16(code);
  }

  ByteReader reader_;
  Message& out_;
};

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk:
      return "ok";
    case ErrorKind::kBadVersion:
      return "bad_version";
    case ErrorKind::kBadLength:
      return "bad_length";
    case ErrorKind::kMessageTooLarge:
      return "message_too_large";
    case ErrorKind::kTruncated:
      return "truncated";
    case ErrorKind::kUnknownType:
      return "unknown_type";
    case ErrorKind::kUnknownPeerType:
      return "unknown_peer_type";
    case ErrorKind::kBadBgpMarker:
      return "bad_bgp_marker";
    case ErrorKind::kBadBgpLength:
      return "bad_bgp_length";
    case ErrorKind::kBadBgpType:
      return "bad_bgp_type";
    case ErrorKind::kBadTlv:
      return "bad_tlv";
    case ErrorKind::kBadStatsCount:
      return "bad_stats_count";
    case ErrorKind::kTooManyTlvs:
      return "too_many_tlvs";
    case ErrorKind::kTrailingBytes:
      return "trailing_bytes";
  }
  return "unknown_error";
}

std::string Error::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{} at offset {}: {}", ErrorKindName(kind), offset, field);
}

absl::Status Error::ToStatus() const {
  if (ok()) return absl::OkStatus();
  return absl::InvalidArgumentError("bmp: " + ToString());
}

std::string_view MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kRouteMonitoring:
      return "route_monitoring";
    case MessageType::kStatisticsReport:
      return "statistics_report";
    case MessageType::kPeerDown:
      return "peer_down";
    case MessageType::kPeerUp:
      return "peer_up";
    case MessageType::kInitiation:
      return "initiation";
    case MessageType::kTermination:
      return "termination";
    case MessageType::kRouteMirroring:
      return "route_mirroring";
  }
  return "unknown";
}

std::string_view PeerTypeName(PeerType type) {
  switch (type) {
    case PeerType::kGlobalInstance:
      return "global_instance";
    case PeerType::kRdInstance:
      return "rd_instance";
    case PeerType::kLocalInstance:
      return "local_instance";
    case PeerType::kLocRibInstance:
      return "loc_rib_instance";
  }
  return "unknown";
}

std::string_view RibName(Rib rib) {
  switch (rib) {
    case Rib::kAdjRibInPrePolicy:
      return "adj_rib_in_pre_policy";
    case Rib::kAdjRibInPostPolicy:
      return "adj_rib_in_post_policy";
    case Rib::kAdjRibOutPrePolicy:
      return "adj_rib_out_pre_policy";
    case Rib::kAdjRibOutPostPolicy:
      return "adj_rib_out_post_policy";
    case Rib::kLocRib:
      return "loc_rib";
  }
  return "unknown";
}

Rib PeerHeader::rib() const {
  if (is_loc_rib()) return Rib::kLocRib;
  if (adj_rib_out()) return post_policy() ? Rib::kAdjRibOutPostPolicy : Rib::kAdjRibOutPrePolicy;
  return post_policy() ? Rib::kAdjRibInPostPolicy : Rib::kAdjRibInPrePolicy;
}

// IANA "BMP Statistics Types": RFC 7854 4.8 (0-13), RFC 8671 5 (14-17), RFC 9972 3 (18-43,
// whose per-AFI/SAFI types carry "a 2-byte AFI, a 1-byte SAFI, and a 64-bit Gauge" and the
// others a 64-bit gauge).
StatShape RegisteredStatShape(uint16_t type) {
  switch (type) {
    case 0:   // prefixes rejected by inbound policy
    case 1:   // (known) duplicate prefix advertisements
    case 2:   // (known) duplicate withdraws
    case 3:   // updates invalidated due to CLUSTER_LIST loop
    case 4:   // updates invalidated due to AS_PATH loop
    case 5:   // updates invalidated due to ORIGINATOR_ID
    case 6:   // updates invalidated due to AS_CONFED loop
    case 11:  // updates subjected to treat-as-withdraw
    case 12:  // prefixes subjected to treat-as-withdraw
    case 13:  // duplicate update messages received
      return StatShape::kCounter32;
    case 7:   // routes in Adj-RIBs-In
    case 8:   // routes in Loc-RIB
    case 14:  // routes in pre-policy Adj-RIB-Out
    case 15:  // routes in post-policy Adj-RIB-Out
    case 18:  // routes in pre-policy Adj-RIB-In
    case 20:  // routes in post-policy Adj-RIB-In
    case 29:  // routes in post-policy Adj-RIB-In left before the received-route threshold
    case 31:  // routes left before a license-customized route threshold
    case 33:  // routes in pre-policy Adj-RIB-In rejected for AS_PATH length
    case 39:  // routes in pre-policy Adj-RIB-Out filtered for AS_PATH length
      return StatShape::kGauge64;
    case 9:   // routes in per-AFI/SAFI Adj-RIB-In
    case 10:  // routes in per-AFI/SAFI Loc-RIB
    case 16:  // routes in per-AFI/SAFI pre-policy Adj-RIB-Out
    case 17:  // routes in per-AFI/SAFI post-policy Adj-RIB-Out
    case 19:  // per-AFI/SAFI pre-policy Adj-RIB-In
    case 21:  // per-AFI/SAFI post-policy Adj-RIB-In
    case 22:  // per-AFI/SAFI pre-policy Adj-RIB-In rejected by inbound policy
    case 23:  // per-AFI/SAFI post-policy Adj-RIB-In accepted by inbound policy
    case 24:  // per-AFI/SAFI selected as primary route
    case 25:  // per-AFI/SAFI selected as backup route
    case 26:  // per-AFI/SAFI suppressed by route damping
    case 27:  // per-AFI/SAFI stale by Graceful Restart
    case 28:  // per-AFI/SAFI stale by Long-Lived Graceful Restart
    case 30:  // per-AFI/SAFI left before the received-route threshold
    case 32:  // per-AFI/SAFI left before a license-customized route threshold
    case 34:  // per-AFI/SAFI pre-policy Adj-RIB-In rejected for AS_PATH length
    case 35:  // per-AFI/SAFI post-policy Adj-RIB-In RPKI invalid
    case 36:  // per-AFI/SAFI post-policy Adj-RIB-In RPKI valid
    case 37:  // per-AFI/SAFI post-policy Adj-RIB-In RPKI not found
    case 38:  // per-AFI/SAFI pre-policy Adj-RIB-Out rejected by outbound policy
    case 40:  // per-AFI/SAFI pre-policy Adj-RIB-Out filtered for AS_PATH length
    case 41:  // per-AFI/SAFI post-policy Adj-RIB-Out RPKI invalid
    case 42:  // per-AFI/SAFI post-policy Adj-RIB-Out RPKI valid
    case 43:  // per-AFI/SAFI post-policy Adj-RIB-Out RPKI not found
      return StatShape::kAfiSafiGauge64;
    default:
      return StatShape::kRaw;
  }
}

Error Decode(std::span<const uint8_t> message, Message* out) { return Decoder(message, out).Run(); }

}  // namespace ribflow::bmp
