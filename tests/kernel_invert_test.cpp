// The invert kernel in-process: several orders, matrices split over 1-3 simulated worker
// processes, 1 and 2 threads (the BLAS's for getri and trtri, gje's own team); matrix k is the same
// whichever share inverts it; tampered results fail; the residual test on hand-made singular,
// near-singular and wrong inverses.

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <omp.h>

#include "blas.hpp"
#include "invert.hpp"
#include "kernel.hpp"
#include "kernel_support.hpp"

namespace parsweep {
const Kernel& invert_kernel();
}

namespace {

using parsweep::json;
using parsweep::Kernel;
using parsweep::Verdict;
using u64 = std::uint64_t;
namespace inv = parsweep::invert;

const Kernel& K() {
    return parsweep::invert_kernel();
}

json make_params(u64 n, u64 count = 3, u64 seed = 42, const char* method = "getri") {
    return {{"n", n}, {"count", count}, {"seed", seed}, {"method", method}};
}

// The normwise residual ratio of a_inv as A⁻¹, for a fixed vector x.
double ratio_of(const std::vector<double>& a, const std::vector<double>& a_inv, int n) {
    std::vector<double> x(n), y(n), r(n), sums(n);
    for (int i = 0; i < n; ++i) x[i] = 1.0 - 0.3 * i;
    return inv::residual_ratio(a.data(), a_inv.data(), x.data(), n, y.data(), r.data(),
                               sums.data());
}

// T threads, as a worker of a point with T threads has them: the BLAS's and OpenMP's.
class ThreadsGuard {
  public:
    explicit ThreadsGuard(int t) : blas_(parsweep::blas::threads()), omp_(omp_get_max_threads()) {
        parsweep::blas::library().set_num_threads(t);
        omp_set_num_threads(t);
    }
    ~ThreadsGuard() {
        parsweep::blas::library().set_num_threads(blas_);
        omp_set_num_threads(omp_);
    }

  private:
    int blas_, omp_;
};

using parsweep::test::Outcome;

// What the harness does with explicit shares: prepare each, run/check one matrix at a time
// (batch_items = 1), partial; then merge + verify (tests/kernel_support.hpp).
Outcome run_point(const json& params, const parsweep::test::Shares& shares) {
    return parsweep::test::run_point(K(), params, shares);
}

std::vector<std::pair<u64, u64>> split(u64 count, int shares) {
    if (shares == 1) return {{0, count}};
    if (shares == 2) return {{0, 1}, {1, count}};
    return {{0, 1}, {1, 1}, {1, count}};  // with an empty share in the middle
}

TEST(Invert, Metadata) {
    const json params = make_params(100, 5);
    EXPECT_EQ(K().id(), "invert");
    EXPECT_EQ(K().items(params), 5u);
    EXPECT_EQ(K().batch_items(params), 1u);
    const auto w = K().work(params);
    EXPECT_DOUBLE_EQ(w.flops, 2.0 * 100 * 100 * 100 * 5);
    EXPECT_DOUBLE_EQ(w.bytes, 0.0);
    EXPECT_DOUBLE_EQ(w.items, 5.0);
    EXPECT_EQ(w.item_unit, "matrix");
    // Two n×n matrices and dgetri's workspace at least; independent of the share size.
    EXPECT_GE(K().memory_bytes(params, 3, 1), 2u * 100 * 100 * 8 + 64u * 100 * 8);
    EXPECT_EQ(K().memory_bytes(params, 3, 1), K().memory_bytes(params, 1, 1));
    EXPECT_GE(inv::getri_workspace(100), 100u);
}

// Orders around gje's widths (kGjeBase = 64, kGjeBlock = 384): one base panel, one panel and
// one column, several levels of recursion with uneven halves, two and three blocks.
TEST(Invert, EveryMethodOrderSplitAndThreadCount) {
    for (const char* method : {"gje", "getri", "trtri"})
        for (u64 n : {1, 2, 17, 64, 65, 200, 601, 800})
            for (int shares = 1; shares <= 3; ++shares)
                for (int threads : {1, 2}) {
                    ThreadsGuard guard(threads);
                    const json params = make_params(n, 3, 42, method);
                    SCOPED_TRACE(params.dump() + " shares=" + std::to_string(shares) +
                                 " threads=" + std::to_string(threads));
                    const Outcome o = run_point(params, split(3, shares));
                    ASSERT_TRUE(o.checks.ok) << o.checks.message;
                    ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
                    EXPECT_EQ(o.result["matrices"].get<u64>(), 3u);
                    const double r = o.result["max_residual"].get<double>();
                    EXPECT_GE(r, 0.0);
                    EXPECT_LT(r, inv::kResidualThreshold);
                }
}

// gje with 1-3 threads (3: more threads than some orders have blocks).
TEST(Invert, TheThreeMethodsComputeTheSameInverse) {
    for (int n : {1, 5, 64, 150, 300, 520, 1100}) {  // 520: two blocks, 1100: three
        const auto N = static_cast<std::size_t>(n);
        std::vector<double> a(N * N),
            work(std::max(inv::getri_workspace(n), inv::gje_workspace(n, 3)));
        std::vector<int> ipiv(N);
        inv::generate_matrix(a.data(), N, 7, 3);
        std::vector<double> getri = a, trtri = a, l(N * N);
        ASSERT_EQ(
            inv::invert_in_place(getri.data(), n, ipiv.data(), work.data(), work.size()).getri, 0);
        ASSERT_EQ(inv::invert_in_place_trtri(trtri.data(), n, ipiv.data(), l.data()).getri, 0);
        double d_trtri = 0, scale = 0;
        for (std::size_t i = 0; i < N * N; ++i) {
            d_trtri = std::max(d_trtri, std::fabs(getri[i] - trtri[i]));
            scale = std::max(scale, std::fabs(getri[i]));
        }
        EXPECT_LE(d_trtri, 1e-8 * scale * n) << "n=" << n;
        for (int threads = 1; threads <= 3; ++threads) {
            std::vector<double> gje = a;
            const inv::LuInfo info =
                inv::invert_in_place_gje(gje.data(), n, ipiv.data(), work.data(), threads);
            ASSERT_EQ(info.getrf, 0);
            ASSERT_EQ(info.getri, 0);
            double d_gje = 0;
            for (std::size_t i = 0; i < N * N; ++i)
                d_gje = std::max(d_gje, std::fabs(getri[i] - gje[i]));
            EXPECT_LE(d_gje, 1e-8 * scale * n) << "n=" << n << " threads=" << threads;
        }
    }
}

// The pivot search must see every row below the diagonal, and the swaps must reach every
// column: a matrix that cannot be inverted without row interchanges, large enough for several
// levels of recursion and several blocks, the last one narrower.
TEST(Invert, GjePivotsAcrossBlocks) {
    const int n = 3 * inv::kGjeBlock + 3;
    const auto N = static_cast<std::size_t>(n);
    // A cyclic shift of a random matrix's rows: A(i, j) = B((i + 1) mod n, j) with B's
    // diagonal dominant, so A's diagonal is small and every column must pivot.
    std::vector<double> b(N * N), a(N * N), work(inv::gje_workspace(n, 2));
    inv::generate_matrix(b.data(), N, 3, 0);
    for (std::size_t j = 0; j < N; ++j) b[j + j * N] += static_cast<double>(n);
    for (std::size_t j = 0; j < N; ++j)
        for (std::size_t i = 0; i < N; ++i) a[i + j * N] = b[(i + 1) % N + j * N];
    for (int threads : {1, 2}) {
        std::vector<double> a_inv = a;
        std::vector<int> ipiv(N);
        const inv::LuInfo info =
            inv::invert_in_place_gje(a_inv.data(), n, ipiv.data(), work.data(), threads);
        ASSERT_EQ(info.getrf, 0);
        int swapped = 0;
        for (int i = 0; i < n; ++i) swapped += ipiv[i] != i + 1;
        EXPECT_GT(swapped, n / 2);
        EXPECT_LT(ratio_of(a, a_inv, n), inv::kResidualThreshold) << "threads=" << threads;
    }
}

// stage() generates matrix k untimed; run() gives the same inverse with or without it.
TEST(Invert, StagedAndUnstagedRunsAgree) {
    ThreadsGuard guard(1);
    const json params = make_params(300, 3, 5, "gje");
    const Outcome staged = run_point(params, {{0, 3}});  // run_point stages every batch
    auto run = K().prepare(params, 0, 3);
    double unstaged = 0;
    for (u64 k = 0; k < 3; ++k) {
        run->run(k, k + 1);
        ASSERT_TRUE(run->check(k, k + 1).ok);
    }
    unstaged = run->partial()["max_residual"].get<double>();
    EXPECT_EQ(staged.result["max_residual"].get<double>(), unstaged);
    // A stale stage (matrix 0 staged, matrix 1 run) is regenerated, not inverted as matrix 1.
    auto stale = K().prepare(params, 0, 3);
    stale->stage(0, 1);
    stale->run(1, 2);
    EXPECT_TRUE(stale->check(1, 2).ok);
    EXPECT_THROW(stale->stage(2, 4), std::out_of_range);
}

TEST(Invert, MatrixKIsTheSameWhicheverShareInvertsIt) {
    ThreadsGuard guard(1);
    const json params = make_params(50, 3, 7);
    const Outcome whole = run_point(params, {{0, 3}});
    const Outcome split2 = run_point(params, {{0, 1}, {1, 3}});
    const Outcome split3 = run_point(params, {{0, 2}, {2, 3}});
    ASSERT_TRUE(whole.verdict.ok) << whole.verdict.message;
    EXPECT_EQ(whole.result["max_residual"].get<double>(),
              split2.result["max_residual"].get<double>());
    EXPECT_EQ(whole.result["max_residual"].get<double>(),
              split3.result["max_residual"].get<double>());
    // Matrix 2 inverted alone has the residual it has inside the whole run.
    const Outcome last = run_point(params, {{2, 3}});
    EXPECT_EQ(last.partials[0]["max_residual"].get<double>(),
              split3.partials[1]["max_residual"].get<double>());
}

TEST(Invert, GeneratorDependsOnSeedAndKOnly) {
    const std::size_t n = 8;
    std::vector<double> a(n * n), b(n * n), c(n * n), d(n * n), x(n);
    inv::generate_matrix(a.data(), n, 42, 3);
    inv::generate_matrix(b.data(), n, 42, 3);
    inv::generate_matrix(c.data(), n, 42, 4);
    inv::generate_matrix(d.data(), n, 43, 3);
    inv::generate_vector(x.data(), n, 42, 3);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_NE(a, d);
    EXPECT_NE(std::vector<double>(a.begin(), a.begin() + n), x);  // its own stream
    for (double v : a) {
        EXPECT_GE(v, -1.0);
        EXPECT_LT(v, 1.0);
    }
}

TEST(Invert, TamperedPartialsFailVerify) {
    const json params = make_params(10);
    const Outcome o = run_point(params, split(3, 2));
    ASSERT_TRUE(o.verdict.ok) << o.verdict.message;

    std::vector<json> bad = o.partials;
    bad[1]["matrices"] = bad[1]["matrices"].get<u64>() + 1;
    Verdict v = K().verify(params, K().merge(params, bad));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("matrices"), std::string::npos) << v.message;

    bad = o.partials;
    bad[0]["max_residual"] = 1e6;
    v = K().verify(params, K().merge(params, bad));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("residual"), std::string::npos) << v.message;

    bad = o.partials;
    bad[0]["max_residual"] = nullptr;  // what a NaN becomes in JSON
    EXPECT_FALSE(K().verify(params, K().merge(params, bad)).ok);

    EXPECT_FALSE(K().verify(params, json::object()).ok);
}

TEST(Invert, CheckNeedsTheMatrixJustRun) {
    const json params = make_params(5, 3);
    auto run = K().prepare(params, 0, 3);
    EXPECT_FALSE(run->check(0, 1).ok);  // nothing run yet
    run->run(0, 1);
    run->run(1, 2);
    EXPECT_FALSE(run->check(0, 1).ok);  // only the last inverse is kept
    EXPECT_TRUE(run->check(1, 2).ok);
    EXPECT_THROW(run->run(2, 4), std::out_of_range);
    EXPECT_THROW(K().prepare(params, 2, 4), std::out_of_range);
}

// ---------------------------------------------------------------------------------------
// The residual test on hand-made matrices (column-major).

struct Inverted {
    inv::LuInfo info;
    std::vector<double> a, a_inv;
};

Inverted invert(const std::vector<double>& a, int n) {
    Inverted r{{}, a, a};
    std::vector<int> ipiv(n);
    std::vector<double> work(inv::getri_workspace(n));
    r.info = inv::invert_in_place(r.a_inv.data(), n, ipiv.data(), work.data(), work.size());
    return r;
}

TEST(InvertResidual, SingularMatrixIsReportedWithItsPivot) {
    // Rows 1 and 2 equal: elimination leaves an exactly zero U(3,3).
    const std::vector<double> a = {1, 1, 4, 2, 2, 5, 3, 3, 6};
    const Inverted r = invert(a, 3);
    EXPECT_EQ(r.info.getrf, 3);
    const Verdict v = inv::judge_inverse(7, r.info, std::nan(""));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("matrix 7 is singular at U(3,3)"), std::string::npos) << v.message;

    const Inverted z = invert({0, 0, 0, 0}, 2);
    EXPECT_EQ(z.info.getrf, 1);
    EXPECT_FALSE(inv::judge_inverse(0, z.info, 0.0).ok);

    // gje names the same pivot, in the first block and in later ones, on every thread count:
    // a failed block stops the team (nobody waits for a block that will never be eliminated).
    for (int threads = 1; threads <= 3; ++threads) {
        SCOPED_TRACE("threads=" + std::to_string(threads));
        std::vector<int> ipiv(3);
        std::vector<double> g = a, work(inv::gje_workspace(3, threads));
        EXPECT_EQ(inv::invert_in_place_gje(g.data(), 3, ipiv.data(), work.data(), threads).getrf,
                  3);
        const int n = 3 * inv::kGjeBlock + 10;
        const auto N = static_cast<std::size_t>(n);
        std::vector<double> big_work(inv::gje_workspace(n, threads));
        std::vector<int> big_ipiv(N);
        // A zero column j: after every earlier pivot U(j+1, j+1) (1-based) is exactly zero.
        for (int zero : {5, inv::kGjeBlock + 5, 2 * inv::kGjeBlock + 70, n - 1}) {
            std::vector<double> big(N * N, 0.0);
            for (std::size_t i = 0; i < N; ++i) big[i + i * N] = 2.0;
            std::fill_n(big.begin() + static_cast<std::ptrdiff_t>(zero) * n, n, 0.0);
            EXPECT_EQ(
                inv::invert_in_place_gje(big.data(), n, big_ipiv.data(), big_work.data(), threads)
                    .getrf,
                zero + 1);
        }
    }
}

TEST(InvertResidual, NearSingularMatrixStillPassesTheNormwiseTest) {
    // κ ≈ 4e15: the inverse is huge and inaccurate, but backward stable, which is what the
    // normwise ratio measures.
    const std::vector<double> a = {1, 1, 1, 1 + 1e-15};
    const Inverted r = invert(a, 2);
    ASSERT_EQ(r.info.getrf, 0);
    const double ratio = ratio_of(a, r.a_inv, 2);
    EXPECT_TRUE(std::isfinite(ratio));
    EXPECT_LT(ratio, inv::kResidualThreshold);
    EXPECT_TRUE(inv::judge_inverse(0, r.info, ratio).ok);
}

TEST(InvertResidual, WrongInverseFails) {
    const int n = 4;
    std::vector<double> a(n * n);
    inv::generate_matrix(a.data(), n, 1, 0);
    Inverted r = invert(a, n);
    ASSERT_EQ(r.info.getrf, 0);
    const double good = ratio_of(a, r.a_inv, n);
    EXPECT_LT(good, inv::kResidualThreshold);
    r.a_inv[5] *= 1.0 + 1e-6;
    const double bad = ratio_of(a, r.a_inv, n);
    EXPECT_GT(bad, inv::kResidualThreshold);
    const Verdict v = inv::judge_inverse(2, r.info, bad);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("matrix 2"), std::string::npos) << v.message;

    r.a_inv[0] = std::nan("");
    EXPECT_TRUE(std::isnan(ratio_of(a, r.a_inv, n)));
    EXPECT_FALSE(inv::judge_inverse(2, r.info, std::nan("")).ok);
}

TEST(InvertResidual, IdentityIsExact) {
    const std::vector<double> eye = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    EXPECT_EQ(ratio_of(eye, eye, 3), 0.0);
    const Inverted r = invert(eye, 3);
    EXPECT_EQ(r.a_inv, eye);
}

// More threads than cores (a P·T > cores point): threads are preempted in the middle of an
// item, so an item that reads or writes a block too early is caught here, not just in theory.
TEST(Invert, GjeIsRightWithMoreThreadsThanCores) {
    const int n = 4 * inv::kGjeBlock + 17;
    const auto N = static_cast<std::size_t>(n);
    const int threads = 8;
    std::vector<double> a(N * N), work(inv::gje_workspace(n, threads));
    std::vector<int> ipiv(N);
    for (std::uint64_t k = 0; k < 6; ++k) {
        inv::generate_matrix(a.data(), N, 11, k);
        std::vector<double> a_inv = a;
        const inv::LuInfo info =
            inv::invert_in_place_gje(a_inv.data(), n, ipiv.data(), work.data(), threads);
        ASSERT_EQ(info.getrf, 0);
        EXPECT_LT(ratio_of(a, a_inv, n), inv::kResidualThreshold) << "matrix " << k;
    }
}

}  // namespace
