/*
 * Lesson 07 — block_stream: where the random numbers of each block of samples come from.
 *
 * The solution: one stream for the whole run, cut into consecutive pieces. Block b jumps
 * ahead to numbers 2·B·b … 2·B·(b+1) − 1 (B = kBlockSamples), so no two blocks share a
 * number, and the run draws exactly the numbers a serial loop over all samples would: the
 * same hit count for every processes × threads, and the serial program's own answer.
 */
#include <cstdint>

#include "../pi_streams.hpp"

namespace lesson07 {

Rng block_stream(std::uint64_t seed, std::uint64_t block) {
    Rng rng(seed);
    rng.jump(2 * kBlockSamples * block);  // skip the numbers of blocks 0 … block − 1
    return rng;
}

}  // namespace lesson07
