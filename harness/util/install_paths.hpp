// Where parsweep finds its other files: its workers, the plotting scripts, the configs.
//
// Two layouts are known, both found from the real path of the running executable
// (/proc/self/exe, symlinks resolved), so an installed prefix can be moved or copied whole:
//
//   build tree   build/parsweep, build/parsweep-worker, build/parsweep-mpi-worker side by side;
//                plots/, configs/ and exercises/ in the source tree, whose path the build
//                compiles in (PARSWEEP_SOURCE_DIR) as the fallback.
//   installed    P/bin/parsweep, P/libexec/parsweep/{parsweep-worker,parsweep-mpi-worker},
//                P/share/parsweep/{plots,configs,exercises} (cmake --install, GNUInstallDirs;
//                the relative paths between those directories are compiled in).
//
// Every lookup is done once per process and cached: the launcher asks for the worker on every
// repetition of every point, thousands of times per sweep.
#pragma once

#include <filesystem>
#include <string>

namespace parsweep {

// The real path of the running executable (/proc/self/exe), or "parsweep" when it cannot be
// read.
const std::string& self_executable();

// The lean worker of the parsweep binary `executable` (`<name>-worker`, where <name> is its
// file name): beside it (a build tree; a lesson binary's own worker), else in the libexec
// directory of its installed prefix. "" when there is none (the launcher then starts
// `<executable> worker`).
const std::string& worker_executable(const std::string& executable);

// The ranks of the mpi launcher (mpi_launcher.hpp), built when MPI was found.
inline constexpr const char* kMpiWorkerName = "parsweep-mpi-worker";

// parsweep-mpi-worker, looked for in the same places (once per process). When there is none,
// the path beside `executable`, which does not exist (for the message saying so).
std::string mpi_worker_executable(const std::string& executable);

// The directory holding plots/, configs/ and exercises/: P/share/parsweep for an installed
// parsweep, else the source tree it was built from. "" when neither exists.
const std::filesystem::path& data_dir();

// Where data_dir() was looked for, for messages: "P/share/parsweep or SOURCE".
std::string data_dir_candidates();

}  // namespace parsweep
