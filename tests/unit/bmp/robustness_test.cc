// Hostile input: every golden message cut at every offset, and every byte of it overwritten,
// decodes to an error or to a message whose spans stay inside the input; never a crash or a
// read outside it (run under ASan in CI: each input sits in its own exactly-sized allocation).
#include <gtest/gtest.h>

#include "bmp/message.h"
#include "bmp_test_messages.h"

namespace ribflow::bmp {
namespace {

using testing::GoldenMessages;

bool Within(std::span<const uint8_t> inner, std::span<const uint8_t> outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

// Every span a successful decode produced lies in `input`. Only the body of the decoded type
// is looked at: the others still hold what earlier decodes left (see Message).
void ExpectSpansWithin(const Message& m, std::span<const uint8_t> input) {
  auto tlvs_within = [&](const std::vector<Tlv>& tlvs) {
    for (const Tlv& tlv : tlvs) EXPECT_TRUE(Within(tlv.value, input));
  };
  switch (m.type) {
    case MessageType::kRouteMonitoring:
      EXPECT_TRUE(Within(m.route_monitoring.update, input));
      tlvs_within(m.route_monitoring.tlvs);
      break;
    case MessageType::kStatisticsReport:
      for (const Stat& stat : m.statistics.stats) EXPECT_TRUE(Within(stat.data, input));
      break;
    case MessageType::kPeerDown:
      EXPECT_TRUE(Within(m.peer_down.notification, input));
      EXPECT_TRUE(Within(m.peer_down.data, input));
      tlvs_within(m.peer_down.tlvs);
      break;
    case MessageType::kPeerUp:
      EXPECT_TRUE(Within(m.peer_up.sent_open, input));
      EXPECT_TRUE(Within(m.peer_up.received_open, input));
      tlvs_within(m.peer_up.tlvs);
      break;
    case MessageType::kInitiation:
      tlvs_within(m.initiation.tlvs);
      break;
    case MessageType::kTermination:
      tlvs_within(m.termination.tlvs);
      break;
    case MessageType::kRouteMirroring:
      tlvs_within(m.route_mirroring.tlvs);
      break;
    default:
      ADD_FAILURE() << "an unknown type decoded";
  }
}

// The TLVs of the decoded type's body.
size_t TlvCount(const Message& m) {
  switch (m.type) {
    case MessageType::kRouteMonitoring:
      return m.route_monitoring.tlvs.size();
    case MessageType::kStatisticsReport:
      return m.statistics.stats.size();
    case MessageType::kPeerDown:
      return m.peer_down.tlvs.size();
    case MessageType::kPeerUp:
      return m.peer_up.tlvs.size();
    case MessageType::kInitiation:
      return m.initiation.tlvs.size();
    case MessageType::kTermination:
      return m.termination.tlvs.size();
    case MessageType::kRouteMirroring:
      return m.route_mirroring.tlvs.size();
  }
  return 0;
}

TEST(BmpRobustnessTest, EveryGoldenMessageDecodes) {
  for (const auto& [name, message] : GoldenMessages()) {
    Message m;
    const Error e = Decode(message, &m);
    EXPECT_TRUE(e.ok()) << name << ": " << e.ToString();
    ExpectSpansWithin(m, message);
  }
}

TEST(BmpRobustnessTest, CutAtEveryOffsetIsTruncated) {
  // The bytes a framer would never have yielded: a prefix of a message, its length field
  // unchanged.
  for (const auto& [name, message] : GoldenMessages()) {
    Message m;
    for (size_t size = 0; size < message.size(); ++size) {
      const std::vector<uint8_t> cut(message.begin(), message.begin() + size);
      const Error e = Decode(cut, &m);
      EXPECT_EQ(e.kind, ErrorKind::kTruncated) << name << " cut to " << size;
    }
  }
}

TEST(BmpRobustnessTest, CutAtEveryOffsetWithItsLengthFixedIsAnErrorUnlessATlvListEndsThere) {
  // The cut message re-announced with its new length, so that the body decoders see the cut.
  // It may only decode when the cut falls between two TLVs of a trailing TLV list, and then it
  // holds fewer TLVs than the whole message.
  for (const auto& [name, message] : GoldenMessages()) {
    Message whole;
    ASSERT_TRUE(Decode(message, &whole).ok());
    Message m;
    for (size_t size = kCommonHeaderLength; size < message.size(); ++size) {
      std::vector<uint8_t> cut(message.begin(), message.begin() + size);
      cut[1] = static_cast<uint8_t>(size >> 24);
      cut[2] = static_cast<uint8_t>(size >> 16);
      cut[3] = static_cast<uint8_t>(size >> 8);
      cut[4] = static_cast<uint8_t>(size);
      const Error e = Decode(cut, &m);
      if (e.ok()) {
        ExpectSpansWithin(m, cut);
        EXPECT_LT(TlvCount(m), TlvCount(whole)) << name << " cut to " << size << " decoded";
      }
    }
  }
}

TEST(BmpRobustnessTest, EveryByteOverwrittenWithEveryValueNeverReadsOutside) {
  size_t decoded = 0, failed = 0;
  for (const auto& [name, message] : GoldenMessages()) {
    Message m;  // reused across all mutations, as a session reuses it
    for (size_t at = 0; at < message.size(); ++at) {
      for (int value = 0; value < 256; value += 5) {
        std::vector<uint8_t> mutated = message;
        mutated[at] = static_cast<uint8_t>(value);
        const Error e = Decode(mutated, &m);
        if (e.ok()) {
          ExpectSpansWithin(m, mutated);
          ++decoded;
        } else {
          EXPECT_LE(e.offset, mutated.size()) << name;
          EXPECT_FALSE(ErrorKindName(e.kind).empty());
          ++failed;
        }
      }
    }
  }
  // Both outcomes occur: the mutations reach past the headers into the bodies.
  EXPECT_GT(decoded, 0u);
  EXPECT_GT(failed, 0u);
}

}  // namespace
}  // namespace ribflow::bmp
