// ByteReader: network-order reads, and reads past the end fail without moving the reader.
#include "common/byte_reader.h"

#include <gtest/gtest.h>

namespace ribflow {
namespace {

TEST(ByteReaderTest, ReadsIntegersInNetworkOrder) {
  const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                           0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12};
  ByteReader r(bytes, sizeof(bytes));
  uint8_t u8;
  uint16_t u16;
  uint32_t u24, u32;
  uint64_t u64;
  ASSERT_TRUE(r.ReadU8(&u8));
  ASSERT_TRUE(r.ReadU16(&u16));
  ASSERT_TRUE(r.ReadU24(&u24));
  ASSERT_TRUE(r.ReadU32(&u32));
  ASSERT_TRUE(r.ReadU64(&u64));
  EXPECT_EQ(u8, 0x01);
  EXPECT_EQ(u16, 0x0203);
  EXPECT_EQ(u24, 0x040506u);
  EXPECT_EQ(u32, 0x0708090au);
  EXPECT_EQ(u64, 0x0b0c0d0e0f101112ull);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.offset(), sizeof(bytes));
}

TEST(ByteReaderTest, ShortReadFailsAndLeavesTheReaderInPlace) {
  const uint8_t bytes[] = {0xaa, 0xbb, 0xcc};
  ByteReader r(bytes, sizeof(bytes));
  uint32_t u32;
  uint64_t u64;
  std::span<const uint8_t> view;
  ByteReader sub;
  EXPECT_FALSE(r.ReadU32(&u32));
  EXPECT_FALSE(r.ReadU64(&u64));
  EXPECT_FALSE(r.ReadBytes(4, &view));
  EXPECT_FALSE(r.Skip(4));
  EXPECT_FALSE(r.Sub(4, &sub));
  EXPECT_EQ(r.offset(), 0u);
  uint32_t u24;
  ASSERT_TRUE(r.ReadU24(&u24));
  EXPECT_EQ(u24, 0xaabbccu);
  uint8_t u8;
  EXPECT_FALSE(r.ReadU8(&u8));
  EXPECT_FALSE(r.PeekU8(&u8));
}

TEST(ByteReaderTest, SubReaderIsBoundedAndConsumedFromTheParent) {
  const uint8_t bytes[] = {2, 0x11, 0x22, 0x33};
  ByteReader r(bytes, sizeof(bytes));
  uint8_t length;
  ASSERT_TRUE(r.ReadU8(&length));
  ByteReader value;
  ASSERT_TRUE(r.Sub(length, &value));
  uint16_t v;
  ASSERT_TRUE(value.ReadU16(&v));
  EXPECT_EQ(v, 0x1122);
  uint8_t extra;
  EXPECT_FALSE(value.ReadU8(&extra));  // the 0x33 belongs to the parent
  ASSERT_EQ(r.remaining(), 1u);
  EXPECT_EQ(r.rest()[0], 0x33);
}

TEST(ByteReaderTest, EmptyReaderReadsNothing) {
  ByteReader r;
  uint8_t u8;
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadU8(&u8));
  uint8_t out[1];
  EXPECT_TRUE(r.CopyBytes(0, out));
  EXPECT_TRUE(r.Skip(0));
}

}  // namespace
}  // namespace ribflow
