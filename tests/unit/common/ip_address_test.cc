#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace ribflow {
namespace {

TEST(IpAddressTest, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::Parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->v4(), 0xc0000201u);
  EXPECT_EQ(v4->ToString(), "192.0.2.1");
  auto v6 = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
  EXPECT_EQ(v6->family_bits(), 128);
}

TEST(IpAddressTest, RejectsGarbage) {
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "2001:db8:::1", "x", "1.2.3.4 ",
                          "0123456789012345678901234567890123456789012345678901"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
}

TEST(IpAddressTest, FromFamilyBytesInvertsFamilyBytes) {
  for (const char* text : {"192.0.2.1", "2001:db8::1", "0.0.0.0", "::"}) {
    const IpAddress a = *IpAddress::Parse(text);
    EXPECT_EQ(IpAddress::FromFamilyBytes(a.family_bytes(), a.is_v4()), a) << text;
  }
}

TEST(PrefixTest, ParseIsStrictAboutHostBits) {
  EXPECT_TRUE(Prefix::Parse("10.0.0.0/8"));
  EXPECT_FALSE(Prefix::Parse("10.0.0.1/8"));
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/33"));
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/"));
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/1x"));
  EXPECT_TRUE(Prefix::Parse("2001:db8::/32"));
  EXPECT_FALSE(Prefix::Parse("2001:db8::/129"));
  EXPECT_EQ(Prefix::Parse("0.0.0.0/0")->length, 0);
}

TEST(PrefixTest, ContainsRespectsFamilyAndLength) {
  auto p = *Prefix::Parse("198.51.100.0/22");
  EXPECT_TRUE(p.Contains(*IpAddress::Parse("198.51.103.255")));
  EXPECT_FALSE(p.Contains(*IpAddress::Parse("198.51.104.0")));
  EXPECT_FALSE(p.Contains(*IpAddress::Parse("::ffff:c633:6401")) == false);  // mapped == v4
  auto d = *Prefix::Parse("::/0");
  EXPECT_FALSE(d.Contains(*IpAddress::Parse("10.0.0.1")));
  EXPECT_TRUE(d.Contains(*IpAddress::Parse("2001:db8::1")));
}

TEST(PrefixTest, MakeClearsHostBits) {
  auto p = Prefix::Make(*IpAddress::Parse("2001:db8:ffff::1"), 33);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->ToString(), "2001:db8:8000::/33");
  EXPECT_FALSE(Prefix::Make(*IpAddress::Parse("10.0.0.0"), 40));
}

}  // namespace
}  // namespace ribflow
