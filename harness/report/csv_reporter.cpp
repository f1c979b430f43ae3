// points.csv (one row per point) and reps.csv (one row per repetition). Columns are stable
// and named with units; a kernel parameter becomes a param_<name> column (empty for the
// kernels that do not have it). A failed point has empty time and ratio columns: it is
// never shown as a fast time.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "measure/clock.hpp"
#include "report/record_fields.hpp"
#include "report/reporter.hpp"
#include "util/files.hpp"
#include "util/json_enum.hpp"

namespace parsweep {

namespace {

std::string cell(std::string s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string num(double v) {
    return fmt::format("{:.9g}", v);
}
std::string num(const std::optional<double>& v) {
    return v ? num(*v) : "";
}

class Row {
  public:
    Row& operator<<(const std::string& s) {
        if (!first_) line_ += ',';
        line_ += cell(s);
        first_ = false;
        return *this;
    }
    Row& operator<<(double v) { return *this << num(v); }
    Row& operator<<(const std::optional<double>& v) { return *this << num(v); }
    Row& operator<<(long v) { return *this << std::to_string(v); }
    Row& operator<<(int v) { return *this << std::to_string(v); }
    Row& operator<<(std::size_t v) { return *this << std::to_string(v); }
    Row& operator<<(bool v) { return *this << std::string(v ? "true" : "false"); }
    std::string str() const { return line_ + "\n"; }

  private:
    std::string line_;
    bool first_ = true;
};

// Whether the points come from several learners (a class run): then a `learner` column
// comes first. Other runs keep their columns as they were.
bool has_learners(const std::vector<PointResult>& done) {
    for (const auto& p : done)
        if (!p.point->learner.empty()) return true;
    return false;
}

// [learner,] kernel, processes, threads, param_…, point, launcher, scaling: the columns that
// identify a point in both files. param_… are the point's real values: a weak-scaling point's
// work size is the given one × P·T.
void key_header(Row& row, const std::vector<std::string>& params, bool learners) {
    if (learners) row << std::string("learner");
    row << std::string("kernel") << std::string("processes") << std::string("threads");
    for (const auto& p : params) row << "param_" + p;
    row << std::string("point") << std::string("launcher") << std::string("scaling");
}

void key_cells(Row& row, const PointResult& p, const std::vector<std::string>& params,
               bool learners) {
    const Point& pt = *p.point;
    if (learners) row << pt.learner;
    row << std::string(pt.kernel->id()) << pt.processes << pt.threads;
    for (const auto& name : params)
        row << (pt.params.contains(name) ? param_text(pt.params[name]) : std::string());
    row << pt.index << enum_name(pt.launcher) << enum_name(pt.scaling);
}

class CsvReporter : public Reporter {
  public:
    void point_done(const RunInfo& run, const std::vector<PointResult>& done) override {
        if (pace_.due(monotonic_s())) write(run, done);
    }
    void run_finished(const RunInfo& run, const std::vector<PointResult>& done) override {
        write(run, done);
    }

  private:
    RewritePace pace_;

    void write(const RunInfo& run, const std::vector<PointResult>& done) {
        const double start_s = monotonic_s();
        const auto params = param_names(done);
        const bool learners = has_learners(done);
        std::string points, reps;
        {
            Row h;
            key_header(h, params, learners);
            // clang-format off
            for (const char* c :
                 {"baseline_only",   "time_metric", "repetitions",      "min_s",
                  "median_s",        "mean_s",      "stddev_s",         "max_s",
                  "ci95_s",          "spawn_s",     "compute_s",        "gather_s",
                  "imbalance_s",     "speedup",     "efficiency",       "efficiency_cores",
                  "overhead_s",      "karp_flatt",  "gustafson_serial", "oversubscription",
                  "usable_cores",    "nodes",       "cpu_util",         "ctx_involuntary",
                  "gflops",          "bandwidth_gbs", "items_per_s",    "roofline_fraction",
                  "blas_loaded",     "verified",    "error"})
                // clang-format on
                h << std::string(c);
            points = h.str();
        }
        {
            Row h;
            key_header(h, params, learners);
            for (const auto column : fields::csv_columns<RepRecord>(kRepFields))
                h << std::string(column);
            reps = h.str();
        }
        for (const auto& p : done) {
            Row r;
            key_cells(r, p, params, learners);
            r << p.point->baseline_only << enum_name(p.point->time_metric) << p.reps.size();
            const bool ok = p.verified && p.wall.count > 0;
            auto t = [&](double v) { return ok ? num(v) : std::string(); };
            r << t(p.wall.min) << t(p.wall.median) << t(p.wall.mean) << t(p.wall.stddev)
              << t(p.wall.max) << t(p.wall.ci95) << t(p.spawn.median) << t(p.compute.median)
              << t(p.gather.median) << t(p.imbalance.median);
            const Derived& d = p.derived;
            r << d.speedup << d.efficiency << d.efficiency_cores << d.overhead_s << d.karp_flatt
              << d.gustafson_serial << d.oversubscription << p.usable_cores
              << fmt::format("{}", fmt::join(p.nodes, " ")) << t(p.cpu_util.median)
              << t(p.ctx_involuntary_median) << d.gflops << d.bandwidth_gbs << d.items_per_s
              << d.roofline_fraction << blas_text(loaded_blas(p)) << p.verified << p.error;
            points += r.str();
            for (const auto& rep : p.reps) {
                Row x;
                key_cells(x, p, params, learners);
                fields::csv_cells(rep, kRepFields,
                                  [&](std::string_view, const auto& value) { x << value; });
                reps += x.str();
            }
        }
        write_atomic(run.dir / "points.csv", points);
        write_atomic(run.dir / "reps.csv", reps);
        pace_.wrote(start_s, monotonic_s());
    }
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter() {
    return std::make_unique<CsvReporter>();
}

}  // namespace parsweep
