#include "bmp/framer.h"

#include <algorithm>
#include <cstring>

#include "common/byte_reader.h"
#include "fmt/format.h"

namespace ribflow::bmp {
namespace {

constexpr uint32_t kMaxMessageLengthLimit = 256u << 20;
constexpr uint32_t kMaxReadChunk = 16u << 20;
// Room for ordinary messages from the start: most are far below this; a session growing past
// it has announced a larger message.
constexpr size_t kInitialMessageRoom = 64 << 10;

FramerOptions Clamped(FramerOptions options) {
  options.max_message_length =
      std::clamp<uint32_t>(options.max_message_length, kCommonHeaderLength, kMaxMessageLengthLimit);
  options.read_chunk = std::clamp<uint32_t>(options.read_chunk, 1, kMaxReadChunk);
  return options;
}

}  // namespace

absl::Status FramerOptions::Validate() const {
  if (max_message_length < kCommonHeaderLength || max_message_length > kMaxMessageLengthLimit) {
    return absl::InvalidArgumentError(
        fmt::format("bmp framer: max_message_length {} outside [{}, {}]", max_message_length,
                    kCommonHeaderLength, kMaxMessageLengthLimit));
  }
  if (read_chunk < 1 || read_chunk > kMaxReadChunk) {
    return absl::InvalidArgumentError(
        fmt::format("bmp framer: read_chunk {} outside [1, {}]", read_chunk, kMaxReadChunk));
  }
  return absl::OkStatus();
}

Framer::Framer(FramerOptions options) : options_(Clamped(options)) {
  buffer_.resize(std::min<size_t>(kInitialMessageRoom, options_.max_message_length) +
                 options_.read_chunk);
}

void Framer::ReleaseYielded() {
  begin_ += yielded_;
  yielded_ = 0;
  if (begin_ == end_) {
    // Everything was taken: start over at the front, no bytes to move.
    stream_offset_ += begin_;
    begin_ = end_ = 0;
  }
}

void Framer::MakeRoom(size_t wanted) {
  if (buffer_.size() - end_ >= wanted || begin_ == 0) return;
  // At most one partial message moves, and only once the free room is below wanted: a few
  // moves per buffer's worth of input, not one per message.
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  stream_offset_ += begin_;
  end_ -= begin_;
  begin_ = 0;
}

void Framer::ReserveForMessage(size_t length) {
  const size_t room = buffer_.size() - options_.read_chunk;
  if (length <= room) return;
  // Doubling keeps a session whose messages slowly grow from reallocating each time.
  const size_t grown = std::min<size_t>(std::max(length, 2 * room), options_.max_message_length);
  MakeRoom(buffer_.size());  // the unread bytes to the front before the copy resize makes
  buffer_.resize(grown + options_.read_chunk);
}

std::span<uint8_t> Framer::WritableSpace() {
  if (!error_.ok()) return {};
  ReleaseYielded();
  MakeRoom(options_.read_chunk);
  return std::span<uint8_t>(buffer_).subspan(end_);
}

void Framer::Commit(size_t size) { end_ += std::min(size, buffer_.size() - end_); }

size_t Framer::Append(std::span<const uint8_t> bytes) {
  if (!error_.ok()) return 0;
  ReleaseYielded();
  MakeRoom(bytes.size());
  const size_t taken = std::min(bytes.size(), buffer_.size() - end_);
  ByteReader input(bytes);
  input.CopyBytes(taken, buffer_.data() + end_);
  end_ += taken;
  return taken;
}

Framer::Result Framer::Fail(ErrorKind kind, size_t offset_in_buffer, std::string_view field) {
  error_ = Error{kind, stream_offset_ + offset_in_buffer, field};
  return Result::kStreamError;
}

Framer::Result Framer::Next(std::span<const uint8_t>* message) {
  if (!error_.ok()) return Result::kStreamError;
  ReleaseYielded();
  ByteReader header(buffer_.data() + begin_, end_ - begin_);
  uint8_t version;
  // The version is checked from its first byte: a stream that is not BMP v3 (a BMP v1/v2
  // exporter, a wrong port) fails at once instead of waiting for a length that means nothing.
  if (!header.ReadU8(&version)) return Result::kNeedMoreBytes;
  if (version != kVersion) return Fail(ErrorKind::kBadVersion, begin_, "version");
  uint32_t length;
  if (!header.ReadU32(&length)) return Result::kNeedMoreBytes;
  if (length < kCommonHeaderLength) {
    return Fail(ErrorKind::kBadLength, begin_ + 1, "message length below the common header");
  }
  if (length > options_.max_message_length) {
    return Fail(ErrorKind::kMessageTooLarge, begin_ + 1, "message length above the maximum");
  }
  if (length > end_ - begin_) {
    ReserveForMessage(length);
    return Result::kNeedMoreBytes;
  }
  ByteReader whole(buffer_.data() + begin_, end_ - begin_);
  whole.ReadBytes(length, message);
  yielded_ = length;
  return Result::kMessage;
}

}  // namespace ribflow::bmp
