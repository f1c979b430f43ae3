#include "run/runner.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "launch/launcher.hpp"
#include "launch/mpi_launcher.hpp"
#include "machine/sysinfo.hpp"
#include "measure/clock.hpp"
#include "measure/roofline.hpp"
#include "measure/stats.hpp"
#include "run/input_identity.hpp"
#include "util/interrupt.hpp"

namespace parsweep {

namespace {

// The strategy that runs the repetitions of `point`: its launcher's.
std::unique_ptr<Executor> executor_for(const Point& point, const std::string& executable) {
    if (point.launcher == Launcher::mpi) return std::make_unique<MpiExecutor>(executable);
    return std::make_unique<SpawnExecutor>(executable);
}

// One repetition of `point`, failed without running when one of its inputs is not what the
// run recorded at its start, and failed after running when one changed meanwhile (whatever
// the workers counted then, it is not about the recorded file).
RepRecord run_checked(Executor& executor, const Point& point, const RunInputs& inputs) {
    RepRecord rec;
    std::string problem = inputs.point_problem(point);
    if (problem.empty()) {
        rec = executor.run_repetition(point);
        if (rec.interrupted) return rec;
        problem = inputs.point_problem(point);
    }
    if (!problem.empty()) {
        rec.verified = false;
        rec.error = std::move(problem);
    }
    return rec;
}

// summarize_point asks a verified point's kernel for its work (its rates): an input gone since
// the last repetition's check would throw there, so it fails the point here instead.
void fail_when_work_unknown(const Point& point, std::vector<RepRecord>& reps) {
    try {
        (void)point.kernel->work(point.params);
    } catch (const std::exception& e) {
        for (auto& r : reps) {
            r.verified = false;
            if (r.error.empty()) r.error = std::string("cannot tell the point's work: ") + e.what();
        }
    }
}

// The time a repetition took by the point's time metric.
double metric_s(const RepRecord& r, TimeMetric metric) {
    return metric == TimeMetric::compute_s ? r.compute_s : r.wall_s;
}

// Whether `point` takes another repetition after the `recorded` ones (model.hpp: Adaptive):
// always until its `repetitions`, then, when adaptive, until its time metric's 95% interval
// is narrow enough, a repetition failed (more would not make it a result), max_repetitions,
// or its budget since `first_s`, the start of its first recorded repetition.
bool wants_another(const Point& point, const std::vector<RepRecord>& recorded, double first_s) {
    const int have = int(recorded.size());
    if (have < point.repetitions) return true;
    const Adaptive& a = point.adaptive;
    if (have >= a.max_repetitions || monotonic_s() - first_s >= a.budget_s) return false;
    std::vector<double> times;
    for (const auto& r : recorded) {
        if (!r.verified) return false;
        times.push_back(metric_s(r, point.time_metric));
    }
    const Stats s = summarize(std::move(times));
    return s.count < 2 || s.mean <= 0 || s.ci95 > s.mean * a.ci95_pct / 100;
}

}  // namespace

PointResult summarize_point(const Point& point, std::vector<RepRecord> reps,
                            const PointResult* baseline, int usable_cores, const json& calibration,
                            const std::optional<Allocation>& allocation) {
    PointResult p;
    p.point = &point;
    p.reps = std::move(reps);
    p.usable_cores = usable_cores;
    for (const auto& r : p.reps)
        for (const auto& w : r.workers)
            if (!w.node.empty() &&
                std::find(p.nodes.begin(), p.nodes.end(), w.node) == p.nodes.end())
                p.nodes.push_back(w.node);
    if (allocation && !p.nodes.empty())
        if (const int cpus = allocation->cpus_of(p.nodes); cpus > 0) p.usable_cores = cpus;
    p.verified = !p.reps.empty();
    for (const auto& r : p.reps)
        if (!r.verified) {
            p.verified = false;
            if (p.error.empty()) p.error = fmt::format("repetition {}: {}", r.rep, r.error);
        }
    if (!p.reps.empty()) p.result = p.reps.back().result;

    std::vector<double> wall, spawn, dispatch, compute, gather, imbalance, util, ctx;
    for (const auto& r : p.reps) {
        if (!r.verified) continue;
        wall.push_back(r.wall_s);
        spawn.push_back(r.spawn_s);
        dispatch.push_back(r.dispatch_s);
        compute.push_back(r.compute_s);
        gather.push_back(r.gather_s);
        imbalance.push_back(r.imbalance_s);
        util.push_back(r.cpu_util);
        ctx.push_back(static_cast<double>(r.ctx_involuntary));
    }
    p.wall = summarize(wall);
    p.spawn = summarize(spawn);
    p.dispatch = summarize(dispatch);
    p.compute = summarize(compute);
    p.gather = summarize(gather);
    p.imbalance = summarize(imbalance);
    p.cpu_util = summarize(util);
    p.ctx_involuntary_median = summarize(ctx).median;

    if (!baseline && point.is_baseline()) baseline = &p;  // the baseline against itself: 1×
    const bool base_ok = baseline && baseline->verified && baseline->wall.count > 0;
    auto time_of = [](const PointResult& r) { return r.timed().median; };
    // A failed point has no rates, and its input may be gone: its work is not asked for.
    const Work work = p.verified ? point.kernel->work(point.params) : Work{};
    p.derived =
        derive(point.processes, point.threads, p.verified ? time_of(p) : 0,
               base_ok ? time_of(*baseline) : 0, point.baseline_processes * point.baseline_threads,
               p.usable_cores, work, p.verified ? p.compute.median : 0, point.weak());
    apply_roofline(p.derived, work, point.processes * point.threads, calibration);
    return p;
}

int planned_cores(const Point& point, int usable_cores,
                  const std::optional<Allocation>& allocation) {
    if (point.launcher != Launcher::mpi || !allocation) return usable_cores;
    const int nodes = placement_nodes({point.processes, point.threads, point.nodes},
                                      int(allocation->nodes.size()));
    int cpus = 0;
    for (int k = 0; k < nodes && k < int(allocation->cpus.size()); ++k) cpus += allocation->cpus[k];
    return cpus > 0 ? cpus : usable_cores;
}

std::vector<PointResult> run_sweep(RunInfo& run, const std::vector<Reporter*>& reporters,
                                   const std::string& executable, const Checkpoint& done_before) {
    const Sweep& sweep = *run.sweep;
    const double t0 = monotonic_s();
    if (!run.time) run.time.emplace();
    if (run.started_s == 0) run.started_s = t0;
    TimeAccounting& time = *run.time;
    // Every reporter call is timed as writing results; the accounting is brought up to date
    // just before the calls that write it. A result file that cannot be written (a full disk)
    // stops the run: the other reporters are still told, and what was journaled stays.
    auto tell = [&](auto&& call) {
        const double t = monotonic_s();
        for (auto* r : reporters) {
            try {
                call(r);
            } catch (const FileError& e) {
                if (run.write_error.empty()) run.write_error = e.what();
            }
        }
        time.write_s += monotonic_s() - t;
    };
    auto must_stop = [&] { return interrupted() != 0 || !run.write_error.empty(); };
    // A part (--part K/N) measures only its share. Points whose baseline is in another part
    // get no speedup here: the parts stay disjoint (no point is measured twice) and
    // `parsweep merge` recomputes every derived metric over the joined points.
    const std::vector<const Point*> todo = sweep.points_to_run();
    // What every point is checked against: the files as they are now (a resumed run: as
    // recorded when it started), written to context.inputs before the first report.
    const RunInputs inputs = record_run_inputs(run.context, todo);
    run.started_at = now_iso();
    run.status = RunStatus::running;
    time.close(run.started_s, monotonic_s());
    tell([&](Reporter* r) { r->run_started(run); });

    const std::optional<Allocation> allocation = allocation_of(run.context);
    std::vector<PointResult> done;
    done.reserve(todo.size());
    std::map<std::string, std::size_t> baseline_of;  // group key → index in `done`
    for (std::size_t i = 0; i < todo.size(); ++i) {
        const Point& point = *todo[i];
        if (must_stop()) break;
        tell([&](Reporter* r) { r->point_started(run, point, i, todo.size()); });
        std::vector<RepRecord> reps;
        const auto before = done_before.find(point.key());
        bool stopped = false;
        if (before != done_before.end()) {
            reps = before->second;
        } else {
            const std::unique_ptr<Executor> executor = executor_for(point, executable);
            double first_s = 0;
            for (int k = -point.warmup; !stopped && (k < 0 || wants_another(point, reps, first_s));
                 ++k) {
                if (k == 0) first_s = monotonic_s();
                RepRecord rec = run_checked(*executor, point, inputs);
                rec.rep = k;
                stopped = rec.interrupted;
                time.add(rec);
                tell([&](Reporter* r) { r->repetition_done(run, point, rec); });
                if (k >= 0) reps.push_back(std::move(rec));
            }
        }
        if (stopped) break;  // the point in flight is not a result
        fail_when_work_unknown(point, reps);
        const PointResult* baseline = nullptr;
        if (auto it = baseline_of.find(point.group_key()); it != baseline_of.end())
            baseline = &done[it->second];
        done.push_back(summarize_point(point, std::move(reps), baseline, sweep.usable_cores,
                                       run.context.value("calibration", json()), allocation));
        done.back().resumed = before != done_before.end();
        if (point.is_baseline()) baseline_of[point.group_key()] = done.size() - 1;
        if (!done.back().verified) ++run.points_failed;
        run.elapsed_s = monotonic_s() - t0;
        time.close(run.started_s, monotonic_s());
        tell([&](Reporter* r) { r->point_done(run, done); });
    }
    run.interrupted_by = interrupted();
    run.status = must_stop() ? RunStatus::incomplete : RunStatus::complete;
    run.finished_at = now_iso();
    run.elapsed_s = monotonic_s() - t0;
    time.close(run.started_s, monotonic_s());
    tell([&](Reporter* r) { r->run_finished(run, done); });
    return done;
}

}  // namespace parsweep
