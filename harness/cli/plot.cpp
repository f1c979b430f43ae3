// parsweep plot RUN and parsweep compare A B: the charts and report of a run (plots/plot_run.py)
// and two runs side by side (plots/compare_runs.py), drawn by a Python with matplotlib.
//
// A lesson's run (`make exercise`) holds the check's verdict, lesson.json, naming the charts the
// lesson asks about: only those are drawn, and the report opens with the verdict;
// --all-charts draws every chart.
//
// The scripts are taken from the installed share/parsweep/plots, or the source tree of a
// build (install_paths.hpp data_dir). The Python is --python, else the first of python3 on PATH
// and /usr/bin/python3 that imports matplotlib (a venv's python3 may lack Debian's packages).
// Exit status: the script's own; 2 when a RUN is not a run directory (no sweep.json), naming
// it; 1 when no such Python is found (saying to install python3-matplotlib; 0 with
// --if-python, which `make sweep` uses: a sweep that worked is not failed by a missing
// matplotlib) or when the scripts are not found.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "util/install_paths.hpp"
#include "util/subprocess.hpp"

namespace fs = std::filesystem;

namespace parsweep {

namespace {

constexpr int kBadInput = 2;
constexpr int kMissing = 1;

struct PlotOptions {
    std::vector<std::string> runs;  // plot: one run; compare: A and B
    std::string out;                // --out: where the images and the report go
    std::string formats;            // --formats: png,svg,pdf
    bool no_report = false;         // plot --no-report
    bool all_charts = false;        // plot --all-charts: also beyond a lesson's (lesson.json)
    std::string python;             // --python: the interpreter to use
    bool if_python = false;         // no Python with matplotlib: a note and exit 0
};

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
    if (o.all_charts) args.push_back("--all-charts");
    return args;
}

// The first Python that imports matplotlib: `requested` when given (or "" when it does not),
// else python3 on PATH, else /usr/bin/python3; "" when none does.
std::string python_with_matplotlib(const std::string& requested) {
    if (!requested.empty()) return imports_matplotlib(requested) ? requested : "";
    for (const char* candidate : {"python3", "/usr/bin/python3"})
        if (imports_matplotlib(candidate)) return candidate;
    return "";
}

// Runs plots/`script` (plot_run.py or compare_runs.py) over options.runs.
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

// What plot and compare share: where the images go, in which formats, drawn by which Python.
void add_drawing_options(CLI::App* cmd, PlotOptions& o) {
    cmd->add_option("--out", o.out, "where the images and the report go");
    cmd->add_option("--formats", o.formats, "comma-separated: png, svg, pdf (default png,svg)");
    cmd->add_option("--python", o.python,
                    "the Python to draw with (default: python3, else /usr/bin/python3, the "
                    "first with matplotlib)");
}

}  // namespace

Command add_plot_command(CLI::App& parsweep) {
    auto o = std::make_shared<PlotOptions>();
    o->runs = {"results/latest"};
    auto* cmd =
        parsweep.add_subcommand("plot", "draw a run's charts and report.html (plots/plot_run.py)");
    cmd->add_option("run", o->runs, "the run directory")->expected(1)->capture_default_str();
    add_drawing_options(cmd, *o);
    cmd->add_flag("--no-report", o->no_report, "images only, no report.html");
    cmd->add_flag("--all-charts", o->all_charts,
                  "every chart, also in a lesson's run, whose lesson.json names the few it asks "
                  "about");
    cmd->add_flag("--if-python", o->if_python,
                  "without a Python with matplotlib, say so and exit 0");
    return {cmd, [o] { return cmd_plot_script("plot_run.py", *o); }};
}

Command add_compare_command(CLI::App& parsweep) {
    auto o = std::make_shared<PlotOptions>();
    auto* cmd = parsweep.add_subcommand(
        "compare", "two runs side by side, with the time ratio B ÷ A (plots/compare_runs.py)");
    cmd->add_option("runs", o->runs, "the run directories A (reference) and B")
        ->expected(2)
        ->required();
    add_drawing_options(cmd, *o);
    return {cmd, [o] { return cmd_plot_script("compare_runs.py", *o); }};
}

}  // namespace parsweep
