// The JSON writer: commas and nesting come out right, strings are escaped, ill-formed UTF-8 is
// replaced with U+FFFD (one per maximal ill-formed subpart) while valid UTF-8 passes through
// unchanged, numbers are exact, and whatever bytes a string holds the output is valid UTF-8
// with no raw control character.
#include "http/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>

namespace ribflow::http {
namespace {

std::string Quoted(std::string_view text) {
  JsonWriter json;
  json.String(text);
  return json.Take();
}

// An independent strict UTF-8 check, by code point value rather than by byte ranges.
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int length;
    uint32_t code_point;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if ((byte & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Reverses the writer's escapes (only those it produces: \" \\ \b \f \n \r \t \u00XX).
std::string Unquote(std::string_view json) {
  EXPECT_GE(json.size(), 2u);
  EXPECT_EQ(json.front(), '"');
  EXPECT_EQ(json.back(), '"');
  std::string out;
  for (size_t i = 1; i + 1 < json.size(); ++i) {
    if (json[i] != '\\') {
      out += json[i];
      continue;
    }
    const char c = json[++i];
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u':
        EXPECT_EQ(json.substr(i + 1, 2), "00");
        out += static_cast<char>(std::stoi(std::string(json.substr(i + 3, 2)), nullptr, 16));
        i += 4;
        break;
      default:
        out += c;
    }
  }
  return out;
}

TEST(JsonWriterTest, NestedContainersGetCommasAndColons) {
  JsonWriter json;
  json.BeginObject();
  json.Key("routers");
  json.BeginArray();
  json.BeginObject();
  json.Key("name");
  json.String("r1");
  json.Key("peers");
  json.BeginArray();
  json.Uint(1);
  json.Uint(2);
  json.EndArray();
  json.EndObject();
  json.BeginObject();
  json.EndObject();
  json.BeginArray();
  json.EndArray();
  json.EndArray();
  json.Key("up");
  json.Bool(true);
  json.Key("down");
  json.Bool(false);
  json.Key("missing");
  json.Null();
  json.EndObject();
  EXPECT_EQ(json.str(), R"({"routers":[{"name":"r1","peers":[1,2]},{},[]],"up":true,"down":false,)"
                        R"("missing":null})");
}

TEST(JsonWriterTest, TakeHandsOverTheDocumentAndStartsAfresh) {
  JsonWriter json;
  json.BeginArray();
  json.Int(1);
  json.EndArray();
  EXPECT_EQ(json.Take(), "[1]");
  EXPECT_EQ(json.str(), "");
  json.BeginArray();  // no comma left over from the previous document
  json.Int(2);
  json.EndArray();
  EXPECT_EQ(json.Take(), "[2]");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("say \"hi\" \\ bye"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(Quoted("a\nb\tc\rd\be\ff"), R"("a\nb\tc\rd\be\ff")");
  EXPECT_EQ(Quoted(std::string_view("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Quoted("/slash </script>"), R"("/slash </script>")");
}

TEST(JsonWriterTest, KeysAreEscapedLikeStrings) {
  JsonWriter json;
  json.BeginObject();
  json.Key("a\"b\n\xff");
  json.Uint(1);
  json.EndObject();
  EXPECT_EQ(json.str(), "{\"a\\\"b\\n\xEF\xBF\xBD\":1}");
}

TEST(JsonWriterTest, ValidUtf8PassesThroughUnchanged) {
  // 2-, 3- and 4-byte sequences, including the extremes of each range.
  const std::string text =
      "caf\xC3\xA9 \xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF "
      "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(Quoted(text), "\"" + text + "\"");
}

TEST(JsonWriterTest, IllFormedUtf8BecomesOneReplacementPerMaximalSubpart) {
  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string input;
    std::string expected;  // inside the quotes
  };
  const Case cases[] = {
      {"\x80", fffd},                                   // continuation byte without a lead
      {"a\xBF-", "a" + fffd + "-"},                     // ... between ASCII
      {"\xC0\xAF", fffd + fffd},                        // overlong '/': C0 never starts a sequence
      {"\xC1\xBF", fffd + fffd},                        // C1 neither
      {"\xE0\x80\xAF", fffd + fffd + fffd},             // overlong 3-byte: E0 needs A0-BF next
      {"\xED\xA0\x80", fffd + fffd + fffd},             // surrogate U+D800
      {"\xF0\x80\x80\xAF", fffd + fffd + fffd + fffd},  // overlong 4-byte
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // U+110000
      {"\xF5\x80", fffd + fffd},                        // F5-FF never start a sequence
      {"\xFF", fffd},
      {"\xC3", fffd},                           // truncated at the end
      {"\xE2\x82", fffd},                       // truncated 3-byte: one subpart
      {"\xF0\x9F\x98", fffd},                   // truncated 4-byte: one subpart
      {"\xE2\x82-", fffd + "-"},                // interrupted by ASCII, which survives
      {"\xE2\x82\xC3\xA9", fffd + "\xC3\xA9"},  // interrupted by a valid sequence
      {"\xE2\x82\"", fffd + "\\\""},            // interrupted by a quote, still escaped
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Quoted(c.input), "\"" + c.expected + "\"") << testing::PrintToString(c.input);
  }
}

TEST(JsonWriterTest, AnyBytesGiveValidUtf8WithoutRawControlCharacters) {
  std::mt19937 random(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 64);
  for (int round = 0; round < 20000; ++round) {
    std::string input(length(random), '\0');
    for (char& c : input) c = static_cast<char>(byte(random));
    const std::string out = Quoted(input);
    ASSERT_TRUE(IsValidUtf8(out)) << testing::PrintToString(input);
    for (const char c : out) ASSERT_GE(static_cast<unsigned char>(c), 0x20);
    // Valid input round-trips exactly.
    if (IsValidUtf8(input)) {
      ASSERT_EQ(Unquote(out), input);
    }
  }
}

TEST(JsonWriterTest, IntegersAreExactAtTheirLimits) {
  JsonWriter json;
  json.BeginArray();
  json.Uint(0);
  json.Uint(std::numeric_limits<uint64_t>::max());
  json.Int(-1);
  json.Int(std::numeric_limits<int64_t>::min());
  json.Int(std::numeric_limits<int64_t>::max());
  json.EndArray();
  EXPECT_EQ(json.str(), "[0,18446744073709551615,-1,-9223372036854775808,9223372036854775807]");
}

TEST(JsonWriterTest, DoublesAreShortestRoundTripAndNonFiniteIsNull) {
  JsonWriter json;
  json.BeginArray();
  json.Double(0.1);
  json.Double(1.5);
  json.Double(3.0);
  json.Double(-0.0);
  json.Double(1e300);
  json.Double(1e-7);
  json.Double(std::numeric_limits<double>::quiet_NaN());
  json.Double(std::numeric_limits<double>::infinity());
  json.Double(-std::numeric_limits<double>::infinity());
  json.EndArray();
  EXPECT_EQ(json.str(), "[0.1,1.5,3,-0,1e+300,1e-07,null,null,null]");
}

}  // namespace
}  // namespace ribflow::http
