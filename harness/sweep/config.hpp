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
// a measured reference. Scaling (weak: the work grows with P·T) is described in model.hpp.

#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sweep/model.hpp"

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

// 1, 2, 4, … up to `limit`, with `limit` itself last when it is not a power of two.
std::vector<int> auto_counts(int limit);

}  // namespace parsweep
