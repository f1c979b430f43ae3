#include "launch/launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "launch/interrupt.hpp"
#include "launch/mpi_launcher.hpp"
#include "launch/protocol.hpp"
#include "machine/pinning.hpp"
#include "measure/clock.hpp"
#include "util/files.hpp"

extern char** environ;

namespace parsweep {

namespace {

constexpr std::size_t kOutputTail = 4096;  // bytes of a worker's stdout/stderr kept

// A pipe end moved above the standard descriptors and the protocol's fds 3 and 4, so that
// dup2 in the child never meets a descriptor already in place.
int high_fd(int fd) {
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    close(fd);
    return h;
}

struct Pipe {
    int read = -1, write = -1;
    bool open() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) return false;
        read = high_fd(fds[0]);
        write = high_fd(fds[1]);
        return read >= 0 && write >= 0;
    }
};

void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
}

// One worker process as the parent sees it.
struct Child {
    pid_t pid = -1;
    int to = -1;        // task and "go"
    int from = -1;      // ready and report
    int output = -1;    // its stdout + stderr
    std::string inbox;  // bytes received on `from`, not yet a full line
    std::string out;    // tail of its output
    int lines = 0;      // protocol lines received
    bool done = false;  // report (or error) received, or the pipe closed
    bool reaped = false;
    bool killed_by_us = false;  // parsweep sent a SIGKILL (timeout, another worker failed)
    std::vector<int> cpu_set;   // the CPUs it was bound to (cpu_set axis); empty: unbound

    // Died of parsweep's SIGKILL, rather than of its own fault before it.
    bool stopped_by_us() const {
        return killed_by_us && reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }
    Ready ready;
    Report report;
    rusage usage{};
    int status = 0;
};

void kill_all(std::vector<Child>& children) {
    for (auto& c : children)
        if (c.pid > 0 && !c.reaped) {
            kill(c.pid, SIGKILL);
            c.killed_by_us = true;
        }
}

void reap(Child& c) {
    if (c.pid <= 0 || c.reaped) return;
    int status = 0;
    pid_t r;
    do {
        r = wait4(c.pid, &status, 0, &c.usage);
    } while (r < 0 && errno == EINTR);
    c.reaped = true;
    c.status = status;
}

// Reads what is available on every open pipe until `phase_lines` protocol lines arrived from
// every child, a child fails, or the deadline passes. Returns false on failure or timeout.
bool pump(std::vector<Child>& children, int phase_lines, double deadline, std::string& failure) {
    for (;;) {
        bool waiting = false;
        std::vector<pollfd> fds;
        std::vector<std::pair<std::size_t, bool>> who;  // child index, is protocol pipe
        for (std::size_t i = 0; i < children.size(); ++i) {
            auto& c = children[i];
            if (c.from >= 0) {
                fds.push_back({c.from, POLLIN, 0});
                who.emplace_back(i, true);
            }
            if (c.output >= 0) {
                fds.push_back({c.output, POLLIN, 0});
                who.emplace_back(i, false);
            }
            if (c.lines < phase_lines) waiting = true;
        }
        if (!waiting) return true;
        if (interrupted()) {
            failure = "interrupted";
            return false;
        }
        const double left = deadline - monotonic_s();
        if (left <= 0) {
            failure = "timed out";
            return false;
        }
        int timeout_ms = static_cast<int>(std::min(left * 1000 + 1, 1000.0));
        int n = poll(fds.data(), fds.size(), timeout_ms);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            failure = std::string("poll failed: ") + std::strerror(errno);
            return false;
        }
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            auto& c = children[who[k].first];
            char buf[65536];
            ssize_t got = read(fds[k].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (!who[k].second) {  // output: keep the tail
                if (got <= 0) {
                    close_fd(c.output);
                } else {
                    c.out.append(buf, static_cast<std::size_t>(got));
                    if (c.out.size() > kOutputTail) c.out.erase(0, c.out.size() - kOutputTail);
                }
                continue;
            }
            if (got <= 0) {
                close_fd(c.from);
                if (c.lines < phase_lines) {
                    failure = fmt::format("worker {} stopped before it {}", who[k].first,
                                          phase_lines == 1 ? "was ready" : "reported");
                    return false;
                }
                continue;
            }
            c.inbox.append(buf, static_cast<std::size_t>(got));
            std::size_t nl;
            while ((nl = c.inbox.find('\n')) != std::string::npos) {
                std::string line = c.inbox.substr(0, nl);
                c.inbox.erase(0, nl + 1);
                ++c.lines;
                try {
                    json message = json::parse(line);
                    if (is_error(message)) {
                        failure = fmt::format("worker {}: {}", who[k].first,
                                              message["error"].get<std::string>());
                        return false;
                    }
                    if (c.lines == 1)
                        c.ready = ready_from_json(message);
                    else
                        c.report = report_from_json(message);
                } catch (const std::exception& e) {
                    failure = fmt::format("worker {} sent an unreadable message ({}): {:.80}",
                                          who[k].first, e.what(), line);
                    return false;
                }
            }
        }
    }
}

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

}  // namespace

std::pair<std::uint64_t, std::uint64_t> share_of(std::uint64_t items, int P, int w) {
    const std::uint64_t p = static_cast<std::uint64_t>(P), i = static_cast<std::uint64_t>(w);
    const std::uint64_t base = items / p, extra = items % p;
    const std::uint64_t begin = i * base + std::min(i, extra);
    return {begin, begin + base + (i < extra ? 1 : 0)};
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

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
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

std::vector<std::string> worker_command(const std::string& executable) {
    const std::string& lean = worker_executable(executable);
    if (!lean.empty()) return {lean};
    return {executable, "worker"};
}

RepRecord run_repetition(const Point& point, const std::string& executable) {
    if (point.launcher == "mpi") return run_mpi_repetition(point, executable);
    RepRecord rec;
    const int P = point.processes;
    const std::uint64_t items = point.kernel->items(point.params);
    std::vector<Child> children(static_cast<std::size_t>(P));

    const std::vector<std::string> env_strings =
        worker_environment(point.threads, point.env, point.processes);
    std::vector<char*> envp;
    for (const auto& s : env_strings) envp.push_back(const_cast<char*>(s.c_str()));
    envp.push_back(nullptr);
    std::vector<std::string> command = worker_command(executable);
    std::vector<char*> argv;
    for (auto& a : command) argv.push_back(a.data());
    argv.push_back(nullptr);

    // Per-worker CPU sets (cpu_set axis), worked out before the clock starts. A spawned
    // process inherits the affinity of the thread that spawns it, so the parent narrows its
    // own mask around each posix_spawn: the worker is bound before its first instruction,
    // before OpenMP reads its places.
    const std::vector<std::vector<int>> cpu_sets =
        worker_cpu_sets(point.params, P, point.threads, parent_cpus());

    std::string failure;
    const double t0 = monotonic_s();
    const double deadline = t0 + point.timeout_s;
    for (int w = 0; w < P && failure.empty(); ++w) {
        Child& c = children[static_cast<std::size_t>(w)];
        Pipe to, from, out;
        if (!to.open() || !from.open() || !out.open()) {
            failure = std::string("cannot create pipes: ") + std::strerror(errno);
            break;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out.write, 1);
        posix_spawn_file_actions_adddup2(&fa, out.write, 2);
        posix_spawn_file_actions_adddup2(&fa, to.read, kTaskFd);
        posix_spawn_file_actions_adddup2(&fa, from.write, kReportFd);
        const std::vector<int>* bound = cpu_sets.empty() ? nullptr : &cpu_sets[std::size_t(w)];
        if (bound) set_affinity(*bound);
        int rc = posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), envp.data());
        if (bound) set_affinity(parent_cpus());
        c.cpu_set = bound ? *bound : std::vector<int>{};
        posix_spawn_file_actions_destroy(&fa);
        close_fd(to.read);
        close_fd(from.write);
        close_fd(out.write);
        c.to = to.write;
        c.from = from.read;
        c.output = out.read;
        if (rc != 0) {
            c.pid = -1;
            failure = fmt::format("cannot start worker {} ({}): {}", w, argv[0], std::strerror(rc));
            break;
        }
        auto [b, e] = share_of(items, P, w);
        Task task{std::string(point.kernel->id()), point.params, b, e, w, point.threads};
        if (!write_all(c.to, to_json(task).dump() + "\n"))
            failure = fmt::format("cannot send the task to worker {}", w);
    }

    double t_go = 0;
    if (failure.empty() && pump(children, 1, deadline, failure)) {
        t_go = monotonic_s();
        for (std::size_t w = 0; w < children.size() && failure.empty(); ++w)
            if (!write_all(children[w].to, "go\n"))
                failure = fmt::format("cannot release worker {}", w);
        if (failure.empty()) pump(children, 2, deadline, failure);
    }
    const double t_end = monotonic_s();
    // A worker may die of the same Ctrl-C before the parent's poll sees it: either way the
    // repetition was interrupted, not failed.
    if (interrupted()) {
        rec.interrupted = true;
        failure = fmt::format("interrupted by {}", signal_name(interrupted()));
    }
    if (failure == "timed out")
        failure = fmt::format("timed out after {:.3g} s (timeout_s)", point.timeout_s);
    if (!failure.empty()) kill_all(children);
    for (auto& c : children) {
        close_fd(c.to);
        reap(c);
        close_fd(c.from);
        // Whatever the worker printed before it went is part of the story of a failure.
        if (c.output >= 0) {
            char buf[4096];
            ssize_t n;
            while ((n = read(c.output, buf, sizeof buf)) > 0) c.out.append(buf, std::size_t(n));
            close_fd(c.output);
        }
    }

    // Per-worker records and the repetition's totals.
    bool all_ok = failure.empty();
    double first_start = std::numeric_limits<double>::max(), last_end = 0, last_ready = t0;
    double last_done = 0;  // the latest end less that worker's untimed calls between batches
    double last_tail = 0;  // the last check() of the worker that ended last, after its end
    double min_busy = std::numeric_limits<double>::max(), max_busy = 0, last_start = 0;
    std::vector<json> partials;
    for (std::size_t w = 0; w < children.size(); ++w) {
        Child& c = children[w];
        WorkerRecord wr;
        wr.worker = static_cast<int>(w);
        std::tie(wr.items_begin, wr.items_end) = share_of(items, P, static_cast<int>(w));
        wr.user_s = c.usage.ru_utime.tv_sec + c.usage.ru_utime.tv_usec * 1e-6;
        wr.sys_s = c.usage.ru_stime.tv_sec + c.usage.ru_stime.tv_usec * 1e-6;
        wr.ctx_voluntary = c.usage.ru_nvcsw;
        wr.ctx_involuntary = c.usage.ru_nivcsw;
        wr.max_rss_kb = c.usage.ru_maxrss;
        if (c.stopped_by_us())
            wr.error = fmt::format("worker {} stopped by parsweep{}", w,
                                   c.lines < 2 ? " before it reported" : "");
        else if (c.reaped && WIFSIGNALED(c.status))
            wr.error = fmt::format("worker {} killed by {}", w, signal_name(WTERMSIG(c.status)));
        else if (c.reaped && WIFEXITED(c.status) && WEXITSTATUS(c.status) != 0)
            wr.error = fmt::format("worker {} exited with status {}", w, WEXITSTATUS(c.status));
        else if (c.pid <= 0)
            wr.error = fmt::format("worker {} did not start", w);
        if (c.lines >= 1) {
            wr.main_s = c.ready.started - t0;
            wr.ready_s = c.ready.time - t0;
            wr.omp_threads = c.ready.omp_threads;
            wr.blas_threads = c.ready.blas_threads;
            wr.blas = c.ready.blas;
            wr.cpus = c.ready.cpus;
            wr.cpu_set = c.cpu_set;
            last_ready = std::max(last_ready, c.ready.time);
        }
        if (c.lines >= 2) {
            wr.start_s = c.report.start - t0;
            wr.end_s = c.report.end - t0;
            wr.busy_s = c.report.busy_s;
            // The compute span is that of the workers that had items: an idle worker's
            // "start" is only the moment it was released.
            if (wr.items_end > wr.items_begin || items == 0) {
                first_start = std::min(first_start, c.report.start);
                last_start = std::max(last_start, c.report.start);
                if (c.report.end >= last_end) last_tail = c.report.tail_s;
                last_end = std::max(last_end, c.report.end);
                last_done = std::max(last_done, c.report.end - c.report.paused_s);
            }
            min_busy = std::min(min_busy, c.report.busy_s);
            max_busy = std::max(max_busy, c.report.busy_s);
            if (!c.report.verdict.ok && wr.error.empty())
                wr.error = fmt::format("worker {}: {}", w, c.report.verdict.message);
            partials.push_back(c.report.partial);
        } else if (wr.error.empty()) {
            wr.error = fmt::format("worker {} did not report", w);
        }
        if (!wr.error.empty()) wr.error = with_output(std::move(wr.error), c.out);
        wr.ok = wr.error.empty();
        all_ok = all_ok && wr.ok;
        add_worker(rec, std::move(wr));
    }

    rec.wall_s = t_end - t0;
    rec.reap_s = monotonic_s() - t_end;
    rec.cpu_util = rec.wall_s > 0 ? (rec.user_s + rec.sys_s) / rec.wall_s : 0;
    if (failure.empty() && all_ok) {
        rec.spawn_s = last_ready - t0;
        rec.dispatch_s = std::max(0.0, last_start - t_go);
        rec.compute_s = last_done - first_start;
        // The last worker's final check() is the kernel's verification, not the gather.
        const double tail = std::clamp(last_tail, 0.0, std::max(0.0, t_end - last_end));
        rec.checks_s = last_end - last_done + tail;
        rec.gather_s = std::max(0.0, t_end - last_end - tail);
        rec.imbalance_s = max_busy - min_busy;
        verify_repetition(point, partials, rec);
    } else {
        // The most specific reason first: a worker's own death or message, not the symptom the
        // parent saw ("stopped before it reported") nor the workers parsweep stopped itself.
        std::string cause;
        for (std::size_t w = 0; w < children.size() && cause.empty(); ++w)
            if (!rec.workers[w].ok && !children[w].stopped_by_us()) cause = rec.workers[w].error;
        std::string silent;  // the workers that had not reported when time ran out
        for (std::size_t w = 0; w < children.size(); ++w)
            if (children[w].lines < 2) silent += (silent.empty() ? "" : ", ") + std::to_string(w);
        if (failure.find("stopped before") != std::string::npos && !cause.empty())
            rec.error = cause;
        else if (failure.find("timed out") != std::string::npos)
            rec.error = failure + (cause.empty() ? "" : "; " + cause) +
                        (silent.empty() ? "" : "; no report from worker " + silent);
        else
            rec.error = failure.empty() ? cause : failure;
        if (rec.error.empty()) rec.error = "a worker failed";
    }
    return rec;
}

}  // namespace parsweep
