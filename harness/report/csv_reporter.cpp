// points.csv (one row per point) and reps.csv (one row per repetition). Columns are stable
// and named with units; a kernel parameter becomes a param_<name> column (empty for the
// kernels that do not have it). A failed point has empty time and ratio columns: it is
// never shown as a fast time.
#include <regex>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "measure/clock.hpp"
#include "report/record_fields.hpp"
#include "report/reporter.hpp"
#include "util/files.hpp"
#include "util/json_enum.hpp"

namespace parsweep {

namespace {

// Whether `s` is a number as num() writes it ("-1.5", "2e-05", "-inf"): left as it is.
bool is_number_text(const std::string& s) {
    static const std::regex number("[-+]?(([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|inf|nan)");
    return std::regex_match(s, number);
}

// One CSV cell. Text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or
// a carriage return: a label "=HYPERLINK(…)" from a config) gets a leading ' inside a quoted
// cell, as OWASP's CSV injection guidance says, so that it is shown as the text it is.
std::string cell(std::string s) {
    const bool formula = !s.empty() &&
                         std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos &&
                         !is_number_text(s);
    if (!formula && s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = formula ? "\"'" : "\"";
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
    Row& operator<<(bool v) { return *this << text(v); }
    static std::string text(bool v) { return v ? "true" : "false"; }
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

// points.csv's columns after the key: each a name and its cell, listed once so the header
// and the rows cannot drift apart. Times (`timed`) are empty for a failed point.
struct PointColumn {
    const char* name;
    std::string (*cell)(const PointResult&);
};

std::string timed(const PointResult& p, double v) {
    return p.verified && p.wall.count > 0 ? num(v) : std::string();
}

// clang-format off
const PointColumn kPointColumns[] = {
    {"baseline_only",     [](const PointResult& p) { return Row::text(p.point->baseline_only); }},
    {"time_metric",       [](const PointResult& p) { return enum_name(p.point->time_metric); }},
    {"repetitions",       [](const PointResult& p) { return std::to_string(p.reps.size()); }},
    {"min_s",             [](const PointResult& p) { return timed(p, p.wall.min); }},
    {"median_s",          [](const PointResult& p) { return timed(p, p.wall.median); }},
    {"mean_s",            [](const PointResult& p) { return timed(p, p.wall.mean); }},
    {"stddev_s",          [](const PointResult& p) { return timed(p, p.wall.stddev); }},
    {"max_s",             [](const PointResult& p) { return timed(p, p.wall.max); }},
    {"ci95_s",            [](const PointResult& p) { return timed(p, p.wall.ci95); }},
    {"spawn_s",           [](const PointResult& p) { return timed(p, p.spawn.median); }},
    {"compute_s",         [](const PointResult& p) { return timed(p, p.compute.median); }},
    {"gather_s",          [](const PointResult& p) { return timed(p, p.gather.median); }},
    {"imbalance_s",       [](const PointResult& p) { return timed(p, p.imbalance.median); }},
    {"speedup",           [](const PointResult& p) { return num(p.derived.speedup); }},
    {"efficiency",        [](const PointResult& p) { return num(p.derived.efficiency); }},
    {"efficiency_cores",  [](const PointResult& p) { return num(p.derived.efficiency_cores); }},
    {"overhead_s",        [](const PointResult& p) { return num(p.derived.overhead_s); }},
    {"karp_flatt",        [](const PointResult& p) { return num(p.derived.karp_flatt); }},
    {"gustafson_serial",  [](const PointResult& p) { return num(p.derived.gustafson_serial); }},
    {"oversubscription",  [](const PointResult& p) { return num(p.derived.oversubscription); }},
    {"usable_cores",      [](const PointResult& p) { return std::to_string(p.usable_cores); }},
    {"nodes",             [](const PointResult& p) { return fmt::format("{}", fmt::join(p.nodes, " ")); }},
    {"cpu_util",          [](const PointResult& p) { return timed(p, p.cpu_util.median); }},
    {"ctx_involuntary",   [](const PointResult& p) { return timed(p, p.ctx_involuntary_median); }},
    {"gflops",            [](const PointResult& p) { return num(p.derived.gflops); }},
    {"bandwidth_gbs",     [](const PointResult& p) { return num(p.derived.bandwidth_gbs); }},
    {"items_per_s",       [](const PointResult& p) { return num(p.derived.items_per_s); }},
    {"roofline_fraction", [](const PointResult& p) { return num(p.derived.roofline_fraction); }},
    {"blas_loaded",       [](const PointResult& p) { return blas_text(loaded_blas(p)); }},
    {"verified",          [](const PointResult& p) { return Row::text(p.verified); }},
    {"error",             [](const PointResult& p) { return p.error; }},
};
// clang-format on

class CsvReporter : public RewritingReporter {
  private:
    void write(const RunInfo& run, const std::vector<PointResult>& done) override {
        const auto params = param_names(done);
        const bool learners = has_learners(done);
        std::string points, reps;
        {
            Row h;
            key_header(h, params, learners);
            for (const auto& column : kPointColumns) h << std::string(column.name);
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
            for (const auto& column : kPointColumns) r << column.cell(p);
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
    }
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter() {
    return std::make_unique<CsvReporter>();
}

}  // namespace parsweep
