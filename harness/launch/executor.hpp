// How one repetition of a point is run, and the steps every way of running it shares.
//
// An Executor runs a repetition as processes: SpawnExecutor (launcher.hpp) as P fresh worker
// processes on this node, MpiExecutor (mpi_launcher.hpp) as P MPI ranks through mpirun or
// srun. The runner picks one per point from its `launcher`. Both stand on the process layer
// (process.hpp) and assemble the repetition's record with the steps below, so that a
// repetition reads the same whichever started it.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "measure/results.hpp"
#include "process_tree.hpp"
#include "sweep/config.hpp"

namespace parsweep {

// One way of running a repetition (hyperfine's executor).
class Executor {
  public:
    virtual ~Executor() = default;
    // Runs one repetition of `point`. Every process it started is gone when it returns; a
    // failure is the record's error, never an exception.
    virtual RepRecord run_repetition(const Point& point) = 0;
};

// The number of items of `point` (Kernel::items), or nullopt with `error` saying why the
// kernel could not count them ("wordcount: cannot stat 'text': No such file or directory":
// its input is gone): the repetition's failure, never an exception out of run_repetition.
std::optional<std::uint64_t> point_items(const Point& point, std::string& error);

// A worker's share of a point's items: share_of(items, P, w) (kernels/kernel.hpp).

// The environment of a worker of a point with `threads` threads: this process's
// environment without any thread-count variable, plus the thread counts, the point's
// `processes` (PARSWEEP_PROCESSES, protocol.hpp) and `extra`.
std::vector<std::string> worker_environment(int threads,
                                            const std::map<std::string, std::string>& extra,
                                            int processes = 1);

// signal_name(sig): "SIGSEGV" (process_tree.hpp).
// Appends one worker's record: its CPU time, context switches and peak RSS go to the totals,
// and the repetition's thread counts are the smallest any worker ran with.
void add_worker(RepRecord& rec, WorkerRecord wr);
// `error` followed by the tail of what the process printed: "… [output: …]".
std::string with_output(std::string error, const std::string& output);
// Merges the workers' partials (in worker order) into rec.result and verifies it, and fails the
// repetition when the workers did not run with the point's thread count. Sets rec.verified,
// rec.error and rec.verify_s (how long it took).
void verify_repetition(const Point& point, const std::vector<json>& partials, RepRecord& rec);

// When parsweep was interrupted, marks `rec` interrupted and makes `failure` say by which
// signal: a worker may die of the same Ctrl-C before the parent's poll sees it, and either
// way the repetition was interrupted, not failed.
void note_interrupt(RepRecord& rec, std::string& failure);
// Sets wall_s (`t0` → `t_end`, the last result received), reap_s (`t_end` → now) and
// cpu_util from the workers' CPU time.
void close_times(RepRecord& rec, double t0, double t_end);

// The compute span of a repetition's workers, on the parent's clock (CLOCK_MONOTONIC).
struct Span {
    double last_ready;  // the latest "ready" (the repetition's start when none)
    double first_start = std::numeric_limits<double>::max(), last_start = 0, last_end = 0;
    double last_start_setup = 0;  // the set-up inside run() of the worker that started last
    double last_done = 0;         // the latest end less that worker's untimed calls between batches
    double last_tail = 0;         // the last check() of the worker that ended last, after its end
    double min_busy = std::numeric_limits<double>::max(), max_busy = 0;
    // Every worker makes the span, items or not: a point of no items, or of a kernel that runs
    // whatever its share (Kernel::runs_empty_shares).
    bool every_worker = false;

    Span(double t0, const Point& point, std::uint64_t items)
        : last_ready(t0), every_worker(items == 0 || point.kernel->runs_empty_shares()) {}
    // A worker's report. Only workers with items (`has_items`) make the span, unless every
    // worker does: an idle worker's start is only the moment it was released.
    void add(bool has_items, double start, double end, double paused_s, double tail_s,
             double busy_s, double setup_s = 0);
};

}  // namespace parsweep
