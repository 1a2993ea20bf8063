// JsonWriter: builds a JSON document into a string, for the REST API and error bodies.
//
// Values are appended in document order (BeginObject, Key, String, ..., EndObject); the writer
// puts the commas and colons in. Strings are often the routers' (sysName and sysDescr TLVs,
// peer descriptions): anything may arrive, so String() and Key() escape quotes, backslashes and
// control characters, pass valid UTF-8 through, and replace each ill-formed UTF-8 sequence
// (stray continuation bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
// sequences) with U+FFFD, one per maximal ill-formed subpart as Unicode (section 3.9) and the
// WHATWG decoder do. Whatever the input bytes, the output is valid JSON in valid UTF-8.
// Doubles are written in their shortest round-trip form; NaN and infinities, which JSON cannot
// express, become null.
//
// Misuse (a value in an object without its key, a Key in an array, an End that does not match
// its Begin) is a programming error, caught by assert in debug builds.
//
// Threading model: none; one writer per document, used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ribflow::http {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();

  // The next member's name; the next call writes its value.
  void Key(std::string_view key);

  void String(std::string_view value);
  void Uint(uint64_t value);
  void Int(int64_t value);
  void Double(double value);
  void Bool(bool value);
  void Null();

  const std::string& str() const { return out_; }
  // Hands the document over and leaves the writer empty, ready for a new one.
  std::string Take();

 private:
  struct Level {
    bool object;
    bool has_member;
  };

  // Writes the comma that separates this value from the previous one, if any.
  void BeforeValue();
  void AppendQuoted(std::string_view text);

  std::string out_;
  std::vector<Level> levels_;  // the open objects and arrays, innermost last
  bool after_key_ = false;     // a Key was written and awaits its value
};

}  // namespace ribflow::http
