#include "stream.hpp"

#include "large_array.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace parsweep::stream {

namespace {

using Array = LargeArray<double>;

Array allocate(std::size_t n) {
    return allocate_large<double>(n, "STREAM");
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Expected expected_after(int rounds) {
    Expected e{kInitA, kInitB, kInitC};
    for (int k = 0; k < rounds; ++k) {
        e.c = e.a;
        e.a = e.b + kScalar * e.c;
    }
    return e;
}

Verdict check(const double* a, const double* b, const double* c, std::size_t n, int rounds) {
    const Expected e = expected_after(rounds);
    constexpr double kEpsilon = 1e-13;  // STREAM's for 8-byte reals
    for (auto [name, x, want] : {std::tuple{"a", a, e.a}, {"b", b, e.b}, {"c", c, e.c}}) {
        std::size_t wrong = 0, first = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (!(std::abs(x[i] - want) <= kEpsilon * std::abs(want))) {
                if (wrong++ == 0) first = i;
            }
        if (wrong)
            return Verdict::fail(fmt::format(
                "STREAM validation failed: {}[{}] = {:.17g}, expected {:.17g} after {} rounds "
                "({} of {} elements of {} wrong)",
                name, first, x[first], want, rounds, wrong, n, name));
    }
    return Verdict::pass();
}

Result measure(std::size_t elements, int threads, int repetitions) {
    if (elements == 0 || threads < 1 || repetitions < 1)
        throw std::invalid_argument("STREAM: elements, threads and repetitions must be ≥ 1");
    Array a = allocate(elements), b = allocate(elements), c = allocate(elements);
    double* const pa = a.get();
    double* const pb = b.get();
    double* const pc = c.get();
    const auto n = static_cast<long>(elements);
    int team = 0;
    // First touch with the timed loops' schedule: each thread's pages are its own.
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long i = 0; i < n; ++i) {
        if (i == 0) team = omp_get_num_threads();
        pa[i] = kInitA;
        pb[i] = kInitB;
        pc[i] = kInitC;
    }
    if (team != threads)
        throw std::runtime_error(fmt::format(
            "STREAM: OpenMP ran {} threads, {} were asked for (OMP_DYNAMIC or OMP_THREAD_LIMIT?)",
            team, threads));
    double copy_best = std::numeric_limits<double>::infinity(), triad_best = copy_best;
    for (int k = 0; k <= repetitions; ++k) {
        double t0 = now_s();
#pragma omp parallel for schedule(static) num_threads(threads)
        for (long i = 0; i < n; ++i) pc[i] = pa[i];
        double t1 = now_s();
#pragma omp parallel for schedule(static) num_threads(threads)
        for (long i = 0; i < n; ++i) pa[i] = pb[i] + kScalar * pc[i];
        double t2 = now_s();
        if (k == 0) continue;  // STREAM does not count the first pass
        copy_best = std::min(copy_best, t1 - t0);
        triad_best = std::min(triad_best, t2 - t1);
    }
    if (Verdict v = check(pa, pb, pc, elements, repetitions + 1); !v.ok)
        throw std::runtime_error(v.message);
    Result r;
    r.threads = threads;
    r.elements = elements;
    r.repetitions = repetitions;
    r.copy_best_s = copy_best;
    r.triad_best_s = triad_best;
    const double bytes = static_cast<double>(elements) * sizeof(double);
    r.copy_gbs = 2 * bytes / copy_best / 1e9;
    r.triad_gbs = 3 * bytes / triad_best / 1e9;
    return r;
}

}  // namespace parsweep::stream
