// A worker process of one repetition: parsweep-worker (harness/launch/worker_main.cpp), or the
// `parsweep worker` subcommand of a binary without one beside it (launcher.hpp).
//
// Started by the launcher with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS already in its
// environment (so the OpenMP runtime and the BLAS start with the point's thread count and
// are never changed afterwards). Reads its Task on fd 3, prepares the kernel, starts the
// OpenMP team, says Ready on fd 4, waits for "go", runs its share in timed batches with
// untimed checks between them, and sends its Report.
#pragma once

#include "launch/protocol.hpp"

namespace parsweep {

// Returns the process exit status: 0 when the share ran (whatever its verdict), 1 when it
// could not (the reason was sent as {"error": ...} when fd 4 was usable).
int worker_main();

// What every worker does, whatever started it (the spawn launcher's `parsweep worker`, or an
// MPI rank of parsweep-mpi-worker):

// The task's kernel, prepared for the share [task.begin, task.end) of one of task.processes
// workers (untimed). Throws std::runtime_error saying why not: "unknown kernel …", "set-up
// failed: …".
struct Prepared {
    const Kernel* kernel = nullptr;
    std::unique_ptr<KernelRun> run;
};
Prepared prepare_share(const Task& task);
// Starts the OpenMP team (so that thread creation counts as set-up, not compute) and says
// what the process runs with: now, when its main() began (`started`), OpenMP threads, BLAS
// threads, CPUs.
Ready ready_now(double started);
// Runs the share [task.begin, task.end) in timed batches of kernel.batch_items(), each
// followed by its untimed check. Times are CLOCK_MONOTONIC. Throws what the kernel throws.
Report run_share(const Kernel& kernel, const Task& task, KernelRun& run);

}  // namespace parsweep
