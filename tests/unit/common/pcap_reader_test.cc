// The pcap reader: every capture format and link type it claims, the IP and transport layers,
// TCP reassembly, errors with offsets, truncation and garbage without out-of-bounds reads,
// and the real captures of ../shared/data/captures against their tshark analysis.
#include "common/pcap_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"

namespace ribflow {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------
// Hand-built frames and files.

void PutU8(Bytes& b, uint8_t v) { b.push_back(v); }
void PutU16(Bytes& b, uint16_t v, bool little = false) {
  if (little) {
    b.insert(b.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
  } else {
    b.insert(b.end(), {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
  }
}
void PutU32(Bytes& b, uint32_t v, bool little = false) {
  if (little) {
    PutU16(b, static_cast<uint16_t>(v), true);
    PutU16(b, static_cast<uint16_t>(v >> 16), true);
  } else {
    PutU16(b, static_cast<uint16_t>(v >> 16));
    PutU16(b, static_cast<uint16_t>(v));
  }
}
void PutU64(Bytes& b, uint64_t v, bool little = false) {
  if (little) {
    PutU32(b, static_cast<uint32_t>(v), true);
    PutU32(b, static_cast<uint32_t>(v >> 32), true);
  } else {
    PutU32(b, static_cast<uint32_t>(v >> 32));
    PutU32(b, static_cast<uint32_t>(v));
  }
}
void PutBytes(Bytes& b, std::span<const uint8_t> more) {
  b.insert(b.end(), more.begin(), more.end());
}
void PadTo4(Bytes& b) {
  while (b.size() % 4 != 0) b.push_back(0);
}

Bytes Text(std::string_view text) { return Bytes(text.begin(), text.end()); }
std::string AsText(std::span<const uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}
IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

Bytes Udp(uint16_t src_port, uint16_t dst_port, const Bytes& payload,
          std::optional<uint16_t> length = std::nullopt) {
  Bytes b;
  PutU16(b, src_port);
  PutU16(b, dst_port);
  PutU16(b, length.value_or(static_cast<uint16_t>(8 + payload.size())));
  PutU16(b, 0);  // checksum
  PutBytes(b, payload);
  return b;
}

Bytes Tcp(uint16_t src_port, uint16_t dst_port, uint32_t sequence, uint8_t flags,
          const Bytes& payload, const Bytes& options = {}) {
  Bytes b;
  PutU16(b, src_port);
  PutU16(b, dst_port);
  PutU32(b, sequence);
  PutU32(b, 0);  // acknowledgment
  PutU8(b, static_cast<uint8_t>((20 + options.size()) / 4 << 4));
  PutU8(b, flags);
  PutU16(b, 0xffff);  // window
  PutU32(b, 0);       // checksum, urgent pointer
  PutBytes(b, options);
  PutBytes(b, payload);
  return b;
}

struct Ipv4Extras {
  uint16_t flags_and_fragment_offset = 0;
  Bytes options;
  std::optional<uint16_t> total_length;
};

Bytes Ipv4(const char* src, const char* dst, uint8_t protocol, const Bytes& transport,
           const Ipv4Extras& extras = {}) {
  const size_t header_length = 20 + extras.options.size();
  Bytes b;
  PutU8(b, static_cast<uint8_t>(0x40 | header_length / 4));
  PutU8(b, 0);
  PutU16(b, extras.total_length.value_or(static_cast<uint16_t>(header_length + transport.size())));
  PutU16(b, 0x1234);  // identification
  PutU16(b, extras.flags_and_fragment_offset);
  PutU8(b, 64);
  PutU8(b, protocol);
  PutU16(b, 0);  // checksum
  PutU32(b, Ip(src).v4());
  PutU32(b, Ip(dst).v4());
  PutBytes(b, extras.options);
  PutBytes(b, transport);
  return b;
}

Bytes Ipv6(const char* src, const char* dst, uint8_t next_header, const Bytes& rest) {
  Bytes b;
  PutU32(b, 0x60000000);
  PutU16(b, static_cast<uint16_t>(rest.size()));
  PutU8(b, next_header);
  PutU8(b, 64);
  PutBytes(b, Ip(src).bytes());
  PutBytes(b, Ip(dst).bytes());
  PutBytes(b, rest);
  return b;
}

// Hop-by-hop, routing or destination options: `length` bytes (a multiple of 8) of Pad1.
Bytes Ipv6Extension(uint8_t next_header, size_t length) {
  Bytes b;
  PutU8(b, next_header);
  PutU8(b, static_cast<uint8_t>(length / 8 - 1));
  b.resize(length, 0);
  return b;
}

Bytes Ipv6FragmentHeader(uint8_t next_header, uint16_t offset_in_8_octets, bool more) {
  Bytes b;
  PutU8(b, next_header);
  PutU8(b, 0);
  PutU16(b, static_cast<uint16_t>(offset_in_8_octets << 3 | (more ? 1 : 0)));
  PutU32(b, 0xabcd);
  return b;
}

Bytes Ethernet(uint16_t ethertype, const Bytes& payload, const std::vector<uint16_t>& tags = {}) {
  Bytes b = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  for (size_t i = 0; i < tags.size(); ++i) {
    PutU16(b, tags[i]);
    PutU16(b, static_cast<uint16_t>(100 + i));  // priority 0, VLAN 100, 101, ...
  }
  PutU16(b, ethertype);
  PutBytes(b, payload);
  return b;
}

Bytes LinuxSll(uint16_t protocol, const Bytes& payload) {
  Bytes b;
  PutU16(b, 0);  // to us
  PutU16(b, 1);  // ARPHRD_ETHER
  PutU16(b, 6);
  PutBytes(b, Bytes{0x02, 0, 0, 0, 0, 1, 0, 0});
  PutU16(b, protocol);
  PutBytes(b, payload);
  return b;
}

Bytes LinuxSll2(uint16_t protocol, const Bytes& payload) {
  Bytes b;
  PutU16(b, protocol);
  PutU16(b, 0);
  PutU32(b, 2);  // interface index
  PutU16(b, 1);  // ARPHRD_ETHER
  PutU8(b, 0);
  PutU8(b, 6);
  PutBytes(b, Bytes{0x02, 0, 0, 0, 0, 1, 0, 0});
  PutBytes(b, payload);
  return b;
}

Bytes CiscoHdlc(uint16_t protocol, const Bytes& payload) {
  Bytes b = {0x0f, 0x00};
  PutU16(b, protocol);
  PutBytes(b, payload);
  return b;
}

Bytes Mpls(const std::vector<uint32_t>& labels, const Bytes& payload) {
  Bytes b;
  for (size_t i = 0; i < labels.size(); ++i) {
    PutU32(b, labels[i] << 12 | (i + 1 == labels.size() ? 0x100 : 0) | 64);
  }
  PutBytes(b, payload);
  return b;
}

Bytes BsdNull(uint32_t family, bool little, const Bytes& payload) {
  Bytes b;
  PutU32(b, family, little);
  PutBytes(b, payload);
  return b;
}

constexpr uint32_t kEthernet = 1;
constexpr uint32_t kRawIp = 101;
constexpr uint32_t kRawIpv4 = 228;
constexpr uint32_t kRawIpv6 = 229;
constexpr uint16_t kIpv4Type = 0x0800;
constexpr uint16_t kIpv6Type = 0x86dd;

class PcapWriter {
 public:
  explicit PcapWriter(uint32_t link_type, bool little_endian = true, bool nanoseconds = false)
      : little_(little_endian) {
    PutU32(bytes_, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, little_);
    PutU16(bytes_, 2, little_);
    PutU16(bytes_, 4, little_);
    PutU32(bytes_, 0, little_);  // time zone
    PutU32(bytes_, 0, little_);  // significant figures
    PutU32(bytes_, 262144, little_);
    PutU32(bytes_, link_type, little_);
  }
  // `keep` cuts the frame as a snapshot length would.
  PcapWriter& Add(const Bytes& frame, uint32_t seconds = 1, uint32_t fraction = 0,
                  std::optional<size_t> keep = std::nullopt) {
    const size_t captured = std::min(frame.size(), keep.value_or(frame.size()));
    PutU32(bytes_, seconds, little_);
    PutU32(bytes_, fraction, little_);
    PutU32(bytes_, static_cast<uint32_t>(captured), little_);
    PutU32(bytes_, static_cast<uint32_t>(frame.size()), little_);
    bytes_.insert(bytes_.end(), frame.begin(), frame.begin() + static_cast<ptrdiff_t>(captured));
    return *this;
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  bool little_;
  Bytes bytes_;
};

class PcapngWriter {
 public:
  explicit PcapngWriter(bool little_endian = true) : little_(little_endian) { Section(); }

  void Section() {
    Bytes body;
    PutU32(body, 0x1a2b3c4d, little_);
    PutU16(body, 1, little_);
    PutU16(body, 0, little_);
    PutU64(body, ~uint64_t{0}, little_);  // section length unknown
    Block(0x0a0d0d0a, body);
  }
  void Interface(uint16_t link_type, uint32_t snap_length = 0,
                 std::optional<uint8_t> tsresol = std::nullopt,
                 std::optional<int64_t> tsoffset = std::nullopt) {
    Bytes body;
    PutU16(body, link_type, little_);
    PutU16(body, 0, little_);
    PutU32(body, snap_length, little_);
    Option(body, 2, Text("eth0"));  // if_name: an option the reader skips
    if (tsresol) Option(body, 9, Bytes{*tsresol});
    if (tsoffset) {
      Bytes value;
      PutU64(value, static_cast<uint64_t>(*tsoffset), little_);
      Option(body, 14, value);
    }
    Option(body, 0, {});
    Block(1, body);
  }
  void Enhanced(uint32_t interface_id, uint64_t ticks, const Bytes& frame,
                std::optional<size_t> keep = std::nullopt) {
    const size_t captured = std::min(frame.size(), keep.value_or(frame.size()));
    Bytes body;
    PutU32(body, interface_id, little_);
    PutU32(body, static_cast<uint32_t>(ticks >> 32), little_);
    PutU32(body, static_cast<uint32_t>(ticks), little_);
    PutU32(body, static_cast<uint32_t>(captured), little_);
    PutU32(body, static_cast<uint32_t>(frame.size()), little_);
    body.insert(body.end(), frame.begin(), frame.begin() + static_cast<ptrdiff_t>(captured));
    PadTo4(body);
    Option(body, 1, Text("comment"));  // opt_comment after the data: skipped
    Option(body, 0, {});
    Block(6, body);
  }
  void Simple(const Bytes& frame) {
    Bytes body;
    PutU32(body, static_cast<uint32_t>(frame.size()), little_);
    PutBytes(body, frame);
    PadTo4(body);
    Block(3, body);
  }
  void Block(uint32_t type, Bytes body) {
    PadTo4(body);
    const auto length = static_cast<uint32_t>(12 + body.size());
    PutU32(bytes_, type, little_);
    PutU32(bytes_, length, little_);
    PutBytes(bytes_, body);
    PutU32(bytes_, length, little_);
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  void Option(Bytes& body, uint16_t code, const Bytes& value) {
    PutU16(body, code, little_);
    PutU16(body, static_cast<uint16_t>(value.size()), little_);
    PutBytes(body, value);
    PadTo4(body);
  }

  bool little_;
  Bytes bytes_;
};

// Writes `bytes` to a temp file named after the running test and reads it back with ReadPcap.
absl::StatusOr<PcapCapture> ReadViaFile(const Bytes& bytes) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            (std::string("ribflow_pcap_") +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                               .string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  auto capture = ReadPcap(path);
  std::filesystem::remove(path);
  return capture;
}

Bytes UdpFrame(const char* payload, uint16_t dst_port = 2055) {
  return Ethernet(kIpv4Type, Ipv4("192.0.2.1", "192.0.2.2", kIpProtocolUdp,
                                  Udp(5000, dst_port, Text(payload))));
}

// ---------------------------------------------------------------------------------------------
// File formats.

TEST(PcapReaderTest, ClassicPcapInBothByteOrdersAndResolutionsGivesExactTimestamps) {
  for (bool little : {true, false}) {
    for (bool nanoseconds : {false, true}) {
      SCOPED_TRACE(testing::Message() << "little=" << little << " ns=" << nanoseconds);
      PcapWriter writer(kEthernet, little, nanoseconds);
      writer.Add(UdpFrame("hello"), 1'700'000'000, nanoseconds ? 123'456'789 : 123'456);
      auto capture = ReadViaFile(writer.bytes());
      ASSERT_TRUE(capture.ok()) << capture.status();
      EXPECT_EQ(capture->format,
                nanoseconds ? PcapFormat::kPcapNanoseconds : PcapFormat::kPcapMicroseconds);
      EXPECT_EQ(capture->link_types, std::vector<uint32_t>{kEthernet});
      ASSERT_EQ(capture->packets.size(), 1u);
      EXPECT_TRUE(capture->skipped.empty());
      const Packet& p = capture->packets[0];
      EXPECT_EQ(p.frame_number, 1u);
      EXPECT_EQ(p.file_offset, 24u);
      EXPECT_EQ(p.timestamp_ns,
                nanoseconds ? 1'700'000'000'123'456'789 : 1'700'000'000'123'456'000);
      EXPECT_EQ(p.src, Ip("192.0.2.1"));
      EXPECT_EQ(p.dst, Ip("192.0.2.2"));
      EXPECT_EQ(p.src_port, 5000);
      EXPECT_EQ(p.dst_port, 2055);
      EXPECT_EQ(p.protocol, kIpProtocolUdp);
      EXPECT_EQ(AsText(p.payload), "hello");
      EXPECT_FALSE(p.truncated());
    }
  }
}

TEST(PcapReaderTest, PcapngUsesEachInterfacesLinkTypeTimestampResolutionAndOffset) {
  PcapngWriter writer;
  writer.Interface(kEthernet);                               // microseconds by default
  writer.Block(4, Bytes(8, 0));                              // name resolution: skipped
  writer.Interface(kRawIpv4, 0, 9);                          // nanoseconds
  writer.Interface(kRawIp, 0, 0x80 | 20, /*tsoffset=*/100);  // 2^-20 s, +100 s
  writer.Block(0x0bad, Text("custom block"));                // skipped
  writer.Enhanced(0, 1'700'000'000'123'456, UdpFrame("first"));
  writer.Enhanced(1, 1'700'000'000'123'456'789,
                  Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, Udp(1, 2, Text("second"))));
  writer.Enhanced(2, (uint64_t{3} << 20) + (uint64_t{1} << 19),
                  Ipv6("2001:db8::1", "2001:db8::2", kIpProtocolUdp, Udp(3, 4, Text("third"))));
  writer.Simple(UdpFrame("fourth"));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  EXPECT_EQ(capture->format, PcapFormat::kPcapng);
  EXPECT_EQ(capture->link_types, (std::vector<uint32_t>{kEthernet, kRawIpv4, kRawIp}));
  ASSERT_EQ(capture->packets.size(), 4u);
  EXPECT_TRUE(capture->skipped.empty());
  const auto& packets = capture->packets;
  EXPECT_EQ(AsText(packets[0].payload), "first");
  EXPECT_EQ(packets[0].timestamp_ns, 1'700'000'000'123'456'000);
  EXPECT_EQ(AsText(packets[1].payload), "second");
  EXPECT_EQ(packets[1].timestamp_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(AsText(packets[2].payload), "third");
  EXPECT_EQ(packets[2].src, Ip("2001:db8::1"));
  EXPECT_EQ(packets[2].timestamp_ns, 103'500'000'000);  // 3.5 s in 2^-20 ticks, plus 100 s
  EXPECT_EQ(AsText(packets[3].payload), "fourth");      // simple packet: interface 0, Ethernet
  EXPECT_EQ(packets[3].timestamp_ns, 0);
  for (size_t i = 0; i < packets.size(); ++i) EXPECT_EQ(packets[i].frame_number, i + 1);
}

TEST(PcapReaderTest, PcapngNewSectionMayChangeByteOrderAndStartsNewInterfaces) {
  PcapngWriter little(true);
  little.Interface(kEthernet);
  little.Enhanced(0, 1, UdpFrame("little"));
  PcapngWriter big(false);
  big.Interface(kRawIpv6);  // interface 0 of the second section: raw IPv6, not Ethernet
  big.Enhanced(0, 2, Ipv6("2001:db8::1", "2001:db8::2", kIpProtocolUdp, Udp(1, 2, Text("big"))));
  Bytes file = little.bytes();
  PutBytes(file, big.bytes());
  auto capture = ReadViaFile(file);
  ASSERT_TRUE(capture.ok()) << capture.status();
  EXPECT_EQ(capture->link_types, (std::vector<uint32_t>{kEthernet, kRawIpv6}));
  ASSERT_EQ(capture->packets.size(), 2u);
  EXPECT_EQ(AsText(capture->packets[0].payload), "little");
  EXPECT_EQ(AsText(capture->packets[1].payload), "big");
  EXPECT_EQ(capture->packets[1].timestamp_ns, 2'000);
  EXPECT_EQ(capture->packets[1].file_offset, little.bytes().size() + 28 + 32);  // SHB, IDB
}

// ---------------------------------------------------------------------------------------------
// Link types.

TEST(PcapReaderTest, EthernetVlanAndQinqTagsAreSkippedToTheIpHeader) {
  const Bytes ip = Ipv4("192.0.2.1", "192.0.2.2", kIpProtocolUdp, Udp(1, 6343, Text("tagged")));
  PcapWriter writer(kEthernet);
  writer.Add(Ethernet(kIpv4Type, ip, {0x8100}));
  writer.Add(Ethernet(kIpv4Type, ip, {0x88a8, 0x8100}));
  writer.Add(Ethernet(kIpv4Type, ip, {0x9100, 0x8100, 0x8100}));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 3u);
  for (const Packet& p : capture->packets) {
    EXPECT_EQ(p.dst_port, 6343);
    EXPECT_EQ(AsText(p.payload), "tagged");
  }
}

TEST(PcapReaderTest, LinuxCookedSllAndSll2CarryTheEthertype) {
  PcapWriter sll(113);
  sll.Add(LinuxSll(kIpv4Type, Ipv4("192.0.2.1", "192.0.2.2", kIpProtocolTcp,
                                   Tcp(20, 1790, 1, 0x18, Text("sll")))));
  sll.Add(LinuxSll(0x8100, Bytes{0x00, 0x64, 0x86, 0xdd}));  // VLAN tag, then an IPv6 header cut
  PcapWriter sll2(276);
  sll2.Add(LinuxSll2(
      kIpv6Type, Ipv6("2001:db8::1", "2001:db8::2", kIpProtocolUdp, Udp(1, 4739, Text("sll2")))));
  auto first = ReadViaFile(sll.bytes());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->packets.size(), 1u);
  EXPECT_EQ(first->packets[0].dst_port, 1790);
  EXPECT_EQ(AsText(first->packets[0].payload), "sll");
  ASSERT_EQ(first->skipped.size(), 1u);
  EXPECT_EQ(first->skipped[0].reason, SkipReason::kMalformed);  // not cut: short on the wire
  auto second = ReadViaFile(sll2.bytes());
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->packets.size(), 1u);
  EXPECT_EQ(second->packets[0].src, Ip("2001:db8::1"));
  EXPECT_EQ(AsText(second->packets[0].payload), "sll2");
}

TEST(PcapReaderTest, RawIpLinkTypesTakeTheVersionFromTheLinkTypeOrTheHeader) {
  const Bytes v4 = Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, Udp(1, 2, Text("v4")));
  const Bytes v6 = Ipv6("2001:db8::1", "2001:db8::2", kIpProtocolUdp, Udp(1, 2, Text("v6")));
  PcapWriter raw(kRawIp);
  raw.Add(v4).Add(v6).Add(Bytes{0x50, 0, 0, 0});  // version 5: not IP on an IP-only link
  auto capture = ReadViaFile(raw.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 2u);
  EXPECT_EQ(AsText(capture->packets[0].payload), "v4");
  EXPECT_EQ(AsText(capture->packets[1].payload), "v6");
  ASSERT_EQ(capture->skipped.size(), 1u);
  EXPECT_EQ(capture->skipped[0].reason, SkipReason::kMalformed);
  EXPECT_EQ(capture->skipped[0].frame_number, 3u);

  auto only_v4 = ReadViaFile(PcapWriter(kRawIpv4).Add(v4).Add(v6).bytes());
  ASSERT_TRUE(only_v4.ok());
  EXPECT_EQ(only_v4->packets.size(), 1u);  // the IPv6 header is malformed as IPv4
  auto only_v6 = ReadViaFile(PcapWriter(kRawIpv6).Add(v6).bytes());
  ASSERT_TRUE(only_v6.ok());
  ASSERT_EQ(only_v6->packets.size(), 1u);
  EXPECT_EQ(AsText(only_v6->packets[0].payload), "v6");
}

TEST(PcapReaderTest, NullLoopbackFamilyIsReadInTheCapturesByteOrderOrSwappedWhenRewritten) {
  const Bytes v4 = Ipv4("127.0.0.1", "127.0.0.2", kIpProtocolUdp, Udp(1, 2, Text("v4")));
  const Bytes v6 = Ipv6("::1", "::2", kIpProtocolUdp, Udp(1, 2, Text("v6")));
  PcapWriter little(0, /*little_endian=*/true);
  little.Add(BsdNull(2, true, v4));
  little.Add(BsdNull(30, true, v6));   // Darwin AF_INET6
  little.Add(BsdNull(2, false, v4));   // written on a big-endian host, file rewritten since
  little.Add(BsdNull(24, false, v6));  // NetBSD/OpenBSD AF_INET6, likewise
  little.Add(BsdNull(7, true, v4));    // no IP family
  auto capture = ReadViaFile(little.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 4u);
  EXPECT_EQ(AsText(capture->packets[0].payload), "v4");
  EXPECT_EQ(AsText(capture->packets[1].payload), "v6");
  EXPECT_EQ(AsText(capture->packets[2].payload), "v4");
  EXPECT_EQ(AsText(capture->packets[3].payload), "v6");
  ASSERT_EQ(capture->skipped.size(), 1u);
  EXPECT_EQ(capture->skipped[0].reason, SkipReason::kNotIp);

  PcapWriter big(0, /*little_endian=*/false);
  big.Add(BsdNull(28, false, v6));  // FreeBSD AF_INET6
  PcapWriter loop(108, /*little_endian=*/true);
  loop.Add(BsdNull(10, false, v6));  // LOOP: network order whatever the file's order
  for (const Bytes& file : {big.bytes(), loop.bytes()}) {
    auto one = ReadViaFile(file);
    ASSERT_TRUE(one.ok()) << one.status();
    ASSERT_EQ(one->packets.size(), 1u);
    EXPECT_EQ(AsText(one->packets[0].payload), "v6");
  }
}

TEST(PcapReaderTest, CiscoHdlcAndMplsLabelStacksReachTheIpHeader) {
  const Bytes v4 =
      Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolTcp, Tcp(179, 50000, 7, 0x18, Text("bgp")));
  const Bytes v6 =
      Ipv6("2001:db8::1", "2001:db8::2", kIpProtocolTcp, Tcp(50000, 179, 9, 0x18, Text("bgp6")));
  PcapWriter hdlc(104);
  hdlc.Add(CiscoHdlc(kIpv4Type, v4));
  hdlc.Add(CiscoHdlc(0x8847, Mpls({16, 3}, v4)));
  PcapWriter ethernet(kEthernet);
  ethernet.Add(Ethernet(0x8847, Mpls({2}, v6)));  // IPv6 explicit null
  ethernet.Add(Ethernet(0x8847, Mpls({100}, Bytes{0, 0, 0, 0, 0x02, 0, 0, 0})));  // pseudowire
  auto via_hdlc = ReadViaFile(hdlc.bytes());
  ASSERT_TRUE(via_hdlc.ok()) << via_hdlc.status();
  ASSERT_EQ(via_hdlc->packets.size(), 2u);
  for (const Packet& p : via_hdlc->packets) {
    EXPECT_EQ(p.src_port, 179);
    EXPECT_EQ(AsText(p.payload), "bgp");
  }
  auto via_ethernet = ReadViaFile(ethernet.bytes());
  ASSERT_TRUE(via_ethernet.ok()) << via_ethernet.status();
  ASSERT_EQ(via_ethernet->packets.size(), 1u);
  EXPECT_EQ(AsText(via_ethernet->packets[0].payload), "bgp6");
  ASSERT_EQ(via_ethernet->skipped.size(), 1u);
  EXPECT_EQ(via_ethernet->skipped[0].reason, SkipReason::kNotIp);
}

TEST(PcapReaderTest, NonIpFramesAndUnsupportedLinkTypesAreReportedWithTheirPosition) {
  PcapWriter writer(kEthernet);
  writer.Add(UdpFrame("one")).Add(Ethernet(0x0806, Bytes(28, 0))).Add(UdpFrame("three"));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 2u);
  EXPECT_EQ(capture->packets[0].frame_number, 1u);
  EXPECT_EQ(capture->packets[1].frame_number, 3u);
  ASSERT_EQ(capture->skipped.size(), 1u);
  EXPECT_EQ(capture->skipped[0].frame_number, 2u);
  EXPECT_EQ(capture->skipped[0].file_offset, 24u + 16 + UdpFrame("one").size());
  EXPECT_EQ(capture->skipped[0].reason, SkipReason::kNotIp);
  EXPECT_EQ(SkipReasonName(SkipReason::kNotIp), "not IP");

  auto radiotap = ReadViaFile(PcapWriter(127).Add(Bytes(40, 0)).bytes());
  ASSERT_TRUE(radiotap.ok()) << radiotap.status();
  EXPECT_TRUE(radiotap->packets.empty());
  ASSERT_EQ(radiotap->skipped.size(), 1u);
  EXPECT_EQ(radiotap->skipped[0].reason, SkipReason::kUnsupportedLinkType);
}

// ---------------------------------------------------------------------------------------------
// IP and transport layers.

TEST(PcapReaderTest, Ipv4OptionsAreSkipped) {
  PcapWriter writer(kRawIpv4);
  writer.Add(Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, Udp(1, 2, Text("after options")),
                  {.flags_and_fragment_offset = 0,
                   .options = {0x01, 0x01, 0x01, 0x00},
                   .total_length = std::nullopt}));  // NOP NOP NOP EOL
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 1u);
  EXPECT_EQ(capture->packets[0].dst_port, 2);
  EXPECT_EQ(AsText(capture->packets[0].payload), "after options");
}

TEST(PcapReaderTest, Ipv4FirstFragmentIsMarkedTruncatedAndLaterFragmentsAreSkipped) {
  // A 108-byte UDP datagram in two fragments: 48 bytes (header + 40), then 60 at offset 48.
  const Bytes payload = Text(std::string(100, 'x'));
  Bytes first_part = Udp(5000, 2055, payload);
  const Bytes second_part(first_part.begin() + 48, first_part.end());
  first_part.resize(48);
  PcapWriter writer(kRawIpv4);
  writer.Add(
      Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, first_part,
           {.flags_and_fragment_offset = 0x2000, .options = {}, .total_length = std::nullopt}));
  writer.Add(
      Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, second_part,
           {.flags_and_fragment_offset = 48 / 8, .options = {}, .total_length = std::nullopt}));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 1u);
  const Packet& p = capture->packets[0];
  EXPECT_TRUE(p.more_fragments);
  EXPECT_TRUE(p.truncated());
  EXPECT_EQ(p.payload.size(), 40u);
  EXPECT_EQ(p.declared_payload_length, 100u);
  ASSERT_EQ(capture->skipped.size(), 1u);
  EXPECT_EQ(capture->skipped[0].frame_number, 2u);
  EXPECT_EQ(capture->skipped[0].reason, SkipReason::kNonFirstFragment);
}

TEST(PcapReaderTest, Ipv6ExtensionHeadersAreSkippedToTheTransport) {
  Bytes chain = Ipv6Extension(43, 8);                 // hop-by-hop -> routing
  PutBytes(chain, Ipv6Extension(44, 24));             // routing -> fragment
  PutBytes(chain, Ipv6FragmentHeader(60, 0, false));  // an atomic fragment -> destination options
  PutBytes(chain, Ipv6Extension(kIpProtocolTcp, 16));
  PutBytes(chain, Tcp(40000, 1790, 1, 0x18, Text("behind extensions")));
  PcapWriter writer(kEthernet);
  writer.Add(Ethernet(kIpv6Type, Ipv6("2001:db8::1", "2001:db8::2", 0, chain)));
  Bytes later_fragment = Ipv6FragmentHeader(kIpProtocolUdp, 6, false);
  PutBytes(later_fragment, Bytes(16, 'y'));
  writer.Add(Ethernet(kIpv6Type, Ipv6("2001:db8::1", "2001:db8::2", 44, later_fragment)));
  Bytes srv6 = Ipv6Extension(41, 24);  // routing header, then an inner IPv6 packet
  PutBytes(srv6, Ipv6("2001:db8::a", "2001:db8::b", 59, {}));
  writer.Add(Ethernet(kIpv6Type, Ipv6("2001:db8::1", "2001:db8::2", 43, srv6)));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 2u);
  const Packet& tcp = capture->packets[0];
  EXPECT_EQ(tcp.protocol, kIpProtocolTcp);
  EXPECT_EQ(tcp.src_port, 40000);
  EXPECT_EQ(tcp.dst_port, 1790);
  EXPECT_FALSE(tcp.more_fragments);
  EXPECT_EQ(AsText(tcp.payload), "behind extensions");
  const Packet& tunnel = capture->packets[1];  // not opened: IPv6 in IPv6 stays protocol 41
  EXPECT_EQ(tunnel.protocol, 41);
  EXPECT_EQ(tunnel.payload.size(), 40u);
  ASSERT_EQ(capture->skipped.size(), 1u);
  EXPECT_EQ(capture->skipped[0].reason, SkipReason::kNonFirstFragment);
}

TEST(PcapReaderTest, SnapshotLengthCutPayloadIsKeptAndMarkedTruncated) {
  const Bytes frame = UdpFrame(std::string(200, 'p').c_str());
  const size_t headers = 14 + 20 + 8;
  PcapWriter writer(kEthernet);
  writer.Add(frame, 1, 0, /*keep=*/headers + 58);
  writer.Add(frame, 1, 0, /*keep=*/14 + 10);  // inside the IPv4 header
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 1u);
  EXPECT_TRUE(capture->packets[0].truncated());
  EXPECT_EQ(capture->packets[0].payload.size(), 58u);
  EXPECT_EQ(capture->packets[0].declared_payload_length, 200u);
  ASSERT_EQ(capture->skipped.size(), 1u);
  EXPECT_EQ(capture->skipped[0].reason, SkipReason::kHeadersCut);
}

TEST(PcapReaderTest, EthernetPaddingAndFrameCheckSequenceAreNotPayload) {
  Bytes frame = UdpFrame("hi");
  frame.resize(60, 0);                             // minimum frame size
  PutBytes(frame, Bytes{0xde, 0xad, 0xbe, 0xef});  // FCS kept by the capture
  Bytes tcp_frame =
      Ethernet(kIpv4Type, Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolTcp, Tcp(1, 2, 0, 0x10, {})));
  tcp_frame.resize(60, 0);
  auto capture = ReadViaFile(PcapWriter(kEthernet).Add(frame).Add(tcp_frame).bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->packets.size(), 2u);
  EXPECT_EQ(AsText(capture->packets[0].payload), "hi");
  EXPECT_TRUE(capture->packets[1].payload.empty());  // a bare ACK, 6 bytes of padding
}

TEST(PcapReaderTest, InconsistentLengthsAreMalformedNotCut) {
  PcapWriter writer(kRawIpv4);
  writer.Add(Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, Udp(1, 2, Text("x"), /*length=*/4)));
  writer.Add(Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, Udp(1, 2, Text("x"), /*length=*/90)));
  writer.Add(Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolUdp, Udp(1, 2, Text("x")),
                  {.flags_and_fragment_offset = 0,
                   .options = {},
                   .total_length = 12}));  // shorter than its own header
  Bytes bad_offset = Tcp(1, 2, 0, 0x10, Text("data"));
  bad_offset[12] = 0x20;  // data offset 8 bytes
  writer.Add(Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolTcp, bad_offset));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  EXPECT_TRUE(capture->packets.empty());
  ASSERT_EQ(capture->skipped.size(), 4u);
  for (const SkippedFrame& s : capture->skipped) EXPECT_EQ(s.reason, SkipReason::kMalformed);
}

TEST(PcapReaderTest, UdpDatagramsKeepCaptureOrderAndFilterByDestinationPort) {
  PcapWriter writer(kEthernet);
  writer.Add(UdpFrame("a", 2055));
  writer.Add(Ethernet(kIpv4Type, Ipv4("192.0.2.1", "192.0.2.2", kIpProtocolTcp,
                                      Tcp(5000, 2055, 0, 0x18, Text("tcp")))));
  writer.Add(UdpFrame("b", 6343));
  writer.Add(UdpFrame("c", 2055));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  std::vector<std::string> to_2055, all;
  for (const Packet& p : UdpDatagrams(capture->packets, 2055)) to_2055.push_back(AsText(p.payload));
  for (const Packet& p : UdpDatagrams(capture->packets)) all.push_back(AsText(p.payload));
  EXPECT_EQ(to_2055, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(PcapReaderTest, CopiesOfACaptureKeepTheirPayloadsValid) {
  std::optional<PcapCapture> copy;
  {
    auto capture = ReadViaFile(PcapWriter(kEthernet).Add(UdpFrame("kept")).bytes());
    ASSERT_TRUE(capture.ok()) << capture.status();
    copy = *capture;
  }
  ASSERT_EQ(copy->packets.size(), 1u);
  EXPECT_EQ(AsText(copy->packets[0].payload), "kept");  // ASan would flag a dangling view
}

// ---------------------------------------------------------------------------------------------
// TCP reassembly. Segments travel over raw IPv4 from 10.0.0.1:40000 to 10.0.0.2:1790.

Bytes ClientSegment(uint32_t sequence, const char* payload, uint8_t flags = 0x18) {
  return Ipv4("10.0.0.1", "10.0.0.2", kIpProtocolTcp,
              Tcp(40000, 1790, sequence, flags, Text(payload)));
}
Bytes ServerSegment(uint32_t sequence, const char* payload, uint8_t flags = 0x18) {
  return Ipv4("10.0.0.2", "10.0.0.1", kIpProtocolTcp,
              Tcp(1790, 40000, sequence, flags, Text(payload)));
}

absl::StatusOr<PcapCapture> CaptureOf(const std::vector<Bytes>& frames) {
  PcapWriter writer(kRawIpv4);
  for (const Bytes& frame : frames) writer.Add(frame);
  return ReadViaFile(writer.bytes());
}

TEST(PcapReaderTest, TcpStreamReassemblesOutOfOrderRetransmittedAndOverlappingSegments) {
  auto capture = CaptureOf({
      ClientSegment(999, "", kTcpFlagSyn),  // data starts at 1000
      ServerSegment(5000, "", kTcpFlagSyn | kTcpFlagAck),
      ClientSegment(1010, "ABCDE"),  // ahead of its turn
      ClientSegment(1000, "01234"),
      ClientSegment(1000, "01234"),  // retransmitted
      ServerSegment(5001, "OK"),
      ClientSegment(1003, "3456789AB"),  // overlaps both neighbours
      ClientSegment(1015, "FGHIJ"),
      ClientSegment(1012, "CDEFGH"),
      ClientSegment(1020, "", kTcpFlagFin | kTcpFlagAck),
  });
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets, 1790);
  ASSERT_EQ(streams.size(), 1u);
  const TcpStream& s = streams[0];
  EXPECT_EQ(s.key.ToString(), "10.0.0.1:40000 -> 10.0.0.2:1790");
  EXPECT_EQ(AsText(s.bytes), "0123456789ABCDEFGHIJ");
  EXPECT_TRUE(s.starts_at_syn);
  EXPECT_FALSE(s.syn_payload_at_isn);
  EXPECT_FALSE(s.gap.has_value());
  EXPECT_EQ(s.segments, 6u);
  EXPECT_EQ(s.first_frame_number, 1u);
  // 5 (duplicate) + 2 + 2 + 3 + 3 overlapping bytes, all equal to the bytes kept.
  EXPECT_EQ(s.retransmitted_bytes, 15u);
  EXPECT_EQ(s.conflicting_bytes, 0u);

  const auto both = TcpStreams(capture->packets);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].key, s.key);
  EXPECT_EQ(both[1].key.ToString(), "10.0.0.2:1790 -> 10.0.0.1:40000");
  EXPECT_EQ(AsText(both[1].bytes), "OK");
}

TEST(PcapReaderTest, TcpStreamStopsAtAGapAndReportsIt) {
  auto capture = CaptureOf({
      ClientSegment(5000, "aaaa"),
      ClientSegment(5004, "bbbb"),
      ClientSegment(5012, "dddd"),  // 5008..5011 never captured
      ClientSegment(5016, "eeee"),
  });
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets, 1790);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(AsText(streams[0].bytes), "aaaabbbb");
  EXPECT_FALSE(streams[0].starts_at_syn);
  ASSERT_TRUE(streams[0].gap.has_value());
  EXPECT_EQ(streams[0].gap->stream_offset, 8u);
  EXPECT_EQ(streams[0].gap->missing_bytes, 4u);
  EXPECT_EQ(streams[0].gap->bytes_after_gap, 8u);
}

TEST(PcapReaderTest, TcpOverlapThatDisagreesKeepsTheEarlierSegmentAndCountsTheConflict) {
  auto capture = CaptureOf({ClientSegment(100, "hello"), ClientSegment(102, "XYZW!")});
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(AsText(streams[0].bytes), "helloW!");
  EXPECT_EQ(streams[0].retransmitted_bytes, 3u);
  EXPECT_EQ(streams[0].conflicting_bytes, 3u);
}

TEST(PcapReaderTest, TcpSynPayloadStartsOneAfterTheInitialSequenceNumber) {
  auto capture = CaptureOf({ClientSegment(100, "abc", kTcpFlagSyn), ClientSegment(104, "def")});
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(AsText(streams[0].bytes), "abcdef");
  EXPECT_TRUE(streams[0].starts_at_syn);
  EXPECT_FALSE(streams[0].syn_payload_at_isn);
  EXPECT_EQ(streams[0].retransmitted_bytes, 0u);
}

// The pmacct BMP captures: the SYN's payload sits at the SYN's own sequence number.
TEST(PcapReaderTest, TcpSynPayloadWrittenAtTheInitialSequenceNumberIsDetected) {
  auto capture = CaptureOf(
      {ClientSegment(1, "abc", kTcpFlagSyn), ClientSegment(4, "def"), ClientSegment(7, "ghi")});
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(AsText(streams[0].bytes), "abcdefghi");
  EXPECT_TRUE(streams[0].syn_payload_at_isn);
  EXPECT_EQ(streams[0].retransmitted_bytes, 0u);
  EXPECT_EQ(streams[0].conflicting_bytes, 0u);
}

TEST(PcapReaderTest, TcpCaptureStartingMidStreamBeginsAtTheLowestSequenceSeen) {
  auto capture =
      CaptureOf({ClientSegment(2000, "cd"), ClientSegment(1998, "ab"), ClientSegment(2002, "ef")});
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(AsText(streams[0].bytes), "abcdef");
  EXPECT_FALSE(streams[0].starts_at_syn);
  EXPECT_FALSE(streams[0].gap.has_value());
}

TEST(PcapReaderTest, TcpSequenceNumbersWrapAroundWithinAStream) {
  auto capture = CaptureOf({ClientSegment(0xfffffffb, "", kTcpFlagSyn),
                            ClientSegment(0, "efgh"),  // after the wrap, captured first
                            ClientSegment(0xfffffffc, "abcd")});
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(AsText(streams[0].bytes), "abcdefgh");
  EXPECT_FALSE(streams[0].gap.has_value());
}

TEST(PcapReaderTest, TcpNewSynOnTheSameFourTupleStartsANewStreamAndRstPayloadIsNotData) {
  auto capture = CaptureOf({
      ClientSegment(10, "", kTcpFlagSyn),
      ClientSegment(10, "", kTcpFlagSyn),  // retransmitted SYN: the same connection
      ClientSegment(11, "one"),
      ClientSegment(14, "reset text", kTcpFlagRst | kTcpFlagAck),
      ClientSegment(5000, "", kTcpFlagSyn),  // the router reconnects from the same port
      ClientSegment(5001, "two"),
  });
  ASSERT_TRUE(capture.ok()) << capture.status();
  const auto streams = TcpStreams(capture->packets, 1790);
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(AsText(streams[0].bytes), "one");
  EXPECT_EQ(AsText(streams[1].bytes), "two");
  EXPECT_EQ(streams[1].first_frame_number, 5u);
  EXPECT_TRUE(streams[0].starts_at_syn && streams[1].starts_at_syn);
  EXPECT_FALSE(streams[0].gap.has_value() || streams[1].gap.has_value());
}

TEST(PcapReaderTest, TcpSegmentCutBySnapshotLengthEndsTheStreamAtAGap) {
  const Bytes cut = ClientSegment(100, "0123456789");
  PcapWriter writer(kRawIpv4);
  writer.Add(cut, 1, 0, /*keep=*/cut.size() - 6);  // 4 of the 10 payload bytes
  writer.Add(ClientSegment(110, "ABCD"));
  auto capture = ReadViaFile(writer.bytes());
  ASSERT_TRUE(capture.ok()) << capture.status();
  auto streams = TcpStreams(capture->packets);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(AsText(streams[0].bytes), "0123");
  ASSERT_TRUE(streams[0].gap.has_value());
  EXPECT_EQ(streams[0].gap->stream_offset, 4u);
  EXPECT_EQ(streams[0].gap->missing_bytes, 6u);
  EXPECT_EQ(streams[0].gap->bytes_after_gap, 4u);

  // Cut at the very end: nothing follows, the headers still say 6 bytes are missing.
  streams = TcpStreams(std::span(capture->packets).first(1));
  ASSERT_EQ(streams.size(), 1u);
  ASSERT_TRUE(streams[0].gap.has_value());
  EXPECT_EQ(streams[0].gap->missing_bytes, 6u);
  EXPECT_EQ(streams[0].gap->bytes_after_gap, 0u);
}

// ---------------------------------------------------------------------------------------------
// Errors, truncation, garbage.

TEST(PcapReaderTest, FilesThatAreNotCapturesAreInvalidArgumentAndMissingOnesNotFound) {
  EXPECT_EQ(ReadViaFile(Text("hello, world\n")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadViaFile(Bytes{0xd4, 0xc3}).status().code(), absl::StatusCode::kInvalidArgument);
  Bytes version_1 = PcapWriter(kEthernet).bytes();
  version_1[4] = 1;
  EXPECT_EQ(ReadViaFile(version_1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadPcap("/nonexistent/capture.pcap").status().code(), absl::StatusCode::kNotFound);
}

TEST(PcapReaderTest, RecordRunningPastTheEndIsDataLossNamingFileAndOffset) {
  Bytes file = PcapWriter(kEthernet).Add(UdpFrame("one")).Add(UdpFrame("two")).bytes();
  const size_t second_record = 24 + 16 + UdpFrame("one").size();
  file[second_record + 8] += 1;  // captured length, little-endian low byte: one byte too many
  auto capture = ReadViaFile(file);
  ASSERT_FALSE(capture.ok());
  EXPECT_EQ(capture.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(capture.status().message().find("ribflow_pcap_"), std::string::npos)
      << capture.status();
  EXPECT_NE(capture.status().message().find(absl::StrCat("offset ", second_record)),
            std::string::npos)
      << capture.status();
}

TEST(PcapReaderTest, PcapngFramingErrorsNameTheBlockOffset) {
  PcapngWriter base;
  base.Interface(kEthernet);
  const size_t packet_block = base.bytes().size();
  base.Enhanced(0, 1, UdpFrame("x"));

  Bytes trailing_mismatch = base.bytes();
  trailing_mismatch[trailing_mismatch.size() - 4] ^= 4;
  Bytes bad_length = base.bytes();
  bad_length[packet_block + 4] += 2;  // not a multiple of 4
  Bytes past_end = base.bytes();
  past_end[packet_block + 5] = 1;  // +256 bytes
  PcapngWriter unknown_interface;
  unknown_interface.Interface(kEthernet);
  unknown_interface.Enhanced(1, 1, UdpFrame("x"));
  PcapngWriter simple_first;
  simple_first.Simple(UdpFrame("x"));
  const std::vector<std::pair<Bytes, size_t>> broken = {
      {trailing_mismatch, packet_block}, {bad_length, packet_block},
      {past_end, packet_block},          {unknown_interface.bytes(), packet_block},
      {simple_first.bytes(), 28},  // right after the section header
  };
  for (const auto& [file, offset] : broken) {
    auto capture = ReadPcapBytes(file);
    ASSERT_FALSE(capture.ok());
    EXPECT_EQ(capture.status().code(), absl::StatusCode::kDataLoss) << capture.status();
    EXPECT_NE(capture.status().message().find(absl::StrCat("offset ", offset)), std::string::npos)
        << capture.status();
  }
  Bytes bad_magic = base.bytes();
  bad_magic[8] = 0x77;
  EXPECT_EQ(ReadPcapBytes(bad_magic).status().code(), absl::StatusCode::kInvalidArgument);
}

// Every prefix of a valid file either fails or yields exactly the frames whose records it
// holds whole: a file cut between records is a shorter capture, one cut inside a record is an
// error, and nothing is read past the cut (ASan checks that part).
void ExpectEveryPrefixIsAnErrorOrAShorterCapture(const Bytes& file,
                                                 const std::set<size_t>& record_ends) {
  auto full = ReadPcapBytes(file);
  ASSERT_TRUE(full.ok()) << full.status();
  for (size_t length = 0; length < file.size(); ++length) {
    SCOPED_TRACE(testing::Message() << "cut at " << length);
    const Bytes prefix(file.begin(), file.begin() + static_cast<ptrdiff_t>(length));
    auto cut = ReadPcapBytes(prefix);
    ASSERT_EQ(cut.ok(), record_ends.contains(length)) << cut.status();
    if (!cut.ok()) continue;
    const size_t frames = cut->packets.size() + cut->skipped.size();
    ASSERT_LE(frames, full->packets.size() + full->skipped.size());
    ASSERT_LE(cut->packets.size(), full->packets.size());
    for (size_t i = 0; i < cut->packets.size(); ++i) {
      EXPECT_EQ(cut->packets[i].frame_number, full->packets[i].frame_number);
      EXPECT_EQ(AsText(cut->packets[i].payload), AsText(full->packets[i].payload));
    }
    TcpStreams(cut->packets);
  }
}

std::vector<Bytes> MixedFrames() {
  return {UdpFrame("udp"), Ethernet(kIpv4Type, ClientSegment(1, "", kTcpFlagSyn)),
          Ethernet(kIpv4Type, ClientSegment(2, "stream")),
          Ethernet(kIpv6Type, Ipv6("2001:db8::1", "2001:db8::2", 0,
                                   [] {
                                     Bytes b = Ipv6Extension(kIpProtocolUdp, 8);
                                     PutBytes(b, Udp(1, 2, Text("v6")));
                                     return b;
                                   }())),
          Ethernet(0x0806, Bytes(28, 0))};
}

TEST(PcapReaderTest, ClassicPcapCutAtEveryByteIsAnErrorOrAShorterCapture) {
  PcapWriter writer(kEthernet);
  std::set<size_t> record_ends = {24};
  for (const Bytes& frame : MixedFrames()) {
    writer.Add(frame);
    record_ends.insert(writer.bytes().size());
  }
  ExpectEveryPrefixIsAnErrorOrAShorterCapture(writer.bytes(), record_ends);
}

TEST(PcapReaderTest, PcapngCutAtEveryByteIsAnErrorOrAShorterCapture) {
  PcapngWriter writer;
  std::set<size_t> block_ends = {writer.bytes().size()};
  writer.Interface(kEthernet, 0, 9, 5);
  block_ends.insert(writer.bytes().size());
  for (const Bytes& frame : MixedFrames()) {
    writer.Enhanced(0, 42, frame);
    block_ends.insert(writer.bytes().size());
  }
  writer.Simple(UdpFrame("simple"));
  block_ends.insert(writer.bytes().size());
  writer.Block(0x0bad, Text("custom"));
  ExpectEveryPrefixIsAnErrorOrAShorterCapture(writer.bytes(), block_ends);
}

// Garbage: every byte of valid files replaced by values that break lengths and types. Whatever
// parses must only view bytes of the input.
TEST(PcapReaderTest, CorruptingAnyByteNeverViewsOutsideTheInput) {
  PcapWriter classic(kEthernet);
  PcapngWriter pcapng(false);
  pcapng.Interface(kEthernet);
  for (const Bytes& frame : MixedFrames()) {
    classic.Add(frame);
    pcapng.Enhanced(0, 7, frame);
  }
  size_t parsed = 0;
  for (const Bytes& original : {classic.bytes(), pcapng.bytes()}) {
    for (size_t i = 0; i < original.size(); ++i) {
      for (uint8_t value : {uint8_t{0x00}, uint8_t{0xff}, static_cast<uint8_t>(original[i] ^ 0x80),
                            static_cast<uint8_t>(original[i] + 1)}) {
        Bytes file = original;
        file[i] = value;
        auto capture = ReadPcapBytes(file);
        if (!capture.ok()) continue;
        ++parsed;
        for (const Packet& p : capture->packets) {
          ASSERT_GE(p.payload.data(), file.data());
          ASSERT_LE(p.payload.data() + p.payload.size(), file.data() + file.size());
        }
        UdpDatagrams(capture->packets);
        TcpStreams(capture->packets);
      }
    }
  }
  EXPECT_GT(parsed, 0u);  // payload bytes changed: the files still parse
}

// ---------------------------------------------------------------------------------------------
// The real captures, against ANALYSIS.txt (tshark 4.0 over each file).

struct AnalysisEntry {
  uint64_t frames = 0;
  std::map<std::string, int> bmp;    // BMP message type -> messages
  std::map<std::string, int> cflow;  // "v9", "v10", ... -> datagrams
  int sflow_datagrams = 0;
};

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

template <typename Number>
bool ParseNumber(std::string_view text, Number* out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

// "RM:8 Stats:1" or "v5 dgrams:1 samples:5": the name:count pairs.
std::map<std::string, int> ParseCounts(std::string_view inside_brackets) {
  std::map<std::string, int> counts;
  for (std::string_view token : Split(inside_brackets, ' ')) {
    const size_t colon = token.find(':');
    int count = 0;
    if (colon == std::string_view::npos || !ParseNumber(token.substr(colon + 1), &count)) {
      continue;
    }
    counts[std::string(token.substr(0, colon))] = count;
  }
  return counts;
}

std::map<std::string, AnalysisEntry> ReadAnalysis(const std::string& path) {
  std::map<std::string, AnalysisEntry> entries;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string_view> fields = Split(line, '\t');
    AnalysisEntry& entry = entries[std::string(fields[0])];
    for (std::string_view field : fields) {
      auto bracketed = [&](std::string_view name) -> std::optional<std::string_view> {
        if (!field.starts_with(name) || !field.ends_with("]")) return std::nullopt;
        return field.substr(name.size(), field.size() - name.size() - 1);
      };
      if (field.starts_with("pkts=")) {
        EXPECT_TRUE(ParseNumber(field.substr(5), &entry.frames)) << line;
      } else if (auto bmp = bracketed("BMP[")) {
        entry.bmp = ParseCounts(*bmp);
      } else if (auto cflow = bracketed("cflow[")) {
        entry.cflow = ParseCounts(*cflow);
      } else if (auto sflow = bracketed("sflow[")) {
        entry.sflow_datagrams = ParseCounts(*sflow)["dgrams"];
      }
    }
  }
  return entries;
}

int Sum(const std::map<std::string, int>& counts) {
  int sum = 0;
  for (const auto& [name, count] : counts) sum += count;
  return sum;
}

// BMP messages (RFC 7854 common header: version 3, 4-byte length including the header, type)
// counted by type name as ANALYSIS.txt spells them. Returns how far the walk got.
size_t CountBmpMessages(std::span<const uint8_t> stream, std::map<std::string, int>* counts) {
  static constexpr const char* kTypeNames[] = {"RM",   "Stats", "PeerDown",      "PeerUp",
                                               "Init", "Term",  "RouteMirroring"};
  ByteReader r(stream);
  while (!r.empty()) {
    ByteReader header = r;
    uint8_t version = 0;
    uint32_t length = 0;
    uint8_t type = 0;
    if (!header.ReadU8(&version) || !header.ReadU32(&length) || !header.ReadU8(&type) ||
        version != 3 || length < 6 || type >= std::size(kTypeNames) || !r.Skip(length)) {
      break;
    }
    ++(*counts)[kTypeNames[type]];
  }
  return r.offset();
}

TEST(PcapReaderTest, RealCapturesLoadAndMatchTheirTsharkAnalysis) {
  const std::filesystem::path dir = RIBFLOW_SHARED_DATA "/captures";
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << dir << " is absent (../shared/data is not checked out beside the "
                 << "repository): the real-capture checks did not run";
  }
  const auto analysis = ReadAnalysis((dir / "ANALYSIS.txt").string());
  ASSERT_FALSE(analysis.empty()) << "no ANALYSIS.txt in " << dir;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const auto extension = entry.path().extension();
    if (extension == ".pcap" || extension == ".pcapng") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files.size(), analysis.size()) << "captures and ANALYSIS.txt lines differ";

  // Flow collector ports that ANALYSIS.txt decodes as NetFlow/IPFIX (its header), and sFlow.
  const std::set<uint16_t> kCflowPorts = {2055, 2057, 2100, 4739, 8096, 9990, 9991, 9992};
  constexpr uint16_t kSflowPort = 6343;
  // The one capture whose BMP stream ends inside a message (see below).
  const std::set<std::string> kEndsMidMessage = {
      "pmacct/tests__202-BMP-CISCO-HUAWEI-multiple-sources__traffic-02.pcap"};
  size_t bmp_files = 0;
  size_t flow_files = 0;
  for (const auto& file : files) {
    const std::string name = file.lexically_relative(dir).generic_string();
    SCOPED_TRACE(name);
    const auto it = analysis.find(name);
    ASSERT_NE(it, analysis.end()) << "no ANALYSIS.txt line";
    const AnalysisEntry& expected = it->second;
    auto capture = ReadPcap(file.string());
    ASSERT_TRUE(capture.ok()) << capture.status();
    EXPECT_EQ(capture->packets.size() + capture->skipped.size(), expected.frames);

    if (!expected.bmp.empty()) {
      ++bmp_files;
      std::map<std::string, int> found;
      size_t streams_seen = 0;
      size_t crafted_syn = 0;
      std::string cut_message;
      for (uint16_t port : {uint16_t{1790}, uint16_t{10179}}) {
        for (const TcpStream& stream : TcpStreams(capture->packets, port)) {
          SCOPED_TRACE(stream.key.ToString());
          ++streams_seen;
          EXPECT_FALSE(stream.gap.has_value()) << "gap at " << stream.gap->stream_offset;
          EXPECT_EQ(stream.conflicting_bytes, 0u);
          ASSERT_FALSE(stream.bytes.empty());
          EXPECT_EQ(stream.bytes[0], 3) << "not a BMP common header";
          const size_t whole = CountBmpMessages(stream.bytes, &found);
          if (kEndsMidMessage.contains(name)) {
            // Its last segment (complete on the wire, caplen == len) ends inside a message
            // announcing more bytes than follow: the generator stopped there. tshark counts
            // whole messages only, as the walk does.
            ByteReader tail(std::span(stream.bytes).subspan(whole));
            uint8_t version = 0;
            uint32_t length = 0;
            ASSERT_TRUE(tail.ReadU8(&version) && tail.ReadU32(&length));
            EXPECT_EQ(version, 3);
            EXPECT_GT(length, stream.bytes.size() - whole);
            cut_message = absl::StrCat(", ends inside a message: ", stream.bytes.size() - whole,
                                       " of its ", length, " bytes");
          } else {
            EXPECT_EQ(whole, stream.bytes.size())
                << "the walk over BMP lengths stopped before the end of the stream";
          }
          if (stream.syn_payload_at_isn) {
            ++crafted_syn;
            // Only pmacct's packet generator writes SYN payload at the initial sequence
            // number; a real TCP stack never does, so seeing it elsewhere would mean the
            // reader guessed wrong about a genuine capture.
            EXPECT_TRUE(name.starts_with("pmacct/")) << "SYN payload at the ISN";
          }
        }
      }
      EXPECT_EQ(found, expected.bmp);
      std::printf("BMP  %s: %zu streams, %d messages (ANALYSIS %d)%s%s\n", name.c_str(),
                  streams_seen, Sum(found), Sum(expected.bmp),
                  crafted_syn > 0 ? ", SYN payload at the ISN" : "", cut_message.c_str());
    }

    std::map<std::string, int> cflow;
    int sflow = 0;
    for (const Packet& datagram : UdpDatagrams(capture->packets)) {
      ByteReader r(datagram.payload);
      if (datagram.dst_port == kSflowPort) {
        uint32_t version = 0;
        if (r.ReadU32(&version) && version == 5) ++sflow;
      } else if (kCflowPorts.contains(datagram.dst_port)) {
        uint16_t version = 0;
        if (r.ReadU16(&version)) ++cflow[absl::StrCat("v", version)];
      }
    }
    EXPECT_EQ(cflow, expected.cflow);
    EXPECT_EQ(sflow, expected.sflow_datagrams);
    if (!cflow.empty() || sflow > 0) {
      ++flow_files;
      std::printf("flow %s: %d datagrams (ANALYSIS %d)\n", name.c_str(), sflow + Sum(cflow),
                  expected.sflow_datagrams + Sum(expected.cflow));
    }
  }
  std::printf("%zu captures, %zu with BMP, %zu with flow datagrams\n", files.size(), bmp_files,
              flow_files);
}

}  // namespace
}  // namespace ribflow
