// Framer: cuts the byte stream of a BMP session (TCP) into whole messages.
//
// Bytes go in as the socket gives them, either copied (Append) or read straight into the
// framer's buffer (WritableSpace + Commit, no copy); Next() then yields each complete message
// as a span into that buffer, ready for Decode() (message.h). The common header is checked as
// soon as its bytes arrive: a version other than 3, a length below the header or above the
// configured maximum is a stream error. Such an error is final: BMP has no marker to resync
// on, so the session must be closed (and the router will reconnect).
//
// Memory: one buffer, allocated at construction for ordinary messages and grown (geometrically,
// rarely) when a message announces a larger length, never beyond max_message_length +
// read_chunk. Consumed bytes are reclaimed by moving the unread tail to the front only when the
// free room falls below read_chunk, so framing allocates nothing per message.
//
// Threading model: one Framer per session, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "bmp/message.h"

namespace ribflow::bmp {

struct FramerOptions {
  // The largest message accepted, common header included. 64 KiB is not enough: a Route
  // Monitoring message carrying an extended BGP UPDATE (RFC 8654, up to 65535 bytes) is larger
  // with the BMP headers, and a Peer Up carries two OPENs and TLVs.
  uint32_t max_message_length = 1 << 20;
  // What one read from the socket asks for: WritableSpace() offers at least this much once the
  // buffered messages have been taken.
  uint32_t read_chunk = 64 << 10;

  // max_message_length within [kCommonHeaderLength, 256 MiB], read_chunk within [1, 16 MiB].
  absl::Status Validate() const;
};

class Framer {
 public:
  enum class Result : uint8_t {
    kMessage,        // *message holds one whole message
    kNeedMoreBytes,  // the buffer holds no whole message: read more from the socket
    kStreamError,    // error() says why; close the session
  };

  // `options` should pass Validate(); out-of-range values are clamped into range.
  explicit Framer(FramerOptions options = {});

  // Zero-copy input: read from the socket into WritableSpace(), then Commit the bytes read.
  // The span offers at least read_chunk bytes once Next() has returned kNeedMoreBytes; it is
  // empty after a stream error.
  std::span<uint8_t> WritableSpace();
  // `size` must not exceed the last WritableSpace().size().
  void Commit(size_t size);

  // Copying input. Takes as many bytes as fit and returns how many: when fewer than offered,
  // take the messages with Next() until kNeedMoreBytes, then append the rest. Takes nothing
  // after a stream error.
  size_t Append(std::span<const uint8_t> bytes);

  // The next whole message, valid until the next call to a non-const member function.
  Result Next(std::span<const uint8_t>* message);

  // kOk until a stream error; then the error, its offset counted from the start of the stream.
  const Error& error() const { return error_; }
  // Bytes received but not yet yielded.
  size_t buffered() const { return end_ - begin_ - yielded_; }
  size_t capacity() const { return buffer_.size(); }
  const FramerOptions& options() const { return options_; }

 private:
  // Forgets the message Next() yielded last: its span is no longer valid.
  void ReleaseYielded();
  // Moves the unread bytes to the front when the free room at the end is below `wanted`.
  void MakeRoom(size_t wanted);
  // Grows the buffer so that a message of `length` bytes fits with read_chunk to spare.
  void ReserveForMessage(size_t length);
  Result Fail(ErrorKind kind, size_t offset_in_buffer, std::string_view field);

  FramerOptions options_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;            // first unread byte
  size_t end_ = 0;              // one past the last received byte
  size_t yielded_ = 0;          // bytes at begin_ that the last Next() yielded
  uint64_t stream_offset_ = 0;  // stream offset of buffer_[0]
  Error error_;
};

}  // namespace ribflow::bmp
