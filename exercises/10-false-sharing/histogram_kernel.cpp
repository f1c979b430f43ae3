/*
 * Lesson 10 — the histogram kernel: everything but the function you write
 * (starter/histogram.cpp).
 *
 * Counts the numbers 0 … n−1 by their remainder mod 3, each OpenMP thread into a histogram of
 * its own, laid out two ways (`method`): `packed` (the threads' histograms side by side, so
 * that threads write into one cache line: false sharing) and `padded` (each thread's counters
 * in cache lines of their own). Counting: one number is one item, one atomic add to a counter
 * of the thread's histogram; no flops, and no bytes from memory (the numbers are generated).
 * Valid sizes: n ≥ 1, any split over processes and threads.
 *
 * Verified exactly: bin b holds ⌊n/3⌋ + (b < n mod 3) numbers. The layout is verified too: each
 * worker reports where every thread's counters were, and for `padded` no two threads' counters
 * may share a cache line of the size hwloc reports (parsweep::cache_line_bytes, read by merge in
 * the parent, on the machine the workers run on when they run locally).
 */
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "histogram.hpp"
#include "kernel.hpp"
#include "machine/sysinfo.hpp"

namespace {

using parsweep::json;
using u64 = std::uint64_t;

// The line size layouts are judged by when hwloc reports none: the x86-64 and most ARM line.
constexpr u64 kAssumedLineBytes = 64;

// How many of the numbers 0 … n−1 fall in bin b.
u64 expected_count(u64 n, int bin) {
    return n / lesson10::kBins + (static_cast<u64>(bin) < n % lesson10::kBins ? 1 : 0);
}

// The first pair of threads of one worker whose counters share a cache line of `line` bytes,
// as {"worker", "threads": [a, b], "apart_bytes"}, or null. `counters` holds, per worker, each
// thread's [address, bytes]; addresses of different workers (processes) are never compared.
json shared_line(const std::vector<json>& counters, u64 line) {
    for (std::size_t w = 0; w < counters.size(); ++w) {
        const json& threads = counters[w];
        for (std::size_t a = 0; a < threads.size(); ++a)
            for (std::size_t b = a + 1; b < threads.size(); ++b) {
                const u64 at_a = threads[a][0].get<u64>(), end_a = at_a + threads[a][1].get<u64>();
                const u64 at_b = threads[b][0].get<u64>(), end_b = at_b + threads[b][1].get<u64>();
                // The lines each touches, [first, last]; two ranges of lines overlap or not.
                const u64 first_a = at_a / line, last_a = (end_a - 1) / line;
                const u64 first_b = at_b / line, last_b = (end_b - 1) / line;
                if (first_a <= last_b && first_b <= last_a)
                    return {{"worker", w},
                            {"threads", {a, b}},
                            {"apart_bytes", at_a > at_b ? at_a - at_b : at_b - at_a}};
            }
    }
    return nullptr;
}

class HistogramRun final : public parsweep::KernelRun {
  public:
    HistogramRun(std::string method, u64 begin, u64 end)
        : method_(std::move(method)), begin_(begin), end_(end) {}

    void run(u64 b, u64 e) override {
        threads_ = omp_get_max_threads();
        tally_ = lesson10::histogram(method_, b, e);
    }

    // The counts are verified with the merged result; here, that every thread's counters are
    // reported, for merge to judge their layout.
    parsweep::Verdict check(u64, u64) override {
        if (tally_.counters.size() != static_cast<std::size_t>(threads_))
            return parsweep::Verdict::fail(fmt::format(
                "histogram reported the counters of {} thread(s), but {} counted: Tally::counters "
                "needs one entry per thread",
                tally_.counters.size(), threads_));
        for (std::size_t t = 0; t < tally_.counters.size(); ++t)
            if (!tally_.counters[t].at || tally_.counters[t].bytes == 0)
                return parsweep::Verdict::fail(
                    fmt::format("histogram: thread {}'s counters are not reported (Tally::counters"
                                "[{}] has no address or no size)",
                                t, t));
        return parsweep::Verdict::pass();
    }

    json partial() const override {
        json counters = json::array();
        for (const auto& c : tally_.counters)
            counters.push_back({reinterpret_cast<std::uintptr_t>(c.at), c.bytes});
        return {{"counts", tally_.counts}, {"numbers", end_ - begin_}, {"counters", counters}};
    }

  private:
    std::string method_;
    u64 begin_, end_;
    int threads_ = 0;
    lesson10::Tally tally_;
};

class HistogramKernel final : public parsweep::Kernel {
  public:
    std::string_view id() const override { return "histogram"; }
    std::string_view summary() const override {
        return "lesson 10: per-thread histograms, packed side by side or padded to a cache line";
    }
    const std::vector<parsweep::ParamSpec>& params() const override {
        static const std::vector<parsweep::ParamSpec> specs = {
            {"n",
             parsweep::ParamType::Integer,
             25000000,
             "how many numbers (x = 0 … n−1)",
             1.0,
             1e12,
             {}},
            {"method",
             parsweep::ParamType::String,
             "padded",
             "where each thread's counters are",
             std::nullopt,
             std::nullopt,
             {"packed", "padded"}},
        };
        return specs;
    }
    u64 items(const json& p) const override { return parsweep::count_param(p, "histogram", "n"); }
    u64 memory_bytes(const json&, u64, int threads) const override {
        return 4096 + 256 * static_cast<u64>(std::max(threads, 1));
    }
    parsweep::Work work(const json& p) const override {
        return {0, 0, static_cast<double>(items(p)), "number"};
    }
    std::unique_ptr<parsweep::KernelRun> prepare(const json& p,
                                                 const parsweep::Share& share) const override {
        return std::make_unique<HistogramRun>(p.at("method").get<std::string>(), share.begin,
                                              share.end);
    }
    // In the parent: the counts added up, and the layout judged against this machine's line.
    json merge(const json&, const std::vector<json>& partials) const override {
        std::vector<u64> counts(lesson10::kBins, 0);
        std::vector<json> counters;
        u64 numbers = 0;
        for (const auto& p : partials) {
            for (int b = 0; b < lesson10::kBins; ++b) counts[b] += p.at("counts").at(b).get<u64>();
            numbers += p.at("numbers").get<u64>();
            counters.push_back(p.at("counters"));
        }
        const int hwloc_line = parsweep::cache_line_bytes();
        const u64 line = hwloc_line > 0 ? static_cast<u64>(hwloc_line) : kAssumedLineBytes;
        return {{"counts", counts},
                {"numbers", numbers},
                {"line_bytes", line},
                {"line_bytes_from", hwloc_line > 0 ? "hwloc" : "assumed"},
                {"shared_line", shared_line(counters, line)}};
    }
    parsweep::Verdict verify(const json& p, const json& result) const override {
        const u64 n = items(p);
        std::string wrong;
        for (int b = 0; b < lesson10::kBins; ++b) {
            const u64 got = result.at("counts").at(b).get<u64>(), want = expected_count(n, b);
            if (got != want)
                wrong += fmt::format("{}bin {}: {}, expected {}", wrong.empty() ? "" : "; ", b, got,
                                     want);
        }
        if (!wrong.empty()) return parsweep::Verdict::fail("histogram counts differ: " + wrong);
        const json& shared = result.at("shared_line");
        if (p.at("method") == "padded" && !shared.is_null())
            return parsweep::Verdict::fail(fmt::format(
                "padded: the counters of threads {} and {} are {} bytes apart, in one {}-byte "
                "cache line{}: false sharing",
                shared.at("threads")[0].get<u64>(), shared.at("threads")[1].get<u64>(),
                shared.at("apart_bytes").get<u64>(), result.at("line_bytes").get<u64>(),
                result.at("line_bytes_from") == "hwloc" ? "" : " (assumed: hwloc reports none)"));
        return parsweep::Verdict::pass();
    }
};

const HistogramKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
