// A router's BMP byte stream through a whole RouterSession into a real RIB: framing, decoding,
// fallbacks, peers up and down, routes announced and withdrawn. Properties: nothing crashes or
// reads out of bounds (ASan, UBSan), and once the session is closed with no keep time and the
// flushed peers are swept, the RIB holds no peer and no route: a hostile stream cannot leave
// routes or peers behind.
#include <prometheus/registry.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "bmp/session.h"
#include "rib/rib.h"

namespace {

struct State {
  ribflow::Rib rib;
  ribflow::Rib::Writer writer{rib};
  prometheus::Registry registry;
  ribflow::bmp::BmpMetrics families{registry};
  ribflow::bmp::RouterMetrics metrics{families, "192.0.2.254"};
  ribflow::bmp::SessionConfig config;
  State() {
    config.keep = std::chrono::milliseconds(0);  // Close() flushes at once
    config.framer.max_message_length = 1 << 16;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static State* state = new State;
  {
    ribflow::bmp::RouterSession session(state->config, ribflow::IpAddress::FromV4(0xc00002fe),
                                        &state->rib, &state->metrics);
    // Two reads, split where the first byte says, so that framing across reads is exercised.
    const size_t split = size == 0 ? 0 : data[0] % (size + 1);
    std::span<const uint8_t> bytes(data, size);
    if (session.Consume(bytes.first(split), state->writer).ok()) {
      (void)session.Consume(bytes.subspan(split), state->writer);
    }
    session.Close("fuzz");
  }
  while (state->rib.SweepFlushedPeers(4096)) {
  }
  if (!state->rib.Peers().empty() || state->rib.Stats().routes != 0) std::abort();
  return 0;
}
