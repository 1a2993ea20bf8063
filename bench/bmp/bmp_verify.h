// `ribflow-bench bmp --verify`: reads an encoded BmpStream back with the project's own codec
// (bmp::Framer, bmp::Decode, bgp::DecodeOpen/NegotiateForReceived, bgp::DecodeUpdate), applies
// it to a plain model (per router and peer, the set of (prefix, path id) announced and not
// withdrawn or flushed by a Peer Down) and checks that what was decoded is what the encoder
// says it wrote: messages, Peer Ups and Downs, End-of-RIBs, NLRIs announced and withdrawn,
// the routes held at the end, no decode error of any kind.
//
// Threading model: a pure function of the stream; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmp/bmp_stream.h"

namespace ribflow::bench {

struct BmpVerifyResult {
  uint64_t messages = 0;
  uint64_t route_monitoring = 0;
  uint64_t end_of_ribs = 0;
  uint64_t announced = 0;
  uint64_t withdrawn = 0;
  uint64_t peer_ups = 0;
  uint64_t peer_downs = 0;
  uint64_t final_routes = 0;
  uint64_t decode_errors = 0;  // framing, BMP, OPEN or UPDATE (any RFC 7606 outcome)
  // Distinct attribute sets as the RIB interns them (origin AS, AS path, communities, large
  // communities) in the first dump of router 0's first peer.
  uint64_t first_peer_attribute_sets = 0;
  double seconds = 0;
  std::vector<std::string> problems;  // empty when the stream is what the encoder said

  bool ok() const { return problems.empty(); }
};

BmpVerifyResult VerifyBmpStream(const BmpStream& stream);

}  // namespace ribflow::bench
