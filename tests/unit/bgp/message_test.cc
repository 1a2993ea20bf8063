// The message header: marker, per-type length limits (RFC 4271 6.1, RFC 8654), type, and that
// a buffer holds exactly one message; plus the stable names and texts of errors.
#include "bgp/message.h"

#include <gtest/gtest.h>

#include "message_builder.h"

namespace ribflow::bgp {
namespace {

using testing::Bytes;
using testing::FixLength;
using testing::Message;

std::optional<DecodeError> Decode(const Bytes& bytes, bool extended = false) {
  MessageHeader header;
  return DecodeHeader(bytes, extended, &header);
}

TEST(MessageTest, KeepaliveHeaderDecodes) {
  const Bytes keepalive = Message(MessageType::kKeepalive, {});
  MessageHeader header;
  ASSERT_FALSE(DecodeHeader(keepalive, false, &header));
  EXPECT_EQ(header.length, 19);
  EXPECT_EQ(header.type, MessageType::kKeepalive);
}

TEST(MessageTest, FewerThanNineteenBytesIsTruncated) {
  const Bytes keepalive = Message(MessageType::kKeepalive, {});
  for (size_t size = 0; size < kHeaderSize; ++size) {
    const auto error = Decode(Bytes(keepalive.data(), keepalive.data() + size));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind, ErrorKind::kTruncated);
    EXPECT_EQ(error->action, ErrorAction::kDiscardMessage);
  }
}

TEST(MessageTest, MarkerWithAZeroBitIsBadMarker) {
  Bytes keepalive = Message(MessageType::kKeepalive, {});
  keepalive[7] = 0xfe;
  EXPECT_EQ(Decode(keepalive)->kind, ErrorKind::kBadMarker);
}

TEST(MessageTest, UnknownTypesAreBadMessageType) {
  for (uint8_t type : {0, 6, 255}) {
    Bytes message = Message(MessageType::kKeepalive, {});
    message[18] = type;
    EXPECT_EQ(Decode(message)->kind, ErrorKind::kBadMessageType) << int(type);
  }
}

TEST(MessageTest, LengthsBelowEachTypesMinimumAreBadMessageLength) {
  EXPECT_EQ(Decode(Message(MessageType::kOpen, Bytes(9, 0)))->kind, ErrorKind::kBadMessageLength);
  EXPECT_EQ(Decode(Message(MessageType::kUpdate, Bytes(3, 0)))->kind, ErrorKind::kBadMessageLength);
  EXPECT_EQ(Decode(Message(MessageType::kNotification, Bytes(1, 0)))->kind,
            ErrorKind::kBadMessageLength);
  EXPECT_EQ(Decode(Message(MessageType::kKeepalive, Bytes(1, 0)))->kind,
            ErrorKind::kBadMessageLength);
  EXPECT_FALSE(Decode(Message(MessageType::kUpdate, Bytes(4, 0))));
  EXPECT_FALSE(Decode(Message(MessageType::kNotification, Bytes(2, 0))));
  EXPECT_FALSE(Decode(Message(MessageType::kRouteRefresh, Bytes(4, 0))));
}

TEST(MessageTest, MessagesOver4096BytesNeedExtendedMessages) {
  const Bytes update = Message(MessageType::kUpdate, Bytes(5000, 0));
  EXPECT_EQ(Decode(update, false)->kind, ErrorKind::kBadMessageLength);
  EXPECT_FALSE(Decode(update, true));
  EXPECT_FALSE(Decode(Message(MessageType::kUpdate, Bytes(4096 - 19, 0)), false));
  EXPECT_FALSE(Decode(Message(MessageType::kUpdate, Bytes(65535 - 19, 0)), true));
}

TEST(MessageTest, OpenStaysWithin4096BytesEvenWithExtendedMessages) {
  EXPECT_EQ(Decode(Message(MessageType::kOpen, Bytes(5000, 0)), true)->kind,
            ErrorKind::kBadMessageLength);
}

TEST(MessageTest, CheckMessageWantsExactlyOneMessageOfTheExpectedType) {
  MessageHeader header;
  const Bytes update = Message(MessageType::kUpdate, Bytes(4, 0));
  EXPECT_FALSE(CheckMessage(update, MessageType::kUpdate, false, &header));
  EXPECT_EQ(header.length, 23);
  EXPECT_EQ(CheckMessage(update, MessageType::kOpen, false, &header)->kind,
            ErrorKind::kBadMessageType);
  const Bytes shorter(update.begin(), update.end() - 1);
  EXPECT_EQ(CheckMessage(shorter, MessageType::kUpdate, false, &header)->kind,
            ErrorKind::kTruncated);
  Bytes longer = update;
  longer.push_back(0);
  EXPECT_EQ(CheckMessage(longer, MessageType::kUpdate, false, &header)->kind,
            ErrorKind::kBadMessageLength);
  FixLength(longer);  // now a valid 24-byte UPDATE as far as the header goes
  EXPECT_FALSE(CheckMessage(longer, MessageType::kUpdate, false, &header));
}

TEST(MessageTest, ErrorNamesAreStableMetricLabels) {
  EXPECT_EQ(ErrorKindName(ErrorKind::kTruncated), "truncated");
  EXPECT_EQ(ErrorKindName(ErrorKind::kBadAttributeLength), "bad_attribute_length");
  EXPECT_EQ(ErrorKindName(ErrorKind::kMalformedAsPath), "malformed_as_path");
  EXPECT_EQ(ErrorKindName(ErrorKind::kMalformedNlri), "malformed_nlri");
  EXPECT_EQ(ErrorActionName(ErrorAction::kTreatAsWithdraw), "treat_as_withdraw");
  EXPECT_EQ(ErrorActionName(ErrorAction::kDiscardMessage), "discard_message");
}

TEST(MessageTest, ErrorTextNamesKindOffsetAttributeAndDetail) {
  const DecodeError error{ErrorKind::kBadAttributeLength, ErrorAction::kTreatAsWithdraw, 5, 42,
                          "LOCAL_PREF is not 4 bytes"};
  EXPECT_EQ(error.ToString(),
            "bad_attribute_length at offset 42 (attribute 5): LOCAL_PREF is not 4 bytes");
  EXPECT_EQ(error.ToStatus().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(DecodeError{}.ToStatus().ok());
}

}  // namespace
}  // namespace ribflow::bgp
