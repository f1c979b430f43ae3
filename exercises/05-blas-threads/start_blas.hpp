// Lesson 05: the function you write — start the BLAS with a chosen number of threads.
#pragma once

#include "blas.hpp"

namespace lesson05 {

// YOUR function (starter/start_blas.cpp): starts the BLAS — parsweep::blas::library() loads
// OpenBLAS, like `import numpy` — so that it runs `threads` threads (at most one per CPU
// it may use: OpenBLAS caps the count there), and returns it. Called once in each worker
// process, before any BLAS call, with none of OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS and
// OMP_NUM_THREADS set.
const parsweep::blas::Library& start_blas(int threads);

}  // namespace lesson05
