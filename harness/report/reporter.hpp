// Reporters render the result model; the runner tells each of them what happened through
// this one small interface. One file per format: json_reporter.cpp (sweep.json and the
// checkpoint journal), csv_reporter.cpp (points.csv, reps.csv), console_reporter.cpp
// (progress line and summary table), markdown_reporter.cpp (--export-markdown).
//
// File reporters append every finished point to the checkpoint journal (fsynced), so a crash
// loses at most the point in flight, and rewrite their whole files atomically as the run goes
// (files.hpp RewritePace) and at its end.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "measure/results.hpp"
#include "sweep/model.hpp"
#include "util/files.hpp"

namespace parsweep {

// Where a run's wall time went: inside the kernels' timed regions, and the harness's own
// cost around them. Every repetition run counts, warm-ups included; points read back by
// --resume do not (their time was spent by the earlier run). The parts add up to wall_s.
struct TimeAccounting {
    double wall_s = 0;     // `parsweep run` started → the results last written (not that write)
    double kernels_s = 0;  // Σ compute_s: inside the timed batches
    // Σ spawn_s (first spawn → every worker ready), in two parts at the moment the last worker
    // to be ready entered its main():
    double start_s = 0;    // starting the processes: exec, dynamic loading, constructors
    double setup_s = 0;    // that worker's set-up: its task, the kernel's inputs, OpenMP team;
                           // and a command kernel's program starting (program_setup_s)
    double release_s = 0;  // Σ every worker ready → the first timed batch began ("go")
    double checks_s = 0;   // Σ the kernels' untimed stage() / check() between timed batches,
                           // and the last worker's final check()
    double gather_s = 0;   // Σ gather_s: last batch end → last result received (less the check)
    double reap_s = 0;     // Σ the workers exiting and reaped after their last result
    double verify_s = 0;   // Σ the parent merging and verifying results
    double failed_s = 0;   // Σ repetitions that failed or were interrupted, beyond the above
    double calibrate_s = 0;  // the machine's limits (reading the cached calibration, or measuring)
    double write_s = 0;      // the reporters: sweep.json, CSVs, checkpoint, console
    double other_s = 0;      // the rest: config, machine description, statistics, …
    long repetitions = 0;    // repetitions run, warm-ups included
    long workers = 0;        // worker processes (or ranks) started

    // Adds one repetition's phases (the launcher's own set-up before the first spawn stays in
    // other_s).
    void add(const RepRecord& rec);
    // Sets wall_s to `now_s` − `since_s`, and other_s to what the other parts leave of it.
    void close(double since_s, double now_s);
    // The parts outside the kernels but other_s, by their JSON names, in the order of a
    // repetition and then of the run.
    std::vector<std::pair<std::string_view, double>> parts() const;
    double outside_s() const { return wall_s - kernels_s; }
    double outside_fraction() const { return wall_s > 0 ? outside_s() / wall_s : 0; }
    // Outside the timed regions, the kernels' own untimed work: their set-up (allocating and
    // first-touching inputs, loading the BLAS), checks, and the exit that frees their memory.
    double kernel_untimed_s() const { return setup_s + checks_s + reap_s; }
    // parsweep's own cost: starting processes, handing out work, gathering, verifying,
    // calibrating, writing, and the rest (failed repetitions are neither).
    double harness_s() const { return outside_s() - kernel_untimed_s() - failed_s; }
    double harness_fraction() const { return wall_s > 0 ? harness_s() / wall_s : 0; }
};

// Where a run is, as sweep.json's "status" writes it.
enum class RunStatus {
    running,     // being measured: sweep.json is rewritten as points finish
    complete,    // every point ran (a merge: every point of the sweep was measured)
    incomplete,  // SIGINT/SIGTERM or a result file that could not be written stopped it (a
                 // merge: some point was measured by no run)
};
NLOHMANN_JSON_SERIALIZE_ENUM(RunStatus, {{RunStatus::running, "running"},
                                         {RunStatus::complete, "complete"},
                                         {RunStatus::incomplete, "incomplete"}})

// The run as a whole.
struct RunInfo {
    const Sweep* sweep = nullptr;
    json context;                           // machine, libraries, build (sysinfo.hpp)
    std::filesystem::path dir;              // where the files go
    RunStatus status = RunStatus::running;  // running → complete | incomplete
    int interrupted_by = 0;                 // the signal that stopped an incomplete run
    std::string write_error;                // the result file that could not be written, and
                                            // why: it stopped an incomplete run
    std::size_t points_failed = 0;          // points that did not verify
    std::string started_at;                 // ISO 8601
    std::string finished_at;
    double elapsed_s = 0;
    json merge;  // how `parsweep merge` made this run from others; null for a measured run
    // A measured run's time accounting (written as time_accounting), kept up to date by the
    // runner from `started_s` (CLOCK_MONOTONIC, when `parsweep run` started); none for a merge.
    std::optional<TimeAccounting> time;
    double started_s = 0;
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

// A reporter whose files are rewritten whole (sweep.json, the CSVs): after a point when
// util/files.hpp's RewritePace says a rewrite is due, and always at the end of the run.
class RewritingReporter : public Reporter {
  public:
    void point_done(const RunInfo& run, const std::vector<PointResult>& done) override;
    void run_finished(const RunInfo& run, const std::vector<PointResult>& done) override;

  protected:
    // Rewrites the files with the points `done` so far, timed for the pace.
    void rewrite(const RunInfo& run, const std::vector<PointResult>& done);
    virtual void write(const RunInfo& run, const std::vector<PointResult>& done) = 0;

  private:
    RewritePace pace_;
};

std::unique_ptr<Reporter> make_json_reporter();
std::unique_ptr<Reporter> make_csv_reporter();
// Progress on `progress` (a live line when it is a terminal), summary table on `out`.
std::unique_ptr<Reporter> make_console_reporter(std::FILE* out, std::FILE* progress);
// The summary table as Markdown into `file`, written atomically when the run ends.
std::unique_ptr<Reporter> make_markdown_reporter(const std::filesystem::path& file);
// The summary table of `points` as a Markdown table (summary_table.hpp's columns).
std::string markdown_table(const std::vector<PointResult>& points);

// The result model as JSON, shared by the JSON reporter and anything else that exports.
json to_json(const Stats& s);
json to_json(const Derived& d);
json to_json(const RepRecord& r);
json to_json(const PointResult& p);
json to_json(const TimeAccounting& t);
// A repetition read back from sweep.json or checkpoint.jsonl (the inverse of to_json).
RepRecord rep_from_json(const json& j);

// Every kernel parameter name used by any point, in first-seen order (CSV param_ columns).
std::vector<std::string> param_names(const std::vector<PointResult>& points);

// The BLAS a point's workers loaded (RepRecord::blas of its first repetition that has one;
// null when none did), and one as text for CSV: "OpenBLAS 0.3.21 openmp", "" for null.
json loaded_blas(const PointResult& p);
std::string blas_text(const json& blas);

}  // namespace parsweep
