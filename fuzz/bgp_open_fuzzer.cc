// OPENs reach the collector in BMP Peer Up messages and decide how every later UPDATE of the
// session is read: whatever the bytes, decoding must not crash or read outside the message,
// and a decoded OPEN must negotiate consistently with itself (checked below; a violation
// aborts).
//
// Input: an OPEN message, header included. It is decoded as given, then again with the
// header's marker, length and type set right, so that mutations changing the size still reach
// the body parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "bgp/message.h"
#include "bgp/open.h"

namespace {

using namespace ribflow::bgp;

void Check(bool condition) {
  if (!condition) std::abort();
}

void DecodeAndCheck(std::span<const uint8_t> message) {
  Open open;
  if (DecodeOpen(message, &open)) return;
  Check(open.version == 4);
  Check(open.asn() == (open.four_octet_as ? *open.four_octet_as : open.my_as));
  const SessionOptions options = NegotiateForReceived(open, open);
  Check(options.four_octet_as == open.four_octet_as.has_value());
  Check(options.extended_message == open.extended_message);
  Check(options == NegotiateForSent(open, open));
  for (const AddPathCapability& capability : open.add_path) {
    Check(capability.send_receive >= AddPathCapability::kReceive &&
          capability.send_receive <= AddPathCapability::kSendReceive);
    const bool both = open.AdvertisesAddPath(capability.family, AddPathCapability::kSend) &&
                      open.AdvertisesAddPath(capability.family, AddPathCapability::kReceive);
    const bool decoded =
        DecodedFamilyIndex(capability.family.afi, capability.family.safi).has_value();
    Check(options.add_path.Contains(capability.family.afi, capability.family.safi) ==
          (both && decoded));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> message(data, size);
  DecodeAndCheck(message);
  if (message.size() < kHeaderSize || message.size() > kMaxMessageSize) return 0;
  std::vector<uint8_t> fixed(message.begin(), message.end());
  for (size_t i = 0; i < kMarkerSize; ++i) fixed[i] = 0xff;
  fixed[16] = uint8_t(fixed.size() >> 8);
  fixed[17] = uint8_t(fixed.size());
  fixed[18] = uint8_t(MessageType::kOpen);
  DecodeAndCheck(fixed);
  return 0;
}
