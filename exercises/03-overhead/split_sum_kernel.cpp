/*
 * Lesson 03 — the split_sum kernel: everything but the split you write (starter/share.cpp).
 *
 * Squares n numbers x = 0 … n−1 and adds the squares up (mod 2^64): the workshop's "square
 * 1,000 numbers", with a sum, so that one number proves every item was done exactly once.
 * The numbers are made on the fly, not read from memory: set-up costs nothing per item, so
 * spawn_s is the cost of starting a worker and compute_s grows with n alone (about a
 * nanosecond a number), which puts the crossover where the lesson can find it.
 * The harness gives each worker process a contiguous share of the numbers; inside the
 * process, OpenMP thread t of T squares the part lesson03::share(len, T, t) of that share —
 * a static schedule written by hand, so the time a point takes is spawn + dispatch + this
 * loop + gather, and nothing else.
 *
 * Counting: one multiply per number, no memory traffic; items = numbers, one timed batch per
 * worker.
 *
 * Verification
 *   check() (in the worker, untimed): the parts share(len, T, 0 … T−1) must tile [0, len) in
 *   order. Parts that stop short of len (the remainder of len / T dropped), gaps between
 *   parts, overlaps and parts past the end are each named with the items concerned. Then
 *   the share's sum against the closed form Σ i² (square.hpp) and its count against len.
 *   Whatever the split returns, the loop never reads outside the share: a wrong split gives
 *   a wrong answer, never a crash.
 *   verify() (in the parent): exactly n numbers counted, and Σ_{i<n} i² mod 2^64.
 */
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernel.hpp"
#include "share.hpp"
#include "square.hpp"

namespace {

using parsweep::json;
using parsweep::Verdict;
using u64 = std::uint64_t;

// What is wrong with the parts of a split of len items, in the words of the lesson, or "".
std::string split_problem(u64 len, const std::vector<lesson03::Range>& parts) {
    const int T = static_cast<int>(parts.size());
    u64 next = 0;  // every item before `next` is covered by an earlier part
    for (int t = 0; t < T; ++t) {
        const auto [b, e] = parts[static_cast<std::size_t>(t)];
        if (e < b)
            return fmt::format("share({}, {}, {}) = [{}, {}) ends before it begins", len, T, t, b,
                               e);
        if (b > next)
            return fmt::format(
                "items never computed: {} … {} of {} fall between part {} and "
                "part {} (share({}, {}, ·))",
                next, b - 1, len, t - 1, t, len, T);
        if (b < next)
            return fmt::format(
                "items computed twice: part {} starts at {}, inside the part "
                "before it, which ends at {} (share({}, {}, ·))",
                t, b, next, len, T);
        next = e;
    }
    if (next > len)
        return fmt::format(
            "the parts run past the end: share({}, {}, {}) ends at {}, but there "
            "are {} items",
            len, T, T - 1, next, len);
    if (next < len && len - next == len % static_cast<u64>(T))
        return fmt::format(
            "items never computed: the last {} of {} items — the split drops "
            "the remainder of n / parts ({} / {} leaves {}); share({}, {}, {}) "
            "ends at {}",
            len - next, len, len, T, len % static_cast<u64>(T), len, T, T - 1, next);
    if (next < len)
        return fmt::format(
            "items never computed: the last {} of {} items (share({}, {}, {}) "
            "ends at {})",
            len - next, len, len, T, T - 1, next);
    return "";
}

class SplitSumRun final : public parsweep::KernelRun {
  public:
    SplitSumRun(u64 begin, u64 end)
        : begin_(begin),
          len_(end - begin),
          parts_(static_cast<std::size_t>(omp_get_max_threads())) {}

    void run(u64, u64) override {
        u64 sum = 0, count = 0;
        int team = 1;
        const u64 key = scramble_;
        // Within the capacity reserved in the constructor: no allocation in the timed call.
        parts_.resize(static_cast<std::size_t>(omp_get_max_threads()));
#pragma omp parallel reduction(+ : sum, count)
        {
            const int t = omp_get_thread_num(), T = omp_get_num_threads();
            const lesson03::Range r = lesson03::share(len_, T, t);
            parts_[static_cast<std::size_t>(t)] = r;
            if (t == 0) team = T;
            // Clamped to the share: a wrong split loses or repeats items, never reads outside.
            const u64 b = std::min(r.begin, len_), e = std::clamp(r.end, b, len_);
            u64 s = 0;
            for (u64 i = b; i < e; ++i) {
                const u64 x = (begin_ + i) ^ key;
                s += x * x;
            }
            sum += s;
            count += e - b;
        }
        parts_.resize(static_cast<std::size_t>(team));
        sum_ = sum;
        count_ = count;
    }

    Verdict check(u64, u64) override {
        if (std::string why = split_problem(len_, parts_); !why.empty())
            return Verdict::fail("split_sum: " + why);
        const u64 want = parsweep::square::power_sum(begin_, begin_ + len_, 2);
        if (count_ != len_ || sum_ != want)
            return Verdict::fail(fmt::format(
                "split_sum: numbers {} … {}: {} squared, sum {}; expected {} and {} (mod 2^64)",
                begin_, begin_ + len_ - 1, count_, sum_, len_, want));
        return Verdict::pass();
    }

    json partial() const override {
        return {{"sum", sum_}, {"numbers", count_}};
    }

  private:
    u64 begin_, len_;
    // Always 0, but unknown to the compiler: without it, a compiler may replace the loop by
    // the closed form Σ i² (clang does), and there would be no work left to time.
    volatile u64 scramble_ = 0;
    std::vector<lesson03::Range> parts_;  // what share() gave each thread in the last run
    u64 sum_ = 0, count_ = 0;
};

class SplitSumKernel final : public parsweep::Kernel {
  public:
    std::string_view id() const override { return "split_sum"; }
    std::string_view summary() const override {
        return "lesson 03: square n numbers and add them up, split over threads by hand";
    }
    const std::vector<parsweep::ParamSpec>& params() const override {
        static const std::vector<parsweep::ParamSpec> specs = {
            {"n",
             parsweep::ParamType::Integer,
             999,
             "how many numbers (x = 0 … n−1)",
             1.0,
             1e10,
             {}},
        };
        return specs;
    }
    u64 items(const json& p) const override { return parsweep::count_param(p, "split_sum", "n"); }
    u64 memory_bytes(const json&, u64, int threads) const override {
        return 4096 + 16 * static_cast<u64>(threads);
    }
    parsweep::Work work(const json& p) const override {
        const double n = static_cast<double>(items(p));
        return {n, 0, n, "number"};
    }
    std::unique_ptr<parsweep::KernelRun> prepare(const json&,
                                                 const parsweep::Share& share) const override {
        return std::make_unique<SplitSumRun>(share.begin, share.end);
    }
    json merge(const json&, const std::vector<json>& partials) const override {
        u64 sum = 0, numbers = 0;
        for (const auto& p : partials)
            sum += p.at("sum").get<u64>(), numbers += p.at("numbers").get<u64>();
        return {{"sum", sum}, {"numbers", numbers}};
    }
    Verdict verify(const json& p, const json& result) const override {
        const u64 n = items(p), numbers = result.at("numbers").get<u64>();
        if (numbers < n)
            return Verdict::fail(
                fmt::format("split_sum: items never computed: {} of {} numbers "
                            "squared",
                            numbers, n));
        if (numbers > n)
            return Verdict::fail(fmt::format(
                "split_sum: items computed twice: {} squarings for {} numbers", numbers, n));
        const u64 want = parsweep::square::power_sum_prefix(n, 2),
                  got = result.at("sum").get<u64>();
        if (got != want)
            return Verdict::fail(
                fmt::format("split_sum: sum of squares is {}, expected {} (mod 2^64)", got, want));
        return Verdict::pass();
    }
};

const SplitSumKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
