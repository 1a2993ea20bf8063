// Allocation of the RIB's own objects: trie nodes, route sets, interned attributes and next hops.
//
// They are small, numerous (millions) and freed in bulk by epoch reclamation, often on another
// thread than the one that allocated them. glibc's malloc coalesces such chunks with their
// neighbours on free, which costs random cache misses once churn has scattered them: a
// full-table flush took 674-1183 ms with it after a churn phase, 290-421 ms with mimalloc
// (docs/BENCHMARKS.md). Sanitizer builds keep malloc so that ASan sees every use after free.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(RIBFLOW_MIMALLOC)
#include <mimalloc.h>
#endif

namespace ribflow {

inline void* RibAllocate(size_t bytes) {
#if defined(RIBFLOW_MIMALLOC)
  void* p = mi_malloc(bytes);
#else
  void* p = std::malloc(bytes);
#endif
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

inline void RibFree(void* p) {
#if defined(RIBFLOW_MIMALLOC)
  mi_free(p);
#else
  std::free(p);
#endif
}

}  // namespace ribflow
