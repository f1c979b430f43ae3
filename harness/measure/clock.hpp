// The clock every interval of parsweep is measured with.
//
// CLOCK_MONOTONIC: never steps back, and on one node it is the same clock in every process, so
// the times a worker reports (protocol.hpp) and the parent's can be subtracted. Header-only, so
// that the worker (parsweep_worker_core) and lesson kernels use it without any library.
#pragma once

#include <ctime>

namespace parsweep {

// CLOCK_MONOTONIC in seconds.
inline double monotonic_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace parsweep
