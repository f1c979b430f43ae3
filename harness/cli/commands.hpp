// The subcommands behind harness/cli/main.cpp, one function each. They return the process exit
// status: 0 success, 1 the run finished but some point failed, 2 bad input (nothing run).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "machine/sysinfo.hpp"
#include "sweep/model.hpp"
#include "sweep/overrides.hpp"

namespace parsweep {

struct RunOptions {
    std::string config;  // may be empty with `resume`
    std::string resume;  // an interrupted run's directory to complete
    std::string out;     // "" → results/<date>-<name>/
    std::string results_root = "results";
    std::optional<int> cores;   // --cores: overrides the detected usable cores
    int quiet = 0;              // -q: no progress; -qq: not the calibration's start and end either
    std::string part;           // --part K/N: only the K-th of N disjoint shares ("" = all)
    bool no_calibrate = false;  // --no-calibrate (or PARSWEEP_NO_CALIBRATE=1): no calibration
    RunOverrides overrides;     // --repetitions, --warmup, --only
    std::string markdown;       // --export-markdown FILE: the summary table as Markdown
};

// `parsweep merge RUN_DIR... --out DIR` (harness/cluster/merge.cpp).
struct MergeOptions {
    std::vector<std::string> dirs;    // the runs to join, in this order
    std::string out;                  // the merged run's directory
    bool force = false;               // replace a non-empty `out`, whatever it holds
    bool replace = false;             // replace `out` when it is an earlier merge of these runs
    bool dedupe = false;              // a point measured twice: keep one instead of refusing
    bool class_mode = false;          // learners' runs side by side (--class)
    std::vector<std::string> labels;  // --label: one learner name per run, in order
    bool quiet = false;
    std::string markdown;  // --export-markdown FILE: the summary table as Markdown
};

int cmd_run(const RunOptions& options);
int cmd_merge(const MergeOptions& options);
int cmd_validate(const std::string& config, std::optional<int> cores);
int cmd_list(bool as_json, bool all);  // all: also the hidden test kernels
int cmd_info(bool as_json, std::optional<int> cores);
// `parsweep corpus`: copies of `from` up to `size`, or, without `from`, English-like text
// generated from `seed` (english_text.hpp).
struct CorpusOptions {
    std::string size;  // "" → the workshop text's size
    std::string from;  // "" → generate
    std::uint64_t seed = 1;
    std::string out;
};
int cmd_corpus(const CorpusOptions& options);

// Loads a config with `cores` as the usable cores, or prints every problem in it (each with
// the file and JSON path) and returns nullopt: what every subcommand that takes a config does.
// Launcher "mpi" points are checked against the Slurm allocation this process runs in, or,
// `for_job` (`parsweep slurm`), left for the job to check against its own.
std::optional<Sweep> load_or_report(const std::string& config, const UsableCores& cores,
                                    bool for_job = false);

}  // namespace parsweep
