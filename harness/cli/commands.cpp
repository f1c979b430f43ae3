#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

#include "launch/worker.hpp"

namespace parsweep {

Command add_worker_command(CLI::App& parsweep) {
    // Hidden from the help: the launcher starts it, never a user (main.cpp takes the plain
    // `parsweep worker` before parsing; this is for the rest, such as `worker --help`).
    auto* cmd = parsweep.add_subcommand("worker", "(internal) one worker process of a sweep");
    cmd->group("");
    return {cmd, [] { return worker_main(); }};
}

std::vector<Command> add_commands(CLI::App& parsweep) {
    return {add_run_command(parsweep),       add_validate_command(parsweep),
            add_list_command(parsweep),      add_schema_command(parsweep),
            add_info_command(parsweep),      add_corpus_command(parsweep),
            add_slurm_command(parsweep),     add_merge_command(parsweep),
            add_calibrate_command(parsweep), add_plot_command(parsweep),
            add_compare_command(parsweep),   add_worker_command(parsweep),
            add_help_command(parsweep)};
}

}  // namespace parsweep
