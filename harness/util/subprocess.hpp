// Running another program to completion: sbatch for parsweep slurm, Python for parsweep plot.
// (The workers of a sweep are started by the launchers, which watch them while they run.)
#pragma once

#include <string>
#include <vector>

namespace parsweep {

// What becomes of the program's stdout and stderr.
enum class Output {
    inherit,  // both go where ours go (the user sees the program's own messages)
    capture,  // stdout into `captured`; stderr goes to ours
    discard,  // both to /dev/null (a probe: only the exit status matters)
};

// Runs `argv` (argv[0] searched on PATH when it has no '/') in this process's environment and
// waits for it. Returns its exit status (128 + the signal when a signal ended it), or -1 when
// it could not be started, with strerror's text in `captured`. With `timeout_s` > 0 a program
// still running after that long is killed (SIGKILL: status 137): a probe of another tool must
// not hang parsweep. So is one still running when SIGINT or SIGTERM is received by a command
// that installed the interrupt handlers (interrupt.hpp: run, calibrate), within a second.
int run_program(const std::vector<std::string>& argv, Output output,
                std::string* captured = nullptr, double timeout_s = 0);

// The first line `argv` prints on stdout when it exits 0 within `timeout_s` (a tool's
// `--version`), else "".
std::string first_line_of(const std::vector<std::string>& argv, double timeout_s = 10);

}  // namespace parsweep
