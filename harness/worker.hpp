// The `parsweep worker` subcommand: one worker process of one repetition.
//
// Started by the launcher with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS already in its
// environment (so the OpenMP runtime and the BLAS start with the point's thread count and
// are never changed afterwards). Reads its Task on fd 3, prepares the kernel, starts the
// OpenMP team, says Ready on fd 4, waits for "go", runs its share in timed batches with
// untimed checks between them, and sends its Report.
#pragma once

namespace parsweep {

// Returns the process exit status: 0 when the share ran (whatever its verdict), 1 when it
// could not (the reason was sent as {"error": ...} when fd 4 was usable).
int worker_main();

}  // namespace parsweep
