// Packet captures (classic pcap and pcapng) read into IP packets, and what an application on
// the capturing host received from them: UDP datagrams, and TCP byte streams rebuilt per
// direction. Interop tests replay the BMP and flow captures of ../shared/data/captures through
// the decoders with it, and `ribflow decode --pcap FILE [--port N]` prints what it finds.
//
// Decoded: pcap with microsecond or nanosecond timestamps in either byte order; pcapng
// sections in either byte order with per-interface link type, if_tsresol and if_tsoffset
// (Enhanced and Simple Packet blocks; other blocks are skipped). Link types Ethernet (802.1Q
// and QinQ tags), Linux cooked SLL and SLL2, raw IP (101, 228, 229), BSD null/loopback (0, 108)
// and Cisco HDLC (104, used by a real capture), with an MPLS label stack under any of them.
// IPv4 with options and IPv6 with hop-by-hop, routing, fragment and destination-options
// headers. TCP and UDP get their ports and payload; other IP protocols are kept with their IP
// payload, ports 0. Tunnels (GRE, IP in IP) are not opened.
//
// Errors: a file that is not a capture, or whose framing is cut short or inconsistent (a
// record or block running past the end of the file, a pcapng length mismatch) fails the whole
// read with the file offset of the record, because a capture that silently lost its tail would
// make a replay test pass on less than it claims. A frame inside a well-framed record that does
// not decode (not IP, a non-first fragment, headers cut by the snapshot length, inconsistent
// lengths) is not an error: it is listed in PcapCapture::skipped with its reason, for the
// operator tool to report. Payload cut by the snapshot length is kept and marked truncated.
//
// Why the whole file is read at once rather than streamed: TCP reassembly has to hold every
// segment of a direction before it can order them anyway, the captures replayed are
// megabytes, and packets viewing one buffer cost no copies. Memory is the size of the file.
//
// Threading model: free functions with no shared state. A PcapCapture is immutable once
// returned and may be read from any number of threads.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ip_address.h"

namespace ribflow {

inline constexpr uint8_t kIpProtocolTcp = 6;
inline constexpr uint8_t kIpProtocolUdp = 17;

inline constexpr uint8_t kTcpFlagFin = 0x01;
inline constexpr uint8_t kTcpFlagSyn = 0x02;
inline constexpr uint8_t kTcpFlagRst = 0x04;
inline constexpr uint8_t kTcpFlagAck = 0x10;

enum class PcapFormat : uint8_t { kPcapMicroseconds, kPcapNanoseconds, kPcapng };

struct Packet {
  uint64_t frame_number = 0;  // 1-based position among the capture's frames, as in Wireshark
  uint64_t file_offset = 0;   // where the frame's record (pcap) or block (pcapng) starts
  int64_t timestamp_ns = 0;   // since the Unix epoch
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;  // 0 unless TCP or UDP
  uint16_t dst_port = 0;
  uint8_t protocol = 0;  // IP protocol number, after any IPv6 extension headers
  uint8_t tcp_flags = 0;
  uint32_t tcp_sequence = 0;
  // The first fragment of a datagram the capture holds in pieces: the payload is only the
  // first fragment's share (later fragments are skipped, see SkipReason::kNonFirstFragment).
  bool more_fragments = false;
  // TCP or UDP payload; the IP payload for other protocols. Views the capture's bytes: keep
  // the PcapCapture (or a copy of it) alive while the packet is used.
  std::span<const uint8_t> payload;
  // The payload length the headers announce (UDP length, IP length minus headers).
  uint32_t declared_payload_length = 0;

  // Fewer payload bytes were captured than the headers announce (snapshot length, fragment).
  bool truncated() const { return payload.size() < declared_payload_length; }
};

enum class SkipReason : uint8_t {
  kUnsupportedLinkType,  // a link layer this reader does not decode
  kNotIp,                // ARP, LLDP, an MPLS pseudowire, ...
  kNonFirstFragment,     // an IP fragment other than the first: it has no transport header
  kHeadersCut,           // the snapshot length cut the frame inside its headers
  kMalformed,            // headers shorter than they say, or inconsistent lengths
};
std::string_view SkipReasonName(SkipReason reason);

// A frame that produced no Packet, and why.
struct SkippedFrame {
  uint64_t frame_number = 0;
  uint64_t file_offset = 0;
  SkipReason reason = SkipReason::kMalformed;
};

struct PcapCapture {
  PcapFormat format = PcapFormat::kPcapMicroseconds;
  // Link type of each interface in declaration order (one for classic pcap).
  std::vector<uint32_t> link_types;
  // packets and skipped together hold every frame once, each in capture order.
  std::vector<Packet> packets;
  std::vector<SkippedFrame> skipped;
  // The file's bytes, which the packets' payloads view (ReadPcap). Null for ReadPcapBytes,
  // whose packets view the caller's buffer. Shared, so copies of a capture stay valid.
  std::shared_ptr<const std::vector<uint8_t>> storage;
};

// NotFound when the file cannot be opened; InvalidArgument when it is not a pcap or pcapng
// file (or a version or timestamp resolution this reader does not know); DataLoss, with the
// file offset, when its records or blocks are cut short or inconsistent.
absl::StatusOr<PcapCapture> ReadPcap(const std::string& path);
// The same over bytes in memory; the packets view `bytes`, which must outlive them.
absl::StatusOr<PcapCapture> ReadPcapBytes(std::span<const uint8_t> bytes);

// UDP packets in capture order, only those to `dst_port` when given. Truncated datagrams are
// included (Packet::truncated()): whether half a datagram is useful is the decoder's call.
std::vector<Packet> UdpDatagrams(std::span<const Packet> packets,
                                 std::optional<uint16_t> dst_port = std::nullopt);

// One direction of a TCP connection.
struct TcpFlowKey {
  IpAddress src;
  uint16_t src_port = 0;
  IpAddress dst;
  uint16_t dst_port = 0;

  std::string ToString() const;  // "192.0.2.1:179 -> [2001:db8::1]:1790"
  friend bool operator==(const TcpFlowKey&, const TcpFlowKey&) = default;
  friend auto operator<=>(const TcpFlowKey&, const TcpFlowKey&) = default;
};

// Where a stream's bytes stop being contiguous: no segment in the capture holds them.
struct TcpGap {
  uint64_t stream_offset = 0;    // == bytes.size(): the first missing byte
  uint64_t missing_bytes = 0;    // up to the next captured byte, or to the end the headers announce
  uint64_t bytes_after_gap = 0;  // captured bytes beyond the gap, left out of `bytes`
};

struct TcpStream {
  TcpFlowKey key;
  uint64_t first_frame_number = 0;
  // The payload in sequence order, from the start of the stream up to the first gap.
  std::vector<uint8_t> bytes;
  // The capture holds the SYN, so `bytes` starts at the first byte of the connection.
  // Otherwise the capture began mid-stream and `bytes` starts at the lowest sequence number
  // seen, which need not be a message boundary.
  bool starts_at_syn = false;
  // The SYN carried payload that the next segment treats as starting at the SYN's own
  // sequence number instead of one past it (RFC 9293). Packet generators that never count the
  // SYN (the pmacct BMP captures) write this; read by RFC, every such stream would lose the
  // first byte of its second segment to a one-byte overlap. Detected only when a segment
  // begins exactly where the SYN's payload ends under this reading.
  bool syn_payload_at_isn = false;
  std::optional<TcpGap> gap;
  size_t segments = 0;               // segments that carried payload
  uint64_t retransmitted_bytes = 0;  // payload bytes seen more than once, kept once
  // Of those, bytes that differed from the copy kept (the one earliest in sequence order, first
  // captured on a tie): a capture with these is not what a receiver would have seen.
  uint64_t conflicting_bytes = 0;
};

// Every direction that carried payload, in the order of its first SYN or payload segment;
// only directions to `dst_port` when given. A SYN with a new initial sequence number on a
// 4-tuple already in use starts a new stream. Payload of RST segments is not stream data and
// is left out.
std::vector<TcpStream> TcpStreams(std::span<const Packet> packets,
                                  std::optional<uint16_t> dst_port = std::nullopt);

}  // namespace ribflow
