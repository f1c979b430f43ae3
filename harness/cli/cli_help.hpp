// The command line's answers to a mistyped or missing command: `parsweep help [COMMAND]`
// (the same as --help), and a suggestion for a mistyped command or option, as git and cargo
// give them. Used by harness/cli/main.cpp around CLI11's parsing (parse_command_line).
#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace parsweep {

// Before parsing: when argv[1] is neither an option nor one of `app`'s commands, prints
// `parsweep: unknown command "runn"; did you mean "run"?` (or the list of commands) to stderr
// and returns 2; nullopt when it is fine.
std::optional<int> check_command(const CLI::App& app, int argc, char** argv);

// `parsweep help [COMMAND]`: prints the help of `app`, or of its command `name`; returns 0,
// or 2 (with a suggestion) when there is no such command.
int print_help(const CLI::App& app, const std::string& name);

// Parses the command line into `app` and its commands (commands.hpp): nullopt when one was
// chosen and is to run; else the exit status of what was done instead — 0 after --help or
// --version, 2 after a usage error (said by CLI11, with suggest_options's did-you-mean) or an
// unknown command (check_command): usage errors are bad input, like a bad config.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// After CLI11 rejected the command line with `error`: for each argument that looks like an
// option the chosen command does not have, `parsweep: unknown option "--repetiton" for run;
// did you mean "--repetitions"?` to stderr. Nothing when no argument is like a known option.
void suggest_options(const CLI::App& app, int argc, char** argv);

}  // namespace parsweep
