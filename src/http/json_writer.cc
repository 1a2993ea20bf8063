#include "http/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <system_error>
#include <utility>

namespace ribflow::http {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The length of the UTF-8 sequence starting at text[0] (which is >= 0x80) when it is well
// formed (Unicode Table 3-7), else the length of its maximal ill-formed subpart, which is
// replaced as a whole: a lead byte and the continuation bytes that were valid for it, or just
// the one byte when it cannot start a sequence.
size_t Utf8SequenceLength(std::string_view text, bool* valid) {
  const auto lead = static_cast<unsigned char>(text[0]);
  size_t continuation_bytes = 0;
  // The range of the first continuation byte, narrowed for the leads where a full range would
  // allow overlong forms (E0, F0), surrogates (ED) or code points above U+10FFFF (F4).
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation_bytes = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation_bytes = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation_bytes = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    // 80-BF (a continuation byte with no lead), C0-C1 (overlong only), F5-FF (beyond U+10FFFF).
    *valid = false;
    return 1;
  }
  size_t length = 1;
  for (size_t i = 0; i < continuation_bytes; ++i, ++length) {
    if (length >= text.size()) {
      *valid = false;
      return length;
    }
    const auto byte = static_cast<unsigned char>(text[length]);
    if (byte < low || byte > high) {
      *valid = false;
      return length;
    }
    low = 0x80;
    high = 0xBF;
  }
  *valid = true;
  return length;
}

void AppendEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '"':
      *out += "\\\"";
      return;
    case '\\':
      *out += "\\\\";
      return;
    case '\b':
      *out += "\\b";
      return;
    case '\f':
      *out += "\\f";
      return;
    case '\n':
      *out += "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    case '\t':
      *out += "\\t";
      return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(escaped, sizeof(escaped));
      return;
    }
  }
}

template <typename T>
void AppendNumber(T value, std::string* out) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  assert(error == std::errc());
  out->append(buffer, end);
}

}  // namespace

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;
  Level& level = levels_.back();
  assert(!level.object && "a value in an object needs a Key first");
  if (level.has_member) out_ += ',';
  level.has_member = true;
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  levels_.push_back({.object = true, .has_member = false});
}

void JsonWriter::EndObject() {
  assert(!levels_.empty() && levels_.back().object && !after_key_);
  levels_.pop_back();
  out_ += '}';
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  levels_.push_back({.object = false, .has_member = false});
}

void JsonWriter::EndArray() {
  assert(!levels_.empty() && !levels_.back().object);
  levels_.pop_back();
  out_ += ']';
}

void JsonWriter::Key(std::string_view key) {
  assert(!levels_.empty() && levels_.back().object && !after_key_);
  Level& level = levels_.back();
  if (level.has_member) out_ += ',';
  level.has_member = true;
  AppendQuoted(key);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendQuoted(value);
}

void JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  AppendNumber(value, &out_);
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  AppendNumber(value, &out_);
}

void JsonWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_ += "null";
    return;
  }
  // The shortest form that reads back as the same double: "0.1", "1e+300", "-0", "3". Each is
  // a JSON number (the grammar allows a sign and leading zeros in the exponent).
  AppendNumber(value, &out_);
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
}

void JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
}

std::string JsonWriter::Take() {
  std::string out = std::move(out_);
  out_.clear();
  levels_.clear();
  after_key_ = false;
  return out;
}

void JsonWriter::AppendQuoted(std::string_view text) {
  out_ += '"';
  // Runs of bytes that need no change are copied in one append.
  size_t run_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c < 0x80) {
      out_.append(text, run_start, i - run_start);
      AppendEscape(c, &out_);
      run_start = ++i;
      continue;
    }
    bool valid = false;
    const size_t length = Utf8SequenceLength(text.substr(i), &valid);
    if (valid) {
      i += length;  // stays in the run
      continue;
    }
    out_.append(text, run_start, i - run_start);
    out_ += kReplacementCharacter;
    i += length;
    run_start = i;
  }
  out_.append(text, run_start, text.size() - run_start);
  out_ += '"';
}

}  // namespace ribflow::http
