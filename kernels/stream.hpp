// STREAM copy and triad, the way John McCalpin's STREAM measures a machine's sustainable
// memory bandwidth, written with parsweep's own code: `parsweep calibrate` holds every
// memory-bound kernel (square, wordcount) against the triad figure this measures.
//
// STREAM's rules, kept here:
//   - each array is at least 4× the last-level cache (the caller chooses `elements`);
//   - the arrays are first touched in parallel, with the same static schedule and thread count
//     as the timed loops, so each thread's pages lie in its own NUMA node;
//   - each kernel runs `repetitions` + 1 times and the first run is not counted; the result is
//     the best (shortest) time;
//   - bytes are STREAM's: copy c = a moves 2 × 8 bytes per element, triad a = b + s·c moves
//     3 × 8 (the write-allocate read of the destination is not counted);
//   - the arrays' final contents are checked against the values the sequence of kernels must
//     produce (STREAM's checkSTREAMresults): a wrong result is an error, never a bandwidth.
// One addition: the arrays are on transparent huge pages where the system allows them
// (large_array.hpp), as square's are, so that the roof and the kernel pay the same TLB cost.
// On the 2-vCPU VM that raised the triad from 27 to 36 GB/s at one thread.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

#include "kernel.hpp"

namespace parsweep::stream {

// The scalar of triad, and the arrays' initial values (STREAM's).
inline constexpr double kScalar = 3.0;
inline constexpr double kInitA = 1.0, kInitB = 2.0, kInitC = 0.0;

// Best-of results of one thread count.
struct Result {
    int threads = 0;           // the OpenMP team that ran the loops
    std::size_t elements = 0;  // per array
    int repetitions = 0;       // counted repetitions (the first, untimed one excluded)
    double copy_best_s = 0, triad_best_s = 0;
    double copy_gbs = 0, triad_gbs = 0;  // STREAM bytes / best time / 1e9
};

// The values a, b, c must hold after `repetitions` + 1 rounds of (copy c = a; triad a = b + s·c)
// starting from kInitA, kInitB, kInitC.
struct Expected {
    double a = 0, b = 0, c = 0;
};
Expected expected_after(int rounds);

// STREAM's validation of arrays of `n` elements after `rounds` rounds: every element of a, b
// and c within a relative 1e-13 of its expected value (the values are small integers, exact in
// double, so any difference is a wrong result). Names the array, the first wrong index, its
// value and the expected one, and how many elements are wrong.
Verdict check(const double* a, const double* b, const double* c, std::size_t n, int rounds);

// Asked between blocks of a few milliseconds' work (by one thread at a time); true abandons the
// measurement. The calibration's is "was SIGINT or SIGTERM received": arrays of gigabytes take
// seconds to fault in, pass over and check, and a signal must not wait for them.
using StopRequested = std::function<bool()>;

// What measure throws when `stop` said so: nothing measured, the arrays freed.
struct Stopped : std::runtime_error {
    Stopped() : std::runtime_error("STREAM: stopped") {}
};

// Measures copy and triad with `threads` OpenMP threads over three fresh arrays of `elements`
// doubles each. Throws std::runtime_error when the arrays cannot be allocated, the team is
// smaller than asked (OMP_DYNAMIC, OMP_THREAD_LIMIT), or the result does not validate, and
// Stopped when `stop` (may be empty: never) asked it to stop.
Result measure(std::size_t elements, int threads, int repetitions, const StopRequested& stop = {});

}  // namespace parsweep::stream
