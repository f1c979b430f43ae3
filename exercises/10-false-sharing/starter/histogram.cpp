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

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "../histogram.hpp"

namespace lesson10 {

namespace {

// One thread's histogram: kBins counters of 8 bytes, 24 bytes. In an array of them, the
// histograms of two or three threads share each 64-byte cache line.
struct Packed {
    std::uint64_t count[kBins] = {};
};

// TODO(padded): give each thread's counters cache lines of their own, so that no other
// thread's counters are in them. The counters must START on a line (align the struct) and
// the next thread's must start on the next line (the struct's size, a multiple of the line).
// One attribute does both; the line size is 64 bytes here, and the standard library has a
// name for it (<new>).
struct Padded {
    std::uint64_t count[kBins] = {};
};

// Every thread adds its share of the numbers into its own histogram, hists[thread]; the
// histograms are added up at the end. ++count[...] is a load and a store to memory every
// time: the compiler cannot keep a counter picked by the data in a register.
template <class Histogram>
Tally count_with(std::uint64_t begin, std::uint64_t end) {
    const int threads = omp_get_max_threads();
    std::vector<Histogram> hists(static_cast<std::size_t>(threads));  // one after the other
#pragma omp parallel
    {
        std::uint64_t* count = hists[static_cast<std::size_t>(omp_get_thread_num())].count;
#pragma omp for schedule(static)
        for (std::uint64_t x = begin; x < end; ++x) ++count[bin_of(x)];
    }
    Tally tally;
    for (const Histogram& h : hists) {
        for (int b = 0; b < kBins; ++b) tally.counts[b] += h.count[b];
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
