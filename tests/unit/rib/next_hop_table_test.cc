// The next-hop table: one index per distinct address while referenced, an index reused only
// after its grace period, and a clear refusal when every index is taken.
#include "rib/next_hop_table.h"

#include <gtest/gtest.h>

namespace ribflow {
namespace {

TEST(NextHopTableTest, EqualAddressesShareOneIndexUntilLastRelease) {
  EpochDomain epochs;
  NextHopTable table(&epochs);
  const IpAddress a = *IpAddress::Parse("192.0.2.1"), b = *IpAddress::Parse("2001:db8::1");
  const auto ia = table.Acquire(a), ia2 = table.Acquire(a), ib = table.Acquire(b);
  ASSERT_TRUE(ia && ia2 && ib);
  EXPECT_EQ(*ia, *ia2);
  EXPECT_NE(*ia, *ib);
  EXPECT_EQ(table.address(*ia), a);
  EXPECT_EQ(table.address(*ib), b);
  EXPECT_EQ(table.size(), 2u);
  table.Release(*ia, 2);
  EXPECT_EQ(table.size(), 1u);
  table.Release(*ib);
  epochs.Drain();
  EXPECT_EQ(table.size(), 0u);
}

TEST(NextHopTableTest, FreedIndexKeepsItsAddressWhileAReaderIsPinned) {
  EpochDomain epochs;
  NextHopTable table(&epochs);
  auto* reader = epochs.Register();
  const IpAddress a = *IpAddress::Parse("192.0.2.1"), b = *IpAddress::Parse("192.0.2.2");
  const NextHopTable::Index ia = *table.Acquire(a);
  reader->Pin();
  table.Release(ia);
  epochs.Collect();
  epochs.Collect();
  // The index is not free yet: a new address gets another one, and `ia` still reads `a`.
  const NextHopTable::Index ib = *table.Acquire(b);
  EXPECT_NE(ib, ia);
  EXPECT_EQ(table.address(ia), a);
  reader->Unpin();
  epochs.Unregister(reader);
  epochs.Drain();
  // Now it is reused.
  EXPECT_EQ(*table.Acquire(*IpAddress::Parse("192.0.2.3")), ia);
}

TEST(NextHopTableTest, RefusesWhenEveryIndexIsTaken) {
  EpochDomain epochs;
  NextHopTable table(&epochs);
  for (uint32_t i = 0; i < NextHopTable::kCapacity; ++i) {
    ASSERT_TRUE(table.Acquire(IpAddress::FromV4(0x0a000000u + i))) << i;
  }
  EXPECT_FALSE(table.Acquire(*IpAddress::Parse("192.0.2.1")));
  // A known address is still found.
  EXPECT_TRUE(table.Acquire(IpAddress::FromV4(0x0a000005u)));
}

}  // namespace
}  // namespace ribflow
