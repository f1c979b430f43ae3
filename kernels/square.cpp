/*
 * square — y[i] = x[i]^p over n unsigned 64-bit integers (p = 2: "square the numbers";
 * p = 3: the cube of the workshop's "check yourself" exercise).
 *
 * What it measures
 *   A streaming loop (STREAM "scale"-like): one read of x and one write of y per number and
 *   at most two integer multiplies, so for n well beyond the last-level cache it runs at
 *   memory bandwidth, and for small n (1,000 numbers) it is all overhead — the lesson that
 *   parallel loses to serial when the work is tiny. mode "serial" is a plain loop; mode
 *   "omp" is `#pragma omp parallel for schedule(runtime)` with the schedule / chunk chosen
 *   by the parameters (set with omp_set_schedule), so schedules can be compared on a chart.
 *
 * Counting (STREAM convention, whatever p)
 *   bytes = 16·n      (8 bytes of x read + 8 bytes of y written per number; the
 *                      write-allocate read of y that normal stores cause is NOT counted)
 *   flops = (p−1)·n   (integer multiplies, reported in the flops slot)
 *   items = n numbers, one timed batch per worker share.
 *
 * Valid sizes
 *   1 ≤ n ≤ 4e10. Each worker holds 16 bytes per number of its share, so 4e10 numbers are
 *   640 GB — more than any single node we run on has; the bound is a sanity limit on memory,
 *   not on the arithmetic (the closed forms below stay exact in 128-bit integers up to
 *   n ≈ 5.5e12). x[i] = i, the GLOBAL index, so every process's slice is distinct and the
 *   answer is independent of how the numbers are split across processes.
 *
 * Verification (exact, never floating point)
 *   All arithmetic is unsigned 64-bit, i.e. wraps modulo 2^64 (i^3 overflows 64 bits from
 *   i = 2,642,246 on), so every result is exact and reproducible for any n. check() (untimed)
 *   sums y over the batch (wrapping) and compares with Faulhaber's closed form
 *   Σ_{i=b}^{e−1} i^p mod 2^64 = S_p(e) − S_p(b) with
 *     S_1(m) = m(m−1)/2,  S_2(m) = m(m−1)(2m−1)/6,  S_3(m) = (m(m−1)/2)^2,
 *   computed in unsigned __int128 dividing BEFORE reducing mod 2^64; it also compares y[b],
 *   y[e−1] and a few evenly strided elements with i^p exactly. verify() checks that the
 *   merged sum over all processes equals S_p(n) mod 2^64 and that exactly n numbers were
 *   checked.
 */
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernel.hpp"
#include "large_array.hpp"
#include "square.hpp"

namespace parsweep {
namespace {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;  // GCC/Clang extension; -Wpedantic-clean

// ---------------------------------------------------------------------------------------
// Parameters

enum class Mode { Serial, Omp };

struct SquareParams {
    u64 n = 0;              // numbers in the whole point
    unsigned p = 2;         // exponent, 1..3
    Mode mode = Mode::Omp;  // serial loop or OpenMP parallel for
    omp_sched_t schedule = omp_sched_static;
    int chunk = 0;  // 0: the runtime's default chunk for `schedule`
    std::string schedule_name = "static";
};

omp_sched_t schedule_of(const std::string& name) {
    if (name == "static") return omp_sched_static;
    if (name == "dynamic") return omp_sched_dynamic;
    if (name == "guided") return omp_sched_guided;
    if (name == "auto") return omp_sched_auto;
    throw std::invalid_argument("square: unknown schedule '" + name + "'");
}

// The parameters, declared once: what `parsweep list` shows and how each is read.
const std::vector<Param<SquareParams>>& square_params() {
    using P = SquareParams;
    static const std::vector<Param<P>> declared = {
        field(&P::n, {"n",
                      ParamType::Integer,
                      10000000,
                      "numbers to raise to the power p (16 bytes of memory each; 4e10 = 640 GB "
                      "is the sanity cap)",
                      1.0,
                      4e10,
                      {},
                      {},
                      /*work_size=*/true}),
        {{"p", ParamType::Integer, 2, "exponent: 2 = square, 3 = the cube exercise", 1.0, 3.0, {}},
         [](P& sp, const json& params, std::string_view kernel) {
             const u64 p = count_param(params, kernel, "p");
             if (p < 1 || p > 3)
                 throw std::invalid_argument(fmt::format("square: p must be 1, 2 or 3, got {}", p));
             sp.p = static_cast<unsigned>(p);
         }},
        {{"mode",
          ParamType::String,
          "omp",
          "serial: a plain single-threaded loop; omp: #pragma omp parallel for",
          std::nullopt,
          std::nullopt,
          {"serial", "omp"}},
         [](P& sp, const json& params, std::string_view) {
             const auto mode = params.at("mode").get<std::string>();
             if (mode == "serial")
                 sp.mode = Mode::Serial;
             else if (mode == "omp")
                 sp.mode = Mode::Omp;
             else
                 throw std::invalid_argument("square: unknown mode '" + mode + "'");
         }},
        {{"schedule",
          ParamType::String,
          "static",
          "OpenMP loop schedule in mode omp (omp_set_schedule + schedule(runtime))",
          std::nullopt,
          std::nullopt,
          {"static", "dynamic", "guided", "auto"}},
         [](P& sp, const json& params, std::string_view) {
             sp.schedule_name = params.at("schedule").get<std::string>();
             sp.schedule = schedule_of(sp.schedule_name);
         }},
        // omp_set_schedule takes an int chunk.
        {{"chunk",
          ParamType::Integer,
          0,
          "OpenMP chunk size in numbers; 0 = the runtime's default for the schedule",
          0.0,
          static_cast<double>(INT_MAX),
          {}},
         [](P& sp, const json& params, std::string_view kernel) {
             const u64 chunk = count_param(params, kernel, "chunk");
             if (chunk > static_cast<u64>(INT_MAX))
                 throw std::invalid_argument(
                     fmt::format("square: chunk {} exceeds {}", chunk, INT_MAX));
             sp.chunk = static_cast<int>(chunk);
         }},
    };
    return declared;
}

// ---------------------------------------------------------------------------------------
// Exact arithmetic

// i^p mod 2^64.
u64 power_mod64(u64 i, unsigned p) {
    u64 r = i;
    for (unsigned k = 1; k < p; ++k) r *= i;  // unsigned: wraps mod 2^64 by definition
    return r;
}

}  // namespace

namespace square {

// Largest m for which the closed forms below are exact in 128 bits: m(m−1)(2m−1) < 2^128
// needs m < 2^42.3; we allow 2^40 (n itself is capped at 4e10 < 2^36).
constexpr u64 kMaxClosedForm = u64{1} << 40;

// S_p(m) = Σ_{i=0}^{m−1} i^p mod 2^64, for 1 ≤ p ≤ 3 and m ≤ 2^40.
//
// Why it cannot overflow: with m < 2^40, m(m−1) < 2^80 and m(m−1)(2m−1) < 2^121, both below
// 2^128, so the products are exact and the division by 2 or 6 (exact: one of m, m−1 is even;
// m(m−1)(2m−1) is always divisible by 6) happens on the true value, before reducing mod
// 2^64. For p = 3, t = m(m−1)/2 < 2^79 is exact; t^2 would not fit, but squaring commutes
// with reduction: (t mod 2^64)^2 mod 2^64 = t^2 mod 2^64.
u64 power_sum_prefix(u64 m, unsigned p) {
    if (m > kMaxClosedForm)
        throw std::out_of_range(fmt::format("square: closed form needs m <= 2^40, got {}", m));
    if (m == 0) return 0;
    const u128 mm = m;
    switch (p) {
        case 1:
            return static_cast<u64>(mm * (mm - 1) / 2);
        case 2:
            return static_cast<u64>(mm * (mm - 1) * (2 * mm - 1) / 6);
        case 3: {
            const u64 t = static_cast<u64>(mm * (mm - 1) / 2);
            return t * t;  // wraps mod 2^64
        }
        default:
            throw std::invalid_argument("square: p must be 1, 2 or 3");
    }
}

// Σ_{i=b}^{e−1} i^p mod 2^64 (wrapping subtraction keeps it exact mod 2^64).
u64 power_sum(u64 b, u64 e, unsigned p) {
    return power_sum_prefix(e, p) - power_sum_prefix(b, p);
}

}  // namespace square

namespace {

using square::power_sum;
using square::power_sum_prefix;

// ---------------------------------------------------------------------------------------
// The loops. P is a template parameter so that each loop body is a straight-line multiply
// the compiler vectorises; `simd` tells it the iterations are independent (no aliasing
// check needed between x and y).

template <unsigned P>
inline u64 ipow(u64 v) {
    if constexpr (P == 1)
        return v;
    else if constexpr (P == 2)
        return v * v;
    else
        return v * v * v;
}

// The serial loop carries `omp simd` too (vectorisation, not threads), so that serial and
// omp modes run the same instructions and their ratio measures threading alone; without it
// GCC's cost model leaves 64-bit multiplies scalar on baseline x86-64 (no vpmullq). Clang's
// keeps them scalar even with it (in both modes alike; CMakeLists.txt quiets its note).
template <unsigned P>
void power_serial(const u64* __restrict x, u64* __restrict y, std::size_t len) {
#pragma omp simd
    for (std::size_t i = 0; i < len; ++i) y[i] = ipow<P>(x[i]);
}

template <unsigned P>
void power_omp(const u64* __restrict x, u64* __restrict y, std::size_t len) {
#pragma omp parallel for simd schedule(runtime)
    for (std::size_t i = 0; i < len; ++i) y[i] = ipow<P>(x[i]);
}

// ---------------------------------------------------------------------------------------
// One worker's share [begin, end) of the numbers. x and y hold the share only: local index
// j is global number begin + j.

class SquareRun final : public KernelRun {
  public:
    SquareRun(const SquareParams& params, u64 begin, u64 end)
        : p_(params), begin_(begin), end_(end), len_(static_cast<std::size_t>(end - begin)) {
        // No value-initialisation: the pages (huge pages where the system allows them, see
        // large_array.hpp) are first touched below by the threads (and with the schedule)
        // that run() will use, so that they are placed and faulted in before the timed region.
        x_ = allocate_large<u64>(len_, "square");
        y_ = allocate_large<u64>(len_, "square");
        u64* __restrict x = x_.get();
        u64* __restrict y = y_.get();
        const u64 first = begin_;
        if (p_.mode == Mode::Omp) {
            omp_set_schedule(p_.schedule, p_.chunk);
#pragma omp parallel for schedule(runtime)
            for (std::size_t j = 0; j < len_; ++j) {
                x[j] = first + j;
                y[j] = 0;
            }
        } else {
            for (std::size_t j = 0; j < len_; ++j) {
                x[j] = first + j;
                y[j] = 0;
            }
        }
    }

    void run(u64 b, u64 e) override {
        require_in_share(b, e, "run");
        const u64* x = x_.get() + (b - begin_);
        u64* y = y_.get() + (b - begin_);
        const auto len = static_cast<std::size_t>(e - b);
        if (p_.mode == Mode::Serial) {
            switch (p_.p) {
                case 1:
                    power_serial<1>(x, y, len);
                    break;
                case 2:
                    power_serial<2>(x, y, len);
                    break;
                default:
                    power_serial<3>(x, y, len);
                    break;
            }
        } else {
            // Already set in prepare(); set again (an ICV store, nanoseconds) because another
            // share prepared on this thread in between could have changed it.
            omp_set_schedule(p_.schedule, p_.chunk);
            switch (p_.p) {
                case 1:
                    power_omp<1>(x, y, len);
                    break;
                case 2:
                    power_omp<2>(x, y, len);
                    break;
                default:
                    power_omp<3>(x, y, len);
                    break;
            }
        }
    }

    Verdict check(u64 b, u64 e) override {
        require_in_share(b, e, "check");
        const u64* y = y_.get() + (b - begin_);
        const auto len = static_cast<std::size_t>(e - b);

        // Wrapping addition is associative and commutative mod 2^64: the reduction is exact
        // whatever the order the threads add in.
        u64 sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
        for (std::size_t j = 0; j < len; ++j) sum += y[j];

        const u64 expected = power_sum(b, e, p_.p);
        if (sum != expected)
            return Verdict::fail(fmt::format(
                "square: sum of y over [{}, {}) is {}, expected {} (sum of i^{} mod 2^64)", b, e,
                sum, expected, p_.p));

        // The sum alone would miss compensating errors; spot-check elements exactly: the
        // first, the last and 14 evenly strided ones in between.
        if (len > 0) {
            constexpr std::size_t kSpots = 16;
            for (std::size_t s = 0; s < kSpots; ++s) {
                const std::size_t j =
                    static_cast<std::size_t>(static_cast<u128>(len - 1) * s / (kSpots - 1));
                const u64 i = b + j;
                const u64 want = power_mod64(i, p_.p);
                if (y[j] != want)
                    return Verdict::fail(fmt::format(
                        "square: y[{}] is {}, expected {} (= {}^{} mod 2^64) in range [{}, {})", i,
                        y[j], want, i, p_.p, b, e));
            }
        }
        sum_y_ += sum;
        numbers_ += e - b;
        return Verdict::pass();
    }

    // The numbers that check() has seen (the harness checks every batch it runs).
    json partial() const override {
        return {{"sum_y", sum_y_}, {"numbers", numbers_}};
    }

  private:
    void require_in_share(u64 b, u64 e, const char* what) const {
        if (b > e || b < begin_ || e > end_)
            throw std::out_of_range(fmt::format("square: {}({}, {}) outside the share [{}, {})",
                                                what, b, e, begin_, end_));
    }

    SquareParams p_;
    u64 begin_, end_;
    std::size_t len_;
    LargeArray<u64> x_, y_;
    u64 sum_y_ = 0;    // wrapping sum of y over the checked numbers
    u64 numbers_ = 0;  // how many numbers were checked
};

// ---------------------------------------------------------------------------------------

class SquareKernel {
  public:
    using Params = SquareParams;

    std::string_view id() const { return "square"; }
    std::string_view summary() const {
        return "y = x^p over n 64-bit integers: serial loop or OpenMP parallel for with a "
               "chosen schedule; memory-bandwidth bound, verified by exact sums";
    }

    const std::vector<Param<SquareParams>>& declared() const { return square_params(); }

    u64 items(const SquareParams& sp) const { return sp.n; }

    u64 memory_bytes(const SquareParams&, u64 share_items, int) const {
        // x and y for the share, plus the run object and OpenMP bookkeeping.
        return 16 * share_items + 4096;
    }

    Work work(const SquareParams& sp) const {
        const auto n = static_cast<double>(sp.n);
        Work w;
        w.bytes = 16.0 * n;
        w.flops = static_cast<double>(sp.p - 1) * n;
        w.items = n;
        w.item_unit = "number";
        return w;
    }

    std::unique_ptr<KernelRun> prepare(const SquareParams& sp, u64 begin, u64 end) const {
        require_share("square", begin, end, sp.n);
        return std::make_unique<SquareRun>(sp, begin, end);
    }

    json merge(const SquareParams& sp, const std::vector<json>& partials) const {
        u64 sum = 0, numbers = 0;
        for (const json& part : partials) {
            sum += part.at("sum_y").get<u64>();  // wraps mod 2^64, like the kernel
            numbers += part.at("numbers").get<u64>();
        }
        return {{"sum_y", sum}, {"numbers", numbers}, {"p", sp.p}, {"note", "sum of y mod 2^64"}};
    }

    Verdict verify(const SquareParams& sp, const json& result) const {
        const json* sum = result.contains("sum_y") ? &result["sum_y"] : nullptr;
        const json* numbers = result.contains("numbers") ? &result["numbers"] : nullptr;
        if (!sum || !numbers || !sum->is_number_integer() || !numbers->is_number_integer())
            return Verdict::fail("square: result lacks integer sum_y / numbers: " + result.dump());
        const u64 got_numbers = numbers->get<u64>();
        if (got_numbers != sp.n)
            return Verdict::fail(fmt::format(
                "square: {} numbers were checked, expected n = {} (items lost or repeated)",
                got_numbers, sp.n));
        const u64 got = sum->get<u64>();
        const u64 expected = power_sum_prefix(sp.n, sp.p);
        if (got != expected)
            return Verdict::fail(fmt::format(
                "square: sum of y over [0, {}) is {}, expected {} (sum of i^{} mod 2^64)", sp.n,
                got, expected, sp.p));
        return Verdict::pass();
    }
};

}  // namespace

const Kernel& square_kernel() {
    static const KernelOf<SquareKernel> kernel;
    return kernel;
}

}  // namespace parsweep
