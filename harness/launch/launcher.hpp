// The spawn launcher: runs one repetition of one point as P fresh worker processes.
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
#include <vector>

#include "launch/executor.hpp"
#include "measure/results.hpp"
#include "process_tree.hpp"
#include "sweep/model.hpp"
#include "util/install_paths.hpp"

namespace parsweep {

// Runs repetitions of points with launcher "spawn". `executable` is the parsweep binary whose
// workers to spawn (worker_command).
class SpawnExecutor final : public Executor {
  public:
    // Makes parsweep a child subreaper (process_tree.hpp): what the programs of workers it
    // kills started comes back to it, to be ended after the repetition.
    explicit SpawnExecutor(std::string executable) : executable_(std::move(executable)) {
        become_subreaper();
    }
    RepRecord run_repetition(const Point& point) override;

  private:
    std::string executable_;
};

// How a worker of the parsweep binary `executable` is started, program first: its lean
// worker when there is one (parsweep-worker beside it or in the installed libexec directory,
// or a lesson binary's own, install_paths.hpp: it links only what a worker needs, so it starts
// in about half the time, bench/README.md), else `<executable> worker` (a copy of the binary
// without its worker). The worker's path is looked up once per process.
std::vector<std::string> worker_command(const std::string& executable);

}  // namespace parsweep
