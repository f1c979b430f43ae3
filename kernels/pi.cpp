/*
 * pi — Monte Carlo estimate of π: `samples` random points in the unit square, the fraction
 * that falls inside the quarter circle x² + y² < 1 tends to π/4.
 *
 * What it measures
 *   Embarrassingly parallel, compute-bound work with random numbers and nothing in memory:
 *   the speedup of processes × threads when no data moves, and the cost of drawing random
 *   numbers (a counter-based generator: about 1.7 ns per sample, 600 million samples/s, on
 *   one core of an AMD EPYC VM with the default baseline x86-64 build). It is the reference
 *   kernel of lesson 07 (random streams).
 *
 * Random streams (reproducible whatever P and T)
 *   Sample i of a run seeded `seed` is the point drawn from z_i = mix(key + (i + 1)·γ), with
 *   key = mix(seed), γ = 0x9E3779B97F4A7C15 and mix the SplitMix64 output function (Steele,
 *   Lea & Flood 2014; Vigna's constants): z_i is output i of the SplitMix64 stream started at
 *   `key`, computed directly from the counter i — a counter-based generator. So every sample
 *   has its own, non-overlapping place in one stream of period 2^64, whichever process or
 *   thread draws it, and the hit count (an exact integer) is IDENTICAL for every split over
 *   processes, every thread count and schedule, and every repetition: reproducible for a
 *   seed. (Never the same seed in every worker: that would draw the same points P·T times.)
 *   Different seeds start at unrelated places of the cycle (mix is a bijection).
 *
 * The hit test (exact integers, so no rounding or FMA contraction can move a point)
 *   The point is (a, b)·2^-32 with a = z >> 32 and b = z mod 2^32, and it hits when
 *   a² + b² < 2^64, i.e. when the 64-bit sum a² + b² does not carry. The lattice of points
 *   biases p = P(hit) from π/4 by O(2^-32) ≈ 2e-10: far below the statistical bound below for
 *   any allowed `samples`.
 *
 * Counting
 *   flops = 4·samples: the four integer multiplications per sample (two in mix, a², b²),
 *   reported in the flops slot as square does; bytes = 0 (nothing in memory); items =
 *   samples (items_per_s is samples/s). One timed batch per worker share; the threads take
 *   contiguous ranges of the share's samples (`omp parallel for simd schedule(static)`, the
 *   loop branch-free).
 *
 * Valid sizes
 *   1 ≤ samples ≤ 1e15 (~20 CPU-days at the rate above; the lattice bias stays 1000× below
 *   the bound), any seed ≥ 0.
 *
 * Verification (in the parent, on the merged result)
 *   (1) exactly `samples` samples were drawn (none lost or repeated across workers), and
 *   hits ≤ samples; (2) the estimate is within a statistical bound of π: with p = π/4 and
 *   p̂ = hits/samples, |p̂ − p| ≤ 6·√(p(1−p)/samples) — six standard deviations of the
 *   binomial, so a correct kernel fails with probability ~2e-9 (normal two-sided tail), while
 *   a stream that repeats itself or is not uniform fails. The result carries the exact hit
 *   count, so tests and lesson checks compare it across processes × threads; verify() cannot
 *   know the expected count without drawing every sample again, and does not.
 */
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernel.hpp"

namespace parsweep {
namespace {

using u64 = std::uint64_t;

constexpr double kMaxSamples = 1e15;
constexpr double kSigmas = 6.0;  // the verification bound, in standard deviations

struct PiParams {
    u64 samples = 0;
    u64 seed = 42;
};

const std::vector<Param<PiParams>>& pi_params() {
    static const std::vector<Param<PiParams>> declared = {
        field(&PiParams::samples, {"samples",
                                   ParamType::Integer,
                                   100000000,
                                   "random points (the items); about 1.7 ns each on one core",
                                   1.0,
                                   kMaxSamples,
                                   {},
                                   {},
                                   /*work_size=*/true}),
        field(&PiParams::seed, {"seed",
                                ParamType::Integer,
                                42,
                                "random seed; sample i depends only on (seed, i), whichever "
                                "process or thread draws it",
                                0.0,
                                std::nullopt,
                                {}}),
    };
    return declared;
}

// ---------------------------------------------------------------------------------------
// The counter-based stream: sample i of seed s is SplitMix64's output i from key(s).

constexpr u64 kGamma = 0x9E3779B97F4A7C15ULL;

inline u64 mix(u64 z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

u64 stream_key(u64 seed) {
    return mix(seed);
}

// 1 when the point of the random bits z, (z >> 32, z mod 2^32)·2^-32, lies inside the
// quarter circle: a² + b² < 2^64 exactly when the wrapped 64-bit sum did not carry.
inline u64 is_hit(u64 z) {
    const u64 a = z >> 32, b = z & 0xFFFFFFFFULL;
    const u64 a2 = a * a, sum = a2 + b * b;
    return sum >= a2 ? 1 : 0;
}

// Hits among samples [begin, end), with this process's threads.
u64 count_hits(u64 key, u64 begin, u64 end) {
    u64 hits = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : hits)
    for (u64 i = begin; i < end; ++i) hits += is_hit(mix(key + (i + 1) * kGamma));
    return hits;
}

// ---------------------------------------------------------------------------------------
// The statistical bound.

// How far the estimate is from π, in standard deviations of the binomial p̂ (p = π/4).
double sigmas_from_pi(u64 hits, u64 samples) {
    constexpr double p = std::numbers::pi / 4;
    const double n = static_cast<double>(samples);
    const double p_hat = static_cast<double>(hits) / n;
    return std::fabs(p_hat - p) / std::sqrt(p * (1 - p) / n);
}

// ---------------------------------------------------------------------------------------
// One worker's share [begin, end) of the samples.

class PiRun final : public KernelRun {
  public:
    PiRun(const PiParams& params, u64 begin, u64 end)
        : key_(stream_key(params.seed)), begin_(begin), end_(end) {}

    void run(u64 begin, u64 end) override {
        if (begin < begin_ || end > end_ || begin > end)
            throw std::out_of_range(fmt::format("pi: batch [{}, {}) outside the share [{}, {})",
                                                begin, end, begin_, end_));
        hits_ += count_hits(key_, begin, end);
        samples_ += end - begin;
        last_ = {begin, end};
        ran_ = true;
    }

    // The count itself can only be proved in the parent (the statistical bound, over all
    // samples); here: that run() drew exactly this batch.
    Verdict check(u64 begin, u64 end) override {
        if (begin == end) return Verdict::pass();
        if (!ran_ || last_.first != begin || last_.second != end)
            return Verdict::fail(
                fmt::format("pi: samples [{}, {}) were checked but not drawn", begin, end));
        return Verdict::pass();
    }

    json partial() const override { return {{"hits", hits_}, {"samples", samples_}}; }

  private:
    u64 key_, begin_, end_;
    u64 hits_ = 0, samples_ = 0;
    std::pair<u64, u64> last_{0, 0};
    bool ran_ = false;
};

class PiKernel {
  public:
    using Params = PiParams;

    std::string_view id() const { return "pi"; }
    std::string_view summary() const {
        return "Monte Carlo π from random points in the unit square: a counter-based random "
               "stream per sample, the same hit count for every processes × threads; "
               "compute-bound, verified within 6σ of π";
    }

    const std::vector<Param<PiParams>>& declared() const { return pi_params(); }

    u64 items(const PiParams& pp) const { return pp.samples; }

    u64 memory_bytes(const PiParams&, u64, int) const {
        return 4096;  // the run object; nothing per sample
    }

    Work work(const PiParams& pp) const {
        const auto n = static_cast<double>(pp.samples);
        Work w;
        w.flops = 4 * n;
        w.bytes = 0;
        w.items = n;
        w.item_unit = "sample";
        return w;
    }

    std::unique_ptr<KernelRun> prepare(const PiParams& pp, u64 begin, u64 end) const {
        require_share("pi", begin, end, pp.samples);
        return std::make_unique<PiRun>(pp, begin, end);
    }

    json merge(const PiParams& pp, const std::vector<json>& partials) const {
        u64 hits = 0, samples = 0;
        for (const json& part : partials) {
            hits += part.at("hits").get<u64>();
            samples += part.at("samples").get<u64>();
        }
        json result = {{"hits", hits}, {"samples", samples}, {"seed", pp.seed}};
        if (samples > 0) {
            const double estimate = 4.0 * static_cast<double>(hits) / static_cast<double>(samples);
            result["estimate"] = estimate;
            result["error"] = estimate - std::numbers::pi;
        }
        return result;
    }

    Verdict verify(const PiParams& pp, const json& result) const {
        const auto count = [&](const char* name) -> std::optional<u64> {
            if (!result.contains(name)) return std::nullopt;
            const json& v = result[name];
            if (v.is_number_unsigned()) return v.get<u64>();
            if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<u64>();
            return std::nullopt;
        };
        const std::optional<u64> hits = count("hits"), samples = count("samples");
        if (!hits || !samples)
            return Verdict::fail("pi: result lacks integer hits / samples: " + result.dump());
        const u64 h = *hits, n = *samples;
        if (n != pp.samples)
            return Verdict::fail(
                fmt::format("pi: {} samples were drawn, expected {} (samples lost or repeated)", n,
                            pp.samples));
        if (h > n) return Verdict::fail(fmt::format("pi: {} hits out of {} samples", h, n));
        const double sigmas = sigmas_from_pi(h, n);
        if (!(sigmas <= kSigmas))
            return Verdict::fail(fmt::format(
                "pi: estimate {:.8f} from {} hits in {} samples is {:.1f}σ from π (bound: {}σ, "
                "|p̂ − π/4| ≤ {}·√(p(1−p)/N)): the random points are not uniform and "
                "independent",
                4.0 * static_cast<double>(h) / static_cast<double>(n), h, n, sigmas, kSigmas,
                kSigmas));
        return Verdict::pass();
    }
};

}  // namespace

const Kernel& pi_kernel() {
    static const KernelOf<PiKernel> kernel;
    return kernel;
}

}  // namespace parsweep
