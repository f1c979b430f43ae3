// The sweep's model: a Sweep is the list of Points to run (each a kernel with all its
// parameters at P processes × T threads), and a Part the share of them one job measures.
// config.hpp builds a Sweep from a config file; run/, report/ and cluster/ read it.
//
// Scaling: `"scaling": "strong"` (the default) runs the same work at every P × T. With
// `"scaling": "weak"` (top level or per run, inherited like `launcher`) the value given for the
// kernel's work-size parameter (ParamSpec::work_size: square's n, pi's samples, invert's count)
// is the work of one worker, and a point at P × T runs given × P·T of it: the work per worker
// stays fixed while the workers grow. The multiplier is the point's own P·T, not P·T over the
// baseline's, so that the given value means the same (work per worker) at every baseline, and
// stays a whole number; with the usual 1 × 1 baseline the baseline runs exactly the given
// size. A kernel without a work-size parameter (wordcount: its work is the text) is refused
// for weak scaling. Each point's `params` hold its real size (what it runs and verifies);
// Point::per_worker keeps the given value, which identifies a weak curve.

#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kernel.hpp"

namespace parsweep {

// A point's modes, each an enum with the one table of its names: the config's choices and
// their errors, sweep.json, the results and labels all take the names from it
// (util/json_enum.hpp: enum_names, enum_name, enum_from_name).

// The time that speedup, efficiency and overhead compare: "wall_s" (the whole parallel
// operation: spawn, set-up, dispatch, compute, gather) or "compute_s" (the kernel alone).
enum class TimeMetric { wall_s, compute_s };
NLOHMANN_JSON_SERIALIZE_ENUM(TimeMetric,
                             {{TimeMetric::wall_s, "wall_s"}, {TimeMetric::compute_s, "compute_s"}})

// How the P processes start: "spawn" (fresh processes on this node, launcher.hpp) or "mpi"
// (P MPI ranks through mpirun, or srun inside a Slurm allocation; mpi_launcher.hpp).
enum class Launcher { spawn, mpi };
NLOHMANN_JSON_SERIALIZE_ENUM(Launcher, {{Launcher::spawn, "spawn"}, {Launcher::mpi, "mpi"}})

// "strong" or "weak" (see the top of this file).
enum class Scaling { strong, weak };
NLOHMANN_JSON_SERIALIZE_ENUM(Scaling, {{Scaling::strong, "strong"}, {Scaling::weak, "weak"}})

// Adaptive repetitions ("adaptive" in a config): after its `repetitions`, a point repeats
// until the 95% confidence interval of its time metric's mean is within ci95_pct % of the
// mean, it has max_repetitions, one of them failed, or budget_s seconds have passed since its
// first recorded repetition, whichever comes first. Short, noisy work on a busy machine gets
// the repetitions it needs to tell an effect from noise; quiet or long work stops early.
// max_repetitions 0: off, a fixed count.
struct Adaptive {
    int max_repetitions = 0;
    double ci95_pct = 3;
    double budget_s = 10;
    bool operator==(const Adaptive&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Adaptive, max_repetitions, ci95_pct, budget_s)

// One point of the sweep: a kernel with all its parameters, at P processes × T threads.
struct Point {
    std::size_t index = 0;  // position in Sweep::points
    std::size_t run = 0;    // which entry of "runs" it comes from
    const Kernel* kernel = nullptr;
    json params;                    // every kernel parameter, defaults filled in
    std::vector<std::string> axes;  // kernel parameters swept in this run (for labels)
    int processes = 1;
    int threads = 1;
    int repetitions = 3;
    int warmup = 1;
    Adaptive adaptive;
    double timeout_s = 3600;
    TimeMetric time_metric = TimeMetric::wall_s;
    std::map<std::string, std::string> env;  // extra environment of the workers
    Launcher launcher = Launcher::spawn;
    // Launcher "mpi" under Slurm: the nodes its ranks spread over (the nodes axis); 0 = as
    // many as the allocation has, at most one per rank. And srun's MPI plugin ("" = chosen
    // by mpi_launcher.hpp).
    int nodes = 0;
    std::string mpi_plugin;
    Scaling scaling = Scaling::strong;
    // Weak scaling: {"<work-size parameter>": the value given in the config}, the work of one
    // worker; `params` holds it × P·T. An empty object for strong scaling.
    json per_worker = json::object();
    int baseline_processes = 1;
    int baseline_threads = 1;
    bool baseline_only = false;  // added to measure the baseline; not on the grid as given
    // Whose machine measured it, in a class run (`parsweep merge --class`): several learners'
    // runs of one lesson side by side. "" in every other run.
    std::string learner;

    // The baseline runs on one node (nodes 0 or 1), whatever the nodes axis.
    bool is_baseline() const {
        return processes == baseline_processes && threads == baseline_threads && nodes <= 1;
    }
    bool weak() const { return scaling == Scaling::weak; }
    // The parameters as the config gave them: `params` with per_worker's values. The same for
    // every point of one curve, whatever P and T, in strong and weak scaling alike.
    json given_params() const;
    // Identifies the learner + run + kernel + given parameters, whatever P and T: a point's
    // baseline is the point with the same group key at the baseline's P and T.
    std::string group_key() const;
    // "invert n=2000 count=8": the kernel and its swept parameters ("alice: invert …" in a
    // class run), the nodes when the nodes axis set them ("pi nodes=2 (mpi)"), and the
    // launcher when it is not "spawn": "pi (mpi)"; a weak-scaling point shows its parameters
    // as given (per worker) and says so: "pi samples=1000000 (weak)".
    std::string label() const;
    // 16 hex digits identifying kernel + parameters + P + T (+ the learner, in a class run;
    // + the launcher when it is not "spawn"; + the scaling when weak; + the nodes when set):
    // how checkpoints, --resume and merged runs recognise the same point.
    std::string key() const;
};

// A share of a sweep's points, for job arrays (`parsweep run CONFIG --part K/N`). Point i
// (its position in the whole sweep, 0-based) belongs to part (i mod N) + 1: round robin
// rather than blocks, so that each part gets a mix of small and large points and the parts
// of a job array take about the same time. Parts are disjoint and together are the sweep.
struct Part {
    int index = 1;  // K, 1-based
    int count = 1;  // N; 1 = the whole sweep
    bool whole() const { return count == 1; }
    bool holds(const Point& p) const { return int(p.index % std::size_t(count)) + 1 == index; }
};

// Parses "K/N" with 1 ≤ K ≤ N; throws std::invalid_argument with a message naming the text.
Part parse_part(const std::string& text);

struct Sweep {
    std::string name;
    std::string description;
    std::filesystem::path source;    // the config file, when loaded from one
    std::filesystem::path base_dir;  // absolute: what relative file parameters were taken from
    json given;                      // the config as written
    int usable_cores = 1;
    double oversubscribe = 1;
    std::vector<Point> points;  // every point of the sweep, whatever `part`
    Part part;                  // the share this run measures (--part)
    // What the config does that is allowed but worth a word, each "PATH: what", as `run` and
    // `validate` print them and sweep.json records them (config.warnings): an `env` that sets
    // LD_PRELOAD, LD_LIBRARY_PATH, PATH or another variable that changes what workers load.
    std::vector<std::string> warnings;
    // The command line's changes to the config (run --repetitions, --warmup, --only:
    // overrides.hpp), null when none; part of hash().
    json overrides;

    // The points this run measures: all of them, or the part's share, in sweep order.
    // Their Point::index stays their position in the whole sweep.
    std::vector<const Point*> points_to_run() const;
    // The config as expanded: every point with its full parameters (and, for a part, the
    // part that measures it), for sweep.json.
    json expanded() const;
    // 16 hex digits of the config as written and the overrides (config_hash): --resume
    // refuses a config that changed, and merge runs of different sweeps.
    std::string hash() const;
};

// A point read back from an entry of sweep.json's config.expanded.points (the inverse of
// Sweep::expanded's entries), for runs measured elsewhere (`parsweep merge`): the config's
// files need not exist here. Throws std::runtime_error naming the field that is wrong.
Point point_from_json(const json& entry);

// The environment variables that set a thread count (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
// …): the launchers set them in every worker from the threads axis, and a config may not
// (Point::env never holds them).
const std::vector<std::string>& thread_count_vars();

// The hash of a config as written (`given`) run with `overrides` (null: none, and then the
// hash of the config alone, as it always was).
std::string config_hash(const json& given, const json& overrides);

// FNV-1a 64 of `text`, as 16 hex digits (an identity, not a cryptographic hash).
std::string hash_text(std::string_view text);

// A kernel parameter's value as text for tables and CSV ("dog cat" for lists).
std::string param_text(const json& value);

}  // namespace parsweep
