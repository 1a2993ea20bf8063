// Counts calls to operator new in the test binary that links allocation_counter.cc, so a test
// can prove a code path allocates nothing. The replacement lives in its own translation unit:
// compilers flag a malloc-based operator new inlined next to the code that calls it.
#pragma once

#include <cstddef>

namespace ribflow::bgp::testing {

size_t AllocationCount();

}  // namespace ribflow::bgp::testing
