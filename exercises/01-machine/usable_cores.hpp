// Lesson 01: the function you write — how many cores this process may keep busy — and the
// one reading it may use that parsweep provides.
#pragma once

#include <optional>

namespace lesson01 {

// YOUR function (starter/usable_cores.cpp): the number of threads a job should start to keep
// every core it may use busy, and no more — at least 1. Not the machine's CPUs: the job may
// be pinned to some of them (affinity mask: taskset, numactl, a batch system's cpuset),
// throttled to a share of them (cgroup CPU quota: docker --cpus, systemd CPUQuota), or given
// a number of them by Slurm (SLURM_CPUS_PER_TASK). Called once in every worker process.
int usable_cores();

// Provided: this process's cgroup CPU quota in CPUs (cgroup v2 cpu.max, or v1
// cpu.cfs_quota_us / cpu.cfs_period_us; the tightest from its cgroup up to the root), or
// nullopt when there is none. 1.5 means "one and a half CPUs' worth of time per period".
std::optional<double> cgroup_cpu_quota();

}  // namespace lesson01
