#include "common/pcap_reader.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"

namespace ribflow {
namespace {

// Link types, https://www.tcpdump.org/linktypes.html
constexpr uint32_t kLinkTypeNull = 0;
constexpr uint32_t kLinkTypeEthernet = 1;
constexpr uint32_t kLinkTypeRaw = 101;
constexpr uint32_t kLinkTypeCiscoHdlc = 104;
constexpr uint32_t kLinkTypeLoop = 108;
constexpr uint32_t kLinkTypeLinuxSll = 113;
constexpr uint32_t kLinkTypeIpv4 = 228;
constexpr uint32_t kLinkTypeIpv6 = 229;
constexpr uint32_t kLinkTypeLinuxSll2 = 276;

constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint16_t kEthertypeIpv6 = 0x86dd;
constexpr uint16_t kEthertypeVlan = 0x8100;
constexpr uint16_t kEthertypeQinq = 0x88a8;
constexpr uint16_t kEthertypeQinqLegacy = 0x9100;
constexpr uint16_t kEthertypeMplsUnicast = 0x8847;
constexpr uint16_t kEthertypeMplsMulticast = 0x8848;

// Address families in BSD null/loopback headers: AF_INET is 2 everywhere, AF_INET6 is not.
constexpr uint32_t kBsdAfInet = 2;
constexpr uint32_t kBsdAfInet6Linux = 10;
constexpr uint32_t kBsdAfInet6NetBsd = 24;
constexpr uint32_t kBsdAfInet6FreeBsd = 28;
constexpr uint32_t kBsdAfInet6Darwin = 30;

constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6DestinationOptions = 60;

constexpr uint32_t kIpv4MinHeader = 20;
constexpr uint32_t kTcpMinHeader = 20;
constexpr uint32_t kUdpHeader = 8;
constexpr uint32_t kIpv6ExtensionMin = 8;

// Classic pcap magic numbers as the first four bytes read in network order: the swapped ones
// were written by a little-endian host.
constexpr uint32_t kPcapMagicMicroseconds = 0xa1b2c3d4;
constexpr uint32_t kPcapMagicMicrosecondsSwapped = 0xd4c3b2a1;
constexpr uint32_t kPcapMagicNanoseconds = 0xa1b23c4d;
constexpr uint32_t kPcapMagicNanosecondsSwapped = 0x4d3cb2a1;
constexpr size_t kPcapFileHeaderSize = 24;
constexpr size_t kPcapRecordHeaderSize = 16;

constexpr uint32_t kBlockSectionHeader = 0x0a0d0d0a;  // a palindrome: the same in both orders
constexpr uint32_t kBlockInterfaceDescription = 1;
constexpr uint32_t kBlockSimplePacket = 3;
constexpr uint32_t kBlockEnhancedPacket = 6;
constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr uint32_t kBlockFraming = 12;  // type, length, and the length again after the body
constexpr uint16_t kOptionEnd = 0;
constexpr uint16_t kOptionIfTsresol = 9;
constexpr uint16_t kOptionIfTsoffset = 14;

constexpr int64_t kNanosecondsPerSecond = 1'000'000'000;

enum class ByteOrder : uint8_t { kBig, kLittle };

// ByteReader reads network order; captures hold their integers in the writing host's order.
bool ReadU16In(ByteReader& r, ByteOrder order, uint16_t* out) {
  if (!r.ReadU16(out)) return false;
  if (order == ByteOrder::kLittle) *out = __builtin_bswap16(*out);
  return true;
}
bool ReadU32In(ByteReader& r, ByteOrder order, uint32_t* out) {
  if (!r.ReadU32(out)) return false;
  if (order == ByteOrder::kLittle) *out = __builtin_bswap32(*out);
  return true;
}
bool ReadU64In(ByteReader& r, ByteOrder order, uint64_t* out) {
  if (!r.ReadU64(out)) return false;
  if (order == ByteOrder::kLittle) *out = __builtin_bswap64(*out);
  return true;
}
uint32_t InOrder(uint32_t network_order_value, ByteOrder order) {
  return order == ByteOrder::kLittle ? __builtin_bswap32(network_order_value) : network_order_value;
}

// ---------------------------------------------------------------------------------------------
// Frames: link layer, IP, transport.

// How decoding a frame ended. kShort means the frame ran out of bytes inside a header: cut by
// the snapshot length if the frame was captured short, else malformed.
enum class Decoded : uint8_t {
  kPacket,
  kShort,
  kMalformed,
  kNotIp,
  kNonFirstFragment,
  kUnsupportedLinkType,
};

// `ip_payload` holds at most `declared` bytes (the IP header's own account of its payload).
Decoded DecodeTransport(ByteReader ip_payload, uint32_t declared, Packet* packet) {
  if (packet->protocol == kIpProtocolTcp) {
    if (declared < kTcpMinHeader) return Decoded::kMalformed;
    uint8_t data_offset = 0;
    if (!ip_payload.ReadU16(&packet->src_port) || !ip_payload.ReadU16(&packet->dst_port) ||
        !ip_payload.ReadU32(&packet->tcp_sequence) || !ip_payload.Skip(4) /* ack */ ||
        !ip_payload.ReadU8(&data_offset) || !ip_payload.ReadU8(&packet->tcp_flags) ||
        !ip_payload.Skip(6) /* window, checksum, urgent pointer */) {
      return Decoded::kShort;
    }
    const uint32_t header_length = (data_offset >> 4) * 4u;
    if (header_length < kTcpMinHeader || header_length > declared) return Decoded::kMalformed;
    if (!ip_payload.Skip(header_length - kTcpMinHeader)) return Decoded::kShort;  // options
    packet->payload = ip_payload.rest();
    packet->declared_payload_length = declared - header_length;
    return Decoded::kPacket;
  }
  if (packet->protocol == kIpProtocolUdp) {
    if (declared < kUdpHeader) return Decoded::kMalformed;
    uint16_t length = 0;
    if (!ip_payload.ReadU16(&packet->src_port) || !ip_payload.ReadU16(&packet->dst_port) ||
        !ip_payload.ReadU16(&length) || !ip_payload.Skip(2) /* checksum */) {
      return Decoded::kShort;
    }
    // A first fragment holds only part of the datagram its length announces.
    if (length < kUdpHeader || (length > declared && !packet->more_fragments)) {
      return Decoded::kMalformed;
    }
    packet->declared_payload_length = length - kUdpHeader;
    ip_payload.ReadBytes(std::min<size_t>(ip_payload.remaining(), length - kUdpHeader),
                         &packet->payload);
    return Decoded::kPacket;
  }
  packet->payload = ip_payload.rest();
  packet->declared_payload_length = declared;
  return Decoded::kPacket;
}

Decoded DecodeIpv4(ByteReader r, Packet* packet) {
  uint8_t version_and_length = 0;
  if (!r.ReadU8(&version_and_length)) return Decoded::kShort;
  if (version_and_length >> 4 != 4) return Decoded::kMalformed;
  const uint32_t header_length = (version_and_length & 0x0f) * 4u;
  if (header_length < kIpv4MinHeader) return Decoded::kMalformed;
  uint16_t total_length = 0;
  uint16_t flags_and_fragment_offset = 0;
  uint32_t src = 0;
  uint32_t dst = 0;
  if (!r.Skip(1) /* TOS */ || !r.ReadU16(&total_length) || !r.Skip(2) /* id */ ||
      !r.ReadU16(&flags_and_fragment_offset) || !r.Skip(1) /* TTL */ ||
      !r.ReadU8(&packet->protocol) || !r.Skip(2) /* checksum */ || !r.ReadU32(&src) ||
      !r.ReadU32(&dst)) {
    return Decoded::kShort;
  }
  if (total_length < header_length) return Decoded::kMalformed;
  if (!r.Skip(header_length - kIpv4MinHeader)) return Decoded::kShort;  // options
  packet->src = IpAddress::FromV4(src);
  packet->dst = IpAddress::FromV4(dst);
  if ((flags_and_fragment_offset & 0x1fff) != 0) return Decoded::kNonFirstFragment;
  packet->more_fragments = (flags_and_fragment_offset & 0x2000) != 0;
  // Ethernet pads short frames and some captures keep the FCS: the IP length says where the
  // packet ends.
  const uint32_t declared = total_length - header_length;
  ByteReader payload;
  r.Sub(std::min<size_t>(r.remaining(), declared), &payload);
  return DecodeTransport(payload, declared, packet);
}

Decoded DecodeIpv6(ByteReader r, Packet* packet) {
  uint32_t version_class_label = 0;
  if (!r.ReadU32(&version_class_label)) return Decoded::kShort;
  if (version_class_label >> 28 != 6) return Decoded::kMalformed;
  uint16_t payload_length = 0;
  uint8_t next_header = 0;
  uint8_t src[16];
  uint8_t dst[16];
  if (!r.ReadU16(&payload_length) || !r.ReadU8(&next_header) || !r.Skip(1) /* hop limit */ ||
      !r.CopyBytes(sizeof(src), src) || !r.CopyBytes(sizeof(dst), dst)) {
    return Decoded::kShort;
  }
  packet->src = IpAddress::FromV6Bytes(src);
  packet->dst = IpAddress::FromV6Bytes(dst);
  uint32_t declared = payload_length;
  ByteReader payload;
  r.Sub(std::min<size_t>(r.remaining(), declared), &payload);
  // Extension headers, each announcing the next; the chain is bounded by the payload, since
  // every header consumes at least 8 bytes of it.
  for (;;) {
    if (next_header == kIpv6HopByHop || next_header == kIpv6Routing ||
        next_header == kIpv6DestinationOptions) {
      if (declared < kIpv6ExtensionMin) return Decoded::kMalformed;
      uint8_t following = 0;
      uint8_t length_in_8_octets_after_first = 0;
      if (!payload.ReadU8(&following) || !payload.ReadU8(&length_in_8_octets_after_first)) {
        return Decoded::kShort;
      }
      const uint32_t length = (length_in_8_octets_after_first + 1u) * 8u;
      if (length > declared) return Decoded::kMalformed;
      if (!payload.Skip(length - 2)) return Decoded::kShort;
      declared -= length;
      next_header = following;
    } else if (next_header == kIpv6Fragment) {
      if (declared < kIpv6ExtensionMin) return Decoded::kMalformed;
      uint8_t following = 0;
      uint16_t offset_and_flags = 0;
      if (!payload.ReadU8(&following) || !payload.Skip(1) || !payload.ReadU16(&offset_and_flags) ||
          !payload.Skip(4) /* identification */) {
        return Decoded::kShort;
      }
      declared -= kIpv6ExtensionMin;
      next_header = following;
      packet->protocol = next_header;
      if ((offset_and_flags >> 3) != 0) return Decoded::kNonFirstFragment;
      packet->more_fragments = (offset_and_flags & 1) != 0;
    } else {
      break;
    }
  }
  packet->protocol = next_header;
  return DecodeTransport(payload, declared, packet);
}

// For links that do not say which IP version they carry: the version nibble does.
Decoded DecodeIpByVersion(ByteReader r, Packet* packet, Decoded if_not_ip) {
  uint8_t first = 0;
  if (!r.PeekU8(&first)) return Decoded::kShort;
  if (first >> 4 == 4) return DecodeIpv4(r, packet);
  if (first >> 4 == 6) return DecodeIpv6(r, packet);
  return if_not_ip;
}

Decoded DecodeMpls(ByteReader r, Packet* packet) {
  // Label stack entries down to the one with the bottom-of-stack bit. What follows is not
  // signalled; IP is recognised by its version nibble (a pseudowire control word starts with 0).
  uint32_t entry = 0;
  do {
    if (!r.ReadU32(&entry)) return Decoded::kShort;
  } while ((entry & 0x100) == 0);
  return DecodeIpByVersion(r, packet, Decoded::kNotIp);
}

Decoded DecodeEthertype(uint16_t ethertype, ByteReader r, Packet* packet) {
  // 802.1Q tags, stacked for QinQ: a 2-byte tag control field, then the next ethertype.
  while (ethertype == kEthertypeVlan || ethertype == kEthertypeQinq ||
         ethertype == kEthertypeQinqLegacy) {
    if (!r.Skip(2) || !r.ReadU16(&ethertype)) return Decoded::kShort;
  }
  switch (ethertype) {
    case kEthertypeIpv4:
      return DecodeIpv4(r, packet);
    case kEthertypeIpv6:
      return DecodeIpv6(r, packet);
    case kEthertypeMplsUnicast:
    case kEthertypeMplsMulticast:
      return DecodeMpls(r, packet);
    default:
      return Decoded::kNotIp;  // ARP, LLDP, and 802.3 length fields (LLC frames)
  }
}

Decoded DecodeFrame(uint32_t link_type, ByteOrder file_order, ByteReader r, Packet* packet) {
  uint16_t ethertype = 0;
  switch (link_type) {
    case kLinkTypeEthernet:  // destination and source MAC, ethertype
      if (!r.Skip(12) || !r.ReadU16(&ethertype)) return Decoded::kShort;
      return DecodeEthertype(ethertype, r, packet);
    case kLinkTypeLinuxSll:  // packet type, ARPHRD type, address length, 8 address bytes, protocol
      if (!r.Skip(14) || !r.ReadU16(&ethertype)) return Decoded::kShort;
      return DecodeEthertype(ethertype, r, packet);
    case kLinkTypeLinuxSll2:  // protocol, reserved, ifindex, ARPHRD, packet type, address length,
                              // 8 address bytes
      if (!r.ReadU16(&ethertype) || !r.Skip(18)) return Decoded::kShort;
      return DecodeEthertype(ethertype, r, packet);
    case kLinkTypeCiscoHdlc:  // address, control, protocol (an ethertype)
      if (!r.Skip(2) || !r.ReadU16(&ethertype)) return Decoded::kShort;
      return DecodeEthertype(ethertype, r, packet);
    case kLinkTypeRaw:
      return DecodeIpByVersion(r, packet, Decoded::kMalformed);
    case kLinkTypeIpv4:
      return DecodeIpv4(r, packet);
    case kLinkTypeIpv6:
      return DecodeIpv6(r, packet);
    case kLinkTypeNull:
    case kLinkTypeLoop: {
      // LOOP writes the family in network order; NULL in the capturing host's order, which is
      // the file's when the file was written there. Every family fits in 16 bits, so a value
      // above that was written in the other order (a file rewritten on another host).
      uint32_t family = 0;
      if (!ReadU32In(r, link_type == kLinkTypeLoop ? ByteOrder::kBig : file_order, &family)) {
        return Decoded::kShort;
      }
      if (family > 0xffff) family = __builtin_bswap32(family);
      switch (family) {
        case kBsdAfInet:
          return DecodeIpv4(r, packet);
        case kBsdAfInet6Linux:
        case kBsdAfInet6NetBsd:
        case kBsdAfInet6FreeBsd:
        case kBsdAfInet6Darwin:
          return DecodeIpv6(r, packet);
        default:
          return Decoded::kNotIp;
      }
    }
    default:
      return Decoded::kUnsupportedLinkType;
  }
}

struct Frame {
  uint32_t link_type = 0;
  ByteOrder file_order = ByteOrder::kBig;
  std::span<const uint8_t> data;
  uint32_t original_length = 0;
  uint64_t file_offset = 0;
  int64_t timestamp_ns = 0;
};

void AppendFrame(const Frame& frame, PcapCapture* capture) {
  Packet packet;
  packet.frame_number = capture->packets.size() + capture->skipped.size() + 1;
  packet.file_offset = frame.file_offset;
  packet.timestamp_ns = frame.timestamp_ns;
  const Decoded decoded =
      DecodeFrame(frame.link_type, frame.file_order, ByteReader(frame.data), &packet);
  SkipReason reason = SkipReason::kMalformed;
  switch (decoded) {
    case Decoded::kPacket:
      capture->packets.push_back(packet);
      return;
    case Decoded::kShort:
      reason = frame.data.size() < frame.original_length ? SkipReason::kHeadersCut
                                                         : SkipReason::kMalformed;
      break;
    case Decoded::kMalformed:
      reason = SkipReason::kMalformed;
      break;
    case Decoded::kNotIp:
      reason = SkipReason::kNotIp;
      break;
    case Decoded::kNonFirstFragment:
      reason = SkipReason::kNonFirstFragment;
      break;
    case Decoded::kUnsupportedLinkType:
      reason = SkipReason::kUnsupportedLinkType;
      break;
  }
  capture->skipped.push_back({packet.frame_number, frame.file_offset, reason});
}

// ---------------------------------------------------------------------------------------------
// Classic pcap: a 24-byte file header, then records of a 16-byte header and the frame.

absl::StatusOr<PcapCapture> ReadClassicPcap(ByteReader file, uint32_t magic) {
  const ByteOrder order = magic == kPcapMagicMicroseconds || magic == kPcapMagicNanoseconds
                              ? ByteOrder::kBig
                              : ByteOrder::kLittle;
  const bool nanoseconds = magic == kPcapMagicNanoseconds || magic == kPcapMagicNanosecondsSwapped;
  PcapCapture capture;
  capture.format = nanoseconds ? PcapFormat::kPcapNanoseconds : PcapFormat::kPcapMicroseconds;
  if (file.remaining() < kPcapFileHeaderSize) {
    return absl::DataLossError(absl::StrCat("pcap file header cut short: ", file.remaining(),
                                            " of ", kPcapFileHeaderSize, " bytes"));
  }
  uint16_t major = 0;
  uint16_t minor = 0;
  uint32_t link_type_and_fcs = 0;
  file.Skip(4);  // magic
  ReadU16In(file, order, &major);
  ReadU16In(file, order, &minor);
  file.Skip(12);  // time zone, significant figures, snapshot length
  ReadU32In(file, order, &link_type_and_fcs);
  if (major != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("pcap version ", major, ".", minor, " is not 2.x"));
  }
  // The upper 16 bits may say how long a frame check sequence the frames keep; the IP length
  // already stops decoding before it.
  const uint32_t link_type = link_type_and_fcs & 0xffff;
  capture.link_types.push_back(link_type);
  const uint32_t fraction_to_ns = nanoseconds ? 1 : 1000;

  while (!file.empty()) {
    const uint64_t record_offset = file.offset();
    if (file.remaining() < kPcapRecordHeaderSize) {
      return absl::DataLossError(absl::StrCat("pcap record header at offset ", record_offset,
                                              " cut short: ", file.remaining(), " of ",
                                              kPcapRecordHeaderSize, " bytes"));
    }
    uint32_t seconds = 0;
    uint32_t fraction = 0;
    uint32_t captured = 0;
    uint32_t original = 0;
    ReadU32In(file, order, &seconds);
    ReadU32In(file, order, &fraction);
    ReadU32In(file, order, &captured);
    ReadU32In(file, order, &original);
    Frame frame;
    if (!file.ReadBytes(captured, &frame.data)) {
      return absl::DataLossError(
          absl::StrCat("pcap record at offset ", record_offset, " announces ", captured,
                       " captured bytes, the file has ", file.remaining(), " left"));
    }
    frame.link_type = link_type;
    frame.file_order = order;
    frame.original_length = original;
    frame.file_offset = record_offset;
    frame.timestamp_ns =
        int64_t{seconds} * kNanosecondsPerSecond + int64_t{fraction} * fraction_to_ns;
    AppendFrame(frame, &capture);
  }
  return capture;
}

// ---------------------------------------------------------------------------------------------
// pcapng: blocks of type, length, body, length. A Section Header Block sets the byte order and
// starts a new list of interfaces; packet blocks name their interface by its index in it.

struct PcapngInterface {
  uint32_t link_type = 0;
  uint32_t snap_length = 0;               // 0: unlimited
  uint64_t ticks_per_second = 1'000'000;  // if_tsresol; microseconds when absent
  int64_t offset_seconds = 0;             // if_tsoffset
};

int64_t TicksToNanoseconds(uint64_t ticks, const PcapngInterface& interface) {
  // 128 bits: ticks (up to 2^64) times 10^9 needs 94, and garbage must not overflow.
  using Wide = __int128;
  const Wide ns = Wide{ticks} * kNanosecondsPerSecond / Wide{interface.ticks_per_second} +
                  Wide{interface.offset_seconds} * kNanosecondsPerSecond;
  return static_cast<int64_t>(std::clamp<Wide>(ns, std::numeric_limits<int64_t>::min(),
                                               std::numeric_limits<int64_t>::max()));
}

absl::StatusOr<PcapngInterface> ReadInterfaceDescription(ByteReader body, ByteOrder order,
                                                         uint64_t block_offset) {
  PcapngInterface interface;
  uint16_t link_type = 0;
  if (!ReadU16In(body, order, &link_type) || !body.Skip(2) /* reserved */ ||
      !ReadU32In(body, order, &interface.snap_length)) {
    return absl::DataLossError(
        absl::StrCat("interface description block at offset ", block_offset, " cut short"));
  }
  interface.link_type = link_type;
  // Options: code, length, value padded to 4 bytes; opt_endofopt or the end of the body ends
  // them.
  while (!body.empty()) {
    uint16_t code = 0;
    uint16_t length = 0;
    ByteReader value;
    if (!ReadU16In(body, order, &code) || !ReadU16In(body, order, &length) ||
        !body.Sub(length, &value)) {
      return absl::DataLossError(absl::StrCat("interface description block at offset ",
                                              block_offset, ": option runs past the block"));
    }
    body.Skip(std::min<size_t>(body.remaining(), (4 - length % 4) % 4));
    if (code == kOptionEnd) break;
    if (code == kOptionIfTsresol) {
      uint8_t resolution = 0;
      if (length != 1 || !value.ReadU8(&resolution)) {
        return absl::DataLossError(absl::StrCat("interface description block at offset ",
                                                block_offset, ": if_tsresol of ", length,
                                                " bytes, expected 1"));
      }
      // Bit 7 set: ticks of 2^-n seconds; clear: 10^-n. Anything finer than 64 bits of
      // ticks per second can hold is no real clock.
      const uint8_t exponent = resolution & 0x7f;
      const bool binary = (resolution & 0x80) != 0;
      if ((binary && exponent > 63) || (!binary && exponent > 19)) {
        return absl::InvalidArgumentError(absl::StrCat("interface description block at offset ",
                                                       block_offset, ": if_tsresol 0x",
                                                       absl::Hex(resolution), " not supported"));
      }
      uint64_t ticks = 1;
      for (uint8_t i = 0; i < exponent; ++i) ticks *= binary ? 2 : 10;
      interface.ticks_per_second = ticks;
    } else if (code == kOptionIfTsoffset) {
      uint64_t offset = 0;
      if (length != 8 || !ReadU64In(value, order, &offset)) {
        return absl::DataLossError(absl::StrCat("interface description block at offset ",
                                                block_offset, ": if_tsoffset of ", length,
                                                " bytes, expected 8"));
      }
      interface.offset_seconds = static_cast<int64_t>(offset);
    }
  }
  return interface;
}

absl::StatusOr<PcapCapture> ReadPcapng(ByteReader file) {
  PcapCapture capture;
  capture.format = PcapFormat::kPcapng;
  ByteOrder order = ByteOrder::kBig;
  std::vector<PcapngInterface> interfaces;

  while (!file.empty()) {
    const uint64_t block_offset = file.offset();
    uint32_t type = 0;
    uint32_t length_as_read = 0;
    if (!file.ReadU32(&type) || !file.ReadU32(&length_as_read)) {
      return absl::DataLossError(
          absl::StrCat("pcapng block header at offset ", block_offset, " cut short"));
    }
    if (type == kBlockSectionHeader) {
      // The byte-order magic after the length says how to read the length and the section.
      ByteReader peek = file;
      uint32_t magic = 0;
      if (!peek.ReadU32(&magic)) {
        return absl::DataLossError(
            absl::StrCat("section header block at offset ", block_offset, " cut short"));
      }
      if (magic == kByteOrderMagic) {
        order = ByteOrder::kBig;
      } else if (magic == __builtin_bswap32(kByteOrderMagic)) {
        order = ByteOrder::kLittle;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("section header block at offset ", block_offset, ": byte-order magic 0x",
                         absl::Hex(magic, absl::kZeroPad8), " is not 1a2b3c4d in either order"));
      }
      interfaces.clear();
    } else {
      type = InOrder(type, order);
    }
    const uint32_t length = InOrder(length_as_read, order);
    if (length < kBlockFraming || length % 4 != 0) {
      return absl::DataLossError(absl::StrCat("pcapng block at offset ", block_offset, ": length ",
                                              length, " is not a multiple of 4 of at least 12"));
    }
    // Type and length are read; the body and the trailing length remain.
    if (file.remaining() < length - 8) {
      return absl::DataLossError(absl::StrCat("pcapng block at offset ", block_offset, ": length ",
                                              length, " runs past the end of the file"));
    }
    ByteReader body;
    uint32_t trailing_length = 0;
    file.Sub(length - kBlockFraming, &body);
    ReadU32In(file, order, &trailing_length);
    if (trailing_length != length) {
      return absl::DataLossError(absl::StrCat("pcapng block at offset ", block_offset,
                                              ": trailing length does not repeat length ", length));
    }

    switch (type) {
      case kBlockSectionHeader: {
        uint16_t major = 0;
        if (!body.Skip(4) /* byte-order magic */ || !ReadU16In(body, order, &major)) {
          return absl::DataLossError(
              absl::StrCat("section header block at offset ", block_offset, " cut short"));
        }
        if (major != 1) {
          return absl::InvalidArgumentError(absl::StrCat("section header block at offset ",
                                                         block_offset, ": pcapng version ", major,
                                                         " is not 1.x"));
        }
        break;
      }
      case kBlockInterfaceDescription: {
        auto interface = ReadInterfaceDescription(body, order, block_offset);
        if (!interface.ok()) return interface.status();
        interfaces.push_back(*interface);
        capture.link_types.push_back(interface->link_type);
        break;
      }
      case kBlockEnhancedPacket: {
        uint32_t interface_id = 0;
        uint32_t ticks_high = 0;
        uint32_t ticks_low = 0;
        uint32_t captured = 0;
        Frame frame;
        if (!ReadU32In(body, order, &interface_id) || !ReadU32In(body, order, &ticks_high) ||
            !ReadU32In(body, order, &ticks_low) || !ReadU32In(body, order, &captured) ||
            !ReadU32In(body, order, &frame.original_length)) {
          return absl::DataLossError(
              absl::StrCat("enhanced packet block at offset ", block_offset, " cut short"));
        }
        if (interface_id >= interfaces.size()) {
          return absl::DataLossError(absl::StrCat("enhanced packet block at offset ", block_offset,
                                                  " names interface ", interface_id,
                                                  ", the section declares ", interfaces.size()));
        }
        if (!body.ReadBytes(captured, &frame.data)) {
          return absl::DataLossError(absl::StrCat("enhanced packet block at offset ", block_offset,
                                                  ": captured length ", captured,
                                                  " runs past the block"));
        }
        const PcapngInterface& interface = interfaces[interface_id];
        frame.link_type = interface.link_type;
        frame.file_order = order;
        frame.file_offset = block_offset;
        frame.timestamp_ns = TicksToNanoseconds(uint64_t{ticks_high} << 32 | ticks_low, interface);
        AppendFrame(frame, &capture);
        break;
      }
      case kBlockSimplePacket: {
        if (interfaces.empty()) {
          return absl::DataLossError(absl::StrCat("simple packet block at offset ", block_offset,
                                                  " before any interface description"));
        }
        Frame frame;
        if (!ReadU32In(body, order, &frame.original_length)) {
          return absl::DataLossError(
              absl::StrCat("simple packet block at offset ", block_offset, " cut short"));
        }
        // The block does not write its captured length: it is the original length cut to
        // interface 0's snapshot length, followed by padding.
        size_t captured = std::min<size_t>(frame.original_length, body.remaining());
        if (interfaces[0].snap_length != 0) {
          captured = std::min<size_t>(captured, interfaces[0].snap_length);
        }
        body.ReadBytes(captured, &frame.data);
        frame.link_type = interfaces[0].link_type;
        frame.file_order = order;
        frame.file_offset = block_offset;
        frame.timestamp_ns = 0;  // a simple packet block has no timestamp
        AppendFrame(frame, &capture);
        break;
      }
      default:
        break;  // name resolution, statistics, secrets, custom: nothing a replay needs
    }
  }
  return capture;
}

// ---------------------------------------------------------------------------------------------
// TCP reassembly.

struct Segment {
  uint64_t start = 0;  // unwrapped sequence number of the first payload byte
  std::span<const uint8_t> data;
  uint32_t declared_length = 0;  // may exceed data.size() when the capture cut the segment
  size_t capture_index = 0;      // breaks ties: the first captured copy is kept
  bool syn = false;
};

// One direction of one connection while its segments are collected.
class StreamBuilder {
 public:
  StreamBuilder(const TcpFlowKey& key, uint64_t first_frame_number)
      : key_(key), first_frame_number_(first_frame_number) {}

  bool has_syn() const { return initial_sequence_raw_.has_value(); }
  bool has_payload() const { return !segments_.empty(); }
  uint32_t initial_sequence_raw() const { return *initial_sequence_raw_; }

  void Add(const Packet& packet, size_t capture_index) {
    const bool syn = (packet.tcp_flags & kTcpFlagSyn) != 0;
    const uint64_t sequence = Unwrap(packet.tcp_sequence);
    if (syn && !initial_sequence_) {
      initial_sequence_ = sequence;
      initial_sequence_raw_ = packet.tcp_sequence;
      syn_payload_length_ = packet.declared_payload_length;
    }
    if (packet.declared_payload_length == 0) return;
    // By RFC 9293 the SYN occupies its own sequence number and its payload follows it.
    segments_.push_back({.start = sequence + (syn ? 1 : 0),
                         .data = packet.payload,
                         .declared_length = packet.declared_payload_length,
                         .capture_index = capture_index,
                         .syn = syn});
  }

  TcpStream Build() {
    TcpStream stream;
    stream.key = key_;
    stream.first_frame_number = first_frame_number_;
    stream.segments = segments_.size();
    stream.starts_at_syn = initial_sequence_.has_value();
    uint64_t base = 0;
    if (initial_sequence_) {
      base = *initial_sequence_ + 1;
      const uint64_t crafted_syn_payload_end = *initial_sequence_ + syn_payload_length_;
      stream.syn_payload_at_isn =
          syn_payload_length_ > 0 &&
          std::any_of(segments_.begin(), segments_.end(), [&](const Segment& s) {
            return !s.syn && s.start == crafted_syn_payload_end;
          });
      if (stream.syn_payload_at_isn) {
        base = *initial_sequence_;
        for (Segment& s : segments_) {
          if (s.syn) s.start = *initial_sequence_;
        }
      }
    } else {
      base = std::min_element(segments_.begin(), segments_.end(),
                              [](const Segment& a, const Segment& b) { return a.start < b.start; })
                 ->start;
    }
    std::sort(segments_.begin(), segments_.end(), [](const Segment& a, const Segment& b) {
      return a.start != b.start ? a.start < b.start : a.capture_index < b.capture_index;
    });

    // Invariant until a gap: next == base + stream.bytes.size().
    uint64_t next = base;
    uint64_t announced_end = base;
    for (const Segment& segment : segments_) {
      announced_end = std::max(announced_end, segment.start + segment.declared_length);
      const uint64_t start = std::max(segment.start, base);
      const uint64_t end = segment.start + segment.data.size();
      if (end <= start) continue;  // nothing captured at or after the stream's first byte
      if (start > next) {
        if (!stream.gap) stream.gap = TcpGap{stream.bytes.size(), start - next, 0};
        next = start;
      }
      const uint64_t overlap_end = std::min(end, next);
      if (overlap_end > start) {
        stream.retransmitted_bytes += overlap_end - start;
        if (!stream.gap) {
          for (uint64_t seq = start; seq < overlap_end; ++seq) {
            if (stream.bytes[seq - base] != segment.data[seq - segment.start]) {
              ++stream.conflicting_bytes;
            }
          }
        }
      }
      if (end > next) {
        if (stream.gap) {
          stream.gap->bytes_after_gap += end - next;
        } else {
          const auto fresh = segment.data.subspan(next - segment.start);
          stream.bytes.insert(stream.bytes.end(), fresh.begin(), fresh.end());
        }
        next = end;
      }
    }
    // Bytes the headers announce but no segment captured (a segment cut by the snapshot
    // length, or the first fragment of one) end the stream as a gap too.
    if (!stream.gap && announced_end > next) {
      stream.gap = TcpGap{stream.bytes.size(), announced_end - next, 0};
    }
    return stream;
  }

 private:
  // 32-bit sequence numbers to 64 bits, so that a stream crossing 2^32 stays in order: each
  // value is taken nearest the previous one, which holds while the segments of a direction
  // arrive within 2 GiB of each other. The first value is placed well above 0 so that
  // segments captured before it (out of order) do not wrap below zero.
  uint64_t Unwrap(uint32_t sequence) {
    if (!last_sequence_) {
      last_sequence_ = (uint64_t{1} << 40) + sequence;
    } else {
      const auto delta = static_cast<int32_t>(sequence - static_cast<uint32_t>(*last_sequence_));
      *last_sequence_ += static_cast<uint64_t>(static_cast<int64_t>(delta));
    }
    return *last_sequence_;
  }

  TcpFlowKey key_;
  uint64_t first_frame_number_ = 0;
  std::optional<uint64_t> last_sequence_;
  std::optional<uint64_t> initial_sequence_;
  std::optional<uint32_t> initial_sequence_raw_;
  uint64_t syn_payload_length_ = 0;
  std::vector<Segment> segments_;
};

}  // namespace

std::string_view SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kUnsupportedLinkType:
      return "unsupported link type";
    case SkipReason::kNotIp:
      return "not IP";
    case SkipReason::kNonFirstFragment:
      return "non-first IP fragment";
    case SkipReason::kHeadersCut:
      return "headers cut by the snapshot length";
    case SkipReason::kMalformed:
      return "malformed";
  }
  return "unknown";
}

absl::StatusOr<PcapCapture> ReadPcapBytes(std::span<const uint8_t> bytes) {
  uint32_t magic = 0;
  if (!ByteReader(bytes).ReadU32(&magic)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a pcap or pcapng file: ", bytes.size(), " bytes"));
  }
  switch (magic) {
    case kBlockSectionHeader:
      return ReadPcapng(ByteReader(bytes));
    case kPcapMagicMicroseconds:
    case kPcapMagicMicrosecondsSwapped:
    case kPcapMagicNanoseconds:
    case kPcapMagicNanosecondsSwapped:
      return ReadClassicPcap(ByteReader(bytes), magic);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("not a pcap or pcapng file: magic 0x", absl::Hex(magic, absl::kZeroPad8)));
  }
}

absl::StatusOr<PcapCapture> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  const std::streamoff size = in.tellg();
  in.seekg(0);
  if (size < 0 || !in) return absl::DataLossError(absl::StrCat(path, ": cannot read"));
  auto storage = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(storage->data()), size)) {
    return absl::DataLossError(absl::StrCat(path, ": cannot read"));
  }
  absl::StatusOr<PcapCapture> capture = ReadPcapBytes(*storage);
  if (!capture.ok()) {
    return absl::Status(capture.status().code(),
                        absl::StrCat(path, ": ", capture.status().message()));
  }
  capture->storage = std::move(storage);
  return capture;
}

std::vector<Packet> UdpDatagrams(std::span<const Packet> packets,
                                 std::optional<uint16_t> dst_port) {
  std::vector<Packet> datagrams;
  for (const Packet& packet : packets) {
    if (packet.protocol == kIpProtocolUdp && (!dst_port || packet.dst_port == *dst_port)) {
      datagrams.push_back(packet);
    }
  }
  return datagrams;
}

std::string TcpFlowKey::ToString() const {
  auto endpoint = [](const IpAddress& address, uint16_t port) {
    return address.is_v4() ? absl::StrCat(address.ToString(), ":", port)
                           : absl::StrCat("[", address.ToString(), "]:", port);
  };
  return absl::StrCat(endpoint(src, src_port), " -> ", endpoint(dst, dst_port));
}

std::vector<TcpStream> TcpStreams(std::span<const Packet> packets,
                                  std::optional<uint16_t> dst_port) {
  std::vector<StreamBuilder> builders;
  std::map<TcpFlowKey, size_t> current_builder;  // per direction, the connection in progress
  for (size_t i = 0; i < packets.size(); ++i) {
    const Packet& packet = packets[i];
    if (packet.protocol != kIpProtocolTcp || (dst_port && packet.dst_port != *dst_port)) continue;
    if ((packet.tcp_flags & kTcpFlagRst) != 0) continue;  // RST payload is diagnostic text
    const bool syn = (packet.tcp_flags & kTcpFlagSyn) != 0;
    if (!syn && packet.declared_payload_length == 0) continue;  // ACKs, FINs: no stream bytes
    const TcpFlowKey key{packet.src, packet.src_port, packet.dst, packet.dst_port};
    auto it = current_builder.find(key);
    const bool new_connection =
        it != current_builder.end() && syn &&
        (builders[it->second].has_syn()
             ? builders[it->second].initial_sequence_raw() != packet.tcp_sequence
             : builders[it->second].has_payload());
    if (it == current_builder.end() || new_connection) {
      builders.emplace_back(key, packet.frame_number);
      current_builder[key] = builders.size() - 1;
      it = current_builder.find(key);
    }
    builders[it->second].Add(packet, i);
  }
  std::vector<TcpStream> streams;
  for (StreamBuilder& builder : builders) {
    if (builder.has_payload()) streams.push_back(builder.Build());
  }
  return streams;
}

}  // namespace ribflow
