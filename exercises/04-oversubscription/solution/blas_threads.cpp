/*
 * Lesson 04 — blas_threads_per_worker: how many BLAS threads each worker process may use.
 *
 * The solution: the cores shared out between the processes, at least one thread each. With
 * more processes than cores even one thread each oversubscribes; that is fixed by running
 * fewer processes, not here.
 */
#include <algorithm>

#include "../blas_threads.hpp"

namespace lesson04 {

int blas_threads_per_worker(int processes, int usable_cores) {
    return std::max(1, usable_cores / std::max(1, processes));
}

}  // namespace lesson04
