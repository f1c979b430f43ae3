/*
 * Lesson 01 — usable_cores: how many threads should this job start?
 *
 * The solution: the smallest of every limit that applies to this process — the CPUs of its
 * affinity mask, SLURM_CPUS_PER_TASK (or SRUN_CPUS_PER_TASK, which srun sets), and the cgroup
 * CPU quota rounded up — the same decision as `parsweep info`'s "usable cores".
 */
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>

#include "../usable_cores.hpp"

namespace lesson01 {

namespace {

// A positive integer from the environment, or 0 when the variable is unset or not one.
int env_count(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value) return 0;
    char* end = nullptr;
    const long n = std::strtol(value, &end, 10);
    return *end == '\0' && n > 0 ? static_cast<int>(n) : 0;
}

}  // namespace

int usable_cores() {
    // The CPUs the scheduler may run this process on: taskset, numactl, cpusets. (The
    // machine's count is only the fallback if the kernel will not say.)
    cpu_set_t mask;
    CPU_ZERO(&mask);
    int cores = sched_getaffinity(0, sizeof mask, &mask) == 0
                    ? CPU_COUNT(&mask)
                    : static_cast<int>(std::thread::hardware_concurrency());

    // What Slurm gave each task (srun exports it as SRUN_CPUS_PER_TASK too).
    int slurm = env_count("SLURM_CPUS_PER_TASK");
    if (slurm == 0) slurm = env_count("SRUN_CPUS_PER_TASK");
    if (slurm > 0) cores = std::min(cores, slurm);

    // A quota of 1.5 CPUs keeps 2 threads busy part of the time: round up, never below 1.
    if (const auto quota = cgroup_cpu_quota())
        cores = std::min(cores, std::max(1, static_cast<int>(std::ceil(*quota - 1e-9))));

    return std::max(cores, 1);
}

}  // namespace lesson01
