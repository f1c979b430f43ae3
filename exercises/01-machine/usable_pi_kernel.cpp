/*
 * Lesson 01 — the usable_pi kernel: π computed by a team of threads sized by YOUR
 * usable_cores() (starter/usable_cores.cpp), and your answer checked against parsweep's.
 *
 * In every worker process, prepare():
 *   1. asks lesson01::usable_cores() how many threads to start, and sizes the OpenMP team
 *      with it (omp_set_num_threads), as a program that sizes itself does;
 *   2. asks parsweep the same question, detect_usable_cores() (harness/machine/sysinfo.hpp: the
 *      affinity mask, the cgroup CPU quota, SLURM_CPUS_PER_TASK — what `parsweep info` shows
 *      as "usable cores"), in the same process, so under the same limits;
 *   3. prepares the built-in `pi` kernel's share (kernels/pi.cpp), which does the work.
 * The config sets the limits per run: "env": {"SLURM_CPUS_PER_TASK": "1"} reaches the
 * workers, and `taskset -c 0 parsweep-lesson01-… run …` narrows the affinity mask of the
 * sweep and so of every worker. On any machine with 2 or more CPUs, either differs from the
 * machine's CPU count.
 *
 * The point's `threads` is the team a correct usable_cores() starts under those limits (1
 * for both above): the harness checks that the workers ran with exactly that many OpenMP
 * threads, so a config whose `threads` disagrees with its limits fails every point with
 * "workers ran with N OpenMP threads, not T" — while a wrong usable_cores() fails first with
 * the message below, which says why.
 *
 * (lessons::KernelAround, ../kernel_around.hpp, does 3. and the plumbing.)
 *
 * Verification: the worker's check() fails when the two answers differ, naming the limit the
 * learner's code missed ("usable_cores() says 2, but this job may use 1
 * (SLURM_CPUS_PER_TASK=1): it counted the machine's CPUs, not the job's"); then the `pi`
 * kernel's own checks and verify() (exact sample count, estimate within 6σ of π). The result
 * is pi's, plus both answers of every worker: "usable_cores" (the learner's) and "job_cores"
 * (parsweep's).
 *
 * Counting, items, memory: the `pi` kernel's (items = samples).
 */
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "../kernel_around.hpp"
#include "machine/sysinfo.hpp"
#include "usable_cores.hpp"

namespace lesson01 {

std::optional<double> cgroup_cpu_quota() {
    return parsweep::detect_usable_cores().cgroup_cpus;
}

}  // namespace lesson01

namespace {

using parsweep::json;
using parsweep::Verdict;

constexpr int kMaxTeam = 1024;  // the config's own limit on threads

// The limits that decide the job's count (each equal to it and below the machine's CPUs),
// in the words a learner would look for.
std::string deciding_limits(const parsweep::UsableCores& job) {
    std::vector<std::string> limits;
    if (job.affinity == job.count && job.affinity < job.online)
        limits.push_back(
            fmt::format("affinity mask: {} of the machine's {} CPUs", job.affinity, job.online));
    // The count is at most ⌈quota⌉, so the quota decides it when quota ≤ count.
    if (job.cgroup_cpus && *job.cgroup_cpus <= job.count + 1e-9)
        limits.push_back(fmt::format("cgroup CPU quota {:.2f} CPUs", *job.cgroup_cpus));
    if (job.slurm_cpus && *job.slurm_cpus == job.count) {
        const char* name =
            std::getenv("SLURM_CPUS_PER_TASK") ? "SLURM_CPUS_PER_TASK" : "SRUN_CPUS_PER_TASK";
        limits.push_back(fmt::format("{}={}", name, *job.slurm_cpus));
    }
    if (limits.empty()) limits.push_back(fmt::format("all {} CPUs of the machine", job.online));
    return fmt::format("{}", fmt::join(limits, "; "));
}

// The learner's answer against parsweep's, with the mistake in words.
Verdict judge(int mine, const parsweep::UsableCores& job) {
    if (mine == job.count) return Verdict::pass();
    if (mine < 1)
        return Verdict::fail(
            fmt::format("usable_cores() says {}: a job needs at least one thread", mine));
    const std::string said = fmt::format("usable_cores() says {}, but this job may use {} ({})",
                                         mine, job.count, deciding_limits(job));
    if (mine < job.count)
        return Verdict::fail(
            fmt::format("{}: {} of its cores would sit idle", said, job.count - mine));
    if (mine >= job.online)
        return Verdict::fail(said + ": it counted the machine's CPUs, not the job's");
    return Verdict::fail(fmt::format("{}: it missed a limit, and {} threads queue for {} core{}",
                                     said, mine, job.count, job.count == 1 ? "" : "s"));
}

class UsablePiKernel final : public lessons::KernelAround {
  public:
    UsablePiKernel() : KernelAround("pi") {}
    std::string_view id() const override { return "usable_pi"; }
    std::string_view summary() const override {
        return "lesson 01: Monte Carlo π on a team of usable_cores() threads — the cores this "
               "job may use, or the machine's";
    }

  protected:
    lessons::Before before(const json&) const override {
        const int mine = lesson01::usable_cores();
        const parsweep::UsableCores job = parsweep::detect_usable_cores();
        // The team the learner's answer asks for (a nonsense answer still runs, on 1 thread
        // or the config's maximum, so that the check can say what was wrong with it).
        omp_set_num_threads(std::clamp(mine, 1, kMaxTeam));
        return {judge(mine, job), {{"usable_cores", mine}, {"job_cores", job.count}}};
    }
};

const UsablePiKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
