/*
 * Lesson 03 — share: split n items over `parts` threads by hand (a manual static schedule).
 *
 * The solution: part i starts at ⌊i·n / parts⌋, so the remainder is spread over the parts
 * (sizes differ by at most one) and part i+1 starts exactly where part i ends. The product
 * is taken in 128 bits: i·n overflows 64 bits for n above 2^64 / parts.
 */
#include "../share.hpp"

namespace lesson03 {

namespace {
__extension__ typedef unsigned __int128 u128;

std::uint64_t boundary(std::uint64_t n, int parts, int index) {
    return static_cast<std::uint64_t>(static_cast<u128>(n) * static_cast<u128>(index) /
                                      static_cast<u128>(parts));
}
}  // namespace

Range share(std::uint64_t n, int parts, int index) {
    return {boundary(n, parts, index), boundary(n, parts, index + 1)};
}

}  // namespace lesson03
