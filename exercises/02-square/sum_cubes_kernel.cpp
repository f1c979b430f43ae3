/*
 * Lesson 02 — the sum_cubes kernel: everything but the loop you write (starter/sum_cubes.cpp).
 *
 * Σ x³ over n numbers with OpenMP threads, five ways (`method`): race, critical, atomic,
 * reduction, padded. Counting: 8 bytes read and 2 multiplications per number. Numbers are
 * x[i] = i (global index), so a share of the work is independent of how it is split.
 * Arithmetic wraps mod 2^64, so the sum is exact for any n and is verified against the closed
 * form (n(n−1)/2)² mod 2^64: a race that loses updates is caught, not rounded away.
 *
 * A race shows only when the threads' updates overlap in time, and one timed call may not
 * give them the chance: a thread's share of 100,000 numbers takes 50 µs, and on a busy
 * machine the second thread is often scheduled after the first has finished. So check()
 * (untimed) calls the method again on numbers 0 … m−1, m chosen from the CPU time the timed
 * call used so that each thread works for about kProbeCallTarget_s of CPU (at most
 * kProbeMaxNumbersPerThread numbers each), back to back while the threads are awake, at
 * least kRaceProbeMinCalls times and then up to kRaceProbeCalls times or kRaceProbeBudget_s,
 * and fails the repetition at the first wrong sum. CPU time, not wall time: on a busy machine
 * the wall time of a fast method looks slow, and a probe sized by it would be too short. A racy method then fails
 * essentially every run, not one in a few; a correct one is right every time and costs only untimed
 * calls.
 */
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
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

// The untimed calls check() makes to catch a race (see the top of the file): at most this
// many, for at most this long, each about this long, on at most this many numbers a thread.
constexpr int kRaceProbeCalls = 50;
constexpr int kRaceProbeMinCalls = 5;
constexpr double kRaceProbeBudget_s = 0.3;
constexpr double kProbeCallTarget_s = 1e-3;
constexpr u64 kProbeMaxNumbersPerThread = u64{1} << 20;

class SumCubesRun final : public parsweep::KernelRun {
  public:
    SumCubesRun(std::string method, u64 begin, u64 end)
        : method_(std::move(method)), begin_(begin), len_(end - begin), x_(new u64[len_]) {
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < len_; ++i) x_[i] = begin_ + i;
    }

    void run(u64, u64) override {
        const double start_s = process_cpu_s();
        sum_ = lesson02::sum_cubes(method_, x_.get(), len_);
        run_cpu_s_ = process_cpu_s() - start_s;
    }

    // The timed call's sum against the share's closed form, then the race probe's calls.
    parsweep::Verdict check(u64, u64) override {
        const u64 want = sum_of_cubes_below(begin_ + len_) - sum_of_cubes_below(begin_);
        if (sum_ != want)
            return parsweep::Verdict::fail(
                fmt::format("sum is {}, expected {} for numbers {}…{} with {} threads (mod 2^64)",
                            sum_, want, begin_, begin_ + len_ - 1, omp_get_max_threads()));
        return race_probe();
    }

    json partial() const override {
        return {{"sum", sum_}, {"numbers", len_}};
    }

  private:
    // The method again on numbers 0 … m−1, untimed, until a wrong sum (a race), or
    // kRaceProbeCalls calls, or kRaceProbeBudget_s.
    parsweep::Verdict race_probe() const {
        const int threads = omp_get_max_threads();
        if (threads == 1) return parsweep::Verdict::pass();
        const u64 m = probe_numbers(threads);
        std::unique_ptr<u64[]> x(new u64[m]);
#pragma omp parallel for schedule(static)
        for (u64 i = 0; i < m; ++i) x[i] = i;
        const u64 want = sum_of_cubes_below(m);
        const double start_s = omp_get_wtime();
        for (int call = 1; call <= kRaceProbeCalls; ++call) {
            const u64 got = lesson02::sum_cubes(method_, x.get(), m);
            if (got != want)
                return parsweep::Verdict::fail(fmt::format(
                    "sum differs between runs: the timed run was right, but run {} of the "
                    "check's {} with {} threads gave {} for 0…{}, expected {} (mod 2^64)",
                    call, kRaceProbeCalls, threads, got, m - 1, want));
            if (call >= kRaceProbeMinCalls && omp_get_wtime() - start_s > kRaceProbeBudget_s)
                break;
        }
        return parsweep::Verdict::pass();
    }

    // The CPU time of this process's threads so far.
    static double process_cpu_s() {
        timespec t{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
    }

    // As many numbers as keep each thread busy for about kProbeCallTarget_s of CPU at the
    // timed call's cost per number, at least the share's and at most
    // kProbeMaxNumbersPerThread a thread: a slow method (critical) probes with its own size.
    u64 probe_numbers(int threads) const {
        const double per_number_s = run_cpu_s_ / double(threads) / double(len_);
        const u64 most = kProbeMaxNumbersPerThread * u64(threads);
        if (per_number_s <= 0) return std::max(len_, most);
        const double wanted = kProbeCallTarget_s / per_number_s;
        return std::max(len_, std::min(most, u64(wanted)));
    }

    std::string method_;
    u64 begin_, len_;
    std::unique_ptr<u64[]> x_;
    u64 sum_ = 0;
    double run_cpu_s_ = 0;  // the CPU time the timed call used, for sizing the race probe
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
    // The share's numbers, and the race probe's (check()) beside them.
    u64 memory_bytes(const json&, u64 share, int threads) const override {
        return 8 * share + (threads > 1 ? 8 * kProbeMaxNumbersPerThread * u64(threads) : 0) + 4096;
    }
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
