// BMP Statistics Reports: every registered statistics type decodes with its registered width
// (32-bit counter, 64-bit gauge, per-AFI/SAFI 64-bit gauge), and what the registry does not
// describe (unknown types, unexpected lengths) is kept raw and counted, as RFC 7854 4.8 asks.
#include <gtest/gtest.h>

#include "bmp/message.h"
#include "bmp_test_messages.h"

namespace ribflow::bmp {
namespace {

using testing::Bytes;
using testing::PeerSpec;
using testing::PerPeerMessage;
using testing::TlvBytes;

std::vector<uint8_t> StatsMessage(uint32_t count, const Bytes& stats, PeerSpec peer = {}) {
  return PerPeerMessage(1, peer, Bytes().U32(count).Append(stats));
}

// The widths of IANA "BMP Statistics Types", written out from the registry: RFC 7854 4.8 for
// 0-13, RFC 8671 5 for 14-17, RFC 9972 3 for 18-43.
constexpr uint16_t kCounters[] = {0, 1, 2, 3, 4, 5, 6, 11, 12, 13};
constexpr uint16_t kGauges[] = {7, 8, 14, 15, 18, 20, 29, 31, 33, 39};
constexpr uint16_t kAfiSafiGauges[] = {9,  10, 16, 17, 19, 21, 22, 23, 24, 25, 26, 27,
                                       28, 30, 32, 34, 35, 36, 37, 38, 40, 41, 42, 43};

TEST(BmpStatisticsTest, RegistryShapesCoverTypesZeroToFortyThree) {
  for (uint16_t type : kCounters) EXPECT_EQ(RegisteredStatShape(type), StatShape::kCounter32);
  for (uint16_t type : kGauges) EXPECT_EQ(RegisteredStatShape(type), StatShape::kGauge64);
  for (uint16_t type : kAfiSafiGauges) {
    EXPECT_EQ(RegisteredStatShape(type), StatShape::kAfiSafiGauge64) << type;
  }
  EXPECT_EQ(std::size(kCounters) + std::size(kGauges) + std::size(kAfiSafiGauges), 44u);
  for (uint16_t type : {44, 100, 65531, 65535}) {
    EXPECT_EQ(RegisteredStatShape(type), StatShape::kRaw);
  }
}

TEST(BmpStatisticsTest, EveryCounterTypeDecodesAsThirtyTwoBits) {
  Bytes stats;
  for (uint16_t type : kCounters) stats.Append(TlvBytes(type, Bytes().U32(0xfffffff0u + type)));
  const auto message = StatsMessage(std::size(kCounters), stats);
  Message m;
  const Error e = Decode(message, &m);
  ASSERT_TRUE(e.ok()) << e.ToString();
  ASSERT_EQ(m.statistics.stats.size(), std::size(kCounters));
  for (size_t i = 0; i < std::size(kCounters); ++i) {
    const Stat& stat = m.statistics.stats[i];
    EXPECT_EQ(stat.type, kCounters[i]);
    EXPECT_EQ(stat.shape, StatShape::kCounter32);
    EXPECT_EQ(stat.value, 0xfffffff0u + kCounters[i]);
    EXPECT_EQ(stat.data.size(), 4u);
  }
  EXPECT_EQ(m.statistics.unknown_type_count, 0u);
  EXPECT_EQ(m.statistics.bad_length_count, 0u);
}

TEST(BmpStatisticsTest, EveryGaugeTypeDecodesAsSixtyFourBits) {
  Bytes stats;
  for (uint16_t type : kGauges)
    stats.Append(TlvBytes(type, Bytes().U64(0x0123456789abcd00u + type)));
  Message m;
  ASSERT_TRUE(Decode(StatsMessage(std::size(kGauges), stats), &m).ok());
  ASSERT_EQ(m.statistics.stats.size(), std::size(kGauges));
  for (size_t i = 0; i < std::size(kGauges); ++i) {
    EXPECT_EQ(m.statistics.stats[i].shape, StatShape::kGauge64);
    EXPECT_EQ(m.statistics.stats[i].value, 0x0123456789abcd00u + kGauges[i]);
  }
}

TEST(BmpStatisticsTest, EveryPerAfiSafiTypeDecodesAfiSafiAndGauge) {
  Bytes stats;
  for (uint16_t type : kAfiSafiGauges) {
    stats.Append(TlvBytes(type, Bytes().U16(2).U8(128).U64(1000000u + type)));  // IPv6, L3VPN
  }
  Message m;
  ASSERT_TRUE(Decode(StatsMessage(std::size(kAfiSafiGauges), stats), &m).ok());
  ASSERT_EQ(m.statistics.stats.size(), std::size(kAfiSafiGauges));
  for (size_t i = 0; i < std::size(kAfiSafiGauges); ++i) {
    const Stat& stat = m.statistics.stats[i];
    EXPECT_EQ(stat.shape, StatShape::kAfiSafiGauge64);
    EXPECT_EQ(stat.afi, 2);
    EXPECT_EQ(stat.safi, 128);
    EXPECT_EQ(stat.value, 1000000u + kAfiSafiGauges[i]);
    EXPECT_EQ(stat.data.size(), 11u);
  }
}

TEST(BmpStatisticsTest, AdjRibOutStatisticsArriveOnAnAdjRibOutPeer) {
  // RFC 8671 5: types 14-17 describe the Adj-RIB-Out of a peer reported with the O flag.
  const Bytes stats = TlvBytes(14, Bytes().U64(10))
                          .Append(TlvBytes(15, Bytes().U64(9)))
                          .Append(TlvBytes(16, Bytes().U16(1).U8(1).U64(8)))
                          .Append(TlvBytes(17, Bytes().U16(1).U8(1).U64(7)));
  Message m;
  ASSERT_TRUE(Decode(StatsMessage(4, stats, {.flags = 0x10 | 0x40}), &m).ok());
  EXPECT_EQ(m.peer.rib(), Rib::kAdjRibOutPostPolicy);
  ASSERT_EQ(m.statistics.stats.size(), 4u);
  EXPECT_EQ(m.statistics.stats[0].value, 10u);
  EXPECT_EQ(m.statistics.stats[3].afi, 1);
  EXPECT_EQ(m.statistics.stats[3].value, 7u);
}

TEST(BmpStatisticsTest, UnknownTypeIsKeptRawAndCountedNotAnError) {
  const Bytes stats = TlvBytes(65531, Bytes{1, 2, 3}).Append(TlvBytes(0, Bytes().U32(5)));
  Message m;
  ASSERT_TRUE(Decode(StatsMessage(2, stats), &m).ok());
  ASSERT_EQ(m.statistics.stats.size(), 2u);
  EXPECT_EQ(m.statistics.stats[0].type, 65531);
  EXPECT_EQ(m.statistics.stats[0].shape, StatShape::kRaw);
  EXPECT_EQ(m.statistics.stats[0].data.size(), 3u);
  EXPECT_EQ(m.statistics.stats[1].value, 5u);
  EXPECT_EQ(m.statistics.unknown_type_count, 1u);
  EXPECT_EQ(m.statistics.bad_length_count, 0u);
}

TEST(BmpStatisticsTest, RegisteredTypeWithUnexpectedLengthIsKeptRawAndCounted) {
  // A counter sent in 8 bytes, a gauge in 4, a per-AFI/SAFI gauge without its SAFI.
  const Bytes stats = TlvBytes(0, Bytes().U64(1))
                          .Append(TlvBytes(7, Bytes().U32(2)))
                          .Append(TlvBytes(9, Bytes().U16(1).U64(3)));
  Message m;
  ASSERT_TRUE(Decode(StatsMessage(3, stats), &m).ok());
  ASSERT_EQ(m.statistics.stats.size(), 3u);
  for (const Stat& stat : m.statistics.stats) {
    EXPECT_EQ(stat.shape, StatShape::kRaw);
    EXPECT_EQ(stat.value, 0u);
    EXPECT_EQ(stat.afi, 0);
  }
  EXPECT_EQ(m.statistics.stats[2].data.size(), 10u);
  EXPECT_EQ(m.statistics.bad_length_count, 3u);
  EXPECT_EQ(m.statistics.unknown_type_count, 0u);
}

TEST(BmpStatisticsTest, EmptyReportIsValid) {
  Message m;
  ASSERT_TRUE(Decode(StatsMessage(0, Bytes()), &m).ok());
  EXPECT_TRUE(m.statistics.stats.empty());
  EXPECT_EQ(m.statistics.declared_count, 0u);
}

TEST(BmpStatisticsTest, CountDisagreeingWithTheStatsPresentIsBadStatsCount) {
  const Bytes stats = TlvBytes(0, Bytes().U32(1));
  Message m;
  const Error e = Decode(StatsMessage(2, stats), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadStatsCount);
  EXPECT_EQ(e.offset, 48u);
  EXPECT_EQ(m.statistics.declared_count, 2u);
  EXPECT_EQ(m.statistics.stats.size(), 1u);  // decoded all the same
  EXPECT_EQ(m.statistics.stats[0].value, 1u);
  EXPECT_EQ(Decode(StatsMessage(0, stats), &m).kind, ErrorKind::kBadStatsCount);
}

TEST(BmpStatisticsTest, StatRunningPastTheEndIsBadTlvAtItsStart) {
  Bytes stats = TlvBytes(0, Bytes().U32(1)).Append(TlvBytes(7, Bytes().U64(1)));
  stats.data().pop_back();
  Message m;
  const Error e = Decode(StatsMessage(2, stats), &m);
  EXPECT_EQ(e.kind, ErrorKind::kBadTlv);
  EXPECT_EQ(e.offset, 48u + 4u + 8u);
  EXPECT_EQ(e.field, "stat");
}

TEST(BmpStatisticsTest, MoreStatsThanTheTlvBoundIsTooManyTlvs) {
  Bytes stats;
  for (size_t i = 0; i <= kMaxTlvsPerMessage; ++i) stats.Append(TlvBytes(999, Bytes()));
  Message m;
  const Error e = Decode(StatsMessage(kMaxTlvsPerMessage + 1, stats), &m);
  EXPECT_EQ(e.kind, ErrorKind::kTooManyTlvs);
  EXPECT_EQ(e.offset, 48u + 4u + 4u * kMaxTlvsPerMessage);
  EXPECT_EQ(m.statistics.stats.size(), kMaxTlvsPerMessage);
}

TEST(BmpStatisticsTest, MissingCountIsTruncated) {
  Message m;
  const Error e = Decode(PerPeerMessage(1, PeerSpec{}, Bytes{0, 0}), &m);
  EXPECT_EQ(e.kind, ErrorKind::kTruncated);
  EXPECT_EQ(e.offset, 48u);
}

TEST(BmpStatisticsTest, ReusedMessageResetsTheCounts) {
  Message m;
  ASSERT_TRUE(Decode(StatsMessage(1, TlvBytes(999, Bytes())), &m).ok());
  EXPECT_EQ(m.statistics.unknown_type_count, 1u);
  ASSERT_TRUE(Decode(StatsMessage(1, TlvBytes(0, Bytes().U32(1))), &m).ok());
  EXPECT_EQ(m.statistics.unknown_type_count, 0u);
  EXPECT_EQ(m.statistics.stats.size(), 1u);
}

}  // namespace
}  // namespace ribflow::bmp
