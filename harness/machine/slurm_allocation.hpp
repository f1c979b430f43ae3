// The Slurm allocation parsweep runs in: its nodes and the CPUs the job has on each, read from
// the variables Slurm sets in a job (SLURM_JOB_ID, SLURM_JOB_NODELIST, SLURM_JOB_NUM_NODES,
// SLURM_JOB_CPUS_PER_NODE, SLURM_TASKS_PER_NODE).
//
// Why: MPI ranks started by srun may run on every node of the allocation, so the cores a
// launcher "mpi" point may use are those of the nodes its ranks ran on, not the batch node's
// alone. "auto" process counts of mpi runs go up to the allocation's total, and a point's
// efficiency and oversubscription are taken over the cores of its own nodes (runner.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kernel.hpp"

namespace parsweep {

struct Allocation {
    std::string job_id;
    std::vector<std::string> nodes;  // SLURM_JOB_NODELIST expanded, in Slurm's order
    std::vector<int> cpus;           // the job's CPUs on each of `nodes` (same order)
    std::vector<int> tasks;          // SLURM_TASKS_PER_NODE expanded; empty when not set

    int total_cpus() const;
    // The job's CPUs on `node`; 0 when the node is not in the allocation.
    int cpus_of(const std::string& node) const;
    // The CPUs of the distinct `nodes` together (those not in the allocation count 0).
    int cpus_of(const std::vector<std::string>& nodes) const;
};

// The allocation this process runs in, from the environment; nullopt outside a Slurm job or
// when its variables do not describe one (a node list and a CPU list of different lengths).
std::optional<Allocation> detect_allocation();

// Slurm's compressed host list ("n[1-3,5],gpu[01-02]" → n1 n2 n3 n5 gpu01 gpu02; a range keeps
// its zero padding). Throws std::invalid_argument naming the text when it is malformed.
std::vector<std::string> expand_hostlist(const std::string& text);

// Slurm's per-node counts ("2(x3),4" → 2 2 2 4), as in SLURM_JOB_CPUS_PER_NODE and
// SLURM_TASKS_PER_NODE. Throws std::invalid_argument naming the text when it is malformed.
std::vector<int> expand_counts(const std::string& text);

json to_json(const Allocation& a);
Allocation allocation_from_json(const json& j);

// The allocation a run's points ran in: the last resumption's (context.resumed[].allocation),
// else context.allocation; nullopt outside Slurm.
std::optional<Allocation> allocation_of(const json& context);

}  // namespace parsweep
