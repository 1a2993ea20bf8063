// BGP address families and the per-session choices that change how UPDATEs are encoded.
//
// Afi and Safi are open enums: any 16-bit or 8-bit value read off the wire is representable,
// the named values are the ones this codec decodes. AddPathFamilies says which families carry
// an RFC 7911 path identifier before each NLRI; SessionOptions gathers what a decoder must know
// about the session an UPDATE came from (see open.h for how it is negotiated).
//
// Threading model: plain values, copied freely; no shared state.
#pragma once

#include <cstdint>
#include <optional>

namespace ribflow::bgp {

// Address Family Identifier (IANA "Address Family Numbers").
enum class Afi : uint16_t {
  kIpv4 = 1,
  kIpv6 = 2,
  kL2vpn = 25,
};

// Subsequent Address Family Identifier (IANA "SAFI Values").
enum class Safi : uint8_t {
  kUnicast = 1,
  kMulticast = 2,
  kLabeledUnicast = 4,  // RFC 8277
  kEvpn = 70,           // RFC 7432, with AFI 25
  kMplsVpn = 128,       // RFC 4364 (VPNv4), RFC 4659 (VPNv6)
};

struct AfiSafi {
  Afi afi = Afi::kIpv4;
  Safi safi = Safi::kUnicast;
  friend bool operator==(const AfiSafi&, const AfiSafi&) = default;
};

// The families whose NLRI this codec decodes, numbered 0..kDecodedFamilyCount-1; nullopt for
// any other (AFI, SAFI), whose NLRI the UPDATE decoder skips whole.
inline constexpr int kDecodedFamilyCount = 9;
constexpr std::optional<int> DecodedFamilyIndex(Afi afi, Safi safi) {
  int base;
  switch (afi) {
    case Afi::kIpv4:
      base = 0;
      break;
    case Afi::kIpv6:
      base = 4;
      break;
    case Afi::kL2vpn:
      if (safi == Safi::kEvpn) return 8;
      return std::nullopt;
    default:
      return std::nullopt;
  }
  switch (safi) {
    case Safi::kUnicast:
      return base;
    case Safi::kMulticast:
      return base + 1;
    case Safi::kLabeledUnicast:
      return base + 2;
    case Safi::kMplsVpn:
      return base + 3;
    default:
      return std::nullopt;
  }
}

// The families for which NLRI carry a 4-byte path identifier (RFC 7911). A bit set over the
// decoded families rather than a general set: other families are skipped whole by the decoder
// (their NLRI field is never split into routes), so whether they carry path identifiers never
// matters, and a bit set costs nothing to copy or test per NLRI field.
class AddPathFamilies {
 public:
  // No effect for a family the codec does not decode (see above).
  void Add(Afi afi, Safi safi) {
    if (auto index = DecodedFamilyIndex(afi, safi)) bits_ |= uint16_t(1u << *index);
  }
  bool Contains(Afi afi, Safi safi) const {
    auto index = DecodedFamilyIndex(afi, safi);
    return index && (bits_ >> *index & 1u);
  }
  bool empty() const { return bits_ == 0; }
  // Every decoded family: how a collector reads UPDATEs of a peer whose Peer Up it did not see,
  // once reading them without path identifiers lost routes.
  static AddPathFamilies All() {
    AddPathFamilies all;
    all.bits_ = uint16_t((1u << kDecodedFamilyCount) - 1);
    return all;
  }
  friend bool operator==(const AddPathFamilies&, const AddPathFamilies&) = default;

 private:
  uint16_t bits_ = 0;
  static_assert(kDecodedFamilyCount <= 16);
};

// How UPDATEs of one direction of one session are encoded.
struct SessionOptions {
  bool four_octet_as = false;     // RFC 6793: AS_PATH and AGGREGATOR carry 4-byte ASNs
  bool extended_message = false;  // RFC 8654: messages up to 65535 bytes
  AddPathFamilies add_path;       // RFC 7911
  friend bool operator==(const SessionOptions&, const SessionOptions&) = default;
};

}  // namespace ribflow::bgp
