/*
 * Lesson 10 — histogram: count numbers by their remainder mod 3, every OpenMP thread into a
 * histogram of its own, with the threads' histograms `packed` side by side or `padded`.
 *
 * The solution. `packed` is kept on purpose: it is what the lesson shows going wrong.
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

// The line size the compiler assumes for its target (64 bytes on x86-64), where the library
// says; the check compares it with the machine's own, which hwloc reports.
#ifdef __cpp_lib_hardware_interference_size
constexpr std::size_t kLineBytes = std::hardware_destructive_interference_size;
#else
constexpr std::size_t kLineBytes = 64;
#endif

// The same counters, each thread's alone in its line: alignas makes the struct start on a
// line and rounds its size up to a whole line, so the next thread's starts on the next one.
struct alignas(kLineBytes) Padded {
    Counter count[kBins] = {};
};
static_assert(sizeof(Padded) % kLineBytes == 0 && alignof(Padded) == kLineBytes);

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
