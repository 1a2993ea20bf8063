// A BMP session's byte stream, cut into reads of sizes chosen by the input. Property: how the
// stream is cut never changes what comes out. The stream goes once through Append in one piece
// and once through WritableSpace/Commit in reads of varying sizes; both must yield the same
// messages, then the same end (the same stream error at the same offset, or as many bytes left
// waiting), and the buffer must stay within max_message_length + read_chunk.
//
// Input layout: byte 0 sets read_chunk (1..256), bytes 1-2 max_message_length (6..65541, small
// so that "message too large" is reachable), byte 3 seeds the read sizes; the rest is the
// stream. Each whole message is also decoded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "bmp/framer.h"
#include "bmp/message.h"

namespace {

using ribflow::bmp::Framer;
using ribflow::bmp::FramerOptions;

struct Outcome {
  std::vector<std::vector<uint8_t>> messages;
  ribflow::bmp::Error error;
  size_t buffered = 0;
};

void CheckBounded(const Framer& framer) {
  const FramerOptions& options = framer.options();
  if (framer.capacity() > size_t{options.max_message_length} + options.read_chunk) std::abort();
}

// Takes every whole message; false once the stream failed.
bool Drain(Framer* framer, Outcome* out, ribflow::bmp::Message* decoded) {
  std::span<const uint8_t> message;
  for (;;) {
    switch (framer->Next(&message)) {
      case Framer::Result::kMessage:
        if (message.size() < ribflow::bmp::kCommonHeaderLength ||
            message.size() > framer->options().max_message_length) {
          std::abort();
        }
        (void)ribflow::bmp::Decode(message, decoded);
        out->messages.emplace_back(message.begin(), message.end());
        break;
      case Framer::Result::kNeedMoreBytes:
        return true;
      case Framer::Result::kStreamError:
        return false;
    }
  }
}

Outcome AppendWhole(const FramerOptions& options, std::span<const uint8_t> stream,
                    ribflow::bmp::Message* decoded) {
  Framer framer(options);
  Outcome out;
  size_t offset = 0;
  bool alive = true;
  while (alive && offset < stream.size()) {
    const size_t taken = framer.Append(stream.subspan(offset));
    offset += taken;
    alive = Drain(&framer, &out, decoded);
    // Nothing taken while the stream is alive and not done would loop forever.
    if (taken == 0 && alive) std::abort();
    CheckBounded(framer);
  }
  if (alive) alive = Drain(&framer, &out, decoded);
  out.error = framer.error();
  out.buffered = framer.buffered();
  return out;
}

Outcome ReadInPieces(const FramerOptions& options, std::span<const uint8_t> stream, uint32_t seed,
                     ribflow::bmp::Message* decoded) {
  Framer framer(options);
  Outcome out;
  size_t offset = 0;
  bool alive = true;
  uint32_t state = seed * 2654435761u + 1;
  while (alive && offset < stream.size()) {
    const std::span<uint8_t> space = framer.WritableSpace();
    if (space.size() < options.read_chunk) std::abort();  // the documented guarantee
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const size_t want = 1 + state % (2 * options.read_chunk);
    const size_t n = std::min({want, space.size(), stream.size() - offset});
    std::copy_n(stream.begin() + offset, n, space.begin());
    framer.Commit(n);
    offset += n;
    alive = Drain(&framer, &out, decoded);
    CheckBounded(framer);
  }
  out.error = framer.error();
  out.buffered = framer.buffered();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const FramerOptions options{
      .max_message_length = static_cast<uint32_t>(6 + (data[1] << 8 | data[2])),
      .read_chunk = static_cast<uint32_t>(1 + data[0]),
  };
  if (!options.Validate().ok()) std::abort();
  const std::span<const uint8_t> stream(data + 4, size - 4);
  ribflow::bmp::Message decoded;
  const Outcome whole = AppendWhole(options, stream, &decoded);
  const Outcome pieces = ReadInPieces(options, stream, data[3], &decoded);
  if (whole.messages != pieces.messages || whole.error.kind != pieces.error.kind ||
      whole.error.offset != pieces.error.offset) {
    std::abort();
  }
  // After a stream error each framer holds whatever it had taken in: only a clean end compares.
  if (whole.error.ok() && whole.buffered != pieces.buffered) std::abort();
  return 0;
}
