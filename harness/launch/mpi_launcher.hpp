// The mpi launcher: runs one repetition of a point (launcher "mpi") as P MPI ranks.
//
// parsweep itself never links MPI (it must start fast, and run where MPI is absent). The ranks
// are parsweep-mpi-worker (harness/launch/mpi_worker.cpp), built beside parsweep when CMake finds
// MPI, and started by `mpirun` on this node, or by `srun` inside a Slurm allocation
// (SLURM_JOB_ID set), where the ranks may span the allocation's nodes. Each rank takes
// share_of(items, P, rank) — the spawn launcher's split — sets up, and then
//
//   MPI_Barrier → t0 = MPI_Wtime() → its share in timed batches → MPI_Barrier → t1
//
// compute_s is the longest t1 − t0 over the ranks (every rank's share, load imbalance
// included). Each rank's times, CPU use (getrusage) and partial result are gathered to rank 0,
// which sends them to the parent (protocol.hpp); merge, verification, statistics and reports
// are the steps both launchers share (executor.hpp). wall_s is the parent's: launcher started →
// report received. Ranks on the parent's node share its CLOCK_MONOTONIC, so spawn_s (→ every rank
// set up: mpirun, MPI_Init, the kernel's set-up, OpenMP teams), dispatch_s (release → last rank
// started) and gather_s (last rank done → report received) are exact there; ranks on other nodes
// are placed by their distance from the release barrier (off by the forwarding of one message). The
// launcher's own CPU time is not counted: user_s and sys_s are the ranks'.
//
// The launcher runs in a process group of its own and dies with parsweep (PR_SET_PDEATHSIG),
// as the ranks die with it. timeout_s and SIGINT/SIGTERM stop it: SIGTERM to its group (mpirun
// then stops its ranks), SIGKILL when it has not gone 3 s later. A rank that fails is named:
// from its own message ("rank 1: kernel failed: …"), from mpirun's or srun's report of a rank
// that died ("rank 1 (on node7) killed by SIGSEGV"), or by the ranks that had not finished
// their share when time ran out, with the library's own words about a start-up failure
// (launch_message).
//
// Under Slurm the ranks' step is created with --overlap, so that it may share CPUs with the
// step parsweep itself runs in (`srun parsweep run …` in a batch script): without it srun
// waits for the CPUs that step holds, for ever. --mpi is always given (see MpiLaunch), because
// many clusters leave MpiDefault=none, with which Open MPI cannot start a rank.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "launch/executor.hpp"
#include "measure/results.hpp"
#include "process_tree.hpp"
#include "sweep/model.hpp"
#include "util/install_paths.hpp"

namespace parsweep {

// How ranks are started here.
struct MpiLaunch {
    std::string program;    // full path of mpirun or srun; "" when not found on PATH
    bool slurm = false;     // inside a Slurm allocation (SLURM_JOB_ID): srun, else mpirun
    bool as_root = false;   // running as root: mpirun refuses without --allow-run-as-root
    bool user_btl = false;  // OMPI_MCA_btl is set: the user chose Open MPI's transports
    // srun's MPI plugin (--mpi=…), and who chose it: "config" (the point's mpi_plugin),
    // "SLURM_MPI_TYPE", "MpiDefault" (the cluster's, when not none) or "srun --mpi=list"
    // (pmix preferred, then pmi2). Empty with mpirun.
    std::string plugin;
    std::string plugin_source;
};
MpiLaunch mpi_launch_here();
// Sets how.plugin under Slurm: `configured` (the point's mpi_plugin) when not "", else
// SLURM_MPI_TYPE, else the cluster's MpiDefault unless it is none, else the preferred of
// `srun --mpi=list`. Slurm is asked once per process (`srun --mpi=list`, `scontrol show
// config`).
void choose_mpi_plugin(MpiLaunch& how, const std::string& configured);

// The plugin to use among `available` (as `srun --mpi=list` names them) when nobody chose one:
// pmix (or its newest pmix_vN), else pmi2, else "none".
std::string preferred_mpi_plugin(const std::vector<std::string>& available);
// The plugin names in `srun --mpi=list`'s output.
std::vector<std::string> parse_mpi_plugin_list(const std::string& output);

// Where the ranks go: `ranks` ranks of `threads` threads each. With srun, over `nodes` nodes
// (0: as many as the allocation has, at most one per rank), the ranks spread evenly: at most
// ceil(ranks / nodes) per node.
struct RankPlacement {
    int ranks = 1;
    int threads = 1;
    int nodes = 0;
};
// The nodes `placement` asks srun for in an allocation of `allocation_nodes` nodes.
int placement_nodes(const RankPlacement& placement, int allocation_nodes);

// The command that starts the ranks of `worker` with argument `task`; `exported` are the
// environment variables the ranks must see (mpirun passes them to every node with -x; srun
// passes the whole environment). `allocation_nodes` is the Slurm allocation's node count.
std::vector<std::string> mpi_command(const MpiLaunch& how, const RankPlacement& placement,
                                     int allocation_nodes, const std::vector<std::string>& exported,
                                     const std::string& worker, const std::string& task);

// Why launcher "mpi" cannot run here — this parsweep was built without MPI, or mpirun (srun
// in a Slurm allocation) is not on PATH — or "" when it can.
std::string mpi_unavailable(const std::string& executable);

// For the run's context: the launcher (path and version), the MPI library the worker was
// built with (MPI_Get_library_version), and the command line of a 2-rank point.
json mpi_info(const std::string& executable);

// The failed rank in mpirun's or srun's output about a rank that died, or exited non-zero:
// "rank 1 (on node7) killed by SIGSEGV", "rank 2 exited with status 3"; "" when none.
std::string rank_failure(const std::string& output);

// What the MPI library, PMI or srun itself said about why ranks could not start, in a line:
// Open MPI's help text (the block between its dashed lines), else srun's last error that is
// not about a task's exit ("Invalid MPI type 'bogus', --mpi=list for acceptable types"), else
// a PMIx/OPAL error line; "" when the output has none of them.
std::string launch_message(const std::string& output);

// Runs repetitions of points with launcher "mpi" through mpirun / srun. `executable` is the
// parsweep binary; its parsweep-mpi-worker is found by mpi_worker_executable
// (install_paths.hpp).
class MpiExecutor final : public Executor {
  public:
    // Makes parsweep a child subreaper (process_tree.hpp): what the programs of workers it
    // kills started comes back to it, to be ended after the repetition.
    explicit MpiExecutor(std::string executable) : executable_(std::move(executable)) {
        become_subreaper();
    }
    RepRecord run_repetition(const Point& point) override;

  private:
    std::string executable_;
};

}  // namespace parsweep
