// A path-copying multibit trie (stride 8, popcount-compressed nodes) mapping prefixes to
// pointers, for one address family.
//
// Each node covers 8 address bits and holds (a) the prefixes ending in those bits, as a 511-bit
// ART index bitmap (Knuth's allotment routing table numbering: prefix of in-node length l and
// bits v has index (1 << l) | v) plus a dense array of value cells, and (b) its children, as a
// 256-bit bitmap plus a dense array of pointers. Popcount over a bitmap maps a bit to its array
// position, so a node costs 104 bytes plus 8 per prefix and 8 per child (BART's layout).
//
// Threading model
// - Readers (Find, Matcher, Collect) take no lock and are wait-free: one node per 8 address
//   bits, no retries. They must be pinned in the epoch domain.
// - Structural writers (Insert, Remove) hold mutex(). They copy the node they change, publish
//   the copy with one atomic store into the parent's child slot (or the root), and retire the
//   old node. Child pointers are the only part of a published node they modify.
// - Value writers (Store) change the value of an existing prefix in place, without the mutex,
//   concurrently with structural writers: a structural writer marks a node `replaced` before
//   copying its cells, and Store, after writing a cell, re-checks that mark and repeats the
//   write in the published copy if needed (both sides seq_cst, so one of them sees the other).
//   Store never waits for the mutex, so callers may hold their own locks around it. Stores to
//   one prefix must be serialized by the caller.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "rib/epoch.h"

namespace ribflow {

struct TrieNode;

class PrefixTrie {
 public:
  // key_bytes: 4 for IPv4, 16 for IPv6. Keys are the family's address bytes, network order.
  // Values are opaque non-null pointers; the trie never frees them.
  PrefixTrie(int key_bytes, EpochDomain* epochs);
  ~PrefixTrie();
  PrefixTrie(const PrefixTrie&) = delete;
  PrefixTrie& operator=(const PrefixTrie&) = delete;

  // Exact match; nullptr when absent.
  const void* Find(const uint8_t* key, int length) const;

  // Enumerates the prefixes covering an address, longest first. No allocation.
  class Matcher {
   public:
    Matcher(const PrefixTrie& trie, const uint8_t* key);
    bool Next(const void** value, int* length);

   private:
    const uint8_t* key_;
    const TrieNode* nodes_[16];
    int depth_;      // node being searched
    int next_bits_;  // longest in-node length still to try at depth_
  };

  // Replaces the value of a present prefix (see threading model). False when absent.
  bool Store(const uint8_t* key, int length, const void* value);

  // A prefix's value cell in the node that held it when found, to read and then store without
  // walking twice. Valid while pinned; StoreAt falls back to Store if the node was replaced.
  struct Cell {
    TrieNode* node = nullptr;
    std::atomic<const void*>* value = nullptr;
    const void* Load() const { return value ? value->load(std::memory_order_acquire) : nullptr; }
  };
  Cell FindForUpdate(const uint8_t* key, int length) const;
  // `cell` if its node is still the published one, else the prefix's cell found again. With
  // the prefix's value writers excluded by the caller, a current cell holds the latest value.
  Cell Refresh(const Cell& cell, const uint8_t* key, int length) const;

  struct Entry {
    uint8_t key[16];  // key_bytes significant, host bits zero
    uint8_t length;
    const void* value;
    Cell cell;  // where the value was read: pass to Refresh() before updating through it
  };
  // Appends up to `budget` prefixes that come after `after` (nullptr: from the start) in
  // (address, length) order. Resumable across structural changes: pass the last entry back.
  void Collect(const Entry* after, size_t budget, std::vector<Entry>* out) const;
  void StoreAt(const Cell& cell, const uint8_t* key, int length, const void* value);

  // Structural writers hold mutex().
  std::mutex& mutex() { return mutex_; }
  // Inserts the prefix if absent and returns nullptr; else returns the present value.
  const void* Insert(const uint8_t* key, int length, const void* value);
  // Removes the prefix; false when absent.
  bool Remove(const uint8_t* key, int length);

  int key_bytes() const { return key_bytes_; }
  size_t prefix_count() const { return prefix_count_.load(std::memory_order_relaxed); }
  size_t node_count() const {
    return created_nodes_.load(std::memory_order_relaxed) -
           freed_nodes_.load(std::memory_order_relaxed);
  }
  size_t node_bytes() const {
    return created_bytes_.load(std::memory_order_relaxed) -
           freed_bytes_.load(std::memory_order_relaxed);
  }

 private:
  TrieNode* NewNode(TrieNode* from, int add_prefix, const void* value, int remove_prefix,
                    int add_child, TrieNode* child, int remove_child);
  void FreeNode(TrieNode* node);
  void Publish(TrieNode* const* path, const uint8_t* key, int depth, TrieNode* replacement);
  static void FreeDeferred(void* node, void* self);
  void FreeSubtree(TrieNode* node);
  // The node holding the prefix and its cell, or nullptr.
  std::atomic<const void*>* FindCell(const uint8_t* key, int length, TrieNode** node) const;
  bool CollectNode(const TrieNode* node, int depth, uint8_t* path, const Entry* after,
                   bool on_after_path, size_t budget, std::vector<Entry>* out) const;

  const int key_bytes_;
  EpochDomain* const epochs_;
  std::atomic<TrieNode*> root_;
  std::mutex mutex_;
  std::atomic<size_t> prefix_count_{0};
  std::atomic<size_t> created_nodes_{0};  // written under mutex_ (or before sharing)
  std::atomic<size_t> created_bytes_{0};
  std::atomic<size_t> freed_nodes_{0};  // written from any thread
  std::atomic<size_t> freed_bytes_{0};
};

}  // namespace ribflow
