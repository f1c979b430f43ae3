/*
 * Lesson 02 — sum_cubes: add up x³ over n numbers with OpenMP threads, five ways.
 *
 * The solution. `race` is kept on purpose: it is what the lesson shows going wrong.
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
#pragma omp critical
            sum += c;
        }
    } else if (method == "atomic") {
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < n; ++i) {
            const u64 c = x[i] * x[i] * x[i];
#pragma omp atomic
            sum += c;
        }
    } else if (method == "reduction") {
#pragma omp parallel for schedule(static) reduction(+ : sum)
        for (u64 i = 0; i < n; ++i) sum += x[i] * x[i] * x[i];
    } else {  // padded
        const int threads = omp_get_max_threads();
        std::unique_ptr<PaddedSum[]> partial(new PaddedSum[threads]);
#pragma omp parallel
        {
            u64& mine = partial[omp_get_thread_num()].value;
#pragma omp for schedule(static)
            for (u64 i = 0; i < n; ++i) mine += x[i] * x[i] * x[i];
        }
        for (int t = 0; t < threads; ++t) sum += partial[t].value;
    }
    return sum;
}

}  // namespace lesson02
