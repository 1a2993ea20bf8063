// The BMP stream framer: whatever the TCP segmentation, the same messages come out whole and in
// order; a bad version or an absurd length ends the stream; the buffer stays bounded and stops
// growing once it has seen the session's largest message.
#include "bmp/framer.h"

#include <gtest/gtest.h>

#include "bmp_test_messages.h"

namespace ribflow::bmp {
namespace {

using testing::BgpMessage;
using testing::BgpUpdate;
using testing::BmpMessage;
using testing::Bytes;
using testing::GoldenMessages;
using testing::PeerSpec;
using testing::PerPeerMessage;

using Messages = std::vector<std::vector<uint8_t>>;

// Every message of every golden type, back to back: a stream as a router would send it.
std::vector<uint8_t> GoldenStream(Messages* messages) {
  std::vector<uint8_t> stream;
  for (const auto& [name, message] : GoldenMessages()) {
    messages->push_back(message);
    stream.insert(stream.end(), message.begin(), message.end());
  }
  return stream;
}

// Takes every whole message the framer holds; false on a stream error.
bool Drain(Framer* framer, Messages* out) {
  std::span<const uint8_t> message;
  for (;;) {
    switch (framer->Next(&message)) {
      case Framer::Result::kMessage:
        out->emplace_back(message.begin(), message.end());
        break;
      case Framer::Result::kNeedMoreBytes:
        return true;
      case Framer::Result::kStreamError:
        return false;
    }
  }
}

// Feeds `stream` through Append in pieces of `piece` bytes, draining after each.
Messages FrameInPieces(std::span<const uint8_t> stream, size_t piece, FramerOptions options = {}) {
  Framer framer(options);
  Messages out;
  size_t offset = 0;
  while (offset < stream.size()) {
    const size_t n = std::min(piece, stream.size() - offset);
    size_t taken = 0;
    while (taken < n) {
      taken += framer.Append(stream.subspan(offset + taken, n - taken));
      EXPECT_TRUE(Drain(&framer, &out)) << framer.error().ToString();
    }
    offset += n;
  }
  EXPECT_EQ(framer.buffered(), 0u);
  return out;
}

TEST(BmpFramerTest, SeveralMessagesInOneChunkComeOutInOrder) {
  Messages expected;
  const std::vector<uint8_t> stream = GoldenStream(&expected);
  EXPECT_EQ(FrameInPieces(stream, stream.size()), expected);
}

TEST(BmpFramerTest, OneByteAtATimeYieldsTheSameMessages) {
  Messages expected;
  const std::vector<uint8_t> stream = GoldenStream(&expected);
  EXPECT_EQ(FrameInPieces(stream, 1), expected);
}

TEST(BmpFramerTest, StreamSplitInTwoAtEveryByteBoundaryYieldsTheSameMessages) {
  Messages expected;
  const std::vector<uint8_t> stream = GoldenStream(&expected);
  for (size_t split = 0; split <= stream.size(); ++split) {
    Framer framer;
    Messages out;
    ASSERT_EQ(framer.Append(std::span(stream).first(split)), split);
    ASSERT_TRUE(Drain(&framer, &out));
    ASSERT_EQ(framer.Append(std::span(stream).subspan(split)), stream.size() - split);
    ASSERT_TRUE(Drain(&framer, &out));
    ASSERT_EQ(out, expected) << "split at " << split;
    EXPECT_EQ(framer.buffered(), 0u);
  }
}

TEST(BmpFramerTest, EveryPieceSizeYieldsTheSameMessages) {
  Messages expected;
  const std::vector<uint8_t> stream = GoldenStream(&expected);
  for (size_t piece = 1; piece <= 97; ++piece) {
    ASSERT_EQ(FrameInPieces(stream, piece), expected) << "piece " << piece;
  }
}

TEST(BmpFramerTest, WritableSpaceAndCommitYieldTheSameMessagesWithoutACopyIn) {
  Messages expected;
  const std::vector<uint8_t> stream = GoldenStream(&expected);
  Framer framer({.read_chunk = 7});
  Messages out;
  size_t offset = 0;
  while (offset < stream.size()) {
    const std::span<uint8_t> space = framer.WritableSpace();
    ASSERT_GE(space.size(), 7u);
    const size_t n = std::min<size_t>({space.size(), 7, stream.size() - offset});
    std::copy_n(stream.begin() + offset, n, space.begin());  // what read(2) would do
    framer.Commit(n);
    offset += n;
    ASSERT_TRUE(Drain(&framer, &out));
  }
  EXPECT_EQ(out, expected);
}

TEST(BmpFramerTest, PartialMessageIsHeldUntilItsLastByte) {
  const std::vector<uint8_t> message = PerPeerMessage(0, PeerSpec{}, BgpUpdate());
  Framer framer;
  std::span<const uint8_t> out;
  ASSERT_EQ(framer.Append(std::span(message).first(message.size() - 1)), message.size() - 1);
  EXPECT_EQ(framer.Next(&out), Framer::Result::kNeedMoreBytes);
  EXPECT_EQ(framer.buffered(), message.size() - 1);
  ASSERT_EQ(framer.Append(std::span(message).last(1)), 1u);
  ASSERT_EQ(framer.Next(&out), Framer::Result::kMessage);
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.end()), message);
  EXPECT_EQ(framer.Next(&out), Framer::Result::kNeedMoreBytes);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(BmpFramerTest, BadVersionIsFatalFromItsFirstByte) {
  Framer framer;
  std::span<const uint8_t> out;
  const uint8_t bmp_v1 = 1;
  ASSERT_EQ(framer.Append(std::span(&bmp_v1, 1)), 1u);
  EXPECT_EQ(framer.Next(&out), Framer::Result::kStreamError);
  EXPECT_EQ(framer.error().kind, ErrorKind::kBadVersion);
  EXPECT_EQ(framer.error().offset, 0u);
}

TEST(BmpFramerTest, BadVersionAfterGoodMessagesIsReportedAtItsStreamOffset) {
  std::vector<uint8_t> stream = BmpMessage(4, Bytes());
  const std::vector<uint8_t> second = BmpMessage(4, Bytes());
  stream.insert(stream.end(), second.begin(), second.end());
  stream.push_back(2);
  Framer framer;
  Messages out;
  ASSERT_EQ(framer.Append(stream), stream.size());
  EXPECT_FALSE(Drain(&framer, &out));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(framer.error().kind, ErrorKind::kBadVersion);
  EXPECT_EQ(framer.error().offset, 12u);
}

TEST(BmpFramerTest, ErrorIsStickyAndTheFramerTakesNothingMore) {
  Framer framer;
  std::span<const uint8_t> out;
  const std::vector<uint8_t> bad = {9, 0, 0, 0, 6, 4};
  ASSERT_EQ(framer.Append(bad), bad.size());
  ASSERT_EQ(framer.Next(&out), Framer::Result::kStreamError);
  const std::vector<uint8_t> good = BmpMessage(4, Bytes());
  EXPECT_EQ(framer.Append(good), 0u);
  EXPECT_TRUE(framer.WritableSpace().empty());
  EXPECT_EQ(framer.Next(&out), Framer::Result::kStreamError);
  EXPECT_EQ(framer.error().kind, ErrorKind::kBadVersion);
}

TEST(BmpFramerTest, LengthAboveTheMaximumIsFatalBeforeTheBodyArrives) {
  Framer framer({.max_message_length = 4096});
  const std::vector<uint8_t> header = {3, 0, 0, 0x10, 0x01, 0};  // 4097 bytes announced
  std::span<const uint8_t> out;
  ASSERT_EQ(framer.Append(header), header.size());
  EXPECT_EQ(framer.Next(&out), Framer::Result::kStreamError);
  EXPECT_EQ(framer.error().kind, ErrorKind::kMessageTooLarge);
  EXPECT_EQ(framer.error().offset, 1u);
  EXPECT_EQ(ErrorKindName(framer.error().kind), "message_too_large");
}

TEST(BmpFramerTest, AbsurdLengthWithTheDefaultMaximumIsFatal) {
  Framer framer;
  const std::vector<uint8_t> header = {3, 0xff, 0xff, 0xff, 0xff, 0};
  std::span<const uint8_t> out;
  ASSERT_EQ(framer.Append(header), header.size());
  EXPECT_EQ(framer.Next(&out), Framer::Result::kStreamError);
  EXPECT_EQ(framer.error().kind, ErrorKind::kMessageTooLarge);
  EXPECT_LE(framer.capacity(),
            size_t{FramerOptions{}.max_message_length} + FramerOptions{}.read_chunk);
}

TEST(BmpFramerTest, LengthBelowTheCommonHeaderIsFatal) {
  for (uint8_t length = 0; length < 6; ++length) {
    Framer framer;
    const std::vector<uint8_t> header = {3, 0, 0, 0, length, 4};
    std::span<const uint8_t> out;
    ASSERT_EQ(framer.Append(header), header.size());
    EXPECT_EQ(framer.Next(&out), Framer::Result::kStreamError);
    EXPECT_EQ(framer.error().kind, ErrorKind::kBadLength);
  }
}

TEST(BmpFramerTest, MessageAbove64KiBIsFramedAndTheBufferStaysBounded) {
  // An extended BGP UPDATE (RFC 8654) plus BMP headers: more than 64 KiB.
  const Bytes update = BgpMessage(2, Bytes().U16(0).U16(0).Fill(65512, 0x11));  // 65535 bytes
  const std::vector<uint8_t> big = PerPeerMessage(0, PeerSpec{}, update);
  std::vector<uint8_t> stream = big;
  stream.insert(stream.end(), big.begin(), big.end());
  ASSERT_GT(big.size(), 65536u);
  const FramerOptions options{.max_message_length = 100000, .read_chunk = 4096};
  const Messages out = FrameInPieces(stream, 1000, options);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], big);
  EXPECT_EQ(out[1], big);
  Framer framer(options);
  Messages drained;
  for (size_t offset = 0; offset < stream.size();) {
    offset += framer.Append(
        std::span(stream).subspan(offset, std::min<size_t>(1000, stream.size() - offset)));
    ASSERT_TRUE(Drain(&framer, &drained));
    EXPECT_LE(framer.capacity(), size_t{options.max_message_length} + options.read_chunk);
  }
  EXPECT_EQ(drained.size(), 2u);
}

TEST(BmpFramerTest, AppendTakesWhatFitsAndTheRestAfterDraining) {
  const FramerOptions options{.max_message_length = 64, .read_chunk = 16};
  Framer framer(options);
  std::vector<uint8_t> stream;
  Messages expected;
  for (int i = 0; i < 20; ++i) {
    expected.push_back(BmpMessage(4, testing::TlvBytes(0, testing::TextValue("message"))));
    stream.insert(stream.end(), expected.back().begin(), expected.back().end());
  }
  Messages out;
  size_t offset = 0;
  while (offset < stream.size()) {
    const size_t taken = framer.Append(std::span(stream).subspan(offset));
    EXPECT_LE(taken, framer.capacity());
    offset += taken;
    ASSERT_TRUE(Drain(&framer, &out));
  }
  EXPECT_EQ(out, expected);
  EXPECT_EQ(framer.capacity(), 64u + 16u);  // never grew: every message fits the initial room
}

TEST(BmpFramerTest, SteadyStateNeverGrowsTheBuffer) {
  Messages golden;
  const std::vector<uint8_t> stream = GoldenStream(&golden);
  Framer framer({.read_chunk = 1500});
  const size_t capacity = framer.capacity();
  Messages out;
  for (int round = 0; round < 2000; ++round) {
    size_t offset = 0;
    while (offset < stream.size()) {
      const size_t n = std::min<size_t>(1460, stream.size() - offset);  // one TCP segment
      offset += framer.Append(std::span(stream).subspan(offset, n));
      std::span<const uint8_t> message;
      while (framer.Next(&message) == Framer::Result::kMessage) {
        ASSERT_FALSE(message.empty());
      }
    }
  }
  EXPECT_EQ(framer.capacity(), capacity);
  EXPECT_EQ(framer.buffered(), 0u);
  EXPECT_TRUE(framer.error().ok());
}

TEST(BmpFramerTest, YieldedMessageDecodes) {
  const std::vector<uint8_t> message = PerPeerMessage(0, PeerSpec{.flags = 0x40}, BgpUpdate());
  Framer framer;
  ASSERT_EQ(framer.Append(message), message.size());
  std::span<const uint8_t> out;
  ASSERT_EQ(framer.Next(&out), Framer::Result::kMessage);
  Message decoded;
  ASSERT_TRUE(Decode(out, &decoded).ok());
  EXPECT_EQ(decoded.peer.rib(), Rib::kAdjRibInPostPolicy);
}

TEST(BmpFramerOptionsTest, DefaultsAreValidAndAboveSixtyFourKiB) {
  const FramerOptions options;
  EXPECT_TRUE(options.Validate().ok());
  EXPECT_GT(options.max_message_length, 65535u + kCommonHeaderLength + kPerPeerHeaderLength);
}

TEST(BmpFramerOptionsTest, OutOfRangeValuesFailValidationAndAreClamped) {
  EXPECT_FALSE((FramerOptions{.max_message_length = 5}).Validate().ok());
  EXPECT_FALSE((FramerOptions{.max_message_length = 1u << 30}).Validate().ok());
  EXPECT_FALSE((FramerOptions{.read_chunk = 0}).Validate().ok());
  const Framer framer(FramerOptions{.max_message_length = 1, .read_chunk = 0});
  EXPECT_EQ(framer.options().max_message_length, kCommonHeaderLength);
  EXPECT_EQ(framer.options().read_chunk, 1u);
}

}  // namespace
}  // namespace ribflow::bmp
