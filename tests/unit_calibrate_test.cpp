// Calibration's parts in-process: STREAM's validation, the EPCC delay and constructs, the
// settings, the cache file and the roofline a point is held to.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <vector>

#include "calibration/calibrate.hpp"
#include "calibration/calibration_cache.hpp"
#include "calibration/syncbench.hpp"
#include "machine/openmp_runtime.hpp"
#include "measure/roofline.hpp"
#include "measure/stats.hpp"
#include "run/runner.hpp"
#include "stream.hpp"
#include "sweep/model.hpp"
#include "test_support.hpp"

namespace parsweep {
namespace {

using test::TempDir;
using test::write_file;

// Three arrays holding exactly what `rounds` rounds of copy + triad leave.
struct StreamArrays {
    std::vector<double> a, b, c;
    StreamArrays(std::size_t n, int rounds) {
        const auto e = stream::expected_after(rounds);
        a.assign(n, e.a);
        b.assign(n, e.b);
        c.assign(n, e.c);
    }
};

TEST(StreamCheck, AcceptsTheExpectedArrays) {
    StreamArrays s(1000, 11);
    EXPECT_TRUE(stream::check(s.a.data(), s.b.data(), s.c.data(), 1000, 11).ok);
}

TEST(StreamCheck, CatchesOneWrongElementAndNamesIt) {
    StreamArrays s(1000, 11);
    s.a[417] += 1;  // one lost update
    const Verdict v = stream::check(s.a.data(), s.b.data(), s.c.data(), 1000, 11);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("a[417]"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("1 of 1000"), std::string::npos) << v.message;
}

TEST(StreamCheck, CatchesASkippedRoundAndNaN) {
    StreamArrays s(64, 10);  // a round short of the 11 the check expects
    EXPECT_FALSE(stream::check(s.a.data(), s.b.data(), s.c.data(), 64, 11).ok);
    StreamArrays t(64, 11);
    t.c[63] = std::nan("");
    const Verdict v = stream::check(t.a.data(), t.b.data(), t.c.data(), 64, 11);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("c[63]"), std::string::npos) << v.message;
}

TEST(StreamMeasure, ValidatesAndGivesPositiveRates) {
    for (int threads : {1, 2}) {
        const auto r = stream::measure(1 << 16, threads, 3);
        EXPECT_EQ(r.threads, threads);
        EXPECT_EQ(r.elements, 1u << 16);
        EXPECT_TRUE(std::isfinite(r.copy_gbs) && r.copy_gbs > 0);
        EXPECT_TRUE(std::isfinite(r.triad_gbs) && r.triad_gbs > 0);
    }
}

double best_delay_s(long length) {
    double best = INFINITY;
    for (int k = 0; k < 7; ++k) {
        const auto t0 = std::chrono::steady_clock::now();
        syncbench::delay(length);
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

TEST(Syncbench, DelayIsNotOptimisedAway) {
    // A loop the compiler removed or collapsed would take the same (near zero) time at every
    // length; a real chain of additions takes 8× as long for 8× the length. Only the scaling
    // is checked (more than 3×), never a speed.
    const long length = 1L << 20;
    const double t1 = best_delay_s(length), t8 = best_delay_s(8 * length);
    EXPECT_GT(t1, 0);
    EXPECT_GT(t8, 3 * t1) << "delay(" << length << ") " << t1 << " s, delay(" << 8 * length << ") "
                          << t8 << " s";
    EXPECT_GE(syncbench::delay_length_for(1e-6), 1);
}

TEST(Syncbench, EveryConstructIsMeasured) {
    syncbench::Settings s;
    s.target_test_s = 1e-4;
    s.outer = 5;
    const auto all = syncbench::measure(2, s);
    ASSERT_EQ(all.size(), 4u);
    const char* names[] = {"parallel", "for", "barrier", "reduction"};
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].construct, names[i]);
        EXPECT_EQ(all[i].threads, 2);
        EXPECT_GE(all[i].inner, 1);
        EXPECT_GE(all[i].delay_length, 1);
        EXPECT_GT(all[i].reference_s, 0);
        EXPECT_EQ(all[i].overhead_s.count, 5u);
        EXPECT_TRUE(std::isfinite(all[i].overhead_s.mean));
        EXPECT_GE(all[i].overhead_s.max, all[i].overhead_s.median);
        EXPECT_LE(all[i].outliers, 5);
    }
}

TEST(Syncbench, OutliersAreBeyondThreeStandardDeviations) {
    std::vector<double> v(20, 1.0);
    EXPECT_EQ(syncbench::count_outliers(v), 0);
    v[7] = 100;  // mean 5.95, sd ≈ 22.1: 100 is 4.25 sd away
    EXPECT_EQ(syncbench::count_outliers(v), 1);
}

const json kTopology = {
    {"caches",
     {{"l2", {{"size_kib", 2048}, {"count", 2}}}, {"l3", {{"size_kib", 32768}, {"count", 2}}}}}};

TEST(CalibrationSettings, ThreadCountsAndStreamArrays) {
    auto full = calibration_settings(false, 6, kTopology, 0);
    EXPECT_EQ(full.threads, (std::vector<int>{1, 2, 3, 4, 5, 6}));
    auto quick = calibration_settings(true, 6, kTopology, 0);
    EXPECT_EQ(quick.threads, (std::vector<int>{1, 2, 4, 6}));
    EXPECT_LT(quick.dgemm_n, full.dgemm_n);
    // Two 32 MiB L3s: 64 MiB of last-level cache, arrays of 4× that.
    EXPECT_EQ(full.llc_bytes, 64u << 20);
    EXPECT_EQ(full.stream_elements * sizeof(double), 256u << 20);
    EXPECT_TRUE(full.stream_rule_met);
    EXPECT_EQ(full.stream_repetitions, 10);
    // 1 GiB available: three 256 MiB arrays would be more than half of it.
    auto small = calibration_settings(false, 2, kTopology, 1u << 30);
    EXPECT_LE(3 * small.stream_elements * sizeof(double), (1u << 30) / 2);
    EXPECT_FALSE(small.stream_rule_met);
}

// A calibration made by hand: triad 10 GB/s per thread up to 2, 25 at 4; DGEMM 50 GFLOP/s per
// thread.
json handmade_calibration() {
    return {{"stream",
             {{"points",
               {{{"threads", 1}, {"triad_gbs", 10.0}, {"copy_gbs", 9.0}},
                {{"threads", 2}, {"triad_gbs", 20.0}, {"copy_gbs", 18.0}},
                {{"threads", 4}, {"triad_gbs", 25.0}, {"copy_gbs", 24.0}}}}}},
            {"dgemm",
             {{"points",
               {{{"threads", 1}, {"gflops", 50.0}},
                {{"threads", 2}, {"gflops", 100.0}},
                {{"threads", 4}, {"gflops", 200.0}}}}}}};
}

TEST(LimitAt, InterpolatesBetweenAndCapsBeyondTheCalibratedCounts) {
    const json pts = handmade_calibration()["stream"]["points"];
    EXPECT_DOUBLE_EQ(*limit_at(pts, "triad_gbs", 2), 20);
    EXPECT_DOUBLE_EQ(*limit_at(pts, "triad_gbs", 3), 22.5);
    EXPECT_DOUBLE_EQ(*limit_at(pts, "triad_gbs", 16), 25);  // the machine's top
    EXPECT_FALSE(limit_at(json::array(), "triad_gbs", 1));
}

TEST(Roofline, MemoryBoundKernelAgainstTriad) {
    // square's counting: 16 bytes and 1 multiply per number, far below the ridge (5 flop/byte).
    Work w{1e8, 16e8, 1e8, "number"};
    Derived d = derive(2, 1, 0.2, 0.4, 1, 4, w, 0.16);  // 10 GB/s at P·T = 2
    apply_roofline(d, w, 2, handmade_calibration());
    ASSERT_TRUE(d.roofline_fraction);
    EXPECT_DOUBLE_EQ(*d.roofline_fraction, 10.0 / 20.0);
    EXPECT_EQ(d.roofline_bound, "memory");
    // 8 workers on a machine calibrated up to 4 threads: held to the 4-thread triad.
    apply_roofline(d, w, 8, handmade_calibration());
    EXPECT_DOUBLE_EQ(*d.roofline_fraction, 10.0 / 25.0);
}

TEST(Roofline, FlopBoundKernelAgainstDgemm) {
    Work w{2e9 * 4, 0, 4, "matrix"};                   // invert: flops only
    Derived d = derive(1, 4, 0.1, 0.4, 1, 4, w, 0.1);  // 80 GFLOP/s
    apply_roofline(d, w, 4, handmade_calibration());
    ASSERT_TRUE(d.roofline_fraction);
    EXPECT_DOUBLE_EQ(*d.roofline_fraction, 80.0 / 200.0);
    EXPECT_EQ(d.roofline_bound, "compute");
}

TEST(Roofline, EmptyWithoutCalibrationOrRate) {
    Work w{0, 16e8, 1e8, "number"};
    Derived d = derive(1, 1, 0.2, 0.2, 1, 4, w, 0.16);
    apply_roofline(d, w, 1, json());
    EXPECT_FALSE(d.roofline_fraction);
    apply_roofline(d, w, 1, json{{"error", "no BLAS"}});
    EXPECT_FALSE(d.roofline_fraction);
    EXPECT_EQ(d.roofline_bound, "");
    Derived failed = derive(1, 1, 0, 0, 1, 4, w, 0);  // a failed point has no rate
    apply_roofline(failed, w, 1, handmade_calibration());
    EXPECT_FALSE(failed.roofline_fraction);
}

TEST(Roofline, SummarizePointUsesTheRunsCalibration) {
    Point p;
    p.kernel = find_kernel("square");
    for (const auto& spec : p.kernel->params()) p.params[spec.name] = spec.default_value;
    p.params["n"] = 100000000;  // 16 bytes per number: 1.6e9 bytes
    RepRecord r;
    r.verified = true;
    r.wall_s = 0.3;
    r.compute_s = 0.16;  // 1.6e9 bytes: 10 GB/s
    const PointResult with = summarize_point(p, {r}, nullptr, 4, handmade_calibration());
    ASSERT_TRUE(with.derived.roofline_fraction);
    EXPECT_DOUBLE_EQ(*with.derived.roofline_fraction, 10.0 / 10.0);  // triad at 1 thread
    EXPECT_FALSE(summarize_point(p, {r}, nullptr, 4).derived.roofline_fraction);
}

TEST(CalibrationCache, ReusedOnlyWhenKeyAndThoroughnessMatch) {
    TempDir dir;
    const json key = {{"format", 1}, {"host", "node 7/a"}, {"usable_cores", 2}, {"hash", "ab"}};
    const auto file = calibration_cache_file(dir.path(), key);
    EXPECT_EQ(file.filename().string(), "calibration-node_7_a-ab.json");
    json c = handmade_calibration();
    c["format"] = 1;
    c["key"] = key;
    c["quick"] = true;
    c["overheads"] = {{"points", json::array()}};
    EXPECT_FALSE(read_cached_calibration(file, key, true));  // nothing cached yet
    write_file(file, c.dump());
    EXPECT_TRUE(read_cached_calibration(file, key, true));
    EXPECT_FALSE(read_cached_calibration(file, key, false));  // a quick one is not a full one
    json other = key;
    other["usable_cores"] = 4;
    EXPECT_FALSE(read_cached_calibration(file, other, true));
    c["quick"] = false;
    write_file(file, c.dump());
    EXPECT_TRUE(read_cached_calibration(file, key, false));
    EXPECT_TRUE(read_cached_calibration(file, key, true));  // a full one serves a quick request
    write_file(file, c.dump().substr(0, 40));               // cut short
    EXPECT_FALSE(read_cached_calibration(file, key, true));
}

TEST(CalibrationCache, KeyFollowsCoresAndOpenMPWaitPolicy) {
    UsableCores two;
    two.count = 2;
    UsableCores four = two;
    four.count = 4;
    ::unsetenv("OMP_WAIT_POLICY");
    const json base = calibration_key(two);
    EXPECT_EQ(calibration_key(two)["hash"], base["hash"]);
    EXPECT_NE(calibration_key(four)["hash"], base["hash"]);
    ::setenv("OMP_WAIT_POLICY", "passive", 1);
    const json passive = calibration_key(two);
    ::setenv("OMP_NUM_THREADS", "7", 1);  // calibration sets its own thread counts
    EXPECT_EQ(calibration_key(two)["hash"], passive["hash"]);
    ::unsetenv("OMP_WAIT_POLICY");
    ::unsetenv("OMP_NUM_THREADS");
    EXPECT_NE(passive["hash"], base["hash"]);
    EXPECT_EQ(passive["openmp_env"]["OMP_WAIT_POLICY"], "passive");
    // The OpenMP runtime is part of the key: a clang build (libomp) calibrates for itself.
    EXPECT_EQ(base["openmp_runtime"], openmp_info()["runtime"]);
}

TEST(DgemmKernel, VerifiesItsProductsAndCountsFlops) {
    const Kernel* k = find_kernel("dgemm");
    ASSERT_NE(k, nullptr);
    EXPECT_TRUE(k->hidden());
    const json params = {{"n", 96}, {"count", 3}, {"seed", 5}};
    EXPECT_DOUBLE_EQ(k->work(params).flops, 3 * 2.0 * 96 * 96 * 96);
    auto run = k->prepare(params, 0, 3);
    run->run(0, 3);
    EXPECT_TRUE(run->check(0, 3).ok);
    const json result = k->merge(params, {run->partial()});
    EXPECT_TRUE(k->verify(params, result).ok) << result.dump();
    json short_of_one = result;
    short_of_one["products"] = 2;
    EXPECT_FALSE(k->verify(params, short_of_one).ok);
    json wrong = result;
    wrong["max_residual"] = 1e9;
    EXPECT_FALSE(k->verify(params, wrong).ok);
}

}  // namespace
}  // namespace parsweep
