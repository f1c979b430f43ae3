/*
 * Lesson 07 — the pi_streams kernel: everything but the seeding you write
 * (starter/pi_streams.cpp).
 *
 * Monte Carlo π: `samples` random points (x, y) in [0, 1)²; the fraction inside the quarter
 * circle x² + y² < 1 tends to π/4. The samples come in blocks of kBlockSamples (the last one
 * may be shorter), and a block is the kernel's item: the harness splits the blocks into
 * contiguous shares over the worker processes, and a process's threads take the blocks of its
 * share one at a time (schedule(dynamic)), so which thread runs a block changes from run to
 * run. Block b draws x, then y, for each of its samples from lesson07::block_stream(seed, b).
 *
 * Counting: 3 flops per sample (x·x + y·y), no memory traffic; items = blocks.
 *
 * Verification
 *   Streams (exact): a generator is a position in SplitMix64's one cycle of 2^64 numbers
 *   (position = state / step mod 2^64; the step is odd, so it has an inverse). Block b draws
 *   the 2·len(b) numbers from its position on. Two blocks at the same position drew the same
 *   numbers — "the same random stream in every worker" — and two whose pieces overlap reuse
 *   each other's numbers. check() tests every pair of blocks of the worker's share (sorted by
 *   position, neighbours compared), verify() the first blocks of every share against each
 *   other. A correct block_stream never trips it, and the test has no randomness.
 *   Statistics: exactly `samples` samples drawn, and |p̂ − π/4| ≤ 6·√(p(1−p)/N) with
 *   p = π/4, p̂ = hits/N (6σ: a correct kernel fails with probability ~2e-9).
 *   The hit count is in the result, exact: with streams keyed by the block (not by the
 *   process or thread), it is the same for every processes × threads, and check.py compares
 *   it across the grid.
 */
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernel.hpp"
#include "pi_streams.hpp"

namespace {

using parsweep::json;
using u64 = std::uint64_t;
using lesson07::kBlockSamples;

// The inverse of an odd number mod 2^64: Newton's iteration doubles the correct low bits
// (x = a is right to 3 bits; five steps give 96).
constexpr u64 inverse_mod_2_64(u64 a) {
    u64 x = a;
    for (int i = 0; i < 5; ++i) x *= 2 - a * x;
    return x;
}
constexpr u64 kStepInverse = inverse_mod_2_64(lesson07::Rng::kStep);
static_assert(kStepInverse * lesson07::Rng::kStep == 1);

// Where a generator stands in SplitMix64's one cycle: how many numbers after Rng(0).
u64 position(const lesson07::Rng& rng) {
    return rng.state() * kStepInverse;
}

// The numbers block `block` draws: [position, position + draws) of the cycle.
struct Stream {
    u64 block = 0, position = 0, draws = 0;
};

// The first problem among these blocks' streams — two at the same place (identical draws) or
// one starting inside another's numbers — or "" when every block has numbers of its own.
std::string stream_problem(std::vector<Stream> streams) {
    const std::size_t n = streams.size();
    if (n < 2) return "";
    std::sort(streams.begin(), streams.end(), [](const Stream& a, const Stream& b) {
        return a.position != b.position ? a.position < b.position : a.block < b.block;
    });
    for (std::size_t i = 0; i < n; ++i) {  // neighbours on the cycle, the wrap-around too
        const Stream& a = streams[i];
        const Stream& b = streams[(i + 1) % n];
        const u64 gap = b.position - a.position;  // mod 2^64
        if (gap == 0)
            return fmt::format(
                "the same random stream in every worker: blocks {} and {} drew identical "
                "numbers (their generators started at the same place)",
                a.block, b.block);
        if (gap < a.draws)
            return fmt::format(
                "overlapping random streams: block {} starts {} number{} after block {}, "
                "inside the {} numbers block {} draws, so they reuse each other's numbers",
                b.block, gap, gap == 1 ? "" : "s", a.block, a.draws, a.block);
    }
    return "";
}

json to_json(const Stream& s) {
    return json::array({s.block, s.position, s.draws});
}

Stream stream_from_json(const json& j) {
    return {j.at(0).get<u64>(), j.at(1).get<u64>(), j.at(2).get<u64>()};
}

u64 blocks_of(u64 samples) {
    return samples / kBlockSamples + (samples % kBlockSamples != 0 ? 1 : 0);
}

// Samples of block k of a run of `samples`: kBlockSamples, or fewer for the last block.
u64 block_samples(u64 samples, u64 k) {
    return std::min(kBlockSamples, samples - k * kBlockSamples);
}

// How many of the next n points (x, y) of `rng` fall inside the quarter circle.
u64 count_hits(lesson07::Rng& rng, u64 n) {
    u64 hits = 0;
    for (u64 i = 0; i < n; ++i) {
        const double x = rng.uniform();
        const double y = rng.uniform();
        hits += x * x + y * y < 1.0 ? 1 : 0;
    }
    return hits;
}

// How far hits/samples is from π/4, in standard deviations of the binomial.
double sigmas_from_pi(u64 hits, u64 samples) {
    constexpr double p = std::numbers::pi / 4;
    const double n = static_cast<double>(samples);
    return std::fabs(static_cast<double>(hits) / n - p) / std::sqrt(p * (1 - p) / n);
}

class PiStreamsRun final : public parsweep::KernelRun {
  public:
    PiStreamsRun(u64 seed, u64 samples, u64 begin, u64 end)
        : seed_(seed), samples_(samples), begin_(begin), streams_(end - begin) {}

    void run(u64 b, u64 e) override {
        u64 hits = 0;
        // Threads take blocks one at a time, like Pool workers take tasks.
#pragma omp parallel for schedule(dynamic) reduction(+ : hits)
        for (u64 k = b; k < e; ++k) {
            lesson07::Rng rng = lesson07::block_stream(seed_, k);
            const u64 n = block_samples(samples_, k);
            streams_[k - begin_] = {k, position(rng), 2 * n};
            hits += count_hits(rng, n);
        }
        hits_ += hits;
        for (u64 k = b; k < e; ++k) drawn_ += block_samples(samples_, k);
    }

    parsweep::Verdict check(u64 b, u64 e) override {
        const std::vector<Stream> mine(streams_.begin() + static_cast<std::ptrdiff_t>(b - begin_),
                                       streams_.begin() + static_cast<std::ptrdiff_t>(e - begin_));
        for (u64 k = b; k < e; ++k)
            if (mine[k - b].draws == 0)
                return parsweep::Verdict::fail(
                    fmt::format("block {} was checked but not drawn", k));
        const std::string problem = stream_problem(mine);
        if (!problem.empty()) return parsweep::Verdict::fail(problem);
        return parsweep::Verdict::pass();
    }

    json partial() const override {
        // The first blocks' streams, for verify() to compare the shares with each other.
        json first = json::array();
        for (std::size_t i = 0; i < std::min<std::size_t>(4, streams_.size()); ++i)
            first.push_back(to_json(streams_[i]));
        return {{"hits", hits_}, {"samples", drawn_}, {"first_streams", first}};
    }

  private:
    u64 seed_, samples_, begin_;
    std::vector<Stream> streams_;
    u64 hits_ = 0, drawn_ = 0;
};

class PiStreamsKernel final : public parsweep::Kernel {
  public:
    std::string_view id() const override { return "pi_streams"; }
    std::string_view summary() const override {
        return "lesson 07: Monte Carlo π in blocks of random samples — one random stream per "
               "block, or the same seed everywhere";
    }
    const std::vector<parsweep::ParamSpec>& params() const override {
        static const std::vector<parsweep::ParamSpec> specs = {
            {"samples",
             parsweep::ParamType::Integer,
             20000000,
             "random points, in blocks of 65,536 (the items)",
             1.0,
             1e13,
             {}},
            {"seed", parsweep::ParamType::Integer, 42, "random seed", 0.0, std::nullopt, {}},
        };
        return specs;
    }
    u64 items(const json& p) const override {
        return blocks_of(parsweep::count_param(p, "pi_streams", "samples"));
    }
    u64 memory_bytes(const json&, u64 share, int) const override {
        return sizeof(Stream) * share + 4096;
    }
    parsweep::Work work(const json& p) const override {
        const double n = static_cast<double>(parsweep::count_param(p, "pi_streams", "samples"));
        return {3 * n, 0, static_cast<double>(items(p)), "block"};
    }
    std::unique_ptr<parsweep::KernelRun> prepare(const json& p,
                                                 const parsweep::Share& share) const override {
        return std::make_unique<PiStreamsRun>(parsweep::count_param(p, "pi_streams", "seed"),
                                              parsweep::count_param(p, "pi_streams", "samples"),
                                              share.begin, share.end);
    }
    json merge(const json&, const std::vector<json>& partials) const override {
        u64 hits = 0, samples = 0;
        json first = json::array();
        for (const auto& p : partials) {
            hits += p.at("hits").get<u64>(), samples += p.at("samples").get<u64>();
            for (const auto& s : p.at("first_streams")) first.push_back(s);
        }
        json result = {{"hits", hits}, {"samples", samples}, {"first_streams", first}};
        if (samples > 0)
            result["estimate"] = 4.0 * static_cast<double>(hits) / static_cast<double>(samples);
        return result;
    }
    parsweep::Verdict verify(const json& p, const json& result) const override {
        const u64 want = parsweep::count_param(p, "pi_streams", "samples");
        const u64 hits = result.at("hits").get<u64>(), samples = result.at("samples").get<u64>();
        if (samples != want)
            return parsweep::Verdict::fail(
                fmt::format("{} samples were drawn, expected {}", samples, want));
        std::vector<Stream> first;
        for (const auto& s : result.at("first_streams")) first.push_back(stream_from_json(s));
        const std::string problem = stream_problem(first);
        if (!problem.empty()) return parsweep::Verdict::fail(problem);
        const double sigmas = sigmas_from_pi(hits, samples);
        if (!(sigmas <= 6.0))
            return parsweep::Verdict::fail(fmt::format(
                "estimate {:.6f} is {:.1f}σ from π (bound: 6σ)",
                4.0 * static_cast<double>(hits) / static_cast<double>(samples), sigmas));
        return parsweep::Verdict::pass();
    }
};

const PiStreamsKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
