/*
 * Lesson 02 — the sum_cubes kernel: everything but the loop you write (starter/sum_cubes.cpp).
 *
 * Σ x³ over n numbers with OpenMP threads, five ways (`method`): race, critical, atomic,
 * reduction, padded. Counting: 8 bytes read and 2 multiplications per number. Numbers are
 * x[i] = i (global index), so a share of the work is independent of how it is split.
 * Arithmetic wraps mod 2^64, so the sum is exact for any n and is verified against the closed
 * form (n(n−1)/2)² mod 2^64: a race that loses updates is caught, not rounded away.
 */
#include <omp.h>

#include <cstdint>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "kernel.hpp"
#include "sum_cubes.hpp"

namespace {

using parsweep::json;
using u64 = std::uint64_t;

// Σ_{i<n} i³ mod 2^64 = (n(n−1)/2)² mod 2^64: one of n, n−1 is even, so halve it first and
// the product is exact mod 2^64.
u64 sum_of_cubes_below(u64 n) {
    if (n == 0) return 0;
    const u64 t = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    return t * t;
}

class SumCubesRun final : public parsweep::KernelRun {
  public:
    SumCubesRun(std::string method, u64 begin, u64 end)
        : method_(std::move(method)), begin_(begin), len_(end - begin), x_(new u64[len_]) {
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < len_; ++i) x_[i] = begin_ + i;
    }

    void run(u64, u64) override {
        sum_ = lesson02::sum_cubes(method_, x_.get(), len_);
    }

    parsweep::Verdict check(u64, u64) override {
        return parsweep::Verdict::pass();
    }

    json partial() const override {
        return {{"sum", sum_}, {"numbers", len_}};
    }

  private:
    std::string method_;
    u64 begin_, len_;
    std::unique_ptr<u64[]> x_;
    u64 sum_ = 0;
};

class SumCubesKernel final : public parsweep::Kernel {
  public:
    std::string_view id() const override { return "sum_cubes"; }
    std::string_view summary() const override {
        return "lesson 02: sum of cubes with OpenMP — race, critical, atomic, reduction, padded";
    }
    const std::vector<parsweep::ParamSpec>& params() const override {
        static const std::vector<parsweep::ParamSpec> specs = {
            {"n",
             parsweep::ParamType::Integer,
             2000000,
             "how many numbers (x = 0 … n−1)",
             1.0,
             1e10,
             {}},
            {"method",
             parsweep::ParamType::String,
             "reduction",
             "how the threads add up",
             std::nullopt,
             std::nullopt,
             {"race", "critical", "atomic", "reduction", "padded"}},
        };
        return specs;
    }
    u64 items(const json& p) const override { return parsweep::count_param(p, "sum_cubes", "n"); }
    u64 memory_bytes(const json&, u64 share, int) const override { return 8 * share + 4096; }
    parsweep::Work work(const json& p) const override {
        const double n = static_cast<double>(items(p));
        return {2 * n, 8 * n, n, "number"};
    }
    std::unique_ptr<parsweep::KernelRun> prepare(const json& p,
                                                 const parsweep::Share& share) const override {
        return std::make_unique<SumCubesRun>(p.at("method").get<std::string>(), share.begin,
                                             share.end);
    }
    json merge(const json&, const std::vector<json>& partials) const override {
        u64 sum = 0, numbers = 0;
        for (const auto& p : partials)
            sum += p.at("sum").get<u64>(), numbers += p.at("numbers").get<u64>();
        return {{"sum", sum}, {"numbers", numbers}};
    }
    parsweep::Verdict verify(const json& p, const json& result) const override {
        const u64 n = items(p), want = sum_of_cubes_below(n), got = result.at("sum").get<u64>();
        if (got != want)
            return parsweep::Verdict::fail(
                fmt::format("sum of cubes is {}, expected {} (mod 2^64)", got, want));
        return parsweep::Verdict::pass();
    }
};

const SumCubesKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
