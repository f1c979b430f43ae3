/*
 * Lesson 07 — block_stream: where the random numbers of each block of samples come from.
 *
 * YOUR TASK: every block starts its generator at the same seed — the classic bug of calling
 * np.random.seed(42) in every worker of a Python Pool: every worker draws the SAME "random"
 * points, so P·T workers do the work of one, over and over. The estimate still looks like π,
 * but its error stops shrinking, and it depends on the block size, not on how many samples
 * you asked for. Fix the TODO, then run `make exercise N=07` until the check says correct.
 * (The rest of the kernel — the blocks, the threads, counting and checking — is in
 * ../pi_streams_kernel.cpp; the generator, Rng, is in ../pi_streams.hpp.)
 */
#include <cstdint>

#include "../pi_streams.hpp"

namespace lesson07 {

Rng block_stream(std::uint64_t seed, std::uint64_t block) {
    // TODO(streams): give block `block` numbers of its own that no other block draws, and
    // that do not depend on which process or thread runs it (no thread ids, no clocks) — so
    // the hit count is the same for every processes × threads. Hint: Rng::jump.
    (void)block;
    return Rng(seed);
}

}  // namespace lesson07
