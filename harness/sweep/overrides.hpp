// `parsweep run` options that change the sweep a config describes: --repetitions and --warmup
// (for every point) and --only (a selection of the points). They are part of the run's
// identity: recorded in sweep.json (config.overrides) and in its config hash, so that
// --resume goes on with the same points and the same counts, and parsweep merge joins only
// runs that measured the same thing.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sweep/model.hpp"

namespace parsweep {

struct RunOverrides {
    std::optional<int> repetitions;  // --repetitions N: every point's
    std::optional<int> warmup;       // --warmup N: every point's
    // --only FILTER, repeatable: a point is kept when any filter matches it (OR); a filter is
    // "key=value,key=value" and matches when every pair does (AND). Keys: kernel, P or
    // processes, T or threads, and any kernel parameter's name; values compare as text, or
    // as numbers when both are numbers ("n=1e6" matches n 1000000).
    std::vector<std::string> only;

    bool empty() const { return !repetitions && !warmup && only.empty(); }
    // {"repetitions": …, "warmup": …, "only": […]} with the options given; null when none.
    json to_json() const;
    // The inverse, of sweep.json's config.overrides (null: none). Throws std::runtime_error.
    static RunOverrides from_json(const json& j);
};

// Bad --only / --repetitions input: the message names the option and the value.
class OverrideError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// Applies `overrides` to `sweep`: sets the counts of every point, keeps the points the
// filters select and the baseline each of them is compared with (so that every kept point
// still has its speedup; a baseline kept only for that keeps its baseline_only flag as the
// config made it), numbers the kept points again from 0, and records the overrides in
// sweep.overrides (and so in its hash). Throws OverrideError for a filter that is not
// key=value pairs, names an unknown key (with a suggestion) or matches no point (listing the
// keys and the values the sweep has).
void apply_overrides(Sweep& sweep, const RunOverrides& overrides);

}  // namespace parsweep
