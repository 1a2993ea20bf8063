// IP addresses and prefixes, IPv4 and IPv6 in one 16-byte type.
//
// IPv4 addresses are held IPv4-mapped (::ffff:a.b.c.d), as the kernel and ClickHouse do, so
// one type flows from decoders to the RIB to the sinks. A Prefix keeps its length in its own
// family's terms (0..32 for IPv4, 0..128 for IPv6) because that is what operators read.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace ribflow {

class IpAddress {
 public:
  constexpr IpAddress() = default;

  static IpAddress FromV4(uint32_t host_order) {
    IpAddress a;
    a.bytes_[10] = 0xff;
    a.bytes_[11] = 0xff;
    a.bytes_[12] = static_cast<uint8_t>(host_order >> 24);
    a.bytes_[13] = static_cast<uint8_t>(host_order >> 16);
    a.bytes_[14] = static_cast<uint8_t>(host_order >> 8);
    a.bytes_[15] = static_cast<uint8_t>(host_order);
    return a;
  }
  static IpAddress FromV6(const uint8_t (&bytes)[16]) {
    IpAddress a;
    std::memcpy(a.bytes_.data(), bytes, 16);
    return a;
  }
  static IpAddress FromV6Bytes(const uint8_t* bytes16) {
    IpAddress a;
    std::memcpy(a.bytes_.data(), bytes16, 16);
    return a;
  }
  // The inverse of family_bytes(): 4 bytes when v4, else 16, network order.
  static IpAddress FromFamilyBytes(const uint8_t* bytes, bool v4) {
    if (!v4) return FromV6Bytes(bytes);
    IpAddress a;
    a.bytes_[10] = a.bytes_[11] = 0xff;
    std::memcpy(a.bytes_.data() + 12, bytes, 4);
    return a;
  }
  // Accepts dotted IPv4 and RFC 4291 IPv6 text; nullopt on anything else.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes_.data(), kMapped, 12) == 0;
  }
  uint32_t v4() const {
    return (uint32_t{bytes_[12]} << 24) | (uint32_t{bytes_[13]} << 16) |
           (uint32_t{bytes_[14]} << 8) | uint32_t{bytes_[15]};
  }
  // The address bits of its own family: 4 bytes for IPv4, 16 for IPv6.
  const uint8_t* family_bytes() const { return bytes_.data() + (is_v4() ? 12 : 0); }
  int family_bits() const { return is_v4() ? 32 : 128; }
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

  // Bit i (0 = most significant) of the family address.
  bool bit(int i) const { return (family_bytes()[i >> 3] >> (7 - (i & 7))) & 1; }
  // This address with every bit from `length` on cleared (length in family terms).
  IpAddress Masked(int length) const;

  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine_contiguous(std::move(h), a.bytes_.data(), a.bytes_.size());
  }

 private:
  std::array<uint8_t, 16> bytes_{};
};

struct Prefix {
  IpAddress address;   // host bits are zero
  uint8_t length = 0;  // in the address family's terms

  // "a.b.c.d/n" or "x::/n"; host bits must be zero (strict), as in the full-table file.
  static std::optional<Prefix> Parse(std::string_view text);
  // Builds a prefix, clearing host bits; nullopt when the length exceeds the family's.
  static std::optional<Prefix> Make(const IpAddress& address, int length);

  bool is_v4() const { return address.is_v4(); }
  bool Contains(const IpAddress& a) const {
    return a.is_v4() == address.is_v4() && a.Masked(length) == address;
  }
  std::string ToString() const;

  friend bool operator==(const Prefix&, const Prefix&) = default;
  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Prefix& p) {
    return H::combine(std::move(h), p.address, p.length);
  }
};

// A BGP route distinguisher (RFC 4364) as its 8 wire bytes read big-endian; 0 is the global
// table (no RD).
using RouteDistinguisher = uint64_t;

}  // namespace ribflow
