// `ribflow-bench memory-latency`: the cost of one dependent load at growing working-set sizes
// (a random pointer chase, one cache line per hop). It is the floor under any lookup that
// must follow pointers through a table larger than the caches, and so bounds the RIB's
// latency figures on a given machine.
#pragma once

namespace ribflow::bench {

int RunMemoryLatency(bool huge_pages);

}  // namespace ribflow::bench
