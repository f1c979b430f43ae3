#include "launch/executor.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string_view>

#include <fmt/format.h>

#include "launch/protocol.hpp"
#include "measure/clock.hpp"
#include "util/interrupt.hpp"

extern char** environ;

namespace parsweep {

std::optional<std::uint64_t> point_items(const Point& point, std::string& error) {
    try {
        return point.kernel->items(point.params);
    } catch (const std::exception& e) {
        error = fmt::format("{}: cannot count the items: {}", point.kernel->id(), e.what());
        return std::nullopt;
    }
}

std::vector<std::string> worker_environment(int threads,
                                            const std::map<std::string, std::string>& extra,
                                            int processes) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        const std::string_view name = kv.substr(0, kv.find('='));
        bool owned = extra.count(std::string(name)) > 0;
        for (const auto& v : thread_count_vars()) owned = owned || name == v;
        owned = owned || name == kParentPidVar || name == kProcessesVar;
        if (!owned) env.emplace_back(kv);
    }
    for (const auto& v : thread_count_vars()) env.push_back(fmt::format("{}={}", v, threads));
    env.push_back(fmt::format("{}={}", kParentPidVar, getpid()));
    env.push_back(fmt::format("{}={}", kProcessesVar, processes));
    for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
    return env;
}

void add_worker(RepRecord& rec, WorkerRecord wr) {
    const bool first = rec.workers.empty();
    rec.user_s += wr.user_s;
    rec.sys_s += wr.sys_s;
    rec.ctx_voluntary += wr.ctx_voluntary;
    rec.ctx_involuntary += wr.ctx_involuntary;
    rec.max_rss_kb = std::max(rec.max_rss_kb, wr.max_rss_kb);
    rec.omp_threads = first ? wr.omp_threads : std::min(rec.omp_threads, wr.omp_threads);
    rec.blas_threads = first ? wr.blas_threads : std::min(rec.blas_threads, wr.blas_threads);
    if (rec.blas.is_null()) rec.blas = wr.blas;
    rec.workers.push_back(std::move(wr));
}

std::string with_output(std::string error, const std::string& output) {
    if (output.empty()) return error;
    std::string tail = output.size() > 300 ? "…" + output.substr(output.size() - 300) : output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    return error + " [output: " + tail + "]";
}

void verify_repetition(const Point& point, const std::vector<json>& partials, RepRecord& rec) {
    const double t0 = monotonic_s();
    try {
        rec.result = point.kernel->merge(point.params, partials);
        Verdict v = point.kernel->verify(point.params, rec.result);
        rec.verified = v.ok;
        if (!v.ok) rec.error = v.message;
    } catch (const std::exception& e) {
        rec.error = std::string("verification failed: ") + e.what();
    }
    // The threads the workers actually ran with must be the ones the point asked for.
    if (rec.verified && rec.omp_threads != point.threads) {
        rec.verified = false;
        rec.error = fmt::format("workers ran with {} OpenMP threads, not {}", rec.omp_threads,
                                point.threads);
    }
    rec.verify_s = monotonic_s() - t0;
}

void note_interrupt(RepRecord& rec, std::string& failure) {
    if (!interrupted()) return;
    rec.interrupted = true;
    failure = fmt::format("interrupted by {}", signal_name(interrupted()));
}

void close_times(RepRecord& rec, double t0, double t_end) {
    rec.wall_s = t_end - t0;
    rec.reap_s = monotonic_s() - t_end;
    rec.cpu_util = rec.wall_s > 0 ? (rec.user_s + rec.sys_s) / rec.wall_s : 0;
}

void Span::add(bool has_items, double start, double end, double paused_s, double tail_s,
               double busy_s, double setup_s) {
    if (has_items || every_worker) {
        first_start = std::min(first_start, start);
        if (start >= last_start) last_start_setup = setup_s;
        last_start = std::max(last_start, start);
        if (end >= last_end) last_tail = tail_s;
        last_end = std::max(last_end, end);
        last_done = std::max(last_done, end - paused_s);
    }
    min_busy = std::min(min_busy, busy_s);
    max_busy = std::max(max_busy, busy_s);
}

}  // namespace parsweep
