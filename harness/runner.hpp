// The runner: every point of a sweep, warmups then repetitions, each through the launcher;
// statistics and derived metrics per point; reporters told after every repetition and point.
#pragma once

#include <string>
#include <vector>

#include "reporter.hpp"

namespace parsweep {

// Summarises a point's repetitions against its baseline (nullptr when none was measured).
// Statistics cover verified repetitions only; a point is verified when all of them are.
PointResult summarize_point(const Point& point, std::vector<RepRecord> reps,
                            const PointResult* baseline, int usable_cores);

// Runs the sweep; `run.status` ends "complete" and `run.points_failed` counts the points that
// did not verify.
std::vector<PointResult> run_sweep(RunInfo& run, const std::vector<Reporter*>& reporters,
                                   const std::string& executable);

}  // namespace parsweep
