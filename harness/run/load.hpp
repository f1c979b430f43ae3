// A config loaded the way every command that takes one loads it: with this machine's usable
// cores and memory, the MPI launcher's availability and the Slurm allocation parsweep runs in,
// its problems printed for the user.
#pragma once

#include <optional>
#include <string>

#include "machine/sysinfo.hpp"
#include "sweep/config.hpp"

namespace parsweep {

// Loads a config with `cores` as the usable cores, or prints every problem in it (each with
// the file and JSON path) and returns nullopt: what every subcommand that takes a config does.
// Launcher "mpi" points are checked against the Slurm allocation this process runs in, or,
// `for_job` (`parsweep slurm`), left for the job to check against its own.
std::optional<Sweep> load_or_report(const std::string& config, const UsableCores& cores,
                                    bool for_job = false);

}  // namespace parsweep
