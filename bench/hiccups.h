// `ribflow-bench hiccups`: how long this machine takes a running thread away from it. One
// thread per CPU spins on the clock and records every gap between two consecutive reads,
// with the hypervisor's steal time and the threads' involuntary context switches over the
// run. A lookup can never be faster than the longest gap a plain clock loop sees, so this is
// the floor under any "slowest lookup" figure (see docs/BENCHMARKS.md).
#pragma once

#include <cstdint>

namespace ribflow::bench {

// Hypervisor steal time of all CPUs since boot, in milliseconds (/proc/stat); -1 if unknown.
int64_t StealMilliseconds();

int RunHiccups(double seconds, int threads);

}  // namespace ribflow::bench
