// What the machine and the loaded libraries look like: the cores a run may use (and why),
// the memory it may use, and the context recorded once per run in sweep.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "kernel.hpp"

namespace parsweep {

// The cores this process may keep busy, the smallest of every limit that applies.
struct UsableCores {
    int count = 1;
    std::string reason;                 // "2: affinity mask (2 CPUs); no cgroup quota; …"
    int online = 1;                     // CPUs the OS has online
    int affinity = 1;                   // CPUs in this process's affinity mask
    std::optional<double> cgroup_cpus;  // cgroup CPU quota, in CPUs
    std::optional<int> slurm_cpus;  // SLURM_CPUS_PER_TASK / SRUN_CPUS_PER_TASK / SLURM_CPUS_ON_NODE
    std::string slurm_variable;     // which of them set slurm_cpus
    std::optional<int> explicit_cores;  // --cores
};

// Decides the usable cores. `root` is prefixed to /proc and /sys paths (tests point it at a
// fake tree); `explicit_cores` is the user's --cores, which wins when given.
UsableCores detect_usable_cores(std::optional<int> explicit_cores = std::nullopt,
                                const std::filesystem::path& root = "/");

// Bytes of memory a run may allocate now: MemAvailable, capped by the cgroup memory limit.
std::uint64_t available_memory_bytes(const std::filesystem::path& root = "/");

// The run's context for sweep.json: date, host, CPU and topology (hwloc), usable cores,
// memory, compiler and flags, OpenMP runtime, BLAS, relevant environment, parsweep version;
// in a Slurm job also its allocation (slurm_allocation.hpp) and the Slurm version.
json run_context(const UsableCores& cores);

// The parts `parsweep info` prints and sweep.json records.
json topology_info();  // hwloc: packages, cores, PUs, NUMA nodes, caches, CPU model
json blas_info();      // the BLAS (loaded by this call): version, config, core, threading
json build_info();     // parsweep version, git commit, compiler, flags
json relevant_env();   // OMP_*, OPENBLAS_*, GOMP_*, KMP_*, MKL_*, BLIS_*, SLURM_*, SRUN_*,
                       // OMPI_*, PMIX_*, UCX_*, I_MPI_*, LOADEDMODULES, SPACK_ENV,
                       // LD_LIBRARY_PATH

// The size of a cache line in bytes: the L1 data cache's, as hwloc reports it (topology_info's
// caches.l1d.line_bytes), or 0 when hwloc reports none. Read once per process. Two threads
// that both write within one line take it from each other's core at every write.
int cache_line_bytes();

// This machine's host name, and the local time now as ISO 8601 (2026-11-22T06:12:00+0000).
std::string host_name();
std::string now_iso();

}  // namespace parsweep
