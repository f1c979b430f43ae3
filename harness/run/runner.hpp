// The runner: every point of a sweep, warmups then repetitions, each through the launcher;
// statistics and derived metrics per point; reporters told after every repetition and point.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "machine/slurm_allocation.hpp"
#include "report/reporter.hpp"

namespace parsweep {

// Summarises a point's repetitions against its baseline (nullptr when none was measured).
// Statistics cover verified repetitions only; a point is verified when all of them are.
// `calibration` (context.calibration, null when none) gives the roofline_fraction.
// The point's usable cores (oversubscription, efficiency_cores) are `usable_cores`, this
// node's, except for MPI ranks in a Slurm `allocation`: the job's CPUs on the nodes they ran on.
// A verified point's rates need its kernel's work(), which throws when that cannot be told
// (wordcount's text is gone); a failed point's kernel is not asked.
PointResult summarize_point(const Point& point, std::vector<RepRecord> reps,
                            const PointResult* baseline, int usable_cores,
                            const json& calibration = json(),
                            const std::optional<Allocation>& allocation = std::nullopt);

// The cores `point` will have: `usable_cores` (this node's), or for MPI ranks in a Slurm
// `allocation` the job's CPUs on the nodes srun will place them on (its first nodes).
int planned_cores(const Point& point, int usable_cores,
                  const std::optional<Allocation>& allocation);

// The repetitions of points finished by an earlier run, by Point::key().
using Checkpoint = std::map<std::string, std::vector<RepRecord>>;

// Runs the sweep; the points in `done_before` are not run again, their repetitions are
// reused. The input files of the points are identified first (run.context["inputs"], kept
// when a resumed run has it: input_identity.hpp); a repetition of a point whose input is not
// what was recorded, before or after it runs, fails with the change. `run.status` ends
// "complete", or "incomplete" when SIGINT/SIGTERM stopped it (the point in flight is dropped:
// --resume runs it again) or a result file could not be written (`run.write_error` says which
// and why; no point starts after it, and every reporter is still told the run finished);
// `run.points_failed` counts the points that did not verify. `run.time` accounts for the wall
// time from `run.started_s` (both set here when the caller did not), and is up to date
// whenever a reporter writes it.
std::vector<PointResult> run_sweep(RunInfo& run, const std::vector<Reporter*>& reporters,
                                   const std::string& executable,
                                   const Checkpoint& done_before = {});

}  // namespace parsweep
