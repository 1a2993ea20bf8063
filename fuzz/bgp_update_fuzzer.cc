// UPDATEs reach the collector from routers over BMP: whatever the bytes, the decoder must not
// crash or read outside the message, and what it returns must hold its invariants (checked
// below; a violation aborts).
//
// Input: the first byte selects the SessionOptions (bgp_fuzz_options.h), the rest is an UPDATE
// message, header included. It is decoded as given, then again with the header's marker,
// length and type set right, so that mutations changing the size still reach the body parser.
// One Update is reused across inputs, as a BMP session reuses it across messages.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "bgp/message.h"
#include "bgp/update.h"
#include "bgp_fuzz_options.h"

namespace {

using namespace ribflow;
using namespace ribflow::bgp;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckRoute(const Nlri& route) {
  const Prefix& prefix = route.prefix;
  Check(prefix.length <= prefix.address.family_bits());
  Check(prefix.address.Masked(prefix.length) == prefix.address);
  // 20-bit MPLS labels, or 24-bit VNIs for EVPN (RFC 8365).
  Check(route.label < (route.safi == Safi::kEvpn ? (1u << 24) : (1u << 20)));
  Check(DecodedFamilyIndex(route.afi, route.safi).has_value());
}

void CheckInvariants(const Update& update) {
  Check((update.action == ErrorAction::kNone) == update.errors.empty());
  for (const DecodeError& error : update.errors) {
    Check(error.kind != ErrorKind::kNone && error.action != ErrorAction::kNone);
    Check(error.action <= update.action);
  }
  if (update.action == ErrorAction::kDiscardMessage) {
    Check(update.announced.empty() && update.withdrawn.empty() && !update.end_of_rib);
  }
  if (update.action == ErrorAction::kTreatAsWithdraw) Check(update.announced.empty());
  if (update.end_of_rib) Check(update.announced.empty() && update.withdrawn.empty());
  for (const Nlri& route : update.announced) CheckRoute(route);
  for (const Nlri& route : update.withdrawn) CheckRoute(route);
  size_t asns = 0;
  for (const AsPathSegment& segment : update.as_path.segments) {
    Check(segment.size > 0 && segment.begin == asns);
    asns += segment.size;
  }
  Check(asns == update.as_path.asns.size());
  Check(update.flat_as_path.size() <= asns);
  Check((update.origin_asn == 0) || !update.flat_as_path.empty());
  Check(update.route_targets.size() <= update.extended_communities.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Update update;
  const std::span<const uint8_t> input(data, size);
  if (input.empty()) return 0;
  const SessionOptions options = SessionOptionsFromFuzzByte(input[0]);
  const std::span<const uint8_t> message = input.subspan(1);
  DecodeUpdate(message, options, &update);
  CheckInvariants(update);

  if (message.size() < kHeaderSize || message.size() > kMaxExtendedMessageSize) return 0;
  std::vector<uint8_t> fixed(message.begin(), message.end());
  for (size_t i = 0; i < kMarkerSize; ++i) fixed[i] = 0xff;
  fixed[16] = uint8_t(fixed.size() >> 8);
  fixed[17] = uint8_t(fixed.size());
  fixed[18] = uint8_t(MessageType::kUpdate);
  DecodeUpdate(fixed, options, &update);
  CheckInvariants(update);
  return 0;
}
