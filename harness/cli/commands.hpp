// Every subcommand of parsweep, declared here. Each is a file of this folder (run.cpp,
// validate.cpp, …) that declares its options with CLI11 next to the code that runs it; a
// command whose work belongs to a stage below (slurm and merge: cluster/) has here only its
// command line, and calls that stage. main.cpp adds them all (add_commands), parses, and runs
// the one chosen.
//
// A command returns the process exit status: 0 success, 1 the run finished but some point
// failed, 2 bad input (nothing run); `run` and `calibrate` also 128 + N when interrupted by
// signal N (SIGINT, SIGTERM).
#pragma once

#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace parsweep {

// A subcommand on the command line: `app` was chosen when it is parsed; `run` then does it
// with the options CLI11 parsed into it (they live as long as `run`).
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

// Each adds its subcommand to `parsweep`, the top-level app.
Command add_run_command(CLI::App& parsweep);        // run.cpp
Command add_validate_command(CLI::App& parsweep);   // validate.cpp
Command add_list_command(CLI::App& parsweep);       // list.cpp
Command add_schema_command(CLI::App& parsweep);     // schema.cpp
Command add_info_command(CLI::App& parsweep);       // info.cpp
Command add_corpus_command(CLI::App& parsweep);     // corpus.cpp
Command add_slurm_command(CLI::App& parsweep);      // slurm.cpp: cluster/slurm.hpp
Command add_merge_command(CLI::App& parsweep);      // merge.cpp: cluster/merge.hpp
Command add_calibrate_command(CLI::App& parsweep);  // calibrate.cpp
Command add_plot_command(CLI::App& parsweep);       // plot.cpp
Command add_compare_command(CLI::App& parsweep);    // plot.cpp
Command add_worker_command(CLI::App& parsweep);     // (internal) launch/worker.hpp
Command add_help_command(CLI::App& parsweep);       // cli_help.cpp

// Every command above, added to `parsweep` in this order: the order `parsweep --help` lists.
std::vector<Command> add_commands(CLI::App& parsweep);

}  // namespace parsweep
