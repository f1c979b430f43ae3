// Pinning: where a point's worker processes and their threads may run.
//
// Three axes that every kernel accepts, under `params` or `grid` like a kernel parameter:
//
//   bind     OMP_PROC_BIND of the workers: "false" | "true" | "close" | "spread" | "primary"
//   places   OMP_PLACES of the workers: "threads" | "cores" | "sockets" | "ll_caches" |
//            "numa_domains"
//   cpu_set  the CPUs each worker process may use: "none" (inherit the parent's mask),
//            "compact" (worker w gets T consecutive CPUs in hwloc's topology order, so a
//            worker's threads share cores and caches) or "scatter" (hwloc_distrib: the
//            workers spread over packages, cores and caches as evenly as the machine allows)
//
// A point carries them in its params only when the config gives them, so a config without
// pinning keeps its point keys, labels and CSV columns. Kernels never read them; the launcher
// does (pinning_env for OMP_*, worker_cpu_sets for the process masks) and every worker
// reports the CPUs its threads actually ran on (affinity.hpp cpus_in_use), recorded per
// worker.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kernel.hpp"
#include "machine/affinity.hpp"

namespace parsweep {

// The specs of bind, places and cpu_set (no defaults: absent means "leave alone").
const std::vector<ParamSpec>& pinning_params();
bool is_pinning_param(std::string_view name);

// OMP_PROC_BIND / OMP_PLACES for the point's workers, from its params.
std::map<std::string, std::string> pinning_env(const json& params);

// The CPUs (OS indices) each of `processes` workers may run on under the point's cpu_set;
// empty when it has none (or "none"). `allowed` are the CPUs the parent may use (its
// affinity mask); with more workers × threads than CPUs the sets wrap around and overlap.
std::vector<std::vector<int>> worker_cpu_sets(const json& params, int processes, int threads,
                                              const std::vector<int>& allowed);

}  // namespace parsweep
