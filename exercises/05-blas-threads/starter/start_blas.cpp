/*
 * Lesson 05 — start_blas: start the BLAS with the number of threads you want.
 *
 * YOUR TASK: this is the Python mistake
 *
 *     import numpy as np                       # OpenBLAS starts here: one thread per CPU
 *     os.environ["OPENBLAS_NUM_THREADS"] = "1" # too late: it has already read the variable
 *
 * in C++: the BLAS is loaded first, and only then is the variable set. OpenBLAS reads it
 * once, when it starts, so the setting has no effect, and every BLAS call runs on all the
 * CPUs. Fix the TODO, then run `make exercise N=05` until the check says correct. (The kernel
 * around it — inverting matrices, checking the thread count — is ../blas_invert_kernel.cpp.)
 */
#include <cstdlib>
#include <string>

#include "../start_blas.hpp"

namespace lesson05 {

const parsweep::blas::Library& start_blas(int threads) {
    // Loads OpenBLAS, which starts its thread pool now: `import numpy`.
    const parsweep::blas::Library& blas = parsweep::blas::library();

    // TODO(order): the thread count is set after the BLAS has started, so OpenBLAS never
    // reads it. Set it before the line above.
    setenv("OPENBLAS_NUM_THREADS", std::to_string(threads).c_str(), 1);

    return blas;
}

}  // namespace lesson05
