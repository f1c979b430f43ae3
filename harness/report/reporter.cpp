#include "report/reporter.hpp"

#include <algorithm>

#include "machine/blas_axis.hpp"
#include "machine/pinning.hpp"
#include "measure/clock.hpp"
#include "report/record_fields.hpp"

namespace parsweep {

namespace {
json opt(const std::optional<double>& v) {
    return v ? json(*v) : json();
}
}  // namespace

void RewritingReporter::point_done(const RunInfo& run, const std::vector<PointResult>& done) {
    if (pace_.due(monotonic_s())) rewrite(run, done);
}

void RewritingReporter::run_finished(const RunInfo& run, const std::vector<PointResult>& done) {
    rewrite(run, done);
}

void RewritingReporter::rewrite(const RunInfo& run, const std::vector<PointResult>& done) {
    const double start_s = monotonic_s();
    write(run, done);
    pace_.wrote(start_s, monotonic_s());
}

json to_json(const Stats& s) {
    if (s.count == 0) return {{"count", 0}};
    return {{"count", s.count},   {"min", s.min},       {"max", s.max},  {"mean", s.mean},
            {"median", s.median}, {"stddev", s.stddev}, {"ci95", s.ci95}};
}

json to_json(const Derived& d) {
    return {{"speedup", opt(d.speedup)},
            {"efficiency", opt(d.efficiency)},
            {"efficiency_cores", opt(d.efficiency_cores)},
            {"overhead_s", opt(d.overhead_s)},
            {"karp_flatt", opt(d.karp_flatt)},
            {"gustafson_serial", opt(d.gustafson_serial)},
            {"oversubscription", d.oversubscription},
            {"gflops", opt(d.gflops)},
            {"bandwidth_gbs", opt(d.bandwidth_gbs)},
            {"items_per_s", opt(d.items_per_s)},
            {"roofline_fraction", opt(d.roofline_fraction)},
            {"roofline_bound", d.roofline_bound.empty() ? json() : json(d.roofline_bound)}};
}

PARSWEEP_JSON_FROM_FIELDS(WorkerRecord, kWorkerFields)
PARSWEEP_JSON_FROM_FIELDS(RepRecord, kRepFields)

json to_json(const RepRecord& r) {
    return r;
}

RepRecord rep_from_json(const json& j) {
    return j.get<RepRecord>();
}

std::string blas_text(const json& blas) {
    if (!blas.is_object() || !blas.contains("name")) return "";
    return blas.value("name", "") + " " + blas.value("version", "") + " " +
           blas.value("threading", "");
}

json loaded_blas(const PointResult& p) {
    for (const auto& r : p.reps)
        if (!r.blas.is_null()) return r.blas;
    return json();
}

json to_json(const PointResult& p) {
    const Point& pt = *p.point;
    json reps = json::array();
    for (const auto& r : p.reps) reps.push_back(to_json(r));
    json out = {
        {"index", pt.index},
        {"key", pt.key()},
        {"run", pt.run},
        {"kernel", pt.kernel->id()},
        {"label", pt.label()},
        {"params", pt.params},
        {"axes", pt.axes},
        {"processes", pt.processes},
        {"threads", pt.threads},
        {"env", pt.env},
        {"time_metric", pt.time_metric},
        {"launcher", pt.launcher},
        {"nodes", p.nodes},
        {"usable_cores", p.usable_cores},
        {"scaling", pt.scaling},
        {"baseline", {{"processes", pt.baseline_processes}, {"threads", pt.baseline_threads}}},
        {"baseline_only", pt.baseline_only},
        {"status", p.status()},
        {"verified", p.verified},
        {"error", p.error},
        {"result", p.result},
        {"blas", loaded_blas(p)},
        {"stats",
         {{"wall_s", to_json(p.wall)},
          {"spawn_s", to_json(p.spawn)},
          {"dispatch_s", to_json(p.dispatch)},
          {"compute_s", to_json(p.compute)},
          {"gather_s", to_json(p.gather)},
          {"imbalance_s", to_json(p.imbalance)},
          {"cpu_util", to_json(p.cpu_util)},
          {"ctx_involuntary_median", p.wall.count ? json(p.ctx_involuntary_median) : json()}}},
        {"derived", to_json(p.derived)},
        {"reps", reps}};
    if (!pt.learner.empty()) out["learner"] = pt.learner;
    if (pt.weak()) out["per_worker"] = pt.per_worker;  // `params` hold the real size
    return out;
}

void TimeAccounting::add(const RepRecord& rec) {
    ++repetitions;
    workers += static_cast<long>(rec.workers.size());
    kernels_s += rec.compute_s;
    checks_s += rec.checks_s;
    // The worker that was ready last decided spawn_s; its own set-up is the part after its main()
    // began (none known when it did not say: a failed repetition, an older record).
    const WorkerRecord* last = nullptr;
    for (const auto& w : rec.workers)
        if (!last || w.ready_s > last->ready_s) last = &w;
    const double setup =
        last && last->main_s > 0 ? std::clamp(last->ready_s - last->main_s, 0.0, rec.spawn_s) : 0;
    setup_s += setup;
    start_s += rec.spawn_s - setup;
    gather_s += rec.gather_s;
    reap_s += rec.reap_s;
    verify_s += rec.verify_s;
    // What wall_s holds beyond the three phases: the "go" handshake of a repetition that went
    // through, or everything unmeasured of one that did not (a crash, a timeout, Ctrl-C).
    // A program's own start-up (the command kernel) is the kernel's set-up, not the release.
    const double rest =
        std::max(0.0, rec.wall_s - rec.spawn_s - rec.compute_s - rec.checks_s - rec.gather_s);
    const double program = rec.verified ? std::min(rec.program_setup_s, rest) : 0;
    setup_s += program;
    (rec.verified ? release_s : failed_s) += rest - program;
}

std::vector<std::pair<std::string_view, double>> TimeAccounting::parts() const {
    return {{"start_s", start_s},   {"setup_s", setup_s},   {"release_s", release_s},
            {"checks_s", checks_s}, {"gather_s", gather_s}, {"reap_s", reap_s},
            {"verify_s", verify_s}, {"failed_s", failed_s}, {"calibrate_s", calibrate_s},
            {"write_s", write_s}};
}

void TimeAccounting::close(double since_s, double now_s) {
    wall_s = now_s - since_s;
    other_s = wall_s - kernels_s;
    for (const auto& [name, s] : parts()) other_s -= s;
}

json to_json(const TimeAccounting& t) {
    json j = {{"wall_s", t.wall_s},
              {"kernels_s", t.kernels_s},
              {"outside_s", t.outside_s()},
              {"outside_fraction", t.outside_fraction()},
              {"kernel_untimed_s", t.kernel_untimed_s()},
              {"harness_s", t.harness_s()},
              {"harness_fraction", t.harness_fraction()}};
    for (const auto& [name, s] : t.parts()) j[std::string(name)] = s;
    j["other_s"] = t.other_s;
    j["repetitions"] = t.repetitions;
    j["workers"] = t.workers;
    return j;
}

std::vector<std::string> param_names(const std::vector<PointResult>& points) {
    std::vector<std::string> names;
    for (const auto& p : points)
        for (const auto& spec : p.point->kernel->params())
            if (std::find(names.begin(), names.end(), spec.name) == names.end())
                names.push_back(spec.name);
    // The pinning and blas axes, only when some point has them: a run without them keeps its
    // columns.
    std::vector<ParamSpec> optional = pinning_params();
    optional.insert(optional.end(), blas_params().begin(), blas_params().end());
    for (const auto& spec : optional)
        if (std::any_of(points.begin(), points.end(),
                        [&](const PointResult& p) { return p.point->params.contains(spec.name); }))
            names.push_back(spec.name);
    return names;
}

}  // namespace parsweep
