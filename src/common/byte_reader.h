// ByteReader: the one way parsers read untrusted input (BGP, BMP, NetFlow, IPFIX, sFlow).
//
// Every read checks the remaining length first; a read that does not fit returns false and
// leaves the reader where it was, so a parser reports a truncated field instead of reading
// past the buffer. Multi-byte integers are read in network byte order. The reader never
// copies or owns the bytes: views it returns live as long as the buffer.
//
// Threading model: a value type over a caller's buffer; one reader per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ribflow {

class ByteReader {
 public:
  constexpr ByteReader() = default;
  constexpr ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  constexpr explicit ByteReader(std::span<const uint8_t> bytes)
      : data_(bytes.data()), size_(bytes.size()) {}

  size_t remaining() const { return size_ - offset_; }
  bool empty() const { return offset_ == size_; }
  // Bytes consumed so far: for error messages ("truncated attribute at offset 42").
  size_t offset() const { return offset_; }
  // The unread bytes, without consuming them.
  std::span<const uint8_t> rest() const { return {data_ + offset_, remaining()}; }

  bool ReadU8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = data_[offset_++];
    return true;
  }
  bool ReadU16(uint16_t* out) {
    if (remaining() < 2) return false;
    *out = static_cast<uint16_t>(data_[offset_] << 8 | data_[offset_ + 1]);
    offset_ += 2;
    return true;
  }
  bool ReadU24(uint32_t* out) {
    if (remaining() < 3) return false;
    *out = uint32_t{data_[offset_]} << 16 | uint32_t{data_[offset_ + 1]} << 8 | data_[offset_ + 2];
    offset_ += 3;
    return true;
  }
  bool ReadU32(uint32_t* out) {
    if (remaining() < 4) return false;
    *out = uint32_t{data_[offset_]} << 24 | uint32_t{data_[offset_ + 1]} << 16 |
           uint32_t{data_[offset_ + 2]} << 8 | data_[offset_ + 3];
    offset_ += 4;
    return true;
  }
  bool ReadU64(uint64_t* out) {
    // Initialized although both reads succeed: g++ 12 cannot see it once inlined into a chain of
    // reads and fails -Werror=maybe-uninitialized.
    uint32_t high = 0, low = 0;
    if (remaining() < 8) return false;
    ReadU32(&high);
    ReadU32(&low);
    *out = uint64_t{high} << 32 | low;
    return true;
  }
  // A view of the next n bytes.
  bool ReadBytes(size_t n, std::span<const uint8_t>* out) {
    if (remaining() < n) return false;
    *out = {data_ + offset_, n};
    offset_ += n;
    return true;
  }
  // Copies the next n bytes into `out` (which holds at least n).
  bool CopyBytes(size_t n, uint8_t* out) {
    if (remaining() < n) return false;
    if (n > 0) std::memcpy(out, data_ + offset_, n);
    offset_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    offset_ += n;
    return true;
  }
  // A reader over the next n bytes (a TLV's value, an attribute), consumed from this one.
  bool Sub(size_t n, ByteReader* out) {
    if (remaining() < n) return false;
    *out = ByteReader(data_ + offset_, n);
    offset_ += n;
    return true;
  }
  // The next byte without consuming it.
  bool PeekU8(uint8_t* out) const {
    if (remaining() < 1) return false;
    *out = data_[offset_];
    return true;
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t offset_ = 0;
};

}  // namespace ribflow
