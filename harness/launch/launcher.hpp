// The launcher: runs one repetition of one point as P fresh worker processes.
//
// Each worker is a posix_spawn of parsweep-worker (worker_command below), with
// OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, BLIS_NUM_THREADS = T and the
// point's `env` in its environment, so its OpenMP runtime and BLAS start with T threads.
// The parent hands out contiguous shares of the items, waits until every worker is ready,
// releases them together with "go", gathers their reports, reaps them with wait4 (for the
// CPU time, context switches and peak RSS the OS charged them), merges the partial results
// and verifies the merged one.
//
// A worker that cannot start, dies, exits non-zero, sends garbage or outlives the point's
// timeout makes the repetition fail with the reason; every worker is killed and reaped
// before run_repetition returns.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "measure/results.hpp"
#include "sweep/model.hpp"
#include "util/install_paths.hpp"

namespace parsweep {

// The share of worker `w` of `P` over `items` items: contiguous, sizes differing by ≤ 1.
std::pair<std::uint64_t, std::uint64_t> share_of(std::uint64_t items, int P, int w);

// The environment of a worker of a point with `threads` threads: this process's
// environment without any thread-count variable, plus the thread counts, the point's
// `processes` (PARSWEEP_PROCESSES, protocol.hpp) and `extra`.
std::vector<std::string> worker_environment(int threads,
                                            const std::map<std::string, std::string>& extra,
                                            int processes = 1);

// Runs one repetition of `point`. `executable` is the parsweep binary whose workers to spawn
// (worker_command). Points with launcher "mpi" go to run_mpi_repetition (mpi_launcher.hpp).
RepRecord run_repetition(const Point& point, const std::string& executable);

// Pieces of a repetition's record that every launcher assembles the same way.

// "SIGSEGV" (or "signal 42" for one without a name).
std::string signal_name(int sig);
// Appends one worker's record: its CPU time, context switches and peak RSS go to the totals,
// and the repetition's thread counts are the smallest any worker ran with.
void add_worker(RepRecord& rec, WorkerRecord wr);
// `error` followed by the tail of what the process printed: "… [output: …]".
std::string with_output(std::string error, const std::string& output);
// Merges the workers' partials (in worker order) into rec.result and verifies it, and fails the
// repetition when the workers did not run with the point's thread count. Sets rec.verified,
// rec.error and rec.verify_s (how long it took).
void verify_repetition(const Point& point, const std::vector<json>& partials, RepRecord& rec);

// How a worker of the parsweep binary `executable` is started, program first: its lean
// worker when there is one (parsweep-worker beside it or in the installed libexec directory,
// or a lesson binary's own, install_paths.hpp: it links only what a worker needs, so it starts
// in about half the time, bench/README.md), else `<executable> worker` (a copy of the binary
// without its worker). The worker's path is looked up once per process.
std::vector<std::string> worker_command(const std::string& executable);

}  // namespace parsweep
