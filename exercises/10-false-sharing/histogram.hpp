// Lesson 10: the function you write, and what it hands back.
//
// histogram() counts the numbers begin … end−1 by bin_of(x), with the OpenMP threads of this
// process, each thread into a histogram of its own (kBins counters of 8 bytes), laid out as
// `method` says:
//   "packed"  the threads' histograms side by side in one array (the slow layout, on purpose);
//   "padded"  each thread's counters in cache lines that no other thread's counters touch.
// It returns the counts added up over the threads, and where each thread's counters were: the
// kernel checks the counts exactly and, for "padded", that no two threads' counters share a
// cache line of the size hwloc reports for this machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lesson10 {

// Bins per histogram: a number x goes into bin x mod 3.
constexpr int kBins = 3;
inline int bin_of(std::uint64_t x) {
    return static_cast<int>(x % kBins);
}

// Where one thread's counters are: their first byte and how many bytes they take (the counters
// alone, not any padding around them).
struct Counters {
    const void* at = nullptr;
    std::size_t bytes = 0;
};

struct Tally {
    std::array<std::uint64_t, kBins> counts{};  // counts[b]: numbers in bin b, all threads
    std::vector<Counters> counters;             // counters[t]: thread t's histogram
};

Tally histogram(const std::string& method, std::uint64_t begin, std::uint64_t end);

}  // namespace lesson10
