#include "cli/cli_help.hpp"

#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "util/did_you_mean.hpp"
#include "util/term_style.hpp"

namespace parsweep {

namespace {

std::vector<std::string> command_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
    return names;
}

const CLI::App* command(const CLI::App& app, const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        if (sub->get_name() == name) return sub;
    return nullptr;
}

// The commands a user may type (not the hidden worker), for messages.
std::string visible_commands(const CLI::App& app) {
    std::string all;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        if (!sub->get_group().empty()) all += (all.empty() ? "" : ", ") + sub->get_name();
    return all;
}

int unknown_command(const CLI::App& app, const std::string& name) {
    auto names = command_names(app);
    names.erase(std::remove(names.begin(), names.end(), "worker"), names.end());
    const std::string hint = did_you_mean_clause(name, names);
    fmt::print(
        stderr, "parsweep: unknown command \"{}\"{}\n", name,
        hint.empty() ? "; the commands are " + visible_commands(app) + " (parsweep help)" : hint);
    return 2;
}

}  // namespace

std::optional<int> check_command(const CLI::App& app, int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return std::nullopt;
    if (command(app, argv[1])) return std::nullopt;
    return unknown_command(app, argv[1]);
}

int print_help(const CLI::App& app, const std::string& name) {
    if (name.empty()) {
        // Not app.help(): with the help command parsed, that would be the help command's.
        fmt::print("{}", app.get_formatter()->make_help(&app, "", CLI::AppFormatMode::Normal));
        return 0;
    }
    const CLI::App* sub = command(app, name);
    if (!sub) return unknown_command(app, name);
    fmt::print("{}", sub->help(app.get_name()));  // "Usage: parsweep run …", as run --help
    return 0;
}

void suggest_options(const CLI::App& app, int argc, char** argv) {
    const CLI::App* sub = argc >= 2 ? command(app, argv[1]) : nullptr;
    const CLI::App& where = sub ? *sub : app;
    std::vector<std::string> known;
    for (const CLI::Option* opt : where.get_options())
        for (const auto& n : opt->get_lnames()) known.push_back("--" + n);
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) continue;
        arg = arg.substr(0, arg.find('='));
        if (std::find(known.begin(), known.end(), arg) != known.end()) continue;
        const std::string hint = did_you_mean_clause(arg, known);
        if (!hint.empty())
            fmt::print(stderr, "parsweep: unknown option \"{}\"{}{}\n", arg,
                       sub ? " for " + sub->get_name() : "", hint);
    }
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    if (auto status = check_command(app, argc, argv)) return status;
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        if (status != 0) suggest_options(app, argc, argv);
        return status == 0 ? 0 : 2;
    }
    return std::nullopt;
}

Command add_help_command(CLI::App& parsweep) {
    auto name = std::make_shared<std::string>();
    auto* cmd = parsweep.add_subcommand("help", "this help, or a command's (parsweep help run)");
    cmd->add_option("command", *name, "the command");
    return {cmd, [&parsweep, name] { return print_help(parsweep, *name); }};
}

}  // namespace parsweep
