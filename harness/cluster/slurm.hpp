// `parsweep slurm`: a sweep as a Slurm job array. Task K of N runs
// `parsweep run CONFIG --part K/N --out DIR/part-K` (a disjoint share of the points), and
// `parsweep merge DIR/part-1 … DIR/part-N --out DIR/merged` joins the parts into one run.
// Slurm does the scheduling; parsweep only writes the scripts (and, with --submit, hands
// them to sbatch).
//
// DIR holds, once written: config.json (the config, byte for byte, so every task runs the
// same sweep even if the original is edited while the array waits), array.sbatch,
// merge.sbatch (the merge as a job of its own), logs/ (Slurm's output of every task), and
// later part-1 … part-N and merged.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace parsweep {

struct SlurmOptions {
    std::string config;
    std::optional<int> parts;  // array tasks; default min(4, points)
    // Nodes per task; default: the largest value of the config's nodes axis, else 1. The
    // launcher "mpi" ranks of a task spread over them; spawned workers use the first.
    std::optional<int> nodes;
    std::optional<int> cpus_per_task;  // on each node; default: the usable cores here
    std::string time;                  // Slurm's time limit per task; "" = the partition's
    std::string partition;             // "" = the cluster's default
    std::string account;               // "" = the user's default
    std::string out;                   // "" → results/<date>-<name>-slurm
    std::string results_root = "results";
    bool submit = false;  // run sbatch on both scripts (the merge waits for the array)
};

// Writes the scripts (nothing when an option or the config is bad) and prints how to submit
// and merge; with `submit`, submits them and prints the job ids. Exit status: 0 written (and
// submitted), 2 bad input or sbatch refused (every problem is printed).
int cmd_slurm(const SlurmOptions& options);

// What the scripts are made of, every path absolute.
struct SlurmJob {
    std::string name;        // the sweep's name: job names parsweep-<name>[-merge]
    std::string parsweep;    // the binary the tasks run
    std::string workdir;     // where the tasks start (relative paths in the config)
    std::string dir;         // DIR
    std::size_t points = 0;  // in the whole sweep
    int parts = 1;
    int nodes = 1;
    int cpus_per_task = 1;
    std::string time, partition, account;
};

std::string array_script(const SlurmJob& job);
std::string merge_script(const SlurmJob& job);
// `parsweep merge DIR/part-1 … DIR/part-N --out DIR/merged`, shell-quoted.
std::string merge_command(const SlurmJob& job);

// Problems with the values of the options, each naming the option and value ("" when fine).
std::vector<std::string> slurm_option_problems(const SlurmOptions& options);

// Whether `text` is a time limit sbatch accepts: minutes, minutes:seconds,
// hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds,
// or UNLIMITED / INFINITE.
bool is_slurm_time(const std::string& text);

// `text` as one word for the shell: unchanged when it is plain, else single-quoted.
std::string shell_quote(const std::string& text);

}  // namespace parsweep
