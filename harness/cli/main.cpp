// parsweep: parse the command line, then hand over to the one subcommand chosen
// (commands.hpp).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>

#include <CLI/CLI.hpp>

#include "build_info.hpp"
#include "cli/cli_help.hpp"
#include "cli/commands.hpp"
#include "launch/worker.hpp"

int main(int argc, char** argv) {
    // The workers of a copy of parsweep without parsweep-worker beside it (launcher.hpp
    // worker_command): started thousands of times per sweep, so straight to it.
    if (argc == 2 && std::strcmp(argv[1], "worker") == 0) return parsweep::worker_main();
    // A worker that dies must not take the parent with it through a write to its pipe.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"parsweep: sweep processes × threads × parameters over verified kernels",
                 "parsweep"};
    app.set_version_flag("--version", std::string("parsweep ") + PARSWEEP_VERSION + " (" +
                                          PARSWEEP_GIT_COMMIT + ")");
    app.require_subcommand(1);
    const std::vector<parsweep::Command> commands = parsweep::add_commands(app);
    if (auto status = parsweep::parse_command_line(app, argc, argv)) return *status;
    try {
        for (const auto& command : commands)
            if (command.app->parsed()) return command.run();
    } catch (const std::exception& e) {
        // A command reports what it expects itself (bad input 2, failed points 1); anything
        // else that escapes one — a file system error no check foresaw, memory exhausted —
        // ends it here with its reason, never in an abort.
        std::fprintf(stderr, "parsweep: error: %s\n", e.what());
        return 1;
    }
    return parsweep::worker_main();  // not reached: CLI11 requires one command
}
