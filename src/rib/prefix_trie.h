// A path-copying multibit trie (stride 8, popcount-compressed nodes) mapping prefixes to
// 32-bit values, for one address family.
//
// Each node covers 8 address bits and holds (a) the prefixes ending in those bits, as a 511-bit
// ART index bitmap (Knuth's allotment routing table numbering: prefix of in-node length l and
// bits v has index (1 << l) | v) plus a dense array of their values, and (b) its children, as a
// 256-bit bitmap plus a dense array of pointers. Popcount over the bitmaps maps a bit to its
// array position, so a node costs 104 bytes plus 4 per prefix and 8 per child (BART's layout).
//
// Threading model: readers (Find, Matcher) take no lock and are wait-free: at most one node per
// 8 bits of address, no retries. Writers (Insert, Remove) hold mutex(). A node is immutable once
// published except for its child pointers; a writer copies the node it changes, publishes the
// copy with one atomic store into the parent's existing child slot (or the root), and retires
// the old node to the epoch domain. Readers must be pinned in that domain.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "rib/epoch.h"

namespace ribflow {

struct TrieNode;

class PrefixTrie {
 public:
  static constexpr uint32_t kNoValue = 0;  // values stored must be non-zero

  // key_bytes: 4 for IPv4, 16 for IPv6. Keys are the family's address bytes, network order.
  PrefixTrie(int key_bytes, EpochDomain* epochs);
  ~PrefixTrie();
  PrefixTrie(const PrefixTrie&) = delete;
  PrefixTrie& operator=(const PrefixTrie&) = delete;

  // Exact match, lock-free; the caller is pinned.
  uint32_t Find(const uint8_t* key, int length) const;

  // Enumerates the prefixes covering an address, longest first. Lock-free; the caller is
  // pinned for as long as it uses the matcher. No allocation.
  class Matcher {
   public:
    Matcher(const PrefixTrie& trie, const uint8_t* key);
    bool Next(uint32_t* value, int* length);

   private:
    const uint8_t* key_;
    const TrieNode* nodes_[16];
    int depth_;       // node being searched
    int next_bits_;   // longest in-node length still to try at depth_
  };

  // Writers hold mutex() around Insert and Remove.
  std::mutex& mutex() { return mutex_; }
  // Inserts the prefix with value if absent. Returns the value already there, or kNoValue
  // if it inserted.
  uint32_t Insert(const uint8_t* key, int length, uint32_t value);
  // Removes the prefix; false when absent.
  bool Remove(const uint8_t* key, int length);

  int key_bytes() const { return key_bytes_; }
  size_t prefix_count() const { return prefix_count_.load(std::memory_order_relaxed); }
  size_t node_count() const { return node_count_.load(std::memory_order_relaxed); }
  size_t node_bytes() const { return node_bytes_.load(std::memory_order_relaxed); }

 private:
  TrieNode* NewNode(const TrieNode* from, int add_prefix, uint32_t value, int remove_prefix,
                    int add_child, TrieNode* child, int remove_child);
  void FreeNode(TrieNode* node);
  void Publish(TrieNode* const* path, const uint8_t* key, int depth, TrieNode* replacement);
  static void FreeDeferred(void* node, void* self);
  void FreeSubtree(TrieNode* node);

  const int key_bytes_;
  EpochDomain* const epochs_;
  std::atomic<TrieNode*> root_;
  std::mutex mutex_;
  std::atomic<size_t> prefix_count_{0};
  std::atomic<size_t> node_count_{0};
  std::atomic<size_t> node_bytes_{0};
};

}  // namespace ribflow
