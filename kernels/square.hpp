// The square kernel's exact closed forms, for other kernels that verify sums of powers of
// 0, 1, …, n−1 (the workshop lessons' kernels).
#pragma once

#include <cstdint>

namespace parsweep::square {

// S_p(m) = Σ_{i=0}^{m−1} i^p mod 2^64, exact for 1 ≤ p ≤ 3 and m ≤ 2^40 (computed in 128
// bits, dividing before reducing mod 2^64). Throws std::out_of_range for a larger m and
// std::invalid_argument for another p.
std::uint64_t power_sum_prefix(std::uint64_t m, unsigned p);

// Σ_{i=b}^{e−1} i^p mod 2^64, for b ≤ e (the same limits).
std::uint64_t power_sum(std::uint64_t b, std::uint64_t e, unsigned p);

}  // namespace parsweep::square
