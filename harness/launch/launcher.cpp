#include "launch/launcher.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "launch/process.hpp"
#include "launch/protocol.hpp"
#include "machine/pinning.hpp"
#include "measure/clock.hpp"
#include "util/files.hpp"

namespace parsweep {

namespace {

constexpr std::size_t kOutputTail = 4096;  // bytes of a worker's stdout/stderr kept

// One worker process as the parent sees it.
struct Worker {
    Process proc;
    int to = -1;               // task and "go"
    int from = -1;             // ready and report
    int output = -1;           // its stdout + stderr
    std::string inbox;         // bytes received on `from`, not yet a full line
    std::string out;           // tail of its output
    int lines = 0;             // protocol lines received
    std::vector<int> cpu_set;  // the CPUs it was bound to (cpu_set axis); empty: unbound
    Ready ready;
    Report report;

    // Died of parsweep's SIGKILL (timeout, another worker failed), rather than of its own
    // fault before it.
    bool stopped_by_us() const {
        return proc.killed_by_us && proc.reaped && WIFSIGNALED(proc.status) &&
               WTERMSIG(proc.status) == SIGKILL;
    }
};

// The parent's own CPUs, as they were before any worker was bound.
const std::vector<int>& parent_cpus() {
    static const std::vector<int> cpus = affinity_cpus();
    return cpus;
}

void set_affinity(const std::vector<int>& cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    sched_setaffinity(0, sizeof set, &set);
}

// What a repetition's spawns need, worked out before the clock starts.
struct SpawnPlan {
    std::uint64_t items;
    CStrings envp, argv;
    // Per-worker CPU sets (cpu_set axis). A spawned process inherits the affinity of the
    // thread that spawns it, so the parent narrows its own mask around each posix_spawn: the
    // worker is bound before its first instruction, before OpenMP reads its places.
    std::vector<std::vector<int>> cpu_sets;

    SpawnPlan(const Point& point, const std::string& executable, std::uint64_t item_count)
        : items(item_count),
          envp(worker_environment(point.threads, point.env, point.processes)),
          argv(worker_command(executable)),
          cpu_sets(worker_cpu_sets(point.params, point.processes, point.threads, parent_cpus())) {}
};

// Starts worker `w` with its pipes, bound to its CPU set, and sends it its task. Returns "" or
// why it could not.
std::string spawn_worker(Worker& c, const SpawnPlan& plan, const Point& point, int w) {
    Pipe to, from, out;
    if (!to.open() || !from.open() || !out.open()) {
        const std::string why = std::string("cannot create pipes: ") + std::strerror(errno);
        for (Pipe* p : {&to, &from, &out}) close_fd(p->read), close_fd(p->write);
        return why;
    }
    const std::vector<int>* bound =
        plan.cpu_sets.empty() ? nullptr : &plan.cpu_sets[std::size_t(w)];
    if (bound) set_affinity(*bound);
    const int rc = spawn_process(
        c.proc, plan.argv, plan.envp,
        {{out.write, 1}, {out.write, 2}, {to.read, kTaskFd}, {from.write, kReportFd}});
    if (bound) set_affinity(parent_cpus());
    c.cpu_set = bound ? *bound : std::vector<int>{};
    close_fd(to.read);
    close_fd(from.write);
    close_fd(out.write);
    c.to = to.write;
    c.from = from.read;
    c.output = out.read;
    if (rc != 0)
        return fmt::format("cannot start worker {} ({}): {}", w, plan.argv.front(),
                           std::strerror(rc));
    auto [b, e] = share_of(plan.items, point.processes, w);
    Task task{
        std::string(point.kernel->id()), point.params, b, e, w, point.threads, point.processes};
    if (!write_all(c.to, json(task).dump() + "\n"))
        return fmt::format("cannot send the task to worker {}", w);
    return "";
}

// Starts the workers one after the other, until one cannot be started. Returns "" or why.
std::string spawn_all(std::vector<Worker>& workers, const SpawnPlan& plan, const Point& point) {
    std::string failure;
    for (std::size_t w = 0; w < workers.size() && failure.empty(); ++w)
        failure = spawn_worker(workers[w], plan, point, static_cast<int>(w));
    return failure;
}

// Handles the whole protocol lines in worker `w`'s inbox: its Ready, then its Report.
// Returns "" or the failure (the worker's Error, an unreadable message).
std::string read_lines(Worker& c, std::size_t w) {
    std::size_t nl;
    while ((nl = c.inbox.find('\n')) != std::string::npos) {
        std::string line = c.inbox.substr(0, nl);
        c.inbox.erase(0, nl + 1);
        ++c.lines;
        try {
            json message = json::parse(line);
            if (is_error(message))
                return fmt::format("worker {}: {}", w, message["error"].get<std::string>());
            if (c.lines == 1)
                c.ready = message.get<Ready>();
            else
                c.report = message.get<Report>();
        } catch (const std::exception& e) {
            return fmt::format("worker {} sent an unreadable message ({}): {:.80}", w, e.what(),
                               line);
        }
    }
    return "";
}

// Reads what is available on every open pipe until `phase_lines` protocol lines arrived from
// every worker, a worker fails, or the deadline passes. Returns false on failure or timeout,
// with `failure` set. A watched pipe's source is 2w for worker w's protocol, 2w + 1 for its
// output.
bool pump(std::vector<Worker>& workers, int phase_lines, double deadline, std::string& failure) {
    auto watch = [&](std::vector<Watched>& fds) {
        bool waiting = false;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            const Worker& c = workers[i];
            if (c.from >= 0) fds.push_back({c.from, 2 * i});
            if (c.output >= 0) fds.push_back({c.output, 2 * i + 1});
            if (c.lines < phase_lines) waiting = true;
        }
        return waiting;
    };
    auto on_read = [&](const Watched& p, std::string_view bytes, bool eof) -> std::string {
        const std::size_t w = p.source / 2;
        Worker& c = workers[w];
        if (p.source % 2 == 1) {  // output: keep the tail
            if (eof)
                close_fd(c.output);
            else
                keep_tail(c.out, bytes, kOutputTail);
            return "";
        }
        if (eof) {
            close_fd(c.from);
            if (c.lines >= phase_lines) return "";
            return fmt::format("worker {} stopped before it {}", w,
                               phase_lines == 1 ? "was ready" : "reported");
        }
        c.inbox.append(bytes);
        return read_lines(c, w);
    };
    std::string why = poll_pipes(watch, on_read, deadline);
    if (why.empty()) return true;
    failure = std::move(why);
    return false;
}

// Waits until every worker is ready, releases them together with "go" and gathers their
// reports. Returns when "go" was sent (0 when it never was).
double dispatch(std::vector<Worker>& workers, double deadline, std::string& failure) {
    double t_go = 0;
    if (failure.empty() && pump(workers, 1, deadline, failure)) {
        t_go = monotonic_s();
        for (std::size_t w = 0; w < workers.size() && failure.empty(); ++w)
            if (!write_all(workers[w].to, "go\n"))
                failure = fmt::format("cannot release worker {}", w);
        if (failure.empty()) pump(workers, 2, deadline, failure);
    }
    return t_go;
}

// After a failure kills every worker, then reaps them all and keeps the rest of their output:
// whatever a worker printed before it went is part of the story of a failure.
void reap_all(std::vector<Worker>& workers, bool failed) {
    if (failed)
        for (auto& c : workers) kill_process(c.proc);
    for (auto& c : workers) {
        close_fd(c.to);
        reap(c.proc);
        close_fd(c.from);
        read_rest(c.output, c.out);
    }
}

// Why worker `w`'s process failed, by how it ended; "" when it ended well.
std::string exit_error(const Worker& c, std::size_t w) {
    const Process& p = c.proc;
    if (c.stopped_by_us())
        return fmt::format("worker {} stopped by parsweep{}", w,
                           c.lines < 2 ? " before it reported" : "");
    if (p.reaped && WIFSIGNALED(p.status))
        return fmt::format("worker {} killed by {}", w, signal_name(WTERMSIG(p.status)));
    if (p.reaped && WIFEXITED(p.status) && WEXITSTATUS(p.status) != 0)
        return fmt::format("worker {} exited with status {}", w, WEXITSTATUS(p.status));
    if (p.pid <= 0) return fmt::format("worker {} did not start", w);
    return "";
}

// Worker `w`'s record (times from `t0`): its share, what the OS charged it, what it said and
// why it failed. Adds its times to `span` and its partial result to `partials`.
WorkerRecord collect_worker(const Worker& c, std::size_t w, std::uint64_t items, int P, double t0,
                            Span& span, std::vector<json>& partials) {
    WorkerRecord wr;
    wr.worker = static_cast<int>(w);
    std::tie(wr.items_begin, wr.items_end) = share_of(items, P, static_cast<int>(w));
    const rusage& u = c.proc.usage;
    wr.user_s = u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6;
    wr.sys_s = u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
    wr.ctx_voluntary = u.ru_nvcsw;
    wr.ctx_involuntary = u.ru_nivcsw;
    wr.max_rss_kb = u.ru_maxrss;
    wr.error = exit_error(c, w);
    if (c.lines >= 1) {
        wr.main_s = c.ready.started - t0;
        wr.ready_s = c.ready.time - t0;
        wr.omp_threads = c.ready.omp_threads;
        wr.blas_threads = c.ready.blas_threads;
        wr.blas = c.ready.blas;
        wr.cpus = c.ready.cpus;
        wr.cpu_set = c.cpu_set;
        span.last_ready = std::max(span.last_ready, c.ready.time);
    }
    if (c.lines >= 2) {
        const Report& r = c.report;
        wr.start_s = r.start - t0;
        wr.end_s = r.end - t0;
        wr.busy_s = r.busy_s;
        span.add(wr.items_end > wr.items_begin, r.start, r.end, r.paused_s, r.tail_s, r.busy_s,
                 r.setup_s);
        if (!r.verdict.ok && wr.error.empty())
            wr.error = fmt::format("worker {}: {}", w, r.verdict.message);
        partials.push_back(r.partial);
    } else if (wr.error.empty()) {
        wr.error = fmt::format("worker {} did not report", w);
    }
    if (!wr.error.empty()) wr.error = with_output(std::move(wr.error), c.out);
    wr.ok = wr.error.empty();
    return wr;
}

// The moments of a repetition the parent saw (CLOCK_MONOTONIC).
struct Timeline {
    double t0;     // the first spawn began
    double t_go;   // "go" sent
    double t_end;  // the last report received (or the failure seen)
};

// Where the time of a repetition in which every worker reported went.
void split_time(RepRecord& rec, const Span& s, const Timeline& t) {
    rec.spawn_s = s.last_ready - t.t0;
    rec.dispatch_s = std::max(0.0, s.last_start - t.t_go);
    rec.program_setup_s = std::min(s.last_start_setup, rec.dispatch_s);
    rec.compute_s = s.last_done - s.first_start;
    // The last worker's final check() is the kernel's verification, not the gather.
    const double tail = std::clamp(s.last_tail, 0.0, std::max(0.0, t.t_end - s.last_end));
    rec.checks_s = s.last_end - s.last_done + tail;
    rec.gather_s = std::max(0.0, t.t_end - s.last_end - tail);
    rec.imbalance_s = s.max_busy - s.min_busy;
}

// The error of a failed repetition. The most specific reason first: a worker's own death or
// message, not the symptom the parent saw ("stopped before it reported") nor the workers
// parsweep stopped itself.
std::string failure_reason(const std::vector<Worker>& workers, const RepRecord& rec,
                           const std::string& failure) {
    std::string cause;
    for (std::size_t w = 0; w < workers.size() && cause.empty(); ++w)
        if (!rec.workers[w].ok && !workers[w].stopped_by_us()) cause = rec.workers[w].error;
    std::string silent;  // the workers that had not reported when time ran out
    for (std::size_t w = 0; w < workers.size(); ++w)
        if (workers[w].lines < 2) silent += (silent.empty() ? "" : ", ") + std::to_string(w);
    std::string error;
    if (failure.find("stopped before") != std::string::npos && !cause.empty())
        error = cause;
    else if (failure.find("timed out") != std::string::npos)
        error = failure + (cause.empty() ? "" : "; " + cause) +
                (silent.empty() ? "" : "; no report from worker " + silent);
    else
        error = failure.empty() ? cause : failure;
    return error.empty() ? "a worker failed" : error;
}

}  // namespace

std::vector<std::string> worker_command(const std::string& executable) {
    const std::string& lean = worker_executable(executable);
    if (!lean.empty()) return {lean};
    return {executable, "worker"};
}

RepRecord SpawnExecutor::run_repetition(const Point& point) {
    RepRecord rec;
    const int P = point.processes;
    std::vector<Worker> workers(static_cast<std::size_t>(P));
    const auto items = point_items(point, rec.error);
    if (!items) return rec;
    const SpawnPlan plan(point, executable_, *items);

    const double t0 = monotonic_s();
    const double deadline = t0 + point.timeout_s;
    std::string failure = spawn_all(workers, plan, point);
    const double t_go = dispatch(workers, deadline, failure);
    const double t_end = monotonic_s();
    note_interrupt(rec, failure);
    if (failure == "timed out")
        failure = fmt::format("timed out after {:.3g} s (timeout_s)", point.timeout_s);
    reap_all(workers, !failure.empty());
    if (!failure.empty()) end_all_children();  // what the killed workers' programs started

    // Per-worker records and the repetition's totals.
    bool all_ok = failure.empty();
    Span span(t0, point, plan.items);
    std::vector<json> partials;
    for (std::size_t w = 0; w < workers.size(); ++w) {
        WorkerRecord wr = collect_worker(workers[w], w, plan.items, P, t0, span, partials);
        all_ok = all_ok && wr.ok;
        add_worker(rec, std::move(wr));
    }
    close_times(rec, t0, t_end);
    if (failure.empty() && all_ok) {
        split_time(rec, span, {t0, t_go, t_end});
        verify_repetition(point, partials, rec);
    } else {
        rec.error = failure_reason(workers, rec, failure);
    }
    return rec;
}

}  // namespace parsweep
