/*
 * Lesson 04 — blas_threads_per_worker: how many BLAS threads each worker process may use.
 *
 * YOUR TASK: this answer gives every worker every core — what happens by default when a
 * multiprocessing Pool(6) runs numpy on 6 cores: each of the 6 processes starts 6 OpenBLAS
 * threads, 36 busy threads on 6 cores. Fix the TODO, then run `make exercise N=04` until the
 * check says correct. (The kernel around it is ../pool_invert_kernel.cpp.)
 */
#include "../blas_threads.hpp"

namespace lesson04 {

int blas_threads_per_worker(int processes, int usable_cores) {
    (void)processes;
    // TODO(threads): the workers run side by side, so their threads add up. Share the cores
    // out: processes × threads must not exceed usable_cores — yet every worker needs at
    // least one thread, and no core should be left idle that one more thread each could use.
    return usable_cores;
}

}  // namespace lesson04
