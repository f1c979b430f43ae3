#include "stream.hpp"

#include "large_array.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
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

// Elements between two looks at `stop`: 2 Mi doubles (16 MiB of an array), milliseconds of
// memory traffic, so that a stop is seen at once while looking costs nothing measurable.
constexpr long kBlock = 1L << 21;

// Runs body(begin, end) over [0, n) with `threads` OpenMP threads, each over its own share in
// blocks of kBlock. Thread 0 asks `stop` between its blocks; once it says yes every thread
// leaves its remaining blocks. Returns the team that ran, or 0 when stopped.
template <class Body>
int parallel_blocks(long n, int threads, const StopRequested& stop, const Body& body) {
    std::atomic<bool> stopped{false};
    int team = 0;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        if (t == 0) team = omp_get_num_threads();
        // schedule(static)'s shares, the same every pass: first touch and the timed loops
        // give each thread the same pages.
        const auto [first, last] =
            share_of(static_cast<std::uint64_t>(n), omp_get_num_threads(), t);
        const long begin = static_cast<long>(first), end = static_cast<long>(last);
        for (long b = begin; b < end; b += kBlock) {
            if (t == 0 && stop && stop()) stopped.store(true, std::memory_order_relaxed);
            if (stopped.load(std::memory_order_relaxed)) break;
            body(b, std::min(end, b + kBlock));
        }
    }
    return stopped.load() ? 0 : team;
}

// check() with a look at `stop` between blocks: true when stopped before the end.
bool check_or_stop(const double* a, const double* b, const double* c, std::size_t n, int rounds,
                   const StopRequested& stop, Verdict& verdict) {
    const Expected e = expected_after(rounds);
    constexpr double kEpsilon = 1e-13;  // STREAM's for 8-byte reals
    for (auto [name, x, want] : {std::tuple{"a", a, e.a}, {"b", b, e.b}, {"c", c, e.c}}) {
        std::size_t wrong = 0, first = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (i % kBlock == 0 && stop && stop()) return true;
            if (!(std::abs(x[i] - want) <= kEpsilon * std::abs(want))) {
                if (wrong++ == 0) first = i;
            }
        }
        if (wrong) {
            verdict = Verdict::fail(fmt::format(
                "STREAM validation failed: {}[{}] = {:.17g}, expected {:.17g} after {} rounds "
                "({} of {} elements of {} wrong)",
                name, first, x[first], want, rounds, wrong, n, name));
            return false;
        }
    }
    verdict = Verdict::pass();
    return false;
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
    Verdict v = Verdict::pass();
    check_or_stop(a, b, c, n, rounds, {}, v);
    return v;
}

Result measure(std::size_t elements, int threads, int repetitions, const StopRequested& stop) {
    if (elements == 0 || threads < 1 || repetitions < 1)
        throw std::invalid_argument("STREAM: elements, threads and repetitions must be ≥ 1");
    Array a = allocate(elements), b = allocate(elements), c = allocate(elements);
    double* const pa = a.get();
    double* const pb = b.get();
    double* const pc = c.get();
    const auto n = static_cast<long>(elements);
    // First touch with the timed loops' shares: each thread's pages are its own.
    const int team = parallel_blocks(n, threads, stop, [=](long begin, long end) {
        for (long i = begin; i < end; ++i) {
            pa[i] = kInitA;
            pb[i] = kInitB;
            pc[i] = kInitC;
        }
    });
    if (team == 0) throw Stopped();
    if (team != threads)
        throw std::runtime_error(fmt::format(
            "STREAM: OpenMP ran {} threads, {} were asked for (OMP_DYNAMIC or OMP_THREAD_LIMIT?)",
            team, threads));
    const auto copy = [=](long begin, long end) {
        for (long i = begin; i < end; ++i) pc[i] = pa[i];
    };
    const auto triad = [=](long begin, long end) {
        for (long i = begin; i < end; ++i) pa[i] = pb[i] + kScalar * pc[i];
    };
    double copy_best = std::numeric_limits<double>::infinity(), triad_best = copy_best;
    for (int k = 0; k <= repetitions; ++k) {
        double t0 = now_s();
        if (parallel_blocks(n, threads, stop, copy) == 0) throw Stopped();
        double t1 = now_s();
        if (parallel_blocks(n, threads, stop, triad) == 0) throw Stopped();
        double t2 = now_s();
        if (k == 0) continue;  // STREAM does not count the first pass
        copy_best = std::min(copy_best, t1 - t0);
        triad_best = std::min(triad_best, t2 - t1);
    }
    Verdict v = Verdict::pass();
    if (check_or_stop(pa, pb, pc, elements, repetitions + 1, stop, v)) throw Stopped();
    if (!v.ok) throw std::runtime_error(v.message);
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
