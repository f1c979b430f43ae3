/*
 * Lesson 09 — the triangle kernel: everything but the loop you write
 * (starter/schedule_rows.cpp).
 *
 * A loop over `rows` rows whose cost grows with the row, like the rows of a triangular matrix
 * or the pairs (i, j < i) of an all-pairs loop: row i costs i + 1 units (order "increasing";
 * "decreasing" puts the expensive rows first: rows − i units). A unit is `steps` steps of a
 * 64-bit linear congruential generator started at the row's number, x ← a·x + c (mod 2^64): a
 * chain of dependent multiply-adds, about 1.1 ns a step on one core, that no compiler
 * shortens. Rows are the items: the harness splits them into contiguous shares over the
 * worker processes, and inside a process your schedule_rows() hands them to the threads with
 * the OpenMP schedule the point asks for (`schedule`, `chunk`).
 *
 * Counting: rows·(rows + 1)/2 units, steps·rows·(rows + 1)/2 generator steps; no flops (integer
 * work) and no memory traffic to speak of; items = rows. 3000 rows × 20 steps is 90 million
 * steps, about 100 ms on one core.
 *
 * What it records: for every row, the thread that ran it and how often it ran; for every
 * thread, the time it spent in rows (busy_s) and the units it did. The result's
 * thread_imbalance_s is the slowest minus the fastest thread's busy time, over every thread of
 * every worker: how long the first thread to finish sat idle while the last one worked.
 *
 * Verification (exact)
 *   Values: the generator's k-th state has a closed form, x_k = A_k·x_0 + C_k with (A_k, C_k)
 *   by repeated squaring of (a, c) (jump-ahead), so check() compares every row's value with
 *   it, and verify() the sum over all rows (mod 2^64), the row count and the total units.
 *   Schedule: check() compares the threads that ran the rows with what OpenMP's schedule
 *   allows — static with a chunk: chunk c of rows goes to thread c mod T (exactly);
 *   static without: one block of at most ⌈rows/T⌉ rows per thread, in thread order;
 *   dynamic: every chunk of `chunk` rows on one thread; guided: no thread's stretch of rows
 *   shorter than `chunk` but the last. These hold however the threads are timed, so a correct
 *   loop always passes; a loop with another schedule than the one asked for (a plain
 *   schedule(static), whatever the point says) breaks them at 2 threads or more.
 */
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernel.hpp"
#include "measure/clock.hpp"
#include "schedule_rows.hpp"

namespace {

using parsweep::json;
using u64 = std::uint64_t;
using lesson09::Schedule;

// Knuth's MMIX linear congruential generator.
constexpr u64 kMul = 6364136223846793005ULL;
constexpr u64 kAdd = 1442695040888963407ULL;

// `steps` steps of the generator from x: the timed work.
u64 walk(u64 x, u64 steps) {
    for (u64 k = 0; k < steps; ++k) x = x * kMul + kAdd;
    return x;
}

// The same, in closed form: x ↦ A·x + C composed `steps` times, by repeated squaring.
u64 jump(u64 x, u64 steps) {
    u64 acc_mul = 1, acc_add = 0, mul = kMul, add = kAdd;
    for (; steps > 0; steps >>= 1) {
        if (steps & 1) acc_mul *= mul, acc_add = acc_add * mul + add;
        add *= mul + 1;  // (a, c) ∘ (a, c) = (a², (a + 1)·c)
        mul *= mul;
    }
    return acc_mul * x + acc_add;
}

struct Params {
    u64 rows = 0, steps = 0;
    Schedule schedule;
    bool decreasing = false;

    // The cost of row i, in units.
    u64 units(u64 i) const { return decreasing ? rows - i : i + 1; }
    u64 value(u64 i) const { return jump(i, units(i) * steps); }
};

Params parse(const json& p) {
    Params out;
    out.rows = parsweep::count_param(p, "triangle", "rows");
    out.steps = parsweep::count_param(p, "triangle", "steps");
    out.schedule = {p.at("schedule").get<std::string>(),
                    static_cast<int>(parsweep::count_param(p, "triangle", "chunk"))};
    out.decreasing = p.at("order").get<std::string>() == "decreasing";
    return out;
}

// "schedule(dynamic, 16)", "schedule(static)".
std::string clause(const Schedule& s) {
    return s.chunk > 0 ? fmt::format("schedule({}, {})", s.kind, s.chunk)
                       : fmt::format("schedule({})", s.kind);
}

// "" when the rows went out as a plain schedule(static) hands them out — thread numbers never
// going down along the rows, each thread one block of at most ⌈rows/T⌉ — else where not.
std::string not_static_blocks(const std::vector<int>& owner, u64 begin, int threads) {
    const auto t = static_cast<u64>(threads);
    const u64 most = (owner.size() + t - 1) / t;
    std::vector<u64> count(static_cast<std::size_t>(threads));
    for (std::size_t r = 0; r < owner.size(); ++r) {
        if (r > 0 && owner[r] < owner[r - 1])
            return fmt::format("row {} ran on thread {} after row {} on thread {}", begin + r,
                               owner[r], begin + r - 1, owner[r - 1]);
        if (++count[static_cast<std::size_t>(owner[r])] > most)
            return fmt::format("thread {} ran more than {} rows (⌈{} rows / {} threads⌉)", owner[r],
                               most, owner.size(), threads);
    }
    return "";
}

// The first row that breaks static with chunk c: chunk k of rows belongs to thread k mod T.
std::string not_round_robin(const std::vector<int>& owner, u64 begin, int threads, u64 c) {
    for (std::size_t r = 0; r < owner.size(); ++r) {
        const auto want = static_cast<int>((r / c) % static_cast<u64>(threads));
        if (owner[r] != want)
            return fmt::format(
                "row {} ran on thread {}, but chunks of {} row{} are dealt round-robin from row "
                "{}: rows [{}, {}) belong to thread {}",
                begin + r, owner[r], c, c == 1 ? "" : "s", begin, begin + r / c * c,
                begin + std::min(r / c * c + c, owner.size()), want);
    }
    return "";
}

// The first chunk of c rows (counted from the loop's first row) that more than one thread ran.
std::string split_chunk(const std::vector<int>& owner, u64 begin, u64 c) {
    for (std::size_t r = 0; r < owner.size(); ++r)
        if (r % c != 0 && owner[r] != owner[r - 1])
            return fmt::format("rows [{}, {}), one chunk of {}, ran on threads {} and {}",
                               begin + r / c * c, begin + std::min(r / c * c + c, owner.size()), c,
                               owner[r - 1], owner[r]);
    return "";
}

// The first stretch of rows one thread ran, among other threads' rows, that is shorter than
// guided's smallest chunk c (the last stretch may be).
std::string short_stretch(const std::vector<int>& owner, u64 begin, u64 c) {
    std::size_t start = 0;
    for (std::size_t r = 1; r <= owner.size(); ++r) {
        if (r < owner.size() && owner[r] == owner[start]) continue;
        if (r < owner.size() && r - start < c)
            return fmt::format(
                "rows [{}, {}) ran on thread {} alone: {} rows, fewer than the "
                "smallest chunk, {}",
                begin + start, begin + r, owner[start], r - start, c);
        start = r;
    }
    return "";
}

// "" when the threads that ran the rows (owner[r]: row begin + r) fit the schedule; else why
// not, and which schedule they do fit when it is a plain schedule(static).
std::string schedule_problem(const Schedule& s, const std::vector<int>& owner, u64 begin,
                             int threads) {
    const u64 c = s.chunk > 0 ? static_cast<u64>(s.chunk) : 1;
    std::string problem;
    if (s.kind == "static")
        problem = s.chunk > 0 ? not_round_robin(owner, begin, threads, c)
                              : not_static_blocks(owner, begin, threads);
    else if (s.kind == "dynamic")
        problem = split_chunk(owner, begin, c);
    else
        problem = short_stretch(owner, begin, c);
    if (problem.empty()) return "";
    const bool plain_static = not_static_blocks(owner, begin, threads).empty();
    return fmt::format(
        "rows not handed out as {}{}: {}", clause(s),
        plain_static ? " (they went out as schedule(static): one block per thread)" : "", problem);
}

class TriangleRun final : public parsweep::KernelRun {
  public:
    TriangleRun(Params p, u64 begin, u64 end)
        : p_(std::move(p)),
          begin_(begin),
          len_(end - begin),
          values_(len_),
          owner_(len_),
          visits_(len_),
          threads_(static_cast<std::size_t>(omp_get_max_threads())) {}

    void run(u64 b, u64 e) override {
        lesson09::schedule_rows(p_.schedule, b, e, [this](u64 i) { row(i); });
    }

    parsweep::Verdict check(u64 b, u64 e) override {
        if (stray_thread_ >= 0)
            return parsweep::Verdict::fail(
                fmt::format("a row ran on thread {}, but the worker's team has {} threads (0 … {})",
                            stray_thread_.load(), threads_.size(), threads_.size() - 1));
        std::vector<int> owner;
        for (u64 i = b; i < e; ++i) {
            const u64 r = i - begin_;
            if (visits_[r] != 1)
                return parsweep::Verdict::fail(
                    visits_[r] == 0 ? fmt::format("row {} never ran", i)
                                    : fmt::format("row {} ran {} times", i, visits_[r].load()));
            if (values_[r] != p_.value(i))
                return parsweep::Verdict::fail(
                    fmt::format("row {}: value {}, expected {}", i, values_[r], p_.value(i)));
            owner.push_back(owner_[r]);
        }
        const std::string problem =
            schedule_problem(p_.schedule, owner, b, static_cast<int>(threads_.size()));
        if (!problem.empty()) return parsweep::Verdict::fail(problem);
        return parsweep::Verdict::pass();
    }

    json partial() const override {
        u64 rows = 0, checksum = 0;
        for (u64 r = 0; r < len_; ++r) rows += visits_[r], checksum += values_[r];
        json busy = json::array(), units = json::array();
        for (const Thread& t : threads_) busy.push_back(t.busy_s), units.push_back(t.units);
        return {{"rows", rows}, {"checksum", checksum}, {"busy_s", busy}, {"units", units}};
    }

  private:
    // One row, as the learner's loop calls it: the work, timed, and who did it.
    void row(u64 i) {
        const int t = omp_get_thread_num();
        u64 value = i;
        const double start_s = parsweep::monotonic_s();
        // The walk between the two clock readings: neither may be moved past it.
        asm volatile("" : "+r"(value)::"memory");
        value = walk(value, p_.units(i) * p_.steps);
        asm volatile("" : "+r"(value)::"memory");
        const double busy_s = parsweep::monotonic_s() - start_s;
        const u64 r = i - begin_;
        values_[r] = value;
        owner_[r] = t;
        visits_[r].fetch_add(1, std::memory_order_relaxed);
        if (t < 0 || static_cast<std::size_t>(t) >= threads_.size()) {
            stray_thread_ = t;
            return;
        }
        threads_[static_cast<std::size_t>(t)].busy_s += busy_s;
        threads_[static_cast<std::size_t>(t)].units += p_.units(i);
    }

    struct alignas(64) Thread {  // one cache line each: threads never share one
        double busy_s = 0;
        u64 units = 0;
    };

    Params p_;
    u64 begin_, len_;
    std::vector<u64> values_;
    std::vector<int> owner_;  // owner_[i - begin_]: the thread that ran row i
    std::vector<std::atomic<std::uint32_t>> visits_;  // how often row i ran (twice: a broken loop)
    std::vector<Thread> threads_;                     // per thread of the team
    std::atomic<int> stray_thread_{-1};               // a thread number outside the team, if any
};

class TriangleKernel final : public parsweep::Kernel {
  public:
    std::string_view id() const override { return "triangle"; }
    std::string_view summary() const override {
        return "lesson 09: rows of growing cost (a triangle) under OpenMP schedules — static, "
               "dynamic, guided, chunk sizes — and the threads' load imbalance";
    }
    const std::vector<parsweep::ParamSpec>& params() const override {
        static const std::vector<parsweep::ParamSpec> specs = {
            {"rows",
             parsweep::ParamType::Integer,
             3000,
             "rows (the items); row i costs i + 1 units",
             1.0,
             1e7,
             {}},
            {"steps",
             parsweep::ParamType::Integer,
             20,
             "random-number steps per unit of a row's cost (about 1.1 ns each)",
             1.0,
             1e6,
             {}},
            {"schedule",
             parsweep::ParamType::String,
             "static",
             "how the rows go to the threads: schedule(static | dynamic | guided, chunk)",
             std::nullopt,
             std::nullopt,
             {"static", "dynamic", "guided"}},
            {"chunk",
             parsweep::ParamType::Integer,
             0,
             "rows per chunk (guided: the smallest); 0: the schedule's default",
             0.0,
             1e9,
             {}},
            {"order",
             parsweep::ParamType::String,
             "increasing",
             "increasing: row i costs i + 1 units (expensive rows last); decreasing: "
             "rows − i (expensive rows first)",
             std::nullopt,
             std::nullopt,
             {"increasing", "decreasing"}},
        };
        return specs;
    }
    u64 items(const json& p) const override { return parse(p).rows; }
    u64 memory_bytes(const json&, u64 share, int threads) const override {
        return 16 * share + 64 * static_cast<u64>(std::max(threads, 1)) + 4096;
    }
    parsweep::Work work(const json& p) const override {
        const Params q = parse(p);
        return {0, 0, static_cast<double>(q.rows), "row"};
    }
    std::unique_ptr<parsweep::KernelRun> prepare(const json& p,
                                                 const parsweep::Share& share) const override {
        parsweep::require_share(id(), share.begin, share.end, items(p));
        return std::make_unique<TriangleRun>(parse(p), share.begin, share.end);
    }
    json merge(const json&, const std::vector<json>& partials) const override {
        u64 rows = 0, checksum = 0;
        json busy = json::array(), units = json::array();
        for (const json& part : partials) {
            rows += part.at("rows").get<u64>();
            checksum += part.at("checksum").get<u64>();
            for (const json& b : part.at("busy_s")) busy.push_back(b);
            for (const json& u : part.at("units")) units.push_back(u);
        }
        double most = 0, least = 0;
        if (!busy.empty()) {
            const auto [lo, hi] = std::minmax_element(busy.begin(), busy.end());
            least = lo->get<double>(), most = hi->get<double>();
        }
        return {{"rows", rows},
                {"checksum", checksum},
                {"busy_s", busy},
                {"units", units},
                {"thread_imbalance_s", most - least}};
    }
    parsweep::Verdict verify(const json& p, const json& result) const override {
        const Params q = parse(p);
        u64 want = 0, units = 0;
        for (u64 i = 0; i < q.rows; ++i) want += q.value(i);
        for (const json& u : result.at("units")) units += u.get<u64>();
        const u64 rows = result.at("rows").get<u64>(), sum = result.at("checksum").get<u64>();
        const u64 all_units = q.rows * (q.rows + 1) / 2;
        if (rows != q.rows)
            return parsweep::Verdict::fail(fmt::format("{} rows ran, expected {}", rows, q.rows));
        if (units != all_units)
            return parsweep::Verdict::fail(
                fmt::format("the threads did {} units of work, expected {}", units, all_units));
        if (sum != want)
            return parsweep::Verdict::fail(
                fmt::format("sum of the rows' values is {}, expected {} (mod 2^64)", sum, want));
        return parsweep::Verdict::pass();
    }
};

const TriangleKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
