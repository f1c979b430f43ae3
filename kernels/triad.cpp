/*
 * triad — STREAM's triad a[i] = b[i] + s·c[i] over n doubles, `passes` times per run.
 *
 * What it measures
 *   The sustainable memory bandwidth of the worker's threads, the way kernels/stream.hpp
 *   (and John McCalpin's STREAM) measures it, but as a sweepable kernel: the arrays are
 *   split over the worker processes and each process runs the triad on its share with its
 *   OpenMP threads (`#pragma omp parallel for simd schedule(static)`). For n well beyond the
 *   last-level cache the time is memory traffic alone, so the chart shows where the memory
 *   bus, not the cores, limits P × T. The arrays are first touched in prepare() by the same
 *   threads with the same static schedule as the timed loop (their pages lie in each
 *   thread's NUMA node), on transparent huge pages where the system allows them.
 *
 * Counting (STREAM convention)
 *   bytes = 3·8·n·passes  (b and c read, a written, per element and pass; the write-allocate
 *                          read of a that normal stores cause is NOT counted)
 *   flops = 2·n·passes    (one multiply, one add)
 *   items = n elements, one timed batch per worker share.
 *
 * Valid sizes
 *   1 ≤ n ≤ 4e10: each worker holds 24 bytes per element of its share, so 4e10 elements are
 *   960 GB — a sanity limit on memory, not on the arithmetic. 1 ≤ passes ≤ 1e6.
 *
 * Verification (closed form)
 *   b[i] = i mod 1024 and c[i] = i mod 7 of the GLOBAL index i, so every share is distinct
 *   and the answer does not depend on the split. check() (untimed) compares every a[i] of the
 *   batch with b(i) + s·c(i) computed from i (not from the arrays), within STREAM's relative
 *   1e-13, and sums a. verify() checks that exactly n elements were checked and that the sum
 *   of a equals the closed form Σ_{i<n} (i mod 1024) + s·Σ_{i<n} (i mod 7), where
 *   Σ_{i<n} (i mod m) = ⌊n/m⌋·m(m−1)/2 + r(r−1)/2 with r = n mod m, within a relative 1e-12
 *   (the threads add in any order).
 */
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "kernel.hpp"
#include "large_array.hpp"
#include "stream.hpp"

namespace parsweep {
namespace {

using u64 = std::uint64_t;

struct TriadParams {
    u64 n = 0;       // elements of each array, in the whole point
    u64 passes = 1;  // triads per timed run
    double scalar = stream::kScalar;
};

const std::vector<Param<TriadParams>>& triad_params() {
    using P = TriadParams;
    static const std::vector<Param<P>> declared = {
        field(&P::n, {"n",
                      ParamType::Integer,
                      10000000,
                      "elements of each of a, b, c (24 bytes of memory each; 4e10 = 960 GB is "
                      "the sanity cap)",
                      1.0,
                      4e10,
                      {},
                      {},
                      /*work_size=*/true}),
        field(&P::passes, {"passes",
                           ParamType::Integer,
                           1,
                           "triads over the share per timed run (more makes a small n timeable)",
                           1.0,
                           1e6,
                           {}}),
        field(&P::scalar, {"scalar",
                           ParamType::Number,
                           stream::kScalar,
                           "s in a = b + s·c (STREAM's is 3)",
                           -1e6,
                           1e6,
                           {}}),
    };
    return declared;
}

// The initial values, of the global index (small integers: exact in double).
inline double b_of(u64 i) {
    return static_cast<double>(i % 1024);
}
inline double c_of(u64 i) {
    return static_cast<double>(i % 7);
}

// Σ_{i<n} (i mod m), exact in double for the sizes allowed (< 2^53).
double mod_sum(u64 n, u64 m) {
    const u64 r = n % m;
    return static_cast<double>(n / m) * static_cast<double>(m * (m - 1) / 2) +
           static_cast<double>(r * (r - (r > 0 ? 1 : 0)) / 2);
}

// One worker's share [begin, end): a, b, c hold the share only; local j is global begin + j.
class TriadRun final : public KernelRun {
  public:
    TriadRun(const TriadParams& params, u64 begin, u64 end) : p_(params), begin_(begin), end_(end) {
        const auto len = static_cast<std::size_t>(end - begin);
        a_ = allocate_large<double>(len, "triad");
        b_ = allocate_large<double>(len, "triad");
        c_ = allocate_large<double>(len, "triad");
        double* const a = a_.get();
        double* const b = b_.get();
        double* const c = c_.get();
        // First touch with the timed loop's schedule: each thread's pages are its own.
#pragma omp parallel for schedule(static)
        for (std::size_t j = 0; j < len; ++j) {
            a[j] = 0;
            b[j] = b_of(begin + j);
            c[j] = c_of(begin + j);
        }
    }

    void run(u64 b, u64 e) override {
        require_in_share(b, e, "run");
        double* __restrict a = a_.get() + (b - begin_);
        const double* __restrict bb = b_.get() + (b - begin_);
        const double* __restrict c = c_.get() + (b - begin_);
        const auto len = static_cast<std::size_t>(e - b);
        const double s = p_.scalar;
        for (u64 pass = 0; pass < p_.passes; ++pass) {
#pragma omp parallel for simd schedule(static)
            for (std::size_t j = 0; j < len; ++j) a[j] = bb[j] + s * c[j];
        }
    }

    Verdict check(u64 b, u64 e) override {
        require_in_share(b, e, "check");
        const double* a = a_.get() + (b - begin_);
        constexpr double kEpsilon = 1e-13;  // STREAM's for 8-byte reals
        u64 wrong = 0, first = 0;
        double sum = 0;
        for (u64 i = b; i < e; ++i) {
            const double want = b_of(i) + p_.scalar * c_of(i);
            const double got = a[i - b];
            if (!(std::abs(got - want) <= kEpsilon * std::abs(want)))
                if (wrong++ == 0) first = i;
            sum += got;
        }
        if (wrong)
            return Verdict::fail(fmt::format(
                "triad: a[{}] = {:.17g}, expected {:.17g} = b + s·c ({} of {} elements of [{}, "
                "{}) wrong)",
                first, a[first - b], b_of(first) + p_.scalar * c_of(first), wrong, e - b, b, e));
        sum_a_ += sum;
        elements_ += e - b;
        return Verdict::pass();
    }

    json partial() const override {
        return {{"sum_a", sum_a_}, {"elements", elements_}};
    }

  private:
    void require_in_share(u64 b, u64 e, const char* what) const {
        if (b > e || b < begin_ || e > end_)
            throw std::out_of_range(fmt::format("triad: {}({}, {}) outside the share [{}, {})",
                                                what, b, e, begin_, end_));
    }

    TriadParams p_;
    u64 begin_, end_;
    LargeArray<double> a_, b_, c_;
    double sum_a_ = 0;  // sum of a over the checked elements
    u64 elements_ = 0;  // how many elements were checked
};

class TriadKernel {
  public:
    using Params = TriadParams;

    std::string_view id() const { return "triad"; }
    std::string_view summary() const {
        return "STREAM triad a = b + s·c over n doubles with OpenMP threads: the memory "
               "bandwidth of P × T, verified against a closed form";
    }
    const std::vector<Param<TriadParams>>& declared() const { return triad_params(); }

    u64 items(const TriadParams& p) const { return p.n; }
    u64 memory_bytes(const TriadParams&, u64 share_items, int) const {
        return 24 * share_items + 4096;  // a, b, c for the share, plus the run object
    }
    Work work(const TriadParams& p) const {
        const double elements = static_cast<double>(p.n) * static_cast<double>(p.passes);
        return {2 * elements, 3 * sizeof(double) * elements, static_cast<double>(p.n), "element"};
    }

    std::unique_ptr<KernelRun> prepare(const TriadParams& p, u64 begin, u64 end) const {
        require_share("triad", begin, end, p.n);
        return std::make_unique<TriadRun>(p, begin, end);
    }

    json merge(const TriadParams&, const std::vector<json>& partials) const {
        double sum = 0;
        u64 elements = 0;
        for (const json& part : partials) {
            sum += part.at("sum_a").get<double>();
            elements += part.at("elements").get<u64>();
        }
        return {{"sum_a", sum}, {"elements", elements}};
    }

    Verdict verify(const TriadParams& p, const json& result) const {
        if (!result.contains("sum_a") || !result["sum_a"].is_number() ||
            !result.contains("elements") || !result["elements"].is_number_integer())
            return Verdict::fail("triad: result lacks sum_a / integer elements: " + result.dump());
        const u64 elements = result["elements"].get<u64>();
        if (elements != p.n)
            return Verdict::fail(fmt::format(
                "triad: {} elements were checked, expected n = {} (items lost or repeated)",
                elements, p.n));
        const double got = result["sum_a"].get<double>();
        const double want = mod_sum(p.n, 1024) + p.scalar * mod_sum(p.n, 7);
        if (!(std::abs(got - want) <= 1e-12 * std::max(std::abs(want), 1.0)))
            return Verdict::fail(fmt::format(
                "triad: sum of a over [0, {}) is {:.17g}, expected {:.17g} (Σ b + s·Σ c)", p.n, got,
                want));
        return Verdict::pass();
    }
};

}  // namespace

const Kernel& triad_kernel() {
    static const KernelOf<TriadKernel> kernel;
    return kernel;
}

}  // namespace parsweep
