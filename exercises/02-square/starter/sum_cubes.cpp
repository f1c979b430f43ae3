/*
 * Lesson 02 — sum_cubes: add up x³ over n numbers with OpenMP threads, five ways.
 *
 * YOUR TASK: the methods critical, atomic, reduction and padded below all still add to the
 * shared sum without protection — the same data race as `race`. Fix each TODO, then run
 * `make exercise N=02` until the check says every method but `race` is correct.
 * (The rest of the kernel — input, timing, verification — is in ../sum_cubes_kernel.cpp.)
 */
#include <omp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "../sum_cubes.hpp"

namespace lesson02 {

namespace {
struct alignas(64) PaddedSum {  // one cache line per thread: no false sharing
    std::uint64_t value = 0;
};
}  // namespace

std::uint64_t sum_cubes(const std::string& method, const std::uint64_t* x, std::uint64_t n) {
    using u64 = std::uint64_t;
    u64 sum = 0;
    if (method == "race") {
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < n; ++i) sum += x[i] * x[i] * x[i];  // the race: unprotected
    } else if (method == "critical") {
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < n; ++i) {
            const u64 c = x[i] * x[i] * x[i];
            // TODO(critical): only one thread at a time may update `sum` here.
            sum += c;
        }
    } else if (method == "atomic") {
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < n; ++i) {
            const u64 c = x[i] * x[i] * x[i];
            // TODO(atomic): make this one update indivisible (cheaper than critical).
            sum += c;
        }
    } else if (method == "reduction") {
        // TODO(reduction): give each thread its own copy of `sum`, combined at the end
        // (one clause on the pragma).
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < n; ++i) sum += x[i] * x[i] * x[i];
    } else {  // padded
        // TODO(padded): add into partial[omp_get_thread_num()].value inside the loop,
        // then add the partial sums into `sum` after the parallel region.
        const int threads = omp_get_max_threads();
        std::unique_ptr<PaddedSum[]> partial(new PaddedSum[threads]);
        (void)partial;
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < n; ++i) sum += x[i] * x[i] * x[i];
    }
    return sum;
}

}  // namespace lesson02
