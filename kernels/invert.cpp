/*
 * invert — `count` seeded random n×n matrices, each inverted with LAPACKE dgetrf + dgetri
 * (column-major) on the BLAS the process was started with (OpenBLAS here), loaded on first
 * use (blas.hpp).
 *
 * Methods (`method`)
 *   getri (default, the workshop's): dgetrf, then dgetri. Reference LAPACK's dgetri (OpenBLAS
 *   has no optimised one) works in 64-column panels whose narrow GEMMs run below the DGEMM
 *   rate: measured 76% of DGEMM at n = 3000 on one thread.
 *   trtri: dgetrf, dtrtri on U, one n×n dtrsm against L, then the column interchanges —
 *   the same 2n³ flops as whole-matrix BLAS-3 calls: 82% of DGEMM there.
 *
 * What it teaches and measures
 *   Threaded BLAS: the BLAS's own threads (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, fixed
 *   before the library starts) do the work; the kernel itself starts no threads. With P
 *   worker processes each using T BLAS threads, P·T > cores oversubscribes the machine, and
 *   for small n a threaded BLAS can be slower than one thread.
 *
 * Counting
 *   flops = 2·n³ per matrix (dgetrf ≈ 2/3·n³, dgetri ≈ 4/3·n³), times count; bytes = 0
 *   (compute bound); items = count matrices. Each matrix is its own timed batch
 *   (batch_items = 1), so the O(n²) check of one matrix is never inside a timed region.
 *   A timed batch = generate matrix k (O(n²), cheap next to n³) + the inversion.
 *
 * Input
 *   Matrix k's entries are uniform in [-1, 1), drawn in column-major storage order from a
 *   xoshiro256** generator seeded through splitmix64 from (seed, k) alone: the same matrix
 *   whichever process inverts it, and independent streams for different k. Nothing is added
 *   to the diagonal: uniform random matrices are well-conditioned enough with high
 *   probability (condition number grows roughly like n), and a singular one would be
 *   reported, not hidden.
 *
 * Verification (untimed, per matrix)
 *   Regenerate A_k and a check vector x (its own stream of (seed, k)), compute y = A⁻¹x and
 *   r = A·y − x with dgemv, and require the normwise residual ratio
 *       ‖r‖∞ / (‖A‖∞ · ‖A⁻¹‖∞ · ‖x‖∞ · n · ε)  <  30
 *   (30 is LAPACK's own test threshold, THRESH in dtest.in), finite, with dgetrf/dgetri info
 *   = 0 (info > 0: "matrix k is singular at U(i,i)"). This is the O(n²) form of the
 *   ‖A·A⁻¹ − I‖ test of DESIGN.md (the full product would cost as much as the inversion).
 *   verify() requires that all `count` matrices were checked and the largest ratio < 30.
 */
#include "invert.hpp"

#include "blas.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace parsweep::invert {
namespace {

using u64 = std::uint64_t;

static_assert(sizeof(lapack_int) == sizeof(int), "invert expects 32-bit LAPACK integers (LP64)");

// splitmix64 (Steele, Lea, Flood; Vigna's constants): used to hash (seed, k, stream) into a
// starting state and to expand it into xoshiro256**'s 256-bit state.
u64 splitmix64(u64& state) {
    u64 z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// xoshiro256** 1.0 (Blackman & Vigna, public domain reference algorithm).
class Xoshiro256ss {
  public:
    // Stream `stream` of item k of a sweep seeded `seed`: the three are chained through
    // splitmix64 (a bijective mix at each step), so distinct (seed, k, stream) give distinct
    // starting states.
    Xoshiro256ss(u64 seed, u64 k, u64 stream) {
        u64 h = seed;
        h = splitmix64(h) + k;
        h = splitmix64(h) + stream;
        u64 sm = splitmix64(h);
        for (u64& word : s_) word = splitmix64(sm);
    }
    u64 next() {
        const u64 result = rotl(s_[1] * 5, 7) * 9;
        const u64 t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    // Uniform in [-1, 1): the top 53 bits scaled to [0, 2), exactly representable.
    double uniform_pm1() { return static_cast<double>(next() >> 11) * 0x1p-52 - 1.0; }

  private:
    static u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }
    u64 s_[4];
};

constexpr u64 kMatrixStream = 0;
constexpr u64 kVectorStream = 1;

// ∞-norm (max row sum) of a column-major n×n matrix.
double norm_inf(const double* a, int n, double* row_sums) {
    const auto nn = static_cast<std::size_t>(n);
    std::fill(row_sums, row_sums + nn, 0.0);
    for (std::size_t j = 0; j < nn; ++j) {
        const double* col = a + j * nn;
        for (std::size_t i = 0; i < nn; ++i) row_sums[i] += std::fabs(col[i]);
    }
    double m = 0.0;
    for (std::size_t i = 0; i < nn; ++i) {
        if (std::isnan(row_sums[i])) return row_sums[i];
        m = std::max(m, row_sums[i]);
    }
    return m;
}

double vector_norm_inf(const double* x, int n) {
    double m = 0.0;
    for (int i = 0; i < n; ++i) {
        if (std::isnan(x[i])) return x[i];
        m = std::max(m, std::fabs(x[i]));
    }
    return m;
}

}  // namespace

void generate_matrix(double* a, std::size_t n, u64 seed, u64 k) {
    Xoshiro256ss rng(seed, k, kMatrixStream);
    for (std::size_t i = 0, nn = n * n; i < nn; ++i) a[i] = rng.uniform_pm1();
}

void generate_vector(double* x, std::size_t n, u64 seed, u64 k) {
    Xoshiro256ss rng(seed, k, kVectorStream);
    for (std::size_t i = 0; i < n; ++i) x[i] = rng.uniform_pm1();
}

std::size_t getri_workspace(int n) {
    if (n < 1) return 1;
    double query = 0.0;
    double dummy_a = 0.0;
    lapack_int dummy_ipiv = 0;
    const lapack_int info =
        blas::library().dgetri(LAPACK_COL_MAJOR, n, &dummy_a, n, &dummy_ipiv, &query, -1);
    const auto nn = static_cast<std::size_t>(n);
    if (info != 0 || !(query >= 1.0)) return nn * 64;
    return std::max(nn, static_cast<std::size_t>(query));
}

LuInfo invert_in_place(double* a, int n, int* ipiv, double* work, std::size_t lwork) {
    LuInfo info;
    // The _work variants: no NaN scan of the input and no hidden allocation.
    const blas::Library& lib = blas::library();
    info.getrf = lib.dgetrf(LAPACK_COL_MAJOR, n, n, a, n, ipiv);
    if (info.getrf != 0) return info;
    const auto lw = static_cast<lapack_int>(
        std::min(lwork, static_cast<std::size_t>(std::numeric_limits<lapack_int>::max())));
    info.getri = lib.dgetri(LAPACK_COL_MAJOR, n, a, n, ipiv, work, lw);
    return info;
}

LuInfo invert_in_place_trtri(double* a, int n, int* ipiv, double* l) {
    LuInfo info;
    const blas::Library& lib = blas::library();
    info.getrf = lib.dgetrf(LAPACK_COL_MAJOR, n, n, a, n, ipiv);
    if (info.getrf != 0) return info;
    // A = P·L·U, so A⁻¹ = U⁻¹·L⁻¹·Pᵀ. First U⁻¹, in place in the upper triangle.
    info.getri = lib.dtrtri(LAPACK_COL_MAJOR, 'U', 'N', n, a, n);
    if (info.getri != 0) return info;
    // Move L (unit lower, strictly below the diagonal) out, leaving U⁻¹ as a full matrix.
    const auto N = static_cast<std::size_t>(n);
    for (std::size_t j = 0; j < N; ++j)
        for (std::size_t i = j + 1; i < N; ++i) {
            l[i + j * N] = a[i + j * N];
            a[i + j * N] = 0.0;
        }
    // X·L = U⁻¹ gives X = U⁻¹·L⁻¹: one n×n triangular solve (BLAS-3).
    lib.dtrsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasUnit, n, n, 1.0, l, n, a,
              n);
    // ·Pᵀ: getrf's row interchanges undone as column interchanges, last first (as dgetri).
    for (int j = n - 2; j >= 0; --j) {
        const int p = ipiv[j] - 1;
        if (p != j) std::swap_ranges(a + j * N, a + (j + 1) * N, a + p * N);
    }
    return info;
}

double residual_ratio(const double* a, const double* a_inv, const double* x, int n, double* y,
                      double* r, double* row_sums) {
    // y = A⁻¹x, then r = A·y − x.
    const blas::Library& lib = blas::library();
    lib.dgemv(CblasColMajor, CblasNoTrans, n, n, 1.0, a_inv, n, x, 1, 0.0, y, 1);
    std::copy(x, x + n, r);
    lib.dgemv(CblasColMajor, CblasNoTrans, n, n, 1.0, a, n, y, 1, -1.0, r, 1);

    const double r_norm = vector_norm_inf(r, n);
    const double a_norm = norm_inf(a, n, row_sums);
    const double inv_norm = norm_inf(a_inv, n, row_sums);
    const double x_norm = vector_norm_inf(x, n);
    if (std::isnan(r_norm) || std::isnan(inv_norm)) return std::numeric_limits<double>::quiet_NaN();
    const double denom = a_norm * inv_norm * x_norm * static_cast<double>(n) * DBL_EPSILON;
    if (!(denom > 0.0) || !std::isfinite(denom)) return std::numeric_limits<double>::infinity();
    return r_norm / denom;
}

Verdict judge_inverse(u64 k, const LuInfo& info, double ratio) {
    if (info.getrf > 0)
        return Verdict::fail(fmt::format(
            "invert: matrix {} is singular at U({},{}) (dgetrf info = {}: an exactly zero pivot)",
            k, info.getrf, info.getrf, info.getrf));
    if (info.getrf < 0)
        return Verdict::fail(
            fmt::format("invert: matrix {}: dgetrf argument {} was illegal", k, -info.getrf));
    if (info.getri > 0)
        return Verdict::fail(
            fmt::format("invert: matrix {} is singular at U({},{}) (dgetri/dtrtri info "
                        "= {})",
                        k, info.getri, info.getri, info.getri));
    if (info.getri < 0)
        return Verdict::fail(fmt::format("invert: matrix {}: dgetri/dtrtri argument {} was illegal",
                                         k, -info.getri));
    if (!std::isfinite(ratio))
        return Verdict::fail(fmt::format(
            "invert: matrix {}: residual ratio is {} (the inverse holds NaN/Inf, or A is zero)", k,
            ratio));
    if (ratio >= kResidualThreshold)
        return Verdict::fail(fmt::format(
            "invert: matrix {}: normwise residual ratio ‖A·(A⁻¹x) − x‖∞ / (‖A‖∞‖A⁻¹‖∞‖x‖∞·n·ε) "
            "= {:.3g}, must be < {}",
            k, ratio, kResidualThreshold));
    return Verdict::pass();
}

}  // namespace parsweep::invert

// =========================================================================================
// The kernel

namespace parsweep {
namespace {

using u64 = std::uint64_t;
namespace inv = invert;

struct InvertParams {
    u64 n = 1000;
    u64 count = 4;
    u64 seed = 42;
    bool trtri = false;  // method "trtri" rather than "getri"
};

constexpr u64 kMaxOrder = 100000;

InvertParams parse_params(const json& params) {
    InvertParams ip;
    ip.n = count_param(params, "invert", "n");
    ip.count = count_param(params, "invert", "count");
    ip.seed = count_param(params, "invert", "seed");
    ip.trtri = params.at("method").get<std::string>() == "trtri";
    if (ip.n < 1 || ip.n > kMaxOrder)
        throw std::invalid_argument(
            fmt::format("invert: n must be in [1, {}], got {}", kMaxOrder, ip.n));
    return ip;
}

// Bytes one worker needs for order n (see InvertRun's members), plus what OpenBLAS touches
// in its GEMM packing buffers. Measured with OpenBLAS 0.3.21 (peak RSS minus the process's
// baseline): about 3 KiB × n (a packed panel of n columns) + ~1 MiB per thread, i.e. 4.5,
// 10 and 16 MiB at n = 1000, 3000, 5000; allowed for as 4 KiB × n (capped at 64 MiB, the
// size of the library's buffer) + 2 MiB per thread + 2 MiB.
u64 invert_memory_bytes(u64 n, int threads) {
    const u64 matrices = 2 * n * n * sizeof(double);               // work (A⁻¹) + regenerated A
    const u64 vectors = 4 * n * sizeof(double) + n * sizeof(int);  // x, y, r, row sums; ipiv
    const u64 lwork = std::max<u64>(n * 64, 1) * sizeof(double);   // dgetri workspace
    const u64 blas = std::min<u64>(4096 * n, u64{64} << 20) +
                     static_cast<u64>(std::max(threads, 1)) * (u64{2} << 20) + (u64{2} << 20);
    return matrices + vectors + lwork + blas;
}

class InvertRun final : public KernelRun {
  public:
    InvertRun(const InvertParams& params, u64 begin, u64 end)
        : p_(params), begin_(begin), end_(end), n_(static_cast<int>(params.n)) {
        if (end_ == begin_) return;  // an empty share allocates nothing
        const auto n = static_cast<std::size_t>(p_.n);
        // Value-initialised (zeroed): pages are faulted in here, untimed.
        work_.assign(n * n, 0.0);
        a_.assign(n * n, 0.0);
        ipiv_.assign(n, 0);
        x_.assign(n, 0.0);
        y_.assign(n, 0.0);
        r_.assign(n, 0.0);
        row_sums_.assign(n, 0.0);
        lwork_.assign(inv::getri_workspace(n_), 0.0);
    }

    void run(u64 b, u64 e) override {
        if (b > e || b < begin_ || e > end_)
            throw std::out_of_range(
                fmt::format("invert: run({}, {}) outside the share [{}, {})", b, e, begin_, end_));
        const auto n = static_cast<std::size_t>(p_.n);
        for (u64 k = b; k < e; ++k) {
            inv::generate_matrix(work_.data(), n, p_.seed, k);
            // trtri uses a_ as scratch for L: check() regenerates A into it afterwards.
            last_info_ = p_.trtri
                             ? inv::invert_in_place_trtri(work_.data(), n_, ipiv_.data(), a_.data())
                             : inv::invert_in_place(work_.data(), n_, ipiv_.data(), lwork_.data(),
                                                    lwork_.size());
            last_k_ = k;
        }
    }

    Verdict check(u64 b, u64 e) override {
        if (e == b) return Verdict::pass();
        // Only the last inverse is kept (one n×n buffer, whatever the share): batches are one
        // matrix each (batch_items = 1).
        if (e - b != 1 || !last_k_ || *last_k_ != b)
            return Verdict::fail(fmt::format(
                "invert: check({}, {}) needs run({}, {}) just before it (batches are one matrix "
                "each: only the last inverse is kept)",
                b, e, b, b + 1));
        const auto n = static_cast<std::size_t>(p_.n);
        double ratio = std::numeric_limits<double>::infinity();
        if (last_info_.getrf == 0 && last_info_.getri == 0) {
            inv::generate_matrix(a_.data(), n, p_.seed, b);
            inv::generate_vector(x_.data(), n, p_.seed, b);
            ratio = inv::residual_ratio(a_.data(), work_.data(), x_.data(), n_, y_.data(),
                                        r_.data(), row_sums_.data());
        }
        ++matrices_;
        // JSON has no NaN/Inf: a failed matrix is recorded as the largest double.
        max_residual_ = std::max(max_residual_, std::isfinite(ratio) ? ratio : DBL_MAX);
        return inv::judge_inverse(b, last_info_, ratio);
    }

    json partial() const override {
        return {{"max_residual", max_residual_}, {"matrices", matrices_}};
    }

  private:
    InvertParams p_;
    u64 begin_, end_;
    int n_;
    std::vector<double> work_;  // matrix k, then its LU factors, then its inverse
    std::vector<double> a_;     // matrix k regenerated for the check
    std::vector<int> ipiv_;
    std::vector<double> x_, y_, r_, row_sums_;
    std::vector<double> lwork_;  // dgetri workspace
    std::optional<u64> last_k_;
    inv::LuInfo last_info_;
    u64 matrices_ = 0;           // matrices checked
    double max_residual_ = 0.0;  // largest residual ratio among them
};

class InvertKernel final : public Kernel {
  public:
    std::string_view id() const override { return "invert"; }
    std::string_view summary() const override {
        return "invert count seeded random n×n matrices with LAPACKE dgetrf + dgetri (or "
               "trtri) on the threaded BLAS; verified by a normwise residual";
    }

    const std::vector<ParamSpec>& params() const override {
        static const std::vector<ParamSpec> specs = {
            {"n",
             ParamType::Integer,
             1000,
             "matrix order (2·n²·8 bytes per worker: n = 10000 needs 1.6 GB)",
             1.0,
             static_cast<double>(kMaxOrder),
             {}},
            {"count",
             ParamType::Integer,
             4,
             "matrices to invert (the items split over processes)",
             1.0,
             std::nullopt,
             {}},
            {"seed",
             ParamType::Integer,
             42,
             "random seed; matrix k depends only on (seed, k), whichever process inverts it",
             0.0,
             std::nullopt,
             {}},
            {"method",
             ParamType::String,
             "getri",
             "getri: dgetrf + dgetri (the workshop's); trtri: dgetrf + dtrtri + dtrsm, the same "
             "flops as whole-matrix BLAS-3 calls",
             std::nullopt,
             std::nullopt,
             {"getri", "trtri"}},
        };
        return specs;
    }

    u64 items(const json& params) const override { return parse_params(params).count; }
    u64 batch_items(const json& params) const override {
        (void)params;
        return 1;
    }

    u64 memory_bytes(const json& params, u64 share_items, int threads) const override {
        if (share_items == 0) return 64 * 1024;
        return invert_memory_bytes(parse_params(params).n, threads);
    }

    Work work(const json& params) const override {
        const InvertParams ip = parse_params(params);
        const auto n = static_cast<double>(ip.n);
        Work w;
        w.flops = 2.0 * n * n * n * static_cast<double>(ip.count);
        w.items = static_cast<double>(ip.count);
        w.item_unit = "matrix";
        return w;
    }

    std::unique_ptr<KernelRun> prepare(const json& params, u64 begin, u64 end) const override {
        const InvertParams ip = parse_params(params);
        if (begin > end || end > ip.count)
            throw std::out_of_range(
                fmt::format("invert: share [{}, {}) outside [0, {})", begin, end, ip.count));
        return std::make_unique<InvertRun>(ip, begin, end);
    }

    json merge(const json& params, const std::vector<json>& partials) const override {
        (void)params;
        double max_residual = 0.0;
        u64 matrices = 0;
        for (const json& part : partials) {
            const json& r = part.at("max_residual");
            // A null (NaN/Inf that slipped through) counts as a failure.
            max_residual = std::max(max_residual, r.is_number() ? r.get<double>() : DBL_MAX);
            matrices += part.at("matrices").get<u64>();
        }
        return {{"max_residual", max_residual}, {"matrices", matrices}};
    }

    Verdict verify(const json& params, const json& result) const override {
        const InvertParams ip = parse_params(params);
        if (!result.contains("matrices") || !result["matrices"].is_number_integer() ||
            !result.contains("max_residual") || !result["max_residual"].is_number())
            return Verdict::fail("invert: malformed result: " + result.dump());
        const u64 matrices = result["matrices"].get<u64>();
        const double max_residual = result["max_residual"].get<double>();
        if (matrices != ip.count)
            return Verdict::fail(fmt::format(
                "invert: {} matrices were checked, expected count = {} (items lost or repeated)",
                matrices, ip.count));
        if (!(max_residual < inv::kResidualThreshold))
            return Verdict::fail(fmt::format(
                "invert: largest normwise residual ratio is {:.3g}, must be < {} (n = {})",
                max_residual, inv::kResidualThreshold, ip.n));
        return Verdict::pass();
    }
};

}  // namespace

const Kernel& invert_kernel() {
    static const InvertKernel kernel;
    return kernel;
}

}  // namespace parsweep
