// The subcommands behind harness/cli/main.cpp, one function each. They return the process exit
// status: 0 success, 1 the run finished but some point failed, 2 bad input (nothing run).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "machine/sysinfo.hpp"
#include "sweep/config.hpp"
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

int cmd_run(const RunOptions& options);
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

// `parsweep calibrate` (calibrate.cpp): the machine's limits, measured or cached.
struct CalibrateOptions {
    std::optional<int> cores;  // --cores: overrides the detected usable cores
    bool as_json = false;      // --json: the calibration as JSON on stdout
    std::string out;           // --out FILE: also write the JSON there
    bool quick = false;        // --quick: fewer thread counts, smaller DGEMM, fewer repetitions
    bool force = false;        // --force: measure again even when a cached one matches
};
int cmd_calibrate(const CalibrateOptions& options);

}  // namespace parsweep
