// The conversation between the parent and a worker process, one JSON object per line.
//
//   parent → worker (fd 3):  Task                 worker → parent (fd 4):  Ready | Error
//   parent → worker (fd 3):  "go"                 worker → parent (fd 4):  Report | Error
//
// Workers write nothing else on fd 4; their stdout and stderr are captured by the parent
// and attached to a failure. Times are CLOCK_MONOTONIC seconds (measure/clock.hpp),
// comparable across the processes of one node.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel.hpp"

namespace parsweep {

inline constexpr int kTaskFd = 3;    // worker reads the task and "go" here
inline constexpr int kReportFd = 4;  // worker writes Ready and Report here
// The parent's pid, in the worker's environment: a worker whose parent is gone exits.
inline constexpr const char* kParentPidVar = "PARSWEEP_PARENT_PID";
// The number of worker processes of the point (P), in every worker's environment, for code
// that reads it there. A kernel is handed P with its share instead (Task::processes,
// kernel.hpp's Share).
inline constexpr const char* kProcessesVar = "PARSWEEP_PROCESSES";

// What one worker must do: its share [begin, end) of a point's items, one of `processes`.
struct Task {
    std::string kernel;
    json params;
    std::uint64_t begin = 0, end = 0;
    int worker = 0;
    int threads = 1;    // what the worker's environment asked for, to check it took effect
    int processes = 1;  // P: the point's workers (or MPI ranks), this one included
};

// The worker is set up (kernel prepared, OpenMP team started) and waits for "go".
struct Ready {
    double time = 0;
    double started = 0;  // the process's main() began: exec, loader and constructors were done
    int omp_threads = 0;
    int blas_threads = 0;
    std::vector<int> cpus;  // the CPUs its OpenMP threads were on (affinity.hpp cpus_in_use)
    json blas;              // the BLAS it loaded (blas::loaded_info); null when it loaded none
};

// The worker's share is done.
struct Report {
    double start = 0;      // first timed batch began
    double end = 0;        // last timed batch ended
    double busy_s = 0;     // time inside timed batches
    double paused_s = 0;   // untimed time between start and end: checks and stages of batches
    double untimed_s = 0;  // all stage() and check() time of the share, before start included
    double tail_s = 0;     // the last batch's check(), after end
    double setup_s = 0;    // what run() said was set-up (KernelRun::setup_s), before `start`
    Verdict verdict;
    json partial;
};

// The messages as JSON. A Task is its members under their own names; Ready and Report have
// one field list each in protocol.cpp (Ready::time is "ready", Report's verdict is "ok" and
// "message", Ready's "blas" may be absent). The readers throw json::exception on a missing
// key or a value of the wrong type.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Task, kernel, params, begin, end, worker, threads, processes)
void to_json(json& j, const Ready& r);
void from_json(const json& j, Ready& r);
void to_json(json& j, const Report& r);
void from_json(const json& j, Report& r);

// A message is a Ready/Report, or {"error": "..."} when the worker could not go on.
inline bool is_error(const json& message) {
    return message.contains("error");
}

// The mpi launcher's conversation (mpi_launcher.hpp). Its ranks have no pipe to the parent:
// the Task is parsweep-mpi-worker's command-line argument (each rank takes its share of
// [begin, end) itself), and the ranks write their messages on standard output, which mpirun
// or srun forwards to the parent, each line starting with kMpiLinePrefix to set it apart from
// anything else printed there:
//
//   rank 0 → parent:  Ready (every rank is set up)                    | Error "rank 2: …"
//   rank w → parent:  {"done": w} (its share is computed: a timeout then names the others)
//   rank 0 → parent:  MpiReport (every rank's record, gathered)      | Error
//
// Only rank 0 writes on standard output; the other ranks' {"done": w} go to standard error.
// srun forwards a task's output in pieces of at most 1 KiB, so a longer line (rank 0's
// MpiReport) could otherwise be cut by another rank's line in the middle.
inline constexpr std::string_view kMpiLinePrefix = "@parsweep ";

// One rank's record in an MpiReport. Its times are CLOCK_MONOTONIC on its own node: the
// parent's clock when the rank ran on the parent's node, else comparable only with each other.
struct RankReport {
    int rank = 0;
    std::string host;  // MPI_Get_processor_name: ranks may run on several nodes
    // The node by the resource manager's name for it (SLURMD_NODENAME), else `host`: two
    // Slurm nodes may share a host name (several slurmd on one machine), never a node name.
    std::string node;
    double released = 0;  // left the release barrier
    Ready ready;
    Report report;
    double user_s = 0, sys_s = 0;  // getrusage(RUSAGE_SELF) once the share is done
    long ctx_voluntary = 0, ctx_involuntary = 0;
    long max_rss_kb = 0;
    std::string error;  // the rank could not compute its share ("kernel failed: …")
};

// Rank 0's report of the whole point.
struct MpiReport {
    double release_s = 0;  // rank 0: Ready sent → left the release barrier
    // Left the release barrier → left the closing barrier (MPI_Wtime), the longest over the
    // ranks: the ranks do not leave a barrier at the same moment (least of all on busy cores),
    // and the rank that left first saw the whole parallel computation.
    double compute_s = 0;
    std::vector<RankReport> ranks;  // in rank order
};

// A RankReport has one field list in protocol.cpp ("report" when the rank computed its share,
// else "error"); an MpiReport is its members under their own names.
void to_json(json& j, const RankReport& r);
void from_json(const json& j, RankReport& r);
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MpiReport, release_s, compute_s, ranks)

}  // namespace parsweep
