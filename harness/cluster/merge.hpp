// `parsweep merge RUN_DIR... --out DIR`: several runs joined into one run (merge.cpp says how).
#pragma once

#include <string>
#include <vector>

namespace parsweep {

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

// Joins the runs into options.out. Exit status: 0 every point there and verified, 1 merged
// with points missing or failed, 2 bad input (nothing written).
int cmd_merge(const MergeOptions& options);

}  // namespace parsweep
