// `parsweep merge`: the command line of cluster/merge.hpp's joining of runs.
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cluster/merge.hpp"
#include "util/json_input.hpp"

namespace parsweep {

Command add_merge_command(CLI::App& parsweep) {
    auto o = std::make_shared<MergeOptions>();
    auto* cmd = parsweep.add_subcommand(
        "merge", "join runs into one: the parts of a job array, or learners' runs (--class)");
    cmd->add_option("runs", o->dirs, "the run directories to join")->required();
    cmd->add_option("--out", o->out, "the merged run's directory")->required();
    cmd->add_flag("--replace", o->replace,
                  "replace --out when it is an earlier merge of these same runs (merging "
                  "again after a part was finished); refuse anything else. The earlier "
                  "merge stays until the new one is written whole");
    cmd->add_flag("--force", o->force, "replace --out when it is not empty, whatever it holds");
    cmd->add_flag("--dedupe", o->dedupe,
                  "a point measured by two runs: keep one (the verified one, else the one "
                  "with more repetitions, else the first given) instead of refusing");
    cmd->add_flag("--class", o->class_mode,
                  "learners' runs side by side, told apart by a learner label (the runs may "
                  "come from different configs)");
    cmd->add_option("--label", o->labels,
                    "with --class: the learner of each run, in the order of the runs "
                    "(default: each run directory's name)");
    cmd->add_flag("-q,--quiet", o->quiet, "no summary table");
    cmd->add_option("--export-markdown", o->markdown,
                    "also write the summary table to this file as a Markdown table");
    cmd->footer(std::string("Environment:\n") + kMaxJsonBytesHelp);

    return {cmd, [o] { return cmd_merge(*o); }};
}

}  // namespace parsweep
