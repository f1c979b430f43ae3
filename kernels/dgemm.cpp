/*
 * dgemm — C = A·B with the loaded BLAS (parsweep::blas), `count` products of n×n matrices.
 *
 * What it is for
 *   The FLOP/s limit that `parsweep calibrate` measures: DGEMM is the BLAS routine closest to
 *   the machine's peak, and the one invert's LAPACK calls spend their time in. Calibration
 *   runs it as a sweep point (1 process × T threads) through the launcher, so the BLAS starts
 *   with OPENBLAS_NUM_THREADS = T in a fresh process, exactly like every other point. Hidden
 *   from `parsweep list` (shown with --all) because it is an instrument rather than a lesson,
 *   but a config may sweep it like any kernel.
 *
 * Counting
 *   flops = 2·n³ per product; items = products, one per timed batch.
 *
 * Warm-up
 *   prepare() runs one untimed product: OpenBLAS allocates its buffers and wakes its threads
 *   on the first call, a cost no steady-state DGEMM pays.
 *
 * Verification
 *   check() compares C·x with A·(B·x) for a seeded vector x (three dgemv, O(n²)):
 *     ‖C·x − A·(B·x)‖∞ / (‖A‖∞ · ‖B‖∞ · ‖x‖∞ · n · ε) < 30,
 *   the error bound of a floating-point product (|C − AB| ≤ γ_n |A||B|) with LAPACK's test
 *   threshold; a wrong product gives a ratio of order 1/(n·ε).
 */
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "blas.hpp"
#include "invert.hpp"
#include "kernel.hpp"

namespace parsweep {

namespace {

using u64 = std::uint64_t;

constexpr double kThreshold = 30.0;

struct DgemmParams {
    u64 n = 2000, count = 1, seed = 42;
};

const std::vector<Param<DgemmParams>>& dgemm_params() {
    using P = DgemmParams;
    static const std::vector<Param<P>> declared = {
        field(&P::n, {"n", ParamType::Integer, 2000, "matrix order", 1.0, 46000.0, {}}),
        field(&P::count, {"count",
                          ParamType::Integer,
                          1,
                          "products (the items split over processes)",
                          1.0,
                          std::nullopt,
                          {},
                          {},
                          /*work_size=*/true}),
        field(&P::seed, {"seed",
                         ParamType::Integer,
                         42,
                         "random seed of A, B and the check vector",
                         0.0,
                         std::nullopt,
                         {}}),
    };
    return declared;
}

double norm_inf(const double* m, int n, std::vector<double>& row_sums) {
    row_sums.assign(static_cast<std::size_t>(n), 0.0);
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i) row_sums[i] += std::abs(m[i + static_cast<std::size_t>(j) * n]);
    double best = 0;
    for (double s : row_sums) best = std::max(best, s);
    return best;
}

class DgemmRun final : public KernelRun {
  public:
    DgemmRun(const DgemmParams& p, u64 begin, u64 end)
        : p_(p), n_(static_cast<int>(p.n)), begin_(begin), end_(end), lib_(blas::library()) {
        const std::size_t nn = static_cast<std::size_t>(p.n) * p.n;
        a_.resize(nn);
        b_.resize(nn);
        c_.resize(nn);
        x_.resize(p.n);
        invert::generate_matrix(a_.data(), p.n, p.seed, 0);
        invert::generate_matrix(b_.data(), p.n, p.seed, 1);
        invert::generate_vector(x_.data(), p.n, p.seed, 0);
        multiply();  // warm-up, untimed
    }

    void run(u64 begin, u64 end) override {
        for (u64 k = begin; k < end; ++k) multiply();
    }

    Verdict check(u64 begin, u64 end) override {
        std::vector<double> bx(p_.n), abx(p_.n), cx(p_.n), sums;
        lib_.dgemv(CblasColMajor, CblasNoTrans, n_, n_, 1.0, b_.data(), n_, x_.data(), 1, 0.0,
                   bx.data(), 1);
        lib_.dgemv(CblasColMajor, CblasNoTrans, n_, n_, 1.0, a_.data(), n_, bx.data(), 1, 0.0,
                   abx.data(), 1);
        lib_.dgemv(CblasColMajor, CblasNoTrans, n_, n_, 1.0, c_.data(), n_, x_.data(), 1, 0.0,
                   cx.data(), 1);
        double diff = 0, xmax = 0;
        for (u64 i = 0; i < p_.n; ++i) {
            diff = std::max(diff, std::abs(cx[i] - abx[i]));
            xmax = std::max(xmax, std::abs(x_[i]));
        }
        const double scale = norm_inf(a_.data(), n_, sums) * norm_inf(b_.data(), n_, sums) * xmax *
                             static_cast<double>(p_.n) * DBL_EPSILON;
        const double ratio = scale > 0 ? diff / scale : INFINITY;
        if (!std::isfinite(diff)) max_ratio_ = INFINITY;
        max_ratio_ = std::max(max_ratio_, ratio);
        products_ += end - begin;
        if (!(ratio < kThreshold))
            return Verdict::fail(fmt::format(
                "dgemm: ‖C·x − A·(B·x)‖ / (‖A‖‖B‖‖x‖·n·ε) = {:.3g}, must be < {} (n = {})", ratio,
                kThreshold, p_.n));
        return Verdict::pass();
    }

    json partial() const override {
        return {{"products", products_},
                {"max_residual", std::isfinite(max_ratio_) ? json(max_ratio_) : json()},
                {"share", {begin_, end_}}};
    }

  private:
    void multiply() {
        lib_.dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n_, n_, n_, 1.0, a_.data(), n_,
                   b_.data(), n_, 0.0, c_.data(), n_);
    }

    DgemmParams p_;
    int n_;
    u64 begin_, end_;
    const blas::Library& lib_;
    std::vector<double> a_, b_, c_, x_;
    u64 products_ = 0;
    double max_ratio_ = 0;
};

class DgemmKernel {
  public:
    using Params = DgemmParams;

    std::string_view id() const { return "dgemm"; }
    std::string_view summary() const {
        return "C = A·B with the loaded BLAS (DGEMM): the FLOP/s limit parsweep calibrate measures";
    }
    bool hidden() const { return true; }
    bool uses_blas() const { return true; }
    const std::vector<Param<DgemmParams>>& declared() const { return dgemm_params(); }
    u64 items(const DgemmParams& p) const { return p.count; }
    u64 batch_items(const DgemmParams&) const { return 1; }
    u64 memory_bytes(const DgemmParams& p, u64 share_items, int) const {
        if (share_items == 0) return 64 * 1024;
        const double n = static_cast<double>(p.n);
        return static_cast<u64>(3 * n * n * 8 + 4 * n * 8) + (64u << 20);  // + BLAS buffers
    }
    Work work(const DgemmParams& p) const {
        const double n = static_cast<double>(p.n);
        Work w;
        w.flops = 2 * n * n * n * static_cast<double>(p.count);
        w.items = static_cast<double>(p.count);
        w.item_unit = "product";
        return w;
    }
    std::unique_ptr<KernelRun> prepare(const DgemmParams& p, u64 begin, u64 end) const {
        require_share("dgemm", begin, end, p.count);
        return std::make_unique<DgemmRun>(p, begin, end);
    }
    json merge(const DgemmParams&, const std::vector<json>& partials) const {
        return merge_residual_checks(partials, "products");
    }
    Verdict verify(const DgemmParams& p, const json& result) const {
        if (!result.contains("products") || !result.contains("max_residual"))
            return Verdict::fail("dgemm: malformed result: " + result.dump());
        if (result["products"].get<u64>() != p.count)
            return Verdict::fail(fmt::format("dgemm: {} products were checked, expected {}",
                                             result["products"].get<u64>(), p.count));
        if (!(result["max_residual"].get<double>() < kThreshold))
            return Verdict::fail(fmt::format("dgemm: largest residual ratio {:.3g}, must be < {}",
                                             result["max_residual"].get<double>(), kThreshold));
        return Verdict::pass();
    }
};

}  // namespace

const Kernel& dgemm_kernel() {
    static const KernelOf<DgemmKernel> kernel;
    return kernel;
}

}  // namespace parsweep
