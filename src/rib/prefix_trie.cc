#include "rib/prefix_trie.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "rib/rib_memory.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RIBFLOW_PAUSE() _mm_pause()
#else
#define RIBFLOW_PAUSE() ((void)0)
#endif

namespace ribflow {

struct TrieNode {
  uint64_t prefix_bits[8];  // ART indexes 1..511
  uint64_t child_bits[4];   // next address byte 0..255
  uint16_t prefix_count;
  uint16_t child_count;
  uint16_t bytes;
  std::atomic<bool> replaced;  // set before a structural writer copies the cells

  std::atomic<TrieNode*>* children() { return reinterpret_cast<std::atomic<TrieNode*>*>(this + 1); }
  const std::atomic<TrieNode*>* children() const {
    return reinterpret_cast<const std::atomic<TrieNode*>*>(this + 1);
  }
  std::atomic<const void*>* values() {
    return reinterpret_cast<std::atomic<const void*>*>(children() + child_count);
  }
  const std::atomic<const void*>* values() const {
    return reinterpret_cast<const std::atomic<const void*>*>(children() + child_count);
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

// Depth of the node that holds a prefix, and the prefix's ART index in it.
inline int DepthOf(int length) { return length == 0 ? 0 : (length - 1) / 8; }
inline unsigned IndexOf(const uint8_t* key, int length) {
  const int depth = DepthOf(length);
  const int bits = length - depth * 8;  // 0 only for the default route, at the root
  return (1u << bits) | (unsigned{key[depth]} >> (8 - bits));
}

int Compare(const PrefixTrie::Entry& a, const PrefixTrie::Entry& b, int key_bytes) {
  const int c = std::memcmp(a.key, b.key, key_bytes);
  if (c != 0) return c;
  return int{a.length} - int{b.length};
}

}  // namespace

PrefixTrie::PrefixTrie(int key_bytes, EpochDomain* epochs)
    : key_bytes_(key_bytes), epochs_(epochs) {
  root_.store(NewNode(nullptr, -1, nullptr, -1, -1, nullptr, -1), std::memory_order_relaxed);
}

PrefixTrie::~PrefixTrie() { FreeSubtree(root_.load(std::memory_order_relaxed)); }

void PrefixTrie::FreeSubtree(TrieNode* node) {
  for (unsigned i = 0; i < node->child_count; ++i) {
    FreeSubtree(node->children()[i].load(std::memory_order_relaxed));
  }
  FreeNode(node);
}

// Builds a node from `from` (or an empty one) with at most one prefix added or removed and at
// most one child added or removed (-1 = none).
TrieNode* PrefixTrie::NewNode(TrieNode* from, int add_prefix, const void* value, int remove_prefix,
                              int add_child, TrieNode* child, int remove_child) {
  uint64_t prefix_bits[8] = {}, child_bits[4] = {};
  if (from != nullptr) {
    // Value writers that wrote a cell before this point are seen by the copy below; those
    // after it see the mark and write again into the copy once published.
    from->replaced.store(true, std::memory_order_seq_cst);
    std::memcpy(prefix_bits, from->prefix_bits, sizeof(prefix_bits));
    std::memcpy(child_bits, from->child_bits, sizeof(child_bits));
  }
  auto set = [](uint64_t* w, int i) { w[i >> 6] |= uint64_t{1} << (i & 63); };
  auto clear = [](uint64_t* w, int i) { w[i >> 6] &= ~(uint64_t{1} << (i & 63)); };
  if (add_prefix >= 0) set(prefix_bits, add_prefix);
  if (remove_prefix >= 0) clear(prefix_bits, remove_prefix);
  if (add_child >= 0) set(child_bits, add_child);
  if (remove_child >= 0) clear(child_bits, remove_child);
  unsigned prefix_count = 0, child_count = 0;
  for (uint64_t w : prefix_bits) prefix_count += std::popcount(w);
  for (uint64_t w : child_bits) child_count += std::popcount(w);

  const size_t bytes = sizeof(TrieNode) + (child_count + prefix_count) * sizeof(void*);
  auto* node = static_cast<TrieNode*>(RibAllocate(bytes));
  std::memcpy(node->prefix_bits, prefix_bits, sizeof(prefix_bits));
  std::memcpy(node->child_bits, child_bits, sizeof(child_bits));
  node->prefix_count = static_cast<uint16_t>(prefix_count);
  node->child_count = static_cast<uint16_t>(child_count);
  node->bytes = static_cast<uint16_t>(bytes);
  new (&node->replaced) std::atomic<bool>(false);

  // Dense arrays: copy the old one around the position that changes. Only structural writers
  // (holding the mutex) store child pointers, so relaxed loads suffice for those; cells are
  // read seq_cst to pair with Store().
  const unsigned old_children = from ? from->child_count : 0;
  const unsigned old_values = from ? from->prefix_count : 0;
  const unsigned child_at = add_child >= 0      ? (from ? Rank(from->child_bits, add_child) : 0)
                            : remove_child >= 0 ? Rank(from->child_bits, remove_child)
                                                : old_children;
  const unsigned value_at = add_prefix >= 0      ? (from ? Rank(from->prefix_bits, add_prefix) : 0)
                            : remove_prefix >= 0 ? Rank(from->prefix_bits, remove_prefix)
                                                 : old_values;
  // Three segments each: before the change, the change, after it.
  {
    std::atomic<TrieNode*>* to = node->children();
    const std::atomic<TrieNode*>* in = from ? from->children() : nullptr;
    const unsigned skip = remove_child >= 0 ? 1 : 0;
    for (unsigned i = 0; i < child_at; ++i)
      new (&to[i]) std::atomic<TrieNode*>(in[i].load(std::memory_order_relaxed));
    unsigned out = child_at;
    if (add_child >= 0) new (&to[out++]) std::atomic<TrieNode*>(child);
    for (unsigned i = child_at + skip; i < old_children; ++i) {
      new (&to[out++]) std::atomic<TrieNode*>(in[i].load(std::memory_order_relaxed));
    }
  }
  {
    std::atomic<const void*>* to = node->values();
    const std::atomic<const void*>* in = from ? from->values() : nullptr;
    const unsigned skip = remove_prefix >= 0 ? 1 : 0;
    for (unsigned i = 0; i < value_at; ++i)
      new (&to[i]) std::atomic<const void*>(in[i].load(std::memory_order_seq_cst));
    unsigned out = value_at;
    if (add_prefix >= 0) new (&to[out++]) std::atomic<const void*>(value);
    for (unsigned i = value_at + skip; i < old_values; ++i) {
      new (&to[out++]) std::atomic<const void*>(in[i].load(std::memory_order_seq_cst));
    }
  }
  // Only structural writers (holding the mutex) create nodes: no atomic read-modify-write,
  // whose implied full barrier would wait here for the copy's stores to drain.
  created_nodes_.store(created_nodes_.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
  created_bytes_.store(created_bytes_.load(std::memory_order_relaxed) + bytes,
                       std::memory_order_relaxed);
  return node;
}

void PrefixTrie::FreeNode(TrieNode* node) {
  freed_nodes_.fetch_add(1, std::memory_order_relaxed);  // any thread: epoch deleters
  freed_bytes_.fetch_add(node->bytes, std::memory_order_relaxed);
  RibFree(node);
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
    parent->children()[Rank(parent->child_bits, key[depth - 1])].store(replacement,
                                                                       std::memory_order_release);
  }
  epochs_->Retire(path[depth], &PrefixTrie::FreeDeferred, this);
}

std::atomic<const void*>* PrefixTrie::FindCell(const uint8_t* key, int length,
                                               TrieNode** found) const {
  const int depth = DepthOf(length);
  TrieNode* node = root_.load(std::memory_order_acquire);
  for (int d = 0; d < depth; ++d) {
    if (!TestBit(node->child_bits, key[d])) return nullptr;
    node = node->children()[Rank(node->child_bits, key[d])].load(std::memory_order_acquire);
  }
  const unsigned index = IndexOf(key, length);
  if (!TestBit(node->prefix_bits, index)) return nullptr;
  *found = node;
  return &node->values()[Rank(node->prefix_bits, index)];
}

const void* PrefixTrie::Find(const uint8_t* key, int length) const {
  TrieNode* node;
  const std::atomic<const void*>* cell = FindCell(key, length, &node);
  return cell ? cell->load(std::memory_order_acquire) : nullptr;
}

bool PrefixTrie::Store(const uint8_t* key, int length, const void* value) {
  for (int spins = 0;; ++spins) {
    TrieNode* node;
    std::atomic<const void*>* cell = FindCell(key, length, &node);
    if (cell == nullptr) return false;
    cell->store(value, std::memory_order_seq_cst);
    if (!node->replaced.load(std::memory_order_seq_cst)) return true;
    // A structural writer is copying (or copied) this node and may have missed our write.
    // It already holds what it needs, so its copy is published shortly: write there too.
    if (spins < 64) {
      RIBFLOW_PAUSE();
    } else {
      std::this_thread::yield();  // it may have been preempted
    }
  }
}

PrefixTrie::Cell PrefixTrie::FindForUpdate(const uint8_t* key, int length) const {
  Cell cell;
  cell.value = FindCell(key, length, &cell.node);
  return cell;
}

PrefixTrie::Cell PrefixTrie::Refresh(const Cell& cell, const uint8_t* key, int length) const {
  // seq_cst pairs with NewNode's mark: a copy that starts after this load is handled by
  // StoreAt's re-check, exactly as for a cell FindForUpdate just returned.
  if (cell.node != nullptr && !cell.node->replaced.load(std::memory_order_seq_cst)) return cell;
  return FindForUpdate(key, length);
}

void PrefixTrie::StoreAt(const Cell& cell, const uint8_t* key, int length, const void* value) {
  cell.value->store(value, std::memory_order_seq_cst);
  if (cell.node->replaced.load(std::memory_order_seq_cst)) Store(key, length, value);
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

bool PrefixTrie::Matcher::Next(const void** value, int* length) {
  while (depth_ >= 0) {
    const TrieNode* node = nodes_[depth_];
    const unsigned b = key_[depth_];
    const int shortest = depth_ == 0 ? 0 : 1;
    for (int bits = next_bits_; bits >= shortest; --bits) {
      const unsigned index = (1u << bits) | (b >> (8 - bits));
      if (TestBit(node->prefix_bits, index)) {
        *value = node->values()[Rank(node->prefix_bits, index)].load(std::memory_order_acquire);
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

// In (address, length) order, a node's items interleave by address byte: for byte x, first the
// node's own prefixes starting at x (shortest first), then the child subtree under x. A prefix
// of in-node length l and bits v starts at x = v << (8 - l).
bool PrefixTrie::CollectNode(const TrieNode* node, int depth, uint8_t* path, const Entry* after,
                             bool on_after_path, size_t budget, std::vector<Entry>* out) const {
  // The bytes where the node has something, so the walk visits them in order without sorting.
  uint64_t starts[4];
  for (unsigned w = 0; w < 4; ++w) starts[w] = node->child_bits[w] | node->prefix_bits[w + 4];
  for (unsigned w = 0; w < 4; ++w) {  // lengths below 8 (indexes below 256)
    for (uint64_t bits = node->prefix_bits[w]; bits; bits &= bits - 1) {
      const unsigned index = w * 64 + std::countr_zero(bits);
      const unsigned l = std::bit_width(index) - 1;
      const unsigned x = (index - (1u << l)) << (8 - l);
      starts[x >> 6] |= uint64_t{1} << (x & 63);
    }
  }
  // On the path of `after`, everything at a smaller byte comes before it.
  if (!on_after_path) after = nullptr;
  const unsigned first = after != nullptr ? after->key[depth] : 0;
  // A walk misses on every node it enters; its children are known ahead, so fetch the next
  // few while this one's earlier items are processed.
  constexpr unsigned kChildrenAhead = 4;
  const auto* children = node->children();
  const unsigned child_count = node->child_count;
  unsigned child_rank = first == 0 ? 0 : Rank(node->child_bits, first);
  auto prefetch_child = [&](unsigned rank) {
    if (rank >= child_count) return;
    const char* child =
        reinterpret_cast<const char*>(children[rank].load(std::memory_order_relaxed));
    __builtin_prefetch(child);
    __builtin_prefetch(child + 64);
  };
  for (unsigned k = 0; k < kChildrenAhead; ++k) prefetch_child(child_rank + k);
  for (unsigned w = first >> 6; w < 4; ++w) {
    uint64_t bits = starts[w];
    if (w == first >> 6) bits &= ~uint64_t{0} << (first & 63);
    for (; bits; bits &= bits - 1) {
      const unsigned x = w * 64 + std::countr_zero(bits);
      const bool at_after = after != nullptr && x == first;
      path[depth] = static_cast<uint8_t>(x);
      // Lengths whose prefixes can start at x: those leaving x's trailing zero bits as host bits.
      const unsigned shortest = x == 0 ? 0 : 8 - std::countr_zero(x);
      for (unsigned l = shortest; l <= 8; ++l) {
        const unsigned index = (1u << l) | (x >> (8 - l));
        if (!TestBit(node->prefix_bits, index)) continue;
        Entry e{};
        std::memcpy(e.key, path, depth + 1);
        e.length = static_cast<uint8_t>(depth * 8 + l);
        if (at_after && Compare(e, *after, key_bytes_) <= 0) continue;
        auto* cell = const_cast<TrieNode*>(node)->values() + Rank(node->prefix_bits, index);
        e.value = cell->load(std::memory_order_acquire);
        e.cell = Cell{const_cast<TrieNode*>(node), cell};
        out->push_back(e);
        if (out->size() >= budget) return false;
      }
      if (!TestBit(node->child_bits, x)) continue;
      prefetch_child(child_rank + kChildrenAhead);
      const TrieNode* child = children[child_rank++].load(std::memory_order_acquire);
      if (!CollectNode(child, depth + 1, path, after, at_after, budget, out)) return false;
    }
  }
  path[depth] = 0;
  return true;
}

void PrefixTrie::Collect(const Entry* after, size_t budget, std::vector<Entry>* out) const {
  if (budget == 0) return;
  uint8_t path[16] = {};
  const size_t limit = out->size() + budget;
  CollectNode(root_.load(std::memory_order_acquire), 0, path, after, after != nullptr, limit, out);
}

const void* PrefixTrie::Insert(const uint8_t* key, int length, const void* value) {
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
        chain = NewNode(nullptr, -1, nullptr, -1, key[j], chain, -1);
      }
      Publish(path, key, d, NewNode(node, -1, nullptr, -1, key[d], chain, -1));
      prefix_count_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    node = node->children()[Rank(node->child_bits, key[d])].load(std::memory_order_relaxed);
  }
  path[depth] = node;
  if (TestBit(node->prefix_bits, index)) {
    return node->values()[Rank(node->prefix_bits, index)].load(std::memory_order_acquire);
  }
  Publish(path, key, depth, NewNode(node, static_cast<int>(index), value, -1, -1, nullptr, -1));
  prefix_count_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
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
  TrieNode* replacement = NewNode(node, -1, nullptr, static_cast<int>(index), -1, nullptr, -1);
  // A node left with neither prefixes nor children is dropped from its parent, upwards. The
  // dropped nodes are retired only once the copy that unlinks them is published.
  TrieNode* dropped[16];
  int dropped_count = 0;
  while (depth > 0 && replacement->prefix_count == 0 && replacement->child_count == 0) {
    FreeNode(replacement);  // never published
    dropped[dropped_count++] = path[depth];
    --depth;
    replacement = NewNode(path[depth], -1, nullptr, -1, -1, nullptr, key[depth]);
  }
  Publish(path, key, depth, replacement);
  for (int i = 0; i < dropped_count; ++i) {
    epochs_->Retire(dropped[i], &PrefixTrie::FreeDeferred, this);
  }
  prefix_count_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

}  // namespace ribflow
