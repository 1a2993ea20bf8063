#include "rib/prefix_trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "common/ip_address.h"

namespace ribflow {
namespace {

// Brute-force reference: every stored prefix containing the address, longest first.
std::vector<std::pair<int, uint32_t>> Expected(const std::map<Prefix, uint32_t>& model,
                                               const IpAddress& a) {
  std::vector<std::pair<int, uint32_t>> out;
  for (const auto& [p, v] : model) {
    if (p.Contains(a)) out.push_back({p.length, v});
  }
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.first > y.first; });
  return out;
}

std::vector<std::pair<int, uint32_t>> Matched(const PrefixTrie& trie, const IpAddress& a) {
  std::vector<std::pair<int, uint32_t>> out;
  PrefixTrie::Matcher m(trie, a.family_bytes());
  uint32_t v;
  int len;
  while (m.Next(&v, &len)) out.push_back({len, v});
  return out;
}

class PrefixTrieTest : public ::testing::TestWithParam<bool> {};

TEST_P(PrefixTrieTest, RandomInsertRemoveMatchesBruteForce) {
  const bool v4 = GetParam();
  EpochDomain epochs;
  PrefixTrie trie(v4 ? 4 : 16, &epochs);
  std::map<Prefix, uint32_t> model;
  std::mt19937_64 rng(v4 ? 1 : 2);
  const int bits = v4 ? 32 : 128;
  // A narrow address space so prefixes nest and share nodes often.
  auto random_address = [&] {
    if (v4) return IpAddress::FromV4(0x0a000000u | (rng() & 0x00f0f0ffu));
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
    b[4] = rng() & 0xf0;
    b[6] = rng() & 0x3;
    b[15] = rng() & 0xff;
    return IpAddress::FromV6(b);
  };
  uint32_t next_value = 1;
  for (int step = 0; step < 20000; ++step) {
    const int length = std::uniform_int_distribution<int>(0, bits)(rng);
    const Prefix p = *Prefix::Make(random_address(), length);
    if (rng() % 3 != 0) {
      const uint32_t existing = trie.Insert(p.address.family_bytes(), p.length, next_value);
      if (model.count(p)) {
        EXPECT_EQ(existing, model[p]);
      } else {
        EXPECT_EQ(existing, PrefixTrie::kNoValue);
        model[p] = next_value++;
      }
    } else {
      EXPECT_EQ(trie.Remove(p.address.family_bytes(), p.length), model.erase(p) == 1);
    }
    if (step % 50 == 0) {
      const IpAddress a = random_address();
      ASSERT_EQ(Matched(trie, a), Expected(model, a)) << a.ToString();
      epochs.Collect();
    }
  }
  EXPECT_EQ(trie.prefix_count(), model.size());
  for (const auto& [p, v] : model) EXPECT_EQ(trie.Find(p.address.family_bytes(), p.length), v);
  // Removing everything frees every node but the root.
  for (const auto& [p, v] : model) ASSERT_TRUE(trie.Remove(p.address.family_bytes(), p.length));
  epochs.Drain();
  EXPECT_EQ(trie.node_count(), 1u);
  EXPECT_EQ(trie.prefix_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Families, PrefixTrieTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "IPv4" : "IPv6"; });

TEST(PrefixTrieEdgeTest, DefaultRouteAndHostRoutes) {
  EpochDomain epochs;
  PrefixTrie trie(4, &epochs);
  const auto d = *Prefix::Parse("0.0.0.0/0");
  const auto h = *Prefix::Parse("10.1.2.3/32");
  const auto e = *Prefix::Parse("10.1.2.0/24");
  trie.Insert(d.address.family_bytes(), 0, 1);
  trie.Insert(h.address.family_bytes(), 32, 2);
  trie.Insert(e.address.family_bytes(), 24, 3);
  auto m = Matched(trie, *IpAddress::Parse("10.1.2.3"));
  EXPECT_EQ(m, (std::vector<std::pair<int, uint32_t>>{{32, 2}, {24, 3}, {0, 1}}));
  m = Matched(trie, *IpAddress::Parse("10.1.3.3"));
  EXPECT_EQ(m, (std::vector<std::pair<int, uint32_t>>{{0, 1}}));
}

}  // namespace
}  // namespace ribflow
