/*
 * Lesson 01 — usable_cores: how many threads should this job start?
 *
 * YOUR TASK: this returns the number of CPUs the MACHINE has — C++'s
 * std::thread::hardware_concurrency(), Python's os.cpu_count(), `grep -c processor
 * /proc/cpuinfo`. On a laptop that is often right; on a shared node it is the classic
 * mistake: a job given 4 of a node's 128 cores starts 128 threads, 32 on each core. Fix the
 * TODOs so it returns the cores THIS process may use, then run `make exercise N=01` until
 * the check says correct. (The kernel that calls it — sizing an OpenMP team, checking your
 * answer against parsweep's own — is ../usable_pi_kernel.cpp.)
 */
#include <thread>

#include "../usable_cores.hpp"

namespace lesson01 {

int usable_cores() {
    // TODO(affinity): count the CPUs in this process's affinity mask instead — the CPUs the
    // scheduler may run it on (sched_getaffinity and CPU_COUNT from <sched.h>; or
    // omp_get_num_procs(), which libgomp computes from the same mask). `taskset -c 0 …`
    // leaves one.
    const int cpus = static_cast<int>(std::thread::hardware_concurrency());

    // TODO(slurm): under Slurm, SLURM_CPUS_PER_TASK (std::getenv; a positive integer) is how
    // many cores the job asked for per task: use no more than that.

    // TODO(cgroup): a cgroup CPU quota of q CPUs (cgroup_cpu_quota() in ../usable_cores.hpp)
    // allows q cores' worth of time: more than ⌈q⌉ busy threads only queue for it.

    return cpus;
}

}  // namespace lesson01
