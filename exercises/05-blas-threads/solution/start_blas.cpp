/*
 * Lesson 05 — start_blas: start the BLAS with the number of threads you want.
 *
 * The solution: set the variable first, then load the library — in Python, set
 * os.environ["OPENBLAS_NUM_THREADS"] (or export it in the shell or job script) before
 * `import numpy`. OpenBLAS reads it once, when it starts, and sizes its thread pool with it.
 */
#include <cstdlib>
#include <string>

#include "../start_blas.hpp"

namespace lesson05 {

const parsweep::blas::Library& start_blas(int threads) {
    setenv("OPENBLAS_NUM_THREADS", std::to_string(threads).c_str(), 1);
    return parsweep::blas::library();  // starts OpenBLAS, which reads the variable now
}

}  // namespace lesson05
