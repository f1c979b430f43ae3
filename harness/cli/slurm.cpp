// `parsweep slurm`: the command line of cluster/slurm.hpp's job arrays.
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cluster/slurm.hpp"

namespace parsweep {

Command add_slurm_command(CLI::App& parsweep) {
    auto o = std::make_shared<SlurmOptions>();
    auto* cmd = parsweep.add_subcommand(
        "slurm", "write (and --submit) a Slurm job array that runs a sweep in parts");
    cmd->add_option("config", o->config, "the sweep's JSON config")->required();
    cmd->add_option("--parts", o->parts,
                    "array tasks, each a share of the points (default 4, at most the points)")
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--nodes", o->nodes,
                    "nodes per task, for launcher \"mpi\" ranks (default: the largest of "
                    "the config's nodes axis, else 1)");
    cmd->add_option("--cpus-per-task", o->cpus_per_task,
                    "CPUs per task on each node (default: the usable cores here)")
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--time", o->time, "time limit per task, e.g. 1:00:00");
    cmd->add_option("--partition", o->partition, "Slurm partition");
    cmd->add_option("--account", o->account, "Slurm account");
    cmd->add_option("--out", o->out,
                    "directory for the scripts, parts and merged run (default "
                    "results/<date>-<name>-slurm)");
    cmd->add_option("--results", o->results_root, "where default directories go")
        ->capture_default_str();
    cmd->add_flag("--submit", o->submit,
                  "submit with sbatch, and a merge job that waits for the array");

    return {cmd, [o] { return cmd_slurm(*o); }};
}

}  // namespace parsweep
