// Config: a JSON sweep file → a checked, expanded Sweep (the list of points to run).
//
// Everything is checked before anything runs, and every problem is reported at once, each
// naming its JSON path: `runs[2].grid.chunk_bytes[0]: must be ≥ 1 (got 0)`. The format is
// described for editors by configs/schema.json and in README.md ("Config format").
//
// Expansion: a run's `params` and `grid` are merged over the top level's (key by key; the
// top level's kernel parameters apply to the runs whose kernel has them), every key under
// `grid` is an axis, and the run's points are the cartesian product of its axes, with
// `threads` varying fastest, then `processes`, then the kernel parameters in the kernel's
// declaration order. When the baseline (processes, threads) is not on a run's grid it is
// added to each parameter combination, flagged `baseline_only`, so that speedups always have
// a measured reference.
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
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel.hpp"

namespace parsweep {

// One problem in a config: where (a JSON path, or "" for the whole document) and what.
struct ConfigError {
    std::string path;
    std::string message;
    std::string to_string() const { return path.empty() ? message : path + ": " + message; }
};

// Thrown by load_sweep / parse_sweep with every problem found.
class ConfigErrors : public std::runtime_error {
  public:
    explicit ConfigErrors(std::vector<ConfigError> errors);
    const std::vector<ConfigError>& errors() const { return errors_; }

  private:
    std::vector<ConfigError> errors_;
};

// What the loader needs to know about the machine.
struct LoadOptions {
    int usable_cores = 1;                // "auto" grids expand up to this (× oversubscribe)
    std::uint64_t memory_available = 0;  // bytes a run may use; 0 = do not check
    std::string default_name = "sweep";  // when the config has no "name"
    // Why launcher "mpi" cannot run here (mpi_launcher.hpp: no MPI worker built, no mpirun);
    // "" when it can. A config asking for it then fails with this reason.
    std::string mpi_unavailable = {};
    // Where relative file parameters written in the config are taken from: the config file's
    // own directory (load_sweep sets it), so that a config works from any directory. "" = the
    // current directory. A kernel's default file (one the config does not write) is always
    // taken from the current directory. Every file parameter is expanded to an absolute path.
    std::filesystem::path base_dir = {};
    // The Slurm allocation launcher "mpi" runs in (slurm_allocation.hpp): its nodes bound the
    // nodes axis, and its CPUs (all nodes together) the "auto" processes of mpi runs. Outside
    // one, 1 node and 0 CPUs (= usable_cores). nullopt: not checked (`parsweep slurm` writes
    // the job that will have them).
    std::optional<int> allocation_nodes = 1;
    int allocation_cpus = 0;
};

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
    double timeout_s = 3600;
    // The time that speedup, efficiency and overhead compare: "wall_s" (the whole parallel
    // operation: spawn, set-up, dispatch, compute, gather) or "compute_s" (the kernel alone).
    std::string time_metric = "wall_s";
    std::map<std::string, std::string> env;  // extra environment of the workers
    // How the P processes start: "spawn" (fresh processes on this node, launcher.hpp) or
    // "mpi" (P MPI ranks through mpirun, or srun inside a Slurm allocation; mpi_launcher.hpp).
    std::string launcher = "spawn";
    // Launcher "mpi" under Slurm: the nodes its ranks spread over (the nodes axis); 0 = as
    // many as the allocation has, at most one per rank. And srun's MPI plugin ("" = chosen
    // by mpi_launcher.hpp).
    int nodes = 0;
    std::string mpi_plugin;
    // "strong" or "weak" (see the top of this file).
    std::string scaling = "strong";
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
    bool weak() const { return scaling == "weak"; }
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

// Reads, checks and expands a config file. Throws ConfigErrors.
Sweep load_sweep(const std::filesystem::path& file, const LoadOptions& options);
// The same for a config's text; syntax errors are reported as `origin:line:col`.
Sweep parse_sweep_text(std::string_view text, const std::string& origin,
                       const LoadOptions& options);
// The same for a parsed document.
Sweep parse_sweep(const json& doc, const LoadOptions& options);

// `doc` (a config) with every relative value of a file parameter (any kernel's ParamType::File,
// under params or grid, at the top or in a run) made absolute from `base_dir`: a copy of the
// config that works from another directory (`parsweep slurm` copies the config it submits).
// Returns `doc` unchanged when it has no relative file value.
json with_absolute_files(const json& doc, const std::filesystem::path& base_dir);

// The environment variables that set a thread count (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
// …): the launchers set them in every worker from the threads axis, and a config may not.
const std::vector<std::string>& thread_count_vars();

// The closest of `candidates` to `word` when it is a plausible typo, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// The hash of a config as written (`given`) run with `overrides` (null: none, and then the
// hash of the config alone, as it always was).
std::string config_hash(const json& given, const json& overrides);

// FNV-1a 64 of `text`, as 16 hex digits (an identity, not a cryptographic hash).
std::string hash_text(std::string_view text);

// 1, 2, 4, … up to `limit`, with `limit` itself last when it is not a power of two.
std::vector<int> auto_counts(int limit);

}  // namespace parsweep
