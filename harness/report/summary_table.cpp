#include "report/summary_table.hpp"

#include <fmt/format.h>

#include "util/units.hpp"

namespace parsweep {

std::string ratio_text(const std::optional<double>& v) {
    return v ? fmt::format("{:.2f}", *v) : "-";
}

std::size_t display_width(const std::string& text) {
    std::size_t n = 0;
    for (unsigned char c : text) n += (c & 0xC0) != 0x80;
    return n;
}

// A decimal below 10% so that small work does not read as 0%.
std::string roof_text(const Derived& d) {
    if (!d.roofline_fraction) return "";
    const double percent = *d.roofline_fraction * 100;
    const char* limit = d.roofline_bound == "memory" ? "triad" : "dgemm";
    if (percent >= 9.95) return fmt::format("{:.0f}% {}", percent, limit);
    if (percent >= 0.05) return fmt::format("{:.1f}% {}", percent, limit);
    return fmt::format("<0.1% {}", limit);
}

// The speedup column's name: a weak-scaling point's speedup is the scaled speedup, so a
// table of weak points only says so, and a mixed one says which (its labels end in "(weak)").
std::string speedup_header(const std::vector<PointResult>& points) {
    std::size_t weak = 0;
    for (const auto& p : points) weak += p.point->weak();
    if (weak == 0) return "speedup";
    return weak == points.size() ? "scaled speedup" : "speedup (weak: scaled)";
}

namespace {

bool compute_timed(const PointResult& p) {
    return p.point->time_metric == TimeMetric::compute_s;
}

// Whether the table's points time different metrics: some wall time, some compute time.
bool mixed_metrics(const std::vector<PointResult>& points) {
    std::size_t compute = 0;
    for (const auto& p : points) compute += compute_timed(p);
    return compute > 0 && compute < points.size();
}

// The time column's name says which time it is: "median wall", "median compute", or, when
// the points differ, "median time" with the compute times marked '*' (summary_note).
std::string time_header(const std::vector<PointResult>& points) {
    if (mixed_metrics(points)) return "median time";
    return !points.empty() && compute_timed(points.front()) ? "median compute" : "median wall";
}

}  // namespace

std::string summary_note(const std::vector<PointResult>& points) {
    if (!mixed_metrics(points)) return "";
    return "* compute time (compute_s: the kernel's timed work alone), the time those points' "
           "speedups compare; the other times are wall time (wall_s)";
}

std::vector<SummaryColumn> summary_columns(const std::vector<PointResult>& points) {
    using P = const PointResult&;
    const bool mixed = mixed_metrics(points);
    // A time of the point's metric, '*' after a compute time in a table of both.
    auto time_cell = [mixed](P p, double seconds) {
        if (!p.verified) return std::string("-");
        return format_seconds(seconds) + (mixed && compute_timed(p) ? "*" : "");
    };
    std::vector<SummaryColumn> cols = {
        {"point", false, 5, "", false, [](P p) { return p.point->label(); }},
        {"P", true, 4, "  ", false, [](P p) { return std::to_string(p.point->processes); }},
        {"T", true, 4, " ", false, [](P p) { return std::to_string(p.point->threads); }},
        {time_header(points), true, 10, "  ", false,
         [time_cell](P p) { return time_cell(p, p.timed().median); }},
        {"±95%", true, 9, " ", false, [time_cell](P p) { return time_cell(p, p.timed().ci95); }},
        {speedup_header(points), true, 7, "  ", false,
         [](P p) { return ratio_text(p.derived.speedup); }},
        {"effic.", true, 6, " ", false, [](P p) { return ratio_text(p.derived.efficiency); }},
    };
    // The roof column only when some point has a limit to be held to (a calibrated run), so
    // that a run without one keeps the narrower table.
    bool roof = false;
    for (const auto& p : points) roof |= !roof_text(p.derived).empty();
    if (roof)
        cols.push_back({"roof", false, 4, "  ", false, [](P p) { return roof_text(p.derived); }});
    cols.push_back({"verified", false, 0, "  ", true,
                    [](P p) { return p.verified ? "yes" : "NO: " + p.error.substr(0, 60); }});
    return cols;
}

}  // namespace parsweep
