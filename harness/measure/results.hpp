// The result model: plain structs filled by the launcher and runner, read by every reporter
// (JSON, CSV, console). Times are seconds (CLOCK_MONOTONIC), memory kilobytes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sweep/model.hpp"

namespace parsweep {

// One worker process in one repetition. Times are relative to the repetition's first spawn.
struct WorkerRecord {
    int worker = 0;
    std::string host;  // the host an MPI rank ran on; "" for spawned workers (this node)
    std::string node;  // its node as Slurm names it (SLURMD_NODENAME), else `host`
    std::uint64_t items_begin = 0, items_end = 0;  // its share of the point's items
    double main_s = 0;             // its main() began: exec, dynamic loading and constructors done
    double ready_s = 0;            // worker set up and waiting for "go"
    double start_s = 0;            // first timed batch began
    double end_s = 0;              // last timed batch ended
    double busy_s = 0;             // sum of the timed batches
    double user_s = 0, sys_s = 0;  // CPU time the OS charged the process (wait4)
    long ctx_voluntary = 0, ctx_involuntary = 0;
    long max_rss_kb = 0;
    int omp_threads = 0;       // omp_get_max_threads() in the worker
    int blas_threads = 0;      // openblas_get_num_threads() in the worker
    std::vector<int> cpu_set;  // the CPUs parsweep bound it to (cpu_set axis); empty: unbound
    std::vector<int> cpus;     // the CPUs its threads were on when it was ready
    json blas;                 // the BLAS it loaded (blas::info of the worker); null: none
    bool ok = false;           // ran, exited 0 and its own checks passed
    std::string error;         // why not
};

// One repetition of one point: the phases of the parallel operation and what it cost.
struct RepRecord {
    int rep = 0;            // 0-based among the recorded repetitions; warmups are < 0
    double wall_s = 0;      // first spawn → last result received
    double spawn_s = 0;     // first spawn → every worker ready
    double dispatch_s = 0;  // "go" sent → last worker started its first batch
    double compute_s = 0;   // first batch start → last batch end, over all workers, without
                            // the untimed stage() / check() calls between batches
    double checks_s = 0;    // those calls, and the last worker's final check() after its end
    double gather_s = 0;  // last batch end → last result received by the parent, less that check
    double imbalance_s = 0;  // slowest minus fastest worker's busy time
    double user_s = 0, sys_s = 0;
    double cpu_util = 0;  // (user + sys) / wall: 1.0 = one core busy throughout
    long ctx_voluntary = 0, ctx_involuntary = 0;
    long max_rss_kb = 0;  // the largest worker's peak RSS
    int omp_threads = 0;  // as seen by the workers (the smallest, if they differ)
    int blas_threads = 0;
    // The BLAS the workers loaded (blas::info: name, version, threading, files), the first
    // worker's that loaded one; null when none did (a kernel that does not use the BLAS).
    json blas;
    bool verified = false;
    bool interrupted = false;  // stopped by SIGINT/SIGTERM: not a result at all
    std::string error;         // why the repetition failed, "" when verified
    json result;               // the kernel's merged result
    std::vector<WorkerRecord> workers;
    // The parent's own work after the last result, for the run's time accounting (TimeAccounting
    // in reporter.hpp); not recorded per repetition.
    double reap_s = 0;    // the workers exiting and reaped, their records built
    double verify_s = 0;  // the partial results merged and the merged one verified
    // The part of dispatch_s that was the kernel's own set-up inside its timed call (a command
    // kernel's program starting before it printed parsweep-time), of the worker that started
    // last.
    double program_setup_s = 0;
};

// Summary of one series of measurements.
struct Stats {
    std::size_t count = 0;
    double min = 0, max = 0, mean = 0, median = 0, stddev = 0;
    double ci95 = 0;  // half-width of the 95% confidence interval of the mean (Student t)
};

// A point against its baseline (the same kernel and given parameters at the baseline's P × T).
// Empty optionals mean "not defined here" (no baseline measured, a failed point, P·T = 1).
//
// T is the median of the point's time metric (wall_s by default, or compute_s), and p = P·T
// ÷ the baseline's P·T (1 for the usual 1 × 1 baseline; written P·T below). In strong
// scaling (the same work at every P·T) speedup is T_base / T_p. In weak scaling the point
// did p times the baseline's work, and speedup is the scaled speedup p · T_base / T_p
// (Gustafson's): ideal is p in both, so efficiency = speedup / p is T_base / T_p for weak
// points, and overhead compares with p · T_base, the baseline's time for the point's work.
struct Derived {
    std::optional<double> speedup;           // strong: T_base / T_p; weak: P·T · T_base / T_p
    std::optional<double> efficiency;        // speedup / (P·T)
    std::optional<double> efficiency_cores;  // speedup / min(P·T, usable cores)
    std::optional<double> overhead_s;        // P·T·T_p − T_base (weak: − P·T·T_base)
    // The serial fraction the point implies, by the law of its scaling (P·T > 1 only).
    std::optional<double> karp_flatt;        // strong: (1/speedup − 1/(P·T)) / (1 − 1/(P·T))
    std::optional<double> gustafson_serial;  // weak: (P·T − speedup) / (P·T − 1)
    double oversubscription = 0;             // P·T / usable cores
    // Rates of the kernel itself: the work over the median compute_s.
    std::optional<double> gflops;         // work.flops / compute_s / 1e9
    std::optional<double> bandwidth_gbs;  // work.bytes / compute_s / 1e9
    std::optional<double> items_per_s;    // work.items / compute_s
    // The point's rate over the machine's limit at P·T threads (roofline.hpp apply_roofline):
    // bandwidth_gbs / STREAM triad when memory-bound, gflops / DGEMM when compute-bound. Empty
    // without a calibration or a rate.
    std::optional<double> roofline_fraction;
    std::string roofline_bound;  // "memory", "compute", or "" with no roofline_fraction
};

// A point's verdict, as sweep.json's point "status" writes it.
enum class PointStatus {
    ok,      // every repetition verified
    failed,  // some repetition did not (a wrong result, a crash, a timeout)
};
NLOHMANN_JSON_SERIALIZE_ENUM(PointStatus,
                             {{PointStatus::ok, "ok"}, {PointStatus::failed, "failed"}})

// Everything measured for one point.
struct PointResult {
    const Point* point = nullptr;
    std::vector<RepRecord> reps;  // recorded repetitions (warmups are not kept)
    bool verified = false;        // every repetition verified
    bool resumed = false;         // read back from the checkpoint of an interrupted run
    std::string error;            // the first failure, when not verified
    json result;                  // the last repetition's merged result
    Stats wall, spawn, dispatch, compute, gather, imbalance, cpu_util;
    double ctx_involuntary_median = 0;
    // Where it ran: the nodes of its MPI ranks (empty: this node, spawned workers), and the
    // cores its oversubscription and efficiency_cores count (summarize_point).
    std::vector<std::string> nodes;
    int usable_cores = 1;
    Derived derived;

    PointStatus status() const { return verified ? PointStatus::ok : PointStatus::failed; }
    // The statistics of the point's time metric, the time its speedup compares: compute for
    // time_metric compute_s, wall otherwise.
    const Stats& timed() const {
        return point->time_metric == TimeMetric::compute_s ? compute : wall;
    }
};

}  // namespace parsweep
