// parsweep-worker: one worker process of a sweep, and nothing else (worker.hpp). Started
// thousands of times per sweep by the launcher (launcher.hpp worker_command), so it links only
// what a worker needs — no hwloc, no CLI parser, the C++ runtime linked in — and starts in
// about half the time `parsweep worker` takes (bench/README.md).
#include "launch/worker.hpp"

int main() {
    return parsweep::worker_main();
}
