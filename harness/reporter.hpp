// Reporters render the result model; the runner tells each of them what happened through
// this one small interface. One file per format: json_reporter.cpp (sweep.json and the
// checkpoint journal), csv_reporter.cpp (points.csv, reps.csv), console_reporter.cpp
// (progress line and summary table).
//
// File reporters rewrite their files after every point, atomically, so a crash loses at
// most the point in flight.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "results.hpp"

namespace parsweep {

// The run as a whole.
struct RunInfo {
    const Sweep* sweep = nullptr;
    json context;                    // machine, libraries, build (sysinfo.hpp)
    std::filesystem::path dir;       // where the files go
    std::string status = "running";  // running → complete (every point ran) | incomplete
    int interrupted_by = 0;          // the signal that stopped an incomplete run
    std::size_t points_failed = 0;   // points that did not verify
    std::string started_at;          // ISO 8601
    std::string finished_at;
    double elapsed_s = 0;
    json merge;  // how `parsweep merge` made this run from others; null for a measured run
};

class Reporter {
  public:
    virtual ~Reporter() = default;
    virtual void run_started(const RunInfo&) {}
    // Before point `i` of `n` (0-based); `reps_total` counts warmups and repetitions.
    virtual void point_started(const RunInfo&, const Point&, std::size_t, std::size_t) {}
    // After each repetition; `rep` < 0 for a warmup.
    virtual void repetition_done(const RunInfo&, const Point&, const RepRecord&) {}
    // After each point, with every point finished so far (the last one is the new one).
    virtual void point_done(const RunInfo&, const std::vector<PointResult>&) {}
    virtual void run_finished(const RunInfo&, const std::vector<PointResult>&) {}
};

std::unique_ptr<Reporter> make_json_reporter();
std::unique_ptr<Reporter> make_csv_reporter();
// Progress on `progress` (a live line when it is a terminal), summary table on `out`.
std::unique_ptr<Reporter> make_console_reporter(std::FILE* out, std::FILE* progress);

// The result model as JSON, shared by the JSON reporter and anything else that exports.
json to_json(const Stats& s);
json to_json(const Derived& d);
json to_json(const RepRecord& r);
json to_json(const PointResult& p);
// A repetition read back from sweep.json or checkpoint.jsonl (the inverse of to_json).
RepRecord rep_from_json(const json& j);

// Every kernel parameter name used by any point, in first-seen order (CSV param_ columns).
std::vector<std::string> param_names(const std::vector<PointResult>& points);

// A kernel parameter's value as text for tables and CSV ("dog cat" for lists).
std::string param_text(const json& value);

}  // namespace parsweep
