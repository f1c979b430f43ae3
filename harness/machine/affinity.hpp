// Where this process may run and where its OpenMP threads run: the CPU lists that pinning
// (pinning.hpp) works on and that every worker reports. Kept apart from pinning.cpp, which
// needs hwloc, so that a worker process (parsweep-worker) starts without loading it.
#pragma once

#include <string>
#include <vector>

namespace parsweep {

// The CPUs in this thread's affinity mask, ascending.
std::vector<int> affinity_cpus();

// The CPUs this process's OpenMP threads are on now: each thread of a parallel region asks
// sched_getcpu(); ascending, without repeats.
std::vector<int> cpus_in_use();

// "0-3,8,10-11": a CPU list as the kernel and taskset write it.
std::string cpu_list_text(const std::vector<int>& cpus);

}  // namespace parsweep
