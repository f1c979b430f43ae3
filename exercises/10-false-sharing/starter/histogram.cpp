/*
 * Lesson 10 — histogram: count numbers by their remainder mod 3, every OpenMP thread into a
 * histogram of its own, with the threads' histograms `packed` side by side or `padded`.
 *
 * YOUR TASK: `Padded` below is still laid out like `Packed`: 24 bytes a thread, so two threads'
 * counters share a 64-byte cache line and every increment takes the line from the other core.
 * Fix TODO(padded), then run `make exercise N=10` until the check says correct. `packed` stays
 * as it is — it is the example of what goes wrong.
 * (The rest of the kernel — timing, the exact counts, the layout check — is in
 * ../histogram_kernel.cpp; what histogram() must return is in ../histogram.hpp.)
 */
#include <omp.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "../histogram.hpp"

namespace lesson10 {

namespace {

// A counter that other threads may read while it counts — a progress display, a thread pool's
// statistics — is atomic. Each add is then one indivisible read-modify-write, for which the
// core must hold the counter's cache line to itself.
using Counter = std::atomic<std::uint64_t>;  // 8 bytes

// One thread's histogram: kBins counters, 24 bytes. In an array of them, the histograms of
// two or three threads share each 64-byte cache line.
struct Packed {
    Counter count[kBins] = {};
};

// TODO(padded): give each thread's counters cache lines of their own, so that no other
// thread's counters are in them. The counters must START on a line (align the struct) and
// the next thread's must start on the next line (the struct's size, a multiple of the line).
// One attribute does both. The line is 64 bytes on most machines (`parsweep info` prints
// yours), and the standard library has a name for it in <new>.
struct Padded {
    Counter count[kBins] = {};
};

// Every thread adds its share of the numbers into its own histogram, hists[thread]; the
// histograms are added up at the end. No thread touches another's counters: the results are
// right whatever the layout. Only the time depends on it.
template <class Histogram>
Tally count_with(std::uint64_t begin, std::uint64_t end) {
    const int threads = omp_get_max_threads();
    std::vector<Histogram> hists(static_cast<std::size_t>(threads));  // one after the other
#pragma omp parallel
    {
        Counter* count = hists[static_cast<std::size_t>(omp_get_thread_num())].count;
#pragma omp for schedule(static)
        for (std::uint64_t x = begin; x < end; ++x)
            count[bin_of(x)].fetch_add(1, std::memory_order_relaxed);
    }
    Tally tally;
    for (const Histogram& h : hists) {
        for (int b = 0; b < kBins; ++b) tally.counts[b] += h.count[b].load();
        tally.counters.push_back({h.count, sizeof h.count});  // where this thread counted
    }
    return tally;
}

}  // namespace

Tally histogram(const std::string& method, std::uint64_t begin, std::uint64_t end) {
    if (method == "packed") return count_with<Packed>(begin, end);
    return count_with<Padded>(begin, end);
}

}  // namespace lesson10
