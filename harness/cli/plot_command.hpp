// parsweep plot RUN and parsweep compare A B: the charts and report of a run (plots/plot_run.py)
// and two runs side by side (plots/compare_runs.py), drawn by a Python with matplotlib.
//
// The scripts are taken from the installed share/parsweep/plots, or the source tree of a
// build (install_paths.hpp data_dir). The Python is --python, else the first of python3 on PATH
// and /usr/bin/python3 that imports matplotlib (a venv's python3 may lack Debian's packages).
// Exit status: the script's own; 2 when a RUN is not a run directory (no sweep.json), naming
// it; 1 when no such Python is found (saying to install python3-matplotlib; 0 with
// --if-python, which `make sweep` uses: a sweep that worked is not failed by a missing
// matplotlib) or when the scripts are not found.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace parsweep {

struct PlotOptions {
    std::vector<std::string> runs;  // plot: one run; compare: A and B
    std::string out;                // --out: where the images and the report go
    std::string formats;            // --formats: png,svg,pdf
    bool no_report = false;         // plot --no-report
    std::string python;             // --python: the interpreter to use
    bool if_python = false;         // no Python with matplotlib: a note and exit 0
};

// The first Python that imports matplotlib: `requested` when given (or "" when it does not),
// else python3 on PATH, else /usr/bin/python3; "" when none does.
std::string python_with_matplotlib(const std::string& requested);

// Runs plots/`script` (plot_run.py or compare_runs.py) over options.runs.
int cmd_plot_script(const std::string& script, const PlotOptions& options);

// The `plot` and `compare` subcommands, added to `app` on construction; main dispatches to
// run() when one of them was chosen.
class PlotCommands {
  public:
    explicit PlotCommands(CLI::App& app);
    PlotCommands(const PlotCommands&) = delete;
    PlotCommands& operator=(const PlotCommands&) = delete;
    bool chosen() const;
    int run() const;

  private:
    PlotOptions plot_, compare_;
    CLI::App* plot_cmd_ = nullptr;
    CLI::App* compare_cmd_ = nullptr;
};

}  // namespace parsweep
