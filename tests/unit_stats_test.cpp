// Statistics of repetitions, derived metrics against a baseline, and the work split.
#include <gtest/gtest.h>

#include <cmath>

#include "launch/executor.hpp"
#include "launch/worker.hpp"
#include "measure/stats.hpp"
#include "run/runner.hpp"
#include "sweep/config.hpp"

namespace parsweep {
namespace {

TEST(Summarize, EmptySeries) {
    EXPECT_EQ(summarize({}).count, 0u);
}

TEST(Summarize, OddAndEvenCounts) {
    Stats s = summarize({3, 1, 2});
    EXPECT_EQ(s.count, 3u);
    EXPECT_DOUBLE_EQ(s.min, 1);
    EXPECT_DOUBLE_EQ(s.max, 3);
    EXPECT_DOUBLE_EQ(s.median, 2);
    EXPECT_DOUBLE_EQ(s.mean, 2);
    EXPECT_DOUBLE_EQ(s.stddev, 1);
    EXPECT_NEAR(s.ci95, 4.303 * 1 / std::sqrt(3.0), 1e-12);
    EXPECT_DOUBLE_EQ(summarize({4, 1, 3, 2}).median, 2.5);
}

TEST(Summarize, SingleValueHasNoSpread) {
    Stats s = summarize({0.5});
    EXPECT_DOUBLE_EQ(s.median, 0.5);
    EXPECT_DOUBLE_EQ(s.stddev, 0);
    EXPECT_DOUBLE_EQ(s.ci95, 0);
}

TEST(T95, TableAndLargeSamples) {
    EXPECT_DOUBLE_EQ(t95(1), 12.706);
    EXPECT_DOUBLE_EQ(t95(30), 2.042);
    EXPECT_NEAR(t95(1000), 1.96, 0.01);
}

TEST(Derive, IdealScaling) {
    Work w{8e9, 16e9, 4, "matrix"};
    Derived d = derive(2, 2, 1.0, 4.0, 1, 4, w, 0.5);
    EXPECT_DOUBLE_EQ(*d.speedup, 4);
    EXPECT_DOUBLE_EQ(*d.efficiency, 1);
    EXPECT_DOUBLE_EQ(*d.efficiency_cores, 1);
    EXPECT_DOUBLE_EQ(*d.overhead_s, 0);
    EXPECT_NEAR(*d.karp_flatt, 0, 1e-12);
    EXPECT_DOUBLE_EQ(d.oversubscription, 1);
    // Rates come from the kernel's compute time (0.5 s), not the wall time.
    EXPECT_DOUBLE_EQ(*d.gflops, 16);
    EXPECT_DOUBLE_EQ(*d.bandwidth_gbs, 32);
    EXPECT_DOUBLE_EQ(*d.items_per_s, 8);
}

TEST(Derive, AmdahlSerialFractionRecoveredByKarpFlatt) {
    // T(p) = T1 (f + (1-f)/p) with f = 0.1: Karp–Flatt gives back f exactly.
    const double f = 0.1, t1 = 10;
    for (int p : {2, 4, 8}) {
        Derived d = derive(p, 1, t1 * (f + (1 - f) / p), t1, 1, 64, {}, 0);
        EXPECT_NEAR(*d.karp_flatt, f, 1e-12) << p;
        EXPECT_NEAR(*d.overhead_s, p * t1 * (f + (1 - f) / p) - t1, 1e-12);
    }
}

TEST(Derive, OversubscribedAndSlower) {
    Derived d = derive(4, 4, 2.0, 1.0, 1, 2, {}, 0);
    EXPECT_DOUBLE_EQ(*d.speedup, 0.5);
    EXPECT_DOUBLE_EQ(*d.efficiency, 0.5 / 16);
    EXPECT_DOUBLE_EQ(*d.efficiency_cores, 0.5 / 2);  // per usable core
    EXPECT_DOUBLE_EQ(d.oversubscription, 8);
}

TEST(Derive, BaselineOfSeveralWorkers) {
    Derived d = derive(4, 1, 1.0, 2.0, 2, 8, {}, 0);
    EXPECT_DOUBLE_EQ(*d.speedup, 2);
    EXPECT_DOUBLE_EQ(*d.efficiency, 1);  // 2× from 2 to 4 workers is ideal
}

TEST(Derive, WeakScalingFlatTimeIsIdeal) {
    // Weak scaling: 4 workers did 4 times the baseline's work in the baseline's time.
    Derived d = derive(2, 2, 3.0, 3.0, 1, 4, {}, 0, /*weak=*/true);
    EXPECT_DOUBLE_EQ(*d.speedup, 4);  // scaled speedup = P·T × T_base / T_p
    EXPECT_DOUBLE_EQ(*d.efficiency, 1);
    EXPECT_DOUBLE_EQ(*d.efficiency_cores, 1);
    EXPECT_DOUBLE_EQ(*d.overhead_s, 0);
    EXPECT_NEAR(*d.gustafson_serial, 0, 1e-12);
    EXPECT_FALSE(d.karp_flatt);  // Amdahl's measure: strong scaling only
    // The same times under strong scaling: no speedup at all.
    Derived strong = derive(2, 2, 3.0, 3.0, 1, 4, {}, 0);
    EXPECT_DOUBLE_EQ(*strong.speedup, 1);
    EXPECT_FALSE(strong.gustafson_serial);
}

TEST(Derive, WeakScalingRecoversGustafsonsSerialFraction) {
    // A part f of the baseline's time t1 is serial: with p times the work on p workers it
    // takes p·f·t1 (one worker does all of it), while the parallel part keeps its (1 − f)·t1.
    const double f = 0.2, t1 = 2;
    for (int p : {2, 4, 8}) {
        const double tp = t1 * (f * p + (1 - f));
        Derived d = derive(p, 1, tp, t1, 1, 64, {}, 0, true);
        EXPECT_NEAR(*d.efficiency, t1 / tp, 1e-12) << p;
        EXPECT_NEAR(*d.speedup, p * t1 / tp, 1e-12) << p;
        EXPECT_NEAR(*d.overhead_s, p * tp - p * t1, 1e-12) << p;
    }
    // Scaled speedups that follow S = p − f (p − 1) exactly give f back per point.
    for (int p : {2, 4, 8}) {
        const double scaled = p - f * (p - 1);
        Derived d = derive(p, 1, p * t1 / scaled, t1, 1, 64, {}, 0, true);
        EXPECT_NEAR(*d.speedup, scaled, 1e-12) << p;
        EXPECT_NEAR(*d.gustafson_serial, f, 1e-12) << p;
    }
}

TEST(Derive, WeakScalingAgainstABaselineOfSeveralWorkers) {
    // Baseline 2 workers at 1 s; 8 workers (4× the baseline's work) in 2 s.
    Derived d = derive(8, 1, 2.0, 1.0, 2, 8, {}, 0, true);
    EXPECT_DOUBLE_EQ(*d.speedup, 4 * 1.0 / 2.0);
    EXPECT_DOUBLE_EQ(*d.efficiency, 0.5);
    EXPECT_DOUBLE_EQ(*d.overhead_s, 4 * 2.0 - 4 * 1.0);
    Derived base = derive(2, 1, 1.0, 1.0, 2, 8, {}, 0, true);  // the baseline itself
    EXPECT_DOUBLE_EQ(*base.speedup, 1);
    EXPECT_FALSE(base.gustafson_serial);
}

TEST(Derive, NothingWithoutMeasurements) {
    Derived d = derive(2, 1, 0, 1.0, 1, 2, {1, 1, 1, "x"}, 0);
    EXPECT_FALSE(d.speedup);
    EXPECT_FALSE(d.gflops);
    Derived e = derive(1, 1, 1.0, 0, 1, 2, {}, 0);
    EXPECT_FALSE(e.speedup);
    EXPECT_FALSE(e.karp_flatt);
}

TEST(ShareOf, ContiguousAndBalanced) {
    for (std::uint64_t items : {0ull, 1ull, 5ull, 7ull, 100ull}) {
        for (int P : {1, 2, 3, 8}) {
            std::uint64_t next = 0, lo = items, hi = 0;
            for (int w = 0; w < P; ++w) {
                auto [b, e] = share_of(items, P, w);
                EXPECT_EQ(b, next);
                next = e;
                lo = std::min(lo, e - b);
                hi = std::max(hi, e - b);
            }
            EXPECT_EQ(next, items);
            EXPECT_LE(hi - lo, 1u);
        }
    }
}

TEST(WorkerEnvironment, ThreadCountsOwnedByTheLauncher) {
    setenv("OMP_NUM_THREADS", "99", 1);
    setenv("PARSWEEP_TEST_KEEP", "yes", 1);
    auto env = worker_environment(3, {{"OMP_PROC_BIND", "close"}});
    auto count = [&](const std::string& kv) { return std::count(env.begin(), env.end(), kv); };
    EXPECT_EQ(count("OMP_NUM_THREADS=3"), 1);
    EXPECT_EQ(count("OMP_NUM_THREADS=99"), 0);
    EXPECT_EQ(count("OPENBLAS_NUM_THREADS=3"), 1);
    EXPECT_EQ(count("MKL_NUM_THREADS=3"), 1);
    EXPECT_EQ(count("BLIS_NUM_THREADS=3"), 1);
    EXPECT_EQ(count("OMP_PROC_BIND=close"), 1);
    EXPECT_EQ(count("PARSWEEP_TEST_KEEP=yes"), 1);
    EXPECT_EQ(count("PARSWEEP_PROCESSES=1"), 1);
    setenv("PARSWEEP_PROCESSES", "7", 1);  // a parent's own value never reaches its workers
    auto four = worker_environment(1, {}, 4);
    EXPECT_EQ(std::count(four.begin(), four.end(), std::string("PARSWEEP_PROCESSES=4")), 1);
    EXPECT_EQ(std::count(four.begin(), four.end(), std::string("PARSWEEP_PROCESSES=7")), 0);
    unsetenv("PARSWEEP_PROCESSES");
    unsetenv("OMP_NUM_THREADS");
}

// A kernel that answers with the Share it was handed (hidden: for this test only).
class ShareProbe final : public Kernel {
    class Run final : public KernelRun {
      public:
        explicit Run(const Share& share) : share_(share) {}
        void run(std::uint64_t, std::uint64_t) override {}
        Verdict check(std::uint64_t, std::uint64_t) override { return Verdict::pass(); }
        json partial() const override {
            return {{"begin", share_.begin}, {"end", share_.end}, {"processes", share_.processes}};
        }

      private:
        Share share_;
    };

  public:
    std::string_view id() const override { return "share_probe"; }
    std::string_view summary() const override { return "the Share prepare() was handed"; }
    bool hidden() const override { return true; }
    const std::vector<ParamSpec>& params() const override {
        static const std::vector<ParamSpec> none;
        return none;
    }
    std::uint64_t items(const json&) const override { return 10; }
    std::uint64_t memory_bytes(const json&, std::uint64_t, int) const override { return 0; }
    Work work(const json&) const override { return {}; }
    std::unique_ptr<KernelRun> prepare(const json&, const Share& share) const override {
        return std::make_unique<Run>(share);
    }
    json merge(const json&, const std::vector<json>& partials) const override { return partials; }
    Verdict verify(const json&, const json&) const override { return Verdict::pass(); }
};
const ShareProbe share_probe;
const bool share_probe_registered = register_kernel(share_probe);

// The harness hands a worker's kernel the point's P with its share, through the Task the
// launchers send (the mpi worker sets P to its ranks the same way), not through the
// environment.
TEST(WorkerTask, PrepareIsHandedItsShareAndThePointsProcesses) {
    ASSERT_TRUE(share_probe_registered);
    const Task sent{"share_probe", json::object(), 4, 7, 1, 1, 3};
    const Task task = json::parse(json(sent).dump()).get<Task>();
    EXPECT_EQ(task.processes, 3);
    Prepared prepared = prepare_share(task);
    ASSERT_TRUE(prepared.run);
    EXPECT_EQ(prepared.run->partial(), json({{"begin", 4}, {"end", 7}, {"processes", 3}}));
    // Driven by hand (tests, benchmarks), a kernel's share is a lone worker's.
    const Kernel& kernel = share_probe;
    EXPECT_EQ(kernel.prepare(json::object(), 0, 10)->partial()["processes"], 1);
}

TEST(GroupKey, EachRunHasItsOwnBaseline) {
    Sweep s = parse_sweep(json::parse(R"({"grid": {"processes": [1, 2]}, "runs": [
        {"kernel": "square", "params": {"n": 10}},
        {"kernel": "square", "params": {"n": 10}, "env": {"OMP_WAIT_POLICY": "passive"}}]})"),
                          {2, 0, "t"});
    ASSERT_EQ(s.points.size(), 4u);
    EXPECT_EQ(s.points[0].group_key(), s.points[1].group_key());
    EXPECT_NE(s.points[0].group_key(), s.points[2].group_key());
}

TEST(SummarizePoint, FailedRepetitionFailsThePointAndIsNotTimed) {
    Sweep s = parse_sweep(json::parse(R"({"grid": {"processes": [1, 2]},
        "runs": [{"kernel": "square", "params": {"n": 10}}]})"),
                          {2, 0, "t"});
    RepRecord good;
    good.verified = true;
    good.wall_s = 1.0;
    RepRecord fast_but_wrong;
    fast_but_wrong.verified = false;
    fast_but_wrong.wall_s = 0.001;
    fast_but_wrong.error = "sum of y differs";
    fast_but_wrong.rep = 1;
    PointResult base = summarize_point(s.points[0], {good, good}, nullptr, 2);
    EXPECT_TRUE(base.verified);
    EXPECT_DOUBLE_EQ(*base.derived.speedup, 1);  // the baseline against itself
    PointResult p = summarize_point(s.points[1], {good, fast_but_wrong}, &base, 2);
    EXPECT_FALSE(p.verified);
    EXPECT_NE(p.error.find("sum of y differs"), std::string::npos);
    EXPECT_DOUBLE_EQ(p.wall.min, 1.0);  // the failed repetition's time is not a statistic
    EXPECT_FALSE(p.derived.speedup);    // and a failed point has no speedup
}

}  // namespace
}  // namespace parsweep
