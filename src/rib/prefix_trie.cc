#include "rib/prefix_trie.h"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ribflow {

struct TrieNode {
  uint64_t prefix_bits[8];  // ART indexes 1..511
  uint64_t child_bits[4];   // next address byte 0..255
  uint16_t prefix_count;
  uint16_t child_count;
  uint32_t bytes;

  std::atomic<TrieNode*>* children() { return reinterpret_cast<std::atomic<TrieNode*>*>(this + 1); }
  const std::atomic<TrieNode*>* children() const {
    return reinterpret_cast<const std::atomic<TrieNode*>*>(this + 1);
  }
  uint32_t* values() { return reinterpret_cast<uint32_t*>(children() + child_count); }
  const uint32_t* values() const {
    return reinterpret_cast<const uint32_t*>(children() + child_count);
  }
};
static_assert(sizeof(TrieNode) == 104);

namespace {

inline bool TestBit(const uint64_t* words, unsigned i) { return (words[i >> 6] >> (i & 63)) & 1; }

// Number of set bits strictly below bit i.
inline unsigned Rank(const uint64_t* words, unsigned i) {
  unsigned rank = 0;
  const unsigned word = i >> 6;
  for (unsigned k = 0; k < word; ++k) rank += std::popcount(words[k]);
  return rank + std::popcount(words[word] & ((uint64_t{1} << (i & 63)) - 1));
}

// ART index of a prefix within the node at its depth, and that depth.
inline int DepthOf(int length) { return length == 0 ? 0 : (length - 1) / 8; }
inline unsigned IndexOf(const uint8_t* key, int length) {
  const int depth = DepthOf(length);
  const int bits = length - depth * 8;  // 0 only for the default route, at the root
  return (1u << bits) | (unsigned{key[depth]} >> (8 - bits));
}

}  // namespace

PrefixTrie::PrefixTrie(int key_bytes, EpochDomain* epochs)
    : key_bytes_(key_bytes), epochs_(epochs) {
  root_.store(NewNode(nullptr, -1, 0, -1, -1, nullptr, -1), std::memory_order_relaxed);
}

PrefixTrie::~PrefixTrie() { FreeSubtree(root_.load(std::memory_order_relaxed)); }

void PrefixTrie::FreeSubtree(TrieNode* node) {
  for (unsigned i = 0; i < node->child_count; ++i) {
    FreeSubtree(node->children()[i].load(std::memory_order_relaxed));
  }
  FreeNode(node);
}

// Builds a node from `from` (or an empty one) with at most one prefix added or removed and at
// most one child added or removed (-1 = none). Values and children keep their bitmap order.
TrieNode* PrefixTrie::NewNode(const TrieNode* from, int add_prefix, uint32_t value,
                              int remove_prefix, int add_child, TrieNode* child,
                              int remove_child) {
  uint64_t prefix_bits[8] = {}, child_bits[4] = {};
  if (from != nullptr) {
    std::memcpy(prefix_bits, from->prefix_bits, sizeof(prefix_bits));
    std::memcpy(child_bits, from->child_bits, sizeof(child_bits));
  }
  if (add_prefix >= 0) prefix_bits[add_prefix >> 6] |= uint64_t{1} << (add_prefix & 63);
  if (remove_prefix >= 0) prefix_bits[remove_prefix >> 6] &= ~(uint64_t{1} << (remove_prefix & 63));
  if (add_child >= 0) child_bits[add_child >> 6] |= uint64_t{1} << (add_child & 63);
  if (remove_child >= 0) child_bits[remove_child >> 6] &= ~(uint64_t{1} << (remove_child & 63));
  unsigned prefix_count = 0, child_count = 0;
  for (uint64_t w : prefix_bits) prefix_count += std::popcount(w);
  for (uint64_t w : child_bits) child_count += std::popcount(w);

  const size_t bytes = sizeof(TrieNode) + child_count * sizeof(std::atomic<TrieNode*>) +
                       prefix_count * sizeof(uint32_t);
  void* memory = std::malloc(bytes);
  if (memory == nullptr) throw std::bad_alloc();
  auto* node = static_cast<TrieNode*>(memory);
  std::memcpy(node->prefix_bits, prefix_bits, sizeof(prefix_bits));
  std::memcpy(node->child_bits, child_bits, sizeof(child_bits));
  node->prefix_count = static_cast<uint16_t>(prefix_count);
  node->child_count = static_cast<uint16_t>(child_count);
  node->bytes = static_cast<uint32_t>(bytes);

  // Children: walk the old dense array, skipping the removed one, inserting the added one.
  unsigned out = 0;
  if (from != nullptr) {
    unsigned in = 0;
    for (unsigned b = 0; b < 256; ++b) {
      const bool had = TestBit(from->child_bits, b);
      if (static_cast<int>(b) == add_child) {
        new (&node->children()[out++]) std::atomic<TrieNode*>(child);
      }
      if (!had) continue;
      TrieNode* c = from->children()[in++].load(std::memory_order_relaxed);
      if (static_cast<int>(b) == remove_child) continue;
      new (&node->children()[out++]) std::atomic<TrieNode*>(c);
    }
  } else if (add_child >= 0) {
    new (&node->children()[out++]) std::atomic<TrieNode*>(child);
  }
  // Values: same walk over the prefix bitmap.
  out = 0;
  unsigned in = 0;
  for (unsigned i = 1; i < 512; ++i) {
    if (static_cast<int>(i) == add_prefix) node->values()[out++] = value;
    if (from == nullptr || !TestBit(from->prefix_bits, i)) continue;
    const uint32_t v = from->values()[in++];
    if (static_cast<int>(i) == remove_prefix) continue;
    node->values()[out++] = v;
  }
  node_count_.fetch_add(1, std::memory_order_relaxed);
  node_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return node;
}

void PrefixTrie::FreeNode(TrieNode* node) {
  node_count_.fetch_sub(1, std::memory_order_relaxed);
  node_bytes_.fetch_sub(node->bytes, std::memory_order_relaxed);
  std::free(node);
}

void PrefixTrie::FreeDeferred(void* node, void* self) {
  static_cast<PrefixTrie*>(self)->FreeNode(static_cast<TrieNode*>(node));
}

void PrefixTrie::Publish(TrieNode* const* path, const uint8_t* key, int depth,
                         TrieNode* replacement) {
  if (depth == 0) {
    root_.store(replacement, std::memory_order_release);
  } else {
    TrieNode* parent = path[depth - 1];
    parent->children()[Rank(parent->child_bits, key[depth - 1])].store(
        replacement, std::memory_order_release);
  }
  epochs_->Retire(path[depth], &PrefixTrie::FreeDeferred, this);
}

uint32_t PrefixTrie::Find(const uint8_t* key, int length) const {
  const int depth = DepthOf(length);
  const TrieNode* node = root_.load(std::memory_order_acquire);
  for (int d = 0; d < depth; ++d) {
    if (!TestBit(node->child_bits, key[d])) return kNoValue;
    node = node->children()[Rank(node->child_bits, key[d])].load(std::memory_order_acquire);
  }
  const unsigned index = IndexOf(key, length);
  if (!TestBit(node->prefix_bits, index)) return kNoValue;
  return node->values()[Rank(node->prefix_bits, index)];
}

PrefixTrie::Matcher::Matcher(const PrefixTrie& trie, const uint8_t* key) : key_(key) {
  const TrieNode* node = trie.root_.load(std::memory_order_acquire);
  int depth = 0;
  const int last = trie.key_bytes_ - 1;
  for (;;) {
    nodes_[depth] = node;
    const uint8_t b = key[depth];
    if (depth == last || !TestBit(node->child_bits, b)) break;
    node = node->children()[Rank(node->child_bits, b)].load(std::memory_order_acquire);
    ++depth;
  }
  depth_ = depth;
  next_bits_ = 8;
}

bool PrefixTrie::Matcher::Next(uint32_t* value, int* length) {
  while (depth_ >= 0) {
    const TrieNode* node = nodes_[depth_];
    const unsigned b = key_[depth_];
    const int shortest = depth_ == 0 ? 0 : 1;
    for (int bits = next_bits_; bits >= shortest; --bits) {
      const unsigned index = (1u << bits) | (b >> (8 - bits));
      if (TestBit(node->prefix_bits, index)) {
        *value = node->values()[Rank(node->prefix_bits, index)];
        *length = depth_ * 8 + bits;
        next_bits_ = bits - 1;
        if (next_bits_ < shortest) {
          --depth_;
          next_bits_ = 8;
        }
        return true;
      }
    }
    --depth_;
    next_bits_ = 8;
  }
  return false;
}

uint32_t PrefixTrie::Insert(const uint8_t* key, int length, uint32_t value) {
  const int depth = DepthOf(length);
  const unsigned index = IndexOf(key, length);
  TrieNode* path[16];
  TrieNode* node = root_.load(std::memory_order_relaxed);
  for (int d = 0; d < depth; ++d) {
    path[d] = node;
    if (!TestBit(node->child_bits, key[d])) {
      // Build the missing chain bottom-up, privately, then link it with one copy of `node`.
      TrieNode* chain = NewNode(nullptr, static_cast<int>(index), value, -1, -1, nullptr, -1);
      for (int j = depth - 1; j > d; --j) {
        chain = NewNode(nullptr, -1, 0, -1, key[j], chain, -1);
      }
      Publish(path, key, d, NewNode(node, -1, 0, -1, key[d], chain, -1));
      prefix_count_.fetch_add(1, std::memory_order_relaxed);
      return kNoValue;
    }
    node = node->children()[Rank(node->child_bits, key[d])].load(std::memory_order_relaxed);
  }
  path[depth] = node;
  if (TestBit(node->prefix_bits, index)) return node->values()[Rank(node->prefix_bits, index)];
  Publish(path, key, depth, NewNode(node, static_cast<int>(index), value, -1, -1, nullptr, -1));
  prefix_count_.fetch_add(1, std::memory_order_relaxed);
  return kNoValue;
}

bool PrefixTrie::Remove(const uint8_t* key, int length) {
  int depth = DepthOf(length);
  const unsigned index = IndexOf(key, length);
  TrieNode* path[16];
  TrieNode* node = root_.load(std::memory_order_relaxed);
  for (int d = 0; d < depth; ++d) {
    path[d] = node;
    if (!TestBit(node->child_bits, key[d])) return false;
    node = node->children()[Rank(node->child_bits, key[d])].load(std::memory_order_relaxed);
  }
  path[depth] = node;
  if (!TestBit(node->prefix_bits, index)) return false;
  TrieNode* replacement = NewNode(node, -1, 0, static_cast<int>(index), -1, nullptr, -1);
  // A node left with neither prefixes nor children is dropped from its parent, upwards. The
  // dropped nodes are retired only once the copy that unlinks them is published.
  TrieNode* dropped[16];
  int dropped_count = 0;
  while (depth > 0 && replacement->prefix_count == 0 && replacement->child_count == 0) {
    FreeNode(replacement);  // never published
    dropped[dropped_count++] = path[depth];
    --depth;
    replacement = NewNode(path[depth], -1, 0, -1, -1, nullptr, key[depth]);
  }
  Publish(path, key, depth, replacement);
  for (int i = 0; i < dropped_count; ++i) {
    epochs_->Retire(dropped[i], &PrefixTrie::FreeDeferred, this);
  }
  prefix_count_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

}  // namespace ribflow
