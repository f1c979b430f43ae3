#include "cli/plot_command.hpp"

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "util/install_paths.hpp"
#include "util/subprocess.hpp"

namespace fs = std::filesystem;

namespace parsweep {

namespace {

constexpr int kBadInput = 2;
constexpr int kMissing = 1;

bool imports_matplotlib(const std::string& python) {
    return run_program({python, "-c", "import matplotlib"}, Output::discard) == 0;
}

// "" when `dir` is a run directory (it has the sweep.json every run writes), else why not.
std::string not_a_run(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return fmt::format("{} is not a run directory (no such directory){}", dir,
                           dir == "results/latest" ? ": run a sweep first, or name a run" : "");
    if (!fs::is_regular_file(fs::path(dir) / "sweep.json", ec))
        return fmt::format("{} is not a run directory (no sweep.json in it)", dir);
    return "";
}

// The script's arguments after the runs.
std::vector<std::string> script_options(const PlotOptions& o) {
    std::vector<std::string> args;
    if (!o.out.empty()) args.insert(args.end(), {"--out", o.out});
    if (!o.formats.empty()) args.insert(args.end(), {"--formats", o.formats});
    if (o.no_report) args.push_back("--no-report");
    return args;
}

}  // namespace

std::string python_with_matplotlib(const std::string& requested) {
    if (!requested.empty()) return imports_matplotlib(requested) ? requested : "";
    for (const char* candidate : {"python3", "/usr/bin/python3"})
        if (imports_matplotlib(candidate)) return candidate;
    return "";
}

int cmd_plot_script(const std::string& script, const PlotOptions& options) {
    bool bad = false;
    for (const auto& run : options.runs)
        if (const std::string why = not_a_run(run); !why.empty()) {
            fmt::print(stderr, "error: {}\n", why);
            bad = true;
        }
    if (bad) return kBadInput;
    const fs::path path = data_dir() / "plots" / script;
    std::error_code ec;
    if (data_dir().empty() || !fs::is_regular_file(path, ec)) {
        fmt::print(stderr, "error: cannot find plots/{} (looked in {}): reinstall parsweep\n",
                   script, data_dir_candidates());
        return kMissing;
    }
    const std::string python = python_with_matplotlib(options.python);
    if (python.empty()) {
        fmt::print(stderr,
                   "{}: no Python with matplotlib ({}): install python3-matplotlib "
                   "(apt-get install python3-matplotlib, or scripts/install-deps.sh){}\n",
                   options.if_python ? "note" : "error",
                   options.python.empty() ? "tried python3, /usr/bin/python3"
                                          : options.python + " cannot import it",
                   options.if_python ? "; no charts drawn" : "");
        return options.if_python ? 0 : kMissing;
    }
    std::vector<std::string> argv = {python, path.string()};
    argv.insert(argv.end(), options.runs.begin(), options.runs.end());
    for (auto& a : script_options(options)) argv.push_back(std::move(a));
    fmt::print("{}\n", fmt::join(argv, " "));
    std::fflush(stdout);
    std::string why;
    const int status = run_program(argv, Output::inherit, &why);
    if (status < 0) {
        fmt::print(stderr, "error: cannot run {}: {}\n", python, why);
        return kMissing;
    }
    return status;
}

PlotCommands::PlotCommands(CLI::App& app) {
    plot_.runs = {"results/latest"};
    plot_cmd_ =
        app.add_subcommand("plot", "draw a run's charts and report.html (plots/plot_run.py)");
    plot_cmd_->add_option("run", plot_.runs, "the run directory")
        ->expected(1)
        ->capture_default_str();
    compare_cmd_ = app.add_subcommand(
        "compare", "two runs side by side, with the time ratio B ÷ A (plots/compare_runs.py)");
    compare_cmd_->add_option("runs", compare_.runs, "the run directories A (reference) and B")
        ->expected(2)
        ->required();
    for (auto [cmd, o] : {std::pair{plot_cmd_, &plot_}, std::pair{compare_cmd_, &compare_}}) {
        cmd->add_option("--out", o->out, "where the images and the report go");
        cmd->add_option("--formats", o->formats,
                        "comma-separated: png, svg, pdf (default png,svg)");
        cmd->add_option("--python", o->python,
                        "the Python to draw with (default: python3, else /usr/bin/python3, the "
                        "first with matplotlib)");
    }
    plot_cmd_->add_flag("--no-report", plot_.no_report, "images only, no report.html");
    plot_cmd_->add_flag("--if-python", plot_.if_python,
                        "without a Python with matplotlib, say so and exit 0");
}

bool PlotCommands::chosen() const {
    return plot_cmd_->parsed() || compare_cmd_->parsed();
}

int PlotCommands::run() const {
    if (plot_cmd_->parsed()) return cmd_plot_script("plot_run.py", plot_);
    return cmd_plot_script("compare_runs.py", compare_);
}

}  // namespace parsweep
