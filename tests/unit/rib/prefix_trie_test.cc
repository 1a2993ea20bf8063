#include "rib/prefix_trie.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "common/ip_address.h"

namespace ribflow {
namespace {

const void* V(uintptr_t v) { return reinterpret_cast<const void*>(v); }
uintptr_t U(const void* v) { return reinterpret_cast<uintptr_t>(v); }

// Brute-force reference: every stored prefix containing the address, longest first.
std::vector<std::pair<int, uintptr_t>> Expected(const std::map<Prefix, uintptr_t>& model,
                                                const IpAddress& a) {
  std::vector<std::pair<int, uintptr_t>> out;
  for (const auto& [p, v] : model) {
    if (p.Contains(a)) out.push_back({p.length, v});
  }
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.first > y.first; });
  return out;
}

std::vector<std::pair<int, uintptr_t>> Matched(const PrefixTrie& trie, const IpAddress& a) {
  std::vector<std::pair<int, uintptr_t>> out;
  PrefixTrie::Matcher m(trie, a.family_bytes());
  const void* v;
  int len;
  while (m.Next(&v, &len)) out.push_back({len, U(v)});
  return out;
}

Prefix ToPrefix(const PrefixTrie::Entry& e, bool v4) {
  return Prefix{IpAddress::FromFamilyBytes(e.key, v4), e.length};
}

class PrefixTrieTest : public ::testing::TestWithParam<bool> {};

TEST_P(PrefixTrieTest, RandomInsertRemoveStoreMatchesBruteForce) {
  const bool v4 = GetParam();
  EpochDomain epochs;
  PrefixTrie trie(v4 ? 4 : 16, &epochs);
  std::map<Prefix, uintptr_t> model;
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
  uintptr_t next_value = 1;
  for (int step = 0; step < 20000; ++step) {
    const int length = std::uniform_int_distribution<int>(0, bits)(rng);
    const Prefix p = *Prefix::Make(random_address(), length);
    const int op = rng() % 4;
    if (op < 2) {
      const void* existing = trie.Insert(p.address.family_bytes(), p.length, V(next_value));
      if (model.count(p)) {
        EXPECT_EQ(U(existing), model[p]);
      } else {
        EXPECT_EQ(existing, nullptr);
        model[p] = next_value++;
      }
    } else if (op == 2) {
      const bool present = model.count(p);
      EXPECT_EQ(trie.Store(p.address.family_bytes(), p.length, V(next_value)), present);
      if (present) model[p] = next_value++;
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
  for (const auto& [p, v] : model) EXPECT_EQ(U(trie.Find(p.address.family_bytes(), p.length)), v);

  // Collect walks every prefix in (address, length) order, in resumable batches.
  std::vector<PrefixTrie::Entry> all, batch;
  PrefixTrie::Entry cursor{};
  bool has_cursor = false;
  for (;;) {
    batch.clear();
    trie.Collect(has_cursor ? &cursor : nullptr, 7, &batch);
    all.insert(all.end(), batch.begin(), batch.end());
    if (batch.size() < 7) break;
    cursor = batch.back();
    has_cursor = true;
  }
  ASSERT_EQ(all.size(), model.size());
  auto it = model.begin();  // std::map orders Prefix by (address, length): the same order
  for (const auto& e : all) {
    EXPECT_EQ(ToPrefix(e, v4), it->first);
    EXPECT_EQ(U(e.value), it->second);
    ++it;
  }

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
  trie.Insert(d.address.family_bytes(), 0, V(1));
  trie.Insert(h.address.family_bytes(), 32, V(2));
  trie.Insert(e.address.family_bytes(), 24, V(3));
  auto m = Matched(trie, *IpAddress::Parse("10.1.2.3"));
  EXPECT_EQ(m, (std::vector<std::pair<int, uintptr_t>>{{32, 2}, {24, 3}, {0, 1}}));
  m = Matched(trie, *IpAddress::Parse("10.1.3.3"));
  EXPECT_EQ(m, (std::vector<std::pair<int, uintptr_t>>{{0, 1}}));
}

// A value writer storing into one prefix while a structural writer keeps copying the node
// that holds it (inserting and removing neighbours): the last stored value always survives.
TEST(PrefixTrieConcurrencyTest, StoreIsNeverLostToAConcurrentNodeCopy) {
  EpochDomain epochs;
  PrefixTrie trie(4, &epochs);
  const auto target = *Prefix::Parse("10.1.2.0/24");
  trie.Insert(target.address.family_bytes(), 24, V(1));
  std::atomic<bool> stop{false};
  std::thread structural([&] {
    auto* me = epochs.Register();
    for (uint32_t i = 0; !stop.load(); ++i) {
      const auto p = *Prefix::Make(IpAddress::FromV4(0x0a010000u | ((i % 200 + 3) << 8)), 24);
      std::lock_guard lock(trie.mutex());
      me->Pin();
      if (!trie.Remove(p.address.family_bytes(), 24))
        trie.Insert(p.address.family_bytes(), 24, V(7));
      me->Unpin();
    }
    epochs.Unregister(me);
  });
  auto* me = epochs.Register();
  for (uintptr_t v = 2; v < 20000; ++v) {
    me->Pin();
    ASSERT_TRUE(trie.Store(target.address.family_bytes(), 24, V(v)));
    me->Unpin();
    if (v % 16 == 0) {
      // Let the structural writer copy the node, then check nothing was lost.
      std::this_thread::yield();
      me->Pin();
      ASSERT_EQ(U(trie.Find(target.address.family_bytes(), 24)), v);
      me->Unpin();
    }
  }
  stop = true;
  structural.join();
  epochs.Unregister(me);
}

}  // namespace
}  // namespace ribflow
