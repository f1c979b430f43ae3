#include "launch/worker.hpp"

#include <omp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include "blas.hpp"
#include "launch/protocol.hpp"
#include "machine/affinity.hpp"
#include "measure/clock.hpp"
#include "util/files.hpp"

namespace parsweep {

namespace {

// Reads the next line from `fd` into `line` (without its newline). The task and "go" can
// arrive in one read: what follows a line waits in `pending` for the next call. A read per
// byte would cost a system call per byte of the task, on every worker's way to Ready.
bool read_line(int fd, std::string& pending, std::string& line) {
    for (;;) {
        if (const std::size_t nl = pending.find('\n'); nl != std::string::npos) {
            line.assign(pending, 0, nl);
            pending.erase(0, nl + 1);
            return true;
        }
        char buf[4096];
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0)
            pending.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR)
            return false;
    }
}

bool send(const json& message) {
    return write_all(kReportFd, message.dump() + "\n");
}

int fail(const std::string& why) {
    send({{"error", why}});
    return 1;
}

}  // namespace

Prepared prepare_share(const Task& task) {
    Prepared p;
    p.kernel = find_kernel(task.kernel);
    if (!p.kernel) throw std::runtime_error("unknown kernel " + task.kernel);
    try {
        p.run = p.kernel->prepare(
            task.params, Share{task.begin, task.end, task.processes, task.worker, task.threads});
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("set-up failed: ") + e.what());
    }
    return p;
}

Ready ready_now(double started) {
    // Start the OpenMP team now, so thread creation counts as spawn, not compute; the same
    // region records where the threads run (with binding, where they stay).
    const std::vector<int> cpus = cpus_in_use();
    return Ready{monotonic_s(),   started, omp_get_max_threads(),
                 blas::threads(), cpus,    blas::loaded_info()};
}

int worker_main() {
    const double started = monotonic_s();
    // Die with the parent (killed, crashed or interrupted): a worker must never outlive its
    // sweep, hung or not. The check after prctl closes the race where the parent died first.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (const char* parent = std::getenv(kParentPidVar); parent && std::atol(parent) != getppid())
        return 1;
    std::string pending, line;
    if (!read_line(kTaskFd, pending, line)) return fail("no task received");
    Task task;
    Prepared prepared;
    try {
        task = json::parse(line).get<Task>();
    } catch (const std::exception& e) {
        return fail(std::string("set-up failed: ") + e.what());
    }
    try {
        prepared = prepare_share(task);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    const Kernel* kernel = prepared.kernel;
    std::unique_ptr<KernelRun>& run = prepared.run;
    if (!send(json(ready_now(started)))) return 1;
    if (!read_line(kTaskFd, pending, line) || line != "go") return fail("no go received");

    Report report;
    try {
        report = run_share(*kernel, task, *run);
    } catch (const std::exception& e) {
        return fail(std::string("kernel failed: ") + e.what());
    }
    return send(json(report)) ? 0 : 1;
}

Report run_share(const Kernel& kernel, const Task& task, KernelRun& run) {
    Report report;
    const std::uint64_t batch = kernel.batch_items(task.params);
    const std::uint64_t step = batch ? batch : std::max<std::uint64_t>(1, task.end - task.begin);
    // An empty share is one empty batch for a kernel that runs whatever its share.
    const bool empty_batch = task.begin == task.end && kernel.runs_empty_shares();
    const double begun = monotonic_s();
    report.start = report.end = begun;
    for (std::uint64_t b = task.begin; b < task.end || (empty_batch && b == task.begin);
         b += step) {
        const std::uint64_t e = std::min(task.end, b + step);
        run.stage(b, e);
        const double t0 = monotonic_s();
        run.run(b, e);
        const double t1 = monotonic_s();
        // What the kernel says was set-up at the start of run() is not its work.
        const double setup = std::clamp(run.setup_s(), 0.0, t1 - t0);
        const double start = t0 + setup;
        if (b == task.begin) report.start = start, report.setup_s = setup;
        report.busy_s += t1 - start;
        report.end = t1;
        report.verdict &= run.check(b, e);
    }
    const double done = monotonic_s();
    // The span [start, end] runs from the first timed batch to the last; what of it is not in
    // a batch is the untimed stage() and check() calls between them (paused_s), which the
    // parent takes out of compute_s, so that a point's rates count the kernel's own work only.
    report.paused_s = std::max(0.0, (report.end - report.start) - report.busy_s);
    report.tail_s = task.end > task.begin || empty_batch ? done - report.end : 0.0;
    report.untimed_s = (done - begun) - report.busy_s;  // every stage() and check()
    report.partial = run.partial();
    return report;
}

}  // namespace parsweep
