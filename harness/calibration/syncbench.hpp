// OpenMP construct overheads measured the way the EPCC OpenMP micro-benchmarks' syncbench
// does (Bull, Reid, McDonnell: "A Microbenchmark Suite for OpenMP Tasks", and its v3 source):
//
//   reference:  for j < inner: delay(L)                       (one thread, no construct)
//   PARALLEL:   for j < inner: #pragma omp parallel { delay(L) }
//   FOR:        #pragma omp parallel  for j < inner: #pragma omp for  for i < T: delay(L)
//   BARRIER:    #pragma omp parallel  for j < inner: { delay(L); #pragma omp barrier }
//   REDUCTION:  for j < inner: #pragma omp parallel reduction(+:x) { delay(L); x += 1 }
//
// Each thread does the same delay in the test as the one thread does in the reference, so
// (test time − reference time) / inner is what the construct itself costs per use. `inner`
// doubles until one test takes `target_test_s`; the test and the reference are repeated
// `outer` times, and the per-use overheads of those repetitions are summarised (mean ± 95%
// CI, median, max) with their outliers (EPCC's rule: more than 3 standard deviations from the
// mean).
#pragma once

#include <string>
#include <vector>

#include "measure/results.hpp"

namespace parsweep::syncbench {

// EPCC's delay: a chain of dependent float additions. Its start value is read from a
// volatile, and the result is stored only when it is negative (never, but the compiler cannot
// know), so the loop can be neither removed nor collapsed (without -ffast-math the additions
// cannot be reordered).
void delay(long length);

// The delay length (iterations) that takes `seconds` on this core, measured.
long delay_length_for(double seconds);

struct Settings {
    double delay_s = 0.1e-6;      // EPCC's default delay time (0.1 µs)
    double target_test_s = 1e-3;  // EPCC's default target test time (1000 µs)
    int outer = 20;               // EPCC's default outer repetitions
};

// The overhead of one construct at one thread count.
struct Overhead {
    std::string construct;  // "parallel", "for", "barrier", "reduction"
    int threads = 0;
    long inner = 0;          // uses of the construct per timed test
    long delay_length = 0;   // iterations of delay() per use
    double reference_s = 0;  // mean reference time per use
    Stats overhead_s;        // per use: test time / inner − reference_s, over `outer` tests
    int outliers = 0;        // overheads more than 3 sd from their mean
};

// The four constructs at `threads` threads. Throws std::runtime_error when OpenMP gives a
// smaller team than asked, or a construct computes a wrong result (the reduction's sum, the
// iterations a `for` handed out), and Interrupted (util/interrupt.hpp) when SIGINT or SIGTERM
// is received (looked at between tests, every millisecond or two).
std::vector<Overhead> measure(int threads, const Settings& settings);

// Overheads more than 3 standard deviations from the mean of `values`.
int count_outliers(const std::vector<double>& values);

}  // namespace parsweep::syncbench
