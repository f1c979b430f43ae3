// The pi kernel in-process: the samples split over 1-3 simulated worker processes (prepare on
// slices, merge the partials) with 1, 2 and 4 OpenMP threads give the SAME hit count, equal to
// an independent serial count of the documented stream; different seeds differ; tiny sizes
// work; the 6σ bound accepts the truth and rejects impossible counts; tampered results fail.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel.hpp"
#include "kernel_support.hpp"

namespace parsweep {
const Kernel& pi_kernel();
}

namespace {

using parsweep::json;
using parsweep::Kernel;
using parsweep::Verdict;
using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;  // GCC/Clang extension; -Wpedantic-clean

const Kernel& K() {
    return parsweep::pi_kernel();
}

json make_params(u64 samples, u64 seed = 42) {
    return {{"samples", samples}, {"seed", seed}};
}

// The stream as the kernel documents it, written out again: SplitMix64 started at
// key = mix(seed); sample i is its output i, the point (z >> 32, z mod 2^32)·2^-32, a hit
// when a² + b² < 2^64 (here in 128-bit arithmetic, not the kernel's carry test).
u64 reference_hits(u64 seed, u64 begin, u64 end) {
    const auto mix = [](u64 z) {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    };
    u64 state = mix(seed) + begin * 0x9E3779B97F4A7C15ULL, hits = 0;
    for (u64 i = begin; i < end; ++i) {
        const u64 z = mix(state += 0x9E3779B97F4A7C15ULL);
        const u128 a = z >> 32, b = z & 0xFFFFFFFFULL;
        hits += a * a + b * b < (u128{1} << 64) ? 1 : 0;
    }
    return hits;
}

using parsweep::test::Outcome;

// A point run in-process over 1, 2 or 3 uneven shares (tests/kernel_support.hpp).
Outcome run_point(const json& params, int shares) {
    return parsweep::test::run_point(
        K(), params, parsweep::test::uneven_shares(params["samples"].get<u64>(), shares));
}

using ThreadsGuard = parsweep::test::OmpThreads;

// A hit count `sigmas` standard deviations from the expected N·π/4.
u64 hits_at(u64 n, double sigmas) {
    const double p = std::numbers::pi / 4, nd = static_cast<double>(n);
    return static_cast<u64>(std::llround(nd * p + sigmas * std::sqrt(nd * p * (1 - p))));
}

TEST(Pi, Metadata) {
    EXPECT_EQ(K().id(), "pi");
    const json params = make_params(1000);
    EXPECT_EQ(K().items(params), 1000u);
    EXPECT_EQ(K().batch_items(params), 0u);
    const auto w = K().work(params);
    EXPECT_DOUBLE_EQ(w.flops, 4000.0);
    EXPECT_DOUBLE_EQ(w.bytes, 0.0);
    EXPECT_DOUBLE_EQ(w.items, 1000.0);
    EXPECT_EQ(w.item_unit, "sample");
    EXPECT_LT(K().memory_bytes(params, 500, 4), 64u * 1024);
    EXPECT_TRUE(K().validate(params).empty());
    for (const auto& spec : K().params()) {
        EXPECT_FALSE(spec.help.empty()) << spec.name;
        EXPECT_FALSE(spec.default_value.is_null()) << spec.name;
    }
}

TEST(Pi, SameHitsWhateverTheSizeSplitAndThreadCount) {
    // Tiny sizes leave shares empty; the large ones are whole and partial 2^20 ranges.
    for (const u64 n : {u64{1}, u64{2}, u64{3}, u64{1000}, u64{1000003}, u64{1} << 20}) {
        const u64 want = reference_hits(42, 0, n);
        for (int shares = 1; shares <= 3; ++shares)
            for (int threads : {1, 2, 4}) {
                ThreadsGuard guard(threads);
                SCOPED_TRACE("n=" + std::to_string(n) + " shares=" + std::to_string(shares) +
                             " threads=" + std::to_string(threads));
                const Outcome o = run_point(make_params(n), shares);
                ASSERT_TRUE(o.checks.ok) << o.checks.message;
                ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
                EXPECT_EQ(o.result["samples"].get<u64>(), n);
                EXPECT_EQ(o.result["hits"].get<u64>(), want);
                EXPECT_EQ(o.result["seed"].get<u64>(), 42u);
                if (n >= 1000000) {
                    EXPECT_NEAR(o.result["estimate"].get<double>(), std::numbers::pi, 0.01);
                }
            }
    }
}

TEST(Pi, RepetitionsAreIdentical) {
    ThreadsGuard guard(4);
    const json params = make_params(2000000, 7);
    const json first = run_point(params, 2).result;
    for (int rep = 0; rep < 3; ++rep) EXPECT_EQ(run_point(params, 2).result, first);
}

TEST(Pi, DifferentSeedsGiveDifferentCounts) {
    std::set<u64> counts;
    const std::vector<u64> seeds = {0, 1, 2, 42, 43, 1000000007};
    for (const u64 seed : seeds) {
        const Outcome o = run_point(make_params(1000000, seed), 2);
        ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
        EXPECT_EQ(o.result["hits"].get<u64>(), reference_hits(seed, 0, 1000000));
        counts.insert(o.result["hits"].get<u64>());
    }
    EXPECT_EQ(counts.size(), seeds.size());
}

TEST(Pi, SharesDrawTheirOwnSamples) {
    // A share's partial is exactly the reference count of its slice of the one stream.
    const json params = make_params(100000);
    auto run = K().prepare(params, 30000, 70000);
    run->run(30000, 70000);
    EXPECT_TRUE(run->check(30000, 70000).ok);
    EXPECT_EQ(run->partial()["hits"].get<u64>(), reference_hits(42, 30000, 70000));
    EXPECT_EQ(run->partial()["samples"].get<u64>(), 40000u);
}

TEST(Pi, StatisticalBoundAcceptsTheTruthAndRejectsTheImpossible) {
    for (const u64 n : {u64{1000}, u64{1000000}, u64{1000000000}, u64{1000000000000000}}) {
        const json params = make_params(n);
        SCOPED_TRACE("n=" + std::to_string(n));
        const auto verdict = [&](u64 hits) {
            return K().verify(params, {{"hits", hits}, {"samples", n}});
        };
        EXPECT_TRUE(verdict(hits_at(n, 0)).ok);
        EXPECT_TRUE(verdict(hits_at(n, 5.5)).ok);
        EXPECT_TRUE(verdict(hits_at(n, -5.5)).ok);
        EXPECT_FALSE(verdict(hits_at(n, 6.5)).ok);
        EXPECT_FALSE(verdict(hits_at(n, -6.5)).ok);
        const Verdict all = verdict(n);  // every point inside: a broken generator
        EXPECT_FALSE(all.ok);
        EXPECT_NE(all.message.find("σ from π"), std::string::npos) << all.message;
        EXPECT_FALSE(verdict(0).ok);
        EXPECT_FALSE(verdict(n + 1).ok);  // more hits than samples
    }
    // With a handful of samples any count is within 6σ.
    EXPECT_TRUE(K().verify(make_params(1), {{"hits", 1}, {"samples", 1}}).ok);
    EXPECT_TRUE(K().verify(make_params(1), {{"hits", 0}, {"samples", 1}}).ok);
}

TEST(Pi, TamperedResultsFailVerify) {
    const json params = make_params(1000000);
    const Outcome o = run_point(params, 3);
    ASSERT_TRUE(o.verdict.ok) << o.verdict.message;

    std::vector<json> bad = o.partials;
    bad.pop_back();  // a worker's share lost
    Verdict v = K().verify(params, K().merge(params, bad));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("samples were drawn"), std::string::npos) << v.message;

    bad = o.partials;
    bad.push_back(bad[1]);  // a share counted twice
    EXPECT_FALSE(K().verify(params, K().merge(params, bad)).ok);

    bad = o.partials;
    bad[2]["hits"] = bad[2]["samples"];  // every point of a share inside the circle
    v = K().verify(params, K().merge(params, bad));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("σ from π"), std::string::npos) << v.message;

    bad = o.partials;
    bad[0]["hits"] = 0;  // a share that drew nothing inside
    EXPECT_FALSE(K().verify(params, K().merge(params, bad)).ok);

    EXPECT_FALSE(K().verify(params, json{{"hits", "x"}, {"samples", 1000000}}).ok);
    EXPECT_FALSE(K().verify(params, json{{"hits", -1}, {"samples", 1000000}}).ok);
    EXPECT_FALSE(K().verify(params, json{{"samples", 1000000}}).ok);
}

TEST(Pi, CheckFailsWhenRunWasSkipped) {
    const json params = make_params(1000);
    auto run = K().prepare(params, 0, 1000);
    const Verdict v = run->check(0, 1000);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("[0, 1000)"), std::string::npos) << v.message;
}

TEST(Pi, SharesOutsideTheSamplesAreRejected) {
    const json params = make_params(1000);
    EXPECT_THROW(K().prepare(params, 500, 1001), std::out_of_range);
    auto run = K().prepare(params, 100, 200);
    EXPECT_THROW(run->run(0, 150), std::out_of_range);
    auto empty = K().prepare(params, 1000, 1000);
    EXPECT_EQ(empty->partial()["samples"].get<u64>(), 0u);
    EXPECT_TRUE(empty->check(1000, 1000).ok);
}

TEST(Pi, IntegralFloatsAreAcceptedForIntegers) {
    json params = make_params(1000);
    params["samples"] = 1e3;  // what a config's "1e3" arrives as
    EXPECT_EQ(K().items(params), 1000u);
    EXPECT_TRUE(run_point(params, 2).verdict.ok);
}

}  // namespace
