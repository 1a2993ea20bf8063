// A growable array whose elements never move: a fixed directory of lazily allocated chunks.
// Readers index it without a lock while writers append; an element's address is stable for the
// array's lifetime, so atomics can live in it. Chunks are zero-initialised.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace ribflow {

template <typename T, unsigned kChunkBits = 14, unsigned kDirectoryBits = 12>
class ChunkedArray {
 public:
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;
  static constexpr size_t kCapacity = size_t{1} << (kChunkBits + kDirectoryBits);

  ChunkedArray() : directory_(new std::atomic<T*>[size_t{1} << kDirectoryBits]()) {}
  ~ChunkedArray() {
    for (size_t i = 0; i < (size_t{1} << kDirectoryBits); ++i) {
      T* chunk = directory_[i].load(std::memory_order_relaxed);
      if (chunk == nullptr) continue;
      for (size_t j = 0; j < kChunkSize; ++j) chunk[j].~T();
      std::free(chunk);
    }
  }
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;

  // The element must exist (EnsureIndex was called for it before its index was published).
  T& operator[](size_t i) const {
    return directory_[i >> kChunkBits].load(std::memory_order_acquire)[i & (kChunkSize - 1)];
  }

  // Makes index i addressable. Thread-safe and lock-free; false when beyond capacity.
  bool EnsureIndex(size_t i) {
    if (i >= kCapacity) return false;
    std::atomic<T*>& slot = directory_[i >> kChunkBits];
    if (slot.load(std::memory_order_acquire) != nullptr) return true;
    T* chunk = static_cast<T*>(std::calloc(kChunkSize, sizeof(T)));
    if (chunk == nullptr) throw std::bad_alloc();
    for (size_t j = 0; j < kChunkSize; ++j) new (&chunk[j]) T();
    T* expected = nullptr;
    if (!slot.compare_exchange_strong(expected, chunk, std::memory_order_acq_rel)) {
      for (size_t j = 0; j < kChunkSize; ++j) chunk[j].~T();
      std::free(chunk);  // another writer won the race
    }
    return true;
  }

 private:
  std::unique_ptr<std::atomic<T*>[]> directory_;
};

}  // namespace ribflow
