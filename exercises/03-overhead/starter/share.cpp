/*
 * Lesson 03 — share: split n items over `parts` threads by hand (a manual static schedule).
 *
 * YOUR TASK: this split gives every part n / parts items. When parts does not divide n
 * (999 items on 2 threads), the remainder n % parts is never computed by anyone. Fix the
 * TODO, then run `make exercise N=03` until the check says correct.
 * (The rest of the kernel — input, timing, verification — is in ../split_sum_kernel.cpp.)
 */
#include "../share.hpp"

namespace lesson03 {

Range share(std::uint64_t n, int parts, int index) {
    const std::uint64_t size = n / static_cast<std::uint64_t>(parts);
    const std::uint64_t i = static_cast<std::uint64_t>(index);
    // TODO(share): the n % parts items left over belong to no part. Give them out — one
    // more item each to the first n % parts parts keeps the parts within one item of each
    // other — and shift every later part's begin to match.
    return {i * size, (i + 1) * size};
}

}  // namespace lesson03
