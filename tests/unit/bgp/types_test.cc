// Families and ADD-PATH sets: each decoded family has its own bit, and families the codec does
// not decode are never reported as carrying path identifiers.
#include "bgp/types.h"

#include <gtest/gtest.h>

#include <set>

namespace ribflow::bgp {
namespace {

TEST(TypesTest, EveryDecodedFamilyHasADistinctIndex) {
  const AfiSafi families[] = {
      {Afi::kIpv4, Safi::kUnicast},        {Afi::kIpv4, Safi::kMulticast},
      {Afi::kIpv4, Safi::kLabeledUnicast}, {Afi::kIpv4, Safi::kMplsVpn},
      {Afi::kIpv6, Safi::kUnicast},        {Afi::kIpv6, Safi::kMulticast},
      {Afi::kIpv6, Safi::kLabeledUnicast}, {Afi::kIpv6, Safi::kMplsVpn},
      {Afi::kL2vpn, Safi::kEvpn},
  };
  std::set<int> indexes;
  for (const AfiSafi& family : families) {
    const auto index = DecodedFamilyIndex(family.afi, family.safi);
    ASSERT_TRUE(index.has_value());
    EXPECT_LT(*index, kDecodedFamilyCount);
    indexes.insert(*index);
  }
  EXPECT_EQ(indexes.size(), std::size(families));
}

TEST(TypesTest, OtherFamiliesAreNotDecoded) {
  EXPECT_FALSE(DecodedFamilyIndex(Afi::kIpv4, Safi::kEvpn));
  EXPECT_FALSE(DecodedFamilyIndex(Afi::kL2vpn, Safi::kUnicast));
  EXPECT_FALSE(DecodedFamilyIndex(Afi(16388), Safi(71)));   // BGP-LS
  EXPECT_FALSE(DecodedFamilyIndex(Afi::kIpv4, Safi(133)));  // flowspec
}

TEST(TypesTest, AddPathFamiliesContainExactlyWhatWasAdded) {
  AddPathFamilies families;
  EXPECT_TRUE(families.empty());
  families.Add(Afi::kIpv4, Safi::kUnicast);
  families.Add(Afi::kL2vpn, Safi::kEvpn);
  EXPECT_TRUE(families.Contains(Afi::kIpv4, Safi::kUnicast));
  EXPECT_TRUE(families.Contains(Afi::kL2vpn, Safi::kEvpn));
  EXPECT_FALSE(families.Contains(Afi::kIpv6, Safi::kUnicast));
  EXPECT_FALSE(families.Contains(Afi::kIpv4, Safi::kMulticast));
  EXPECT_FALSE(families.empty());
}

TEST(TypesTest, AddPathFamiliesIgnoreFamiliesTheCodecSkips) {
  AddPathFamilies families;
  families.Add(Afi(16388), Safi(71));
  EXPECT_TRUE(families.empty());
  EXPECT_FALSE(families.Contains(Afi(16388), Safi(71)));
}

}  // namespace
}  // namespace ribflow::bgp
