// Lesson 02: the function you write. Returns Σ x[i]³ for i < n (mod 2^64), computed with
// the OpenMP threads of this process in the way `method` names: "race", "critical",
// "atomic", "reduction" or "padded".
#pragma once

#include <cstdint>
#include <string>

namespace lesson02 {

std::uint64_t sum_cubes(const std::string& method, const std::uint64_t* x, std::uint64_t n);

}  // namespace lesson02
