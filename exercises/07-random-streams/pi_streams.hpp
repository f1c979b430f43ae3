// Lesson 07: the random number generator, and the function you write — where the random
// stream of each block of samples starts.
#pragma once

#include <cstdint>

namespace lesson07 {

// Samples per block. A block is one task: the harness splits the blocks over the worker
// processes, and each process's threads take blocks one at a time, in any order — like a
// Python Pool handing tasks to its workers. Every sample draws two numbers: x, then y.
constexpr std::uint64_t kBlockSamples = 65536;

// SplitMix64 (Steele, Lea & Flood, 2014): a small, statistically good generator. Its whole
// state is one 64-bit counter that advances by a fixed step per number, so its 2^64 numbers
// form ONE long stream, and skipping ahead n numbers costs one multiply: jump(n).
class Rng {
  public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    // The next 64 random bits.
    std::uint64_t next() {
        std::uint64_t z = (state_ += kStep);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // A uniform random number in [0, 1) (53 random bits).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
    // Skips the next n numbers, as if next() had been called n times.
    void jump(std::uint64_t n) { state_ += n * kStep; }  // wraps mod 2^64, like the state

    // The counter; two generators with the same state draw the same numbers from then on.
    std::uint64_t state() const { return state_; }
    static constexpr std::uint64_t kStep = 0x9E3779B97F4A7C15ULL;

  private:
    std::uint64_t state_;
};

// YOUR function (starter/pi_streams.cpp): the generator that block `block` of a run seeded
// `seed` draws its numbers from (2 per sample: 2 · kBlockSamples for a whole block). Called
// once per block, from every thread of every worker process, in any order.
Rng block_stream(std::uint64_t seed, std::uint64_t block);

}  // namespace lesson07
