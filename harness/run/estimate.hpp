// What `parsweep validate` says a sweep will cost before it runs: a rough, stated estimate of
// the time in the kernels and of the memory the largest point needs. Nothing is measured.
//
// Time: each point's repetitions (warm-ups included) × its kernel's declared work (Work:
// bytes and flops) at the machine's limits from the cached calibration (`parsweep
// calibrate`), by the roofline model at the point's P·T threads: max(bytes / STREAM triad,
// flops / DGEMM): the kernels' time if they ran at the limits the calibration measured
// (a kernel below them takes longer; a calibration measured on a busier machine makes it
// pessimistic). It leaves out what surrounds the kernels (process start, the kernels'
// set-up and checks: a third of the default sweep's wall time). Without a cached
// calibration, or for a kernel that counts neither bytes nor flops, the time is unknown.
//
// Memory: P × the kernel's memory estimate for one worker's share (Kernel::memory_bytes, the
// same estimate the config loader checks against the available memory); the peak is the
// largest point's, since points run one at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "machine/sysinfo.hpp"
#include "sweep/model.hpp"

namespace parsweep {

struct SweepEstimate {
    long repetitions = 0;                 // Σ warmup + repetitions over the points to run
    std::optional<double> kernel_time_s;  // Σ over the points with a known time
    std::size_t points_unknown = 0;       // points whose time is unknown
    std::string unknown_why;              // why (no calibration; a kernel counting no work)
    double peak_memory_bytes = 0;         // max over the points of P × per-worker memory
    const Point* peak_point = nullptr;
};

// `calibration`: a calibration as `parsweep calibrate` writes it, or null when there is none.
SweepEstimate estimate_sweep(const Sweep& sweep, const json& calibration);

// The cached calibration for `cores` (calibration_cache.hpp), quick or full, or null: no measuring.
json cached_calibration(const UsableCores& cores);

// The estimate as lines of text for the console, each saying it is an estimate.
std::vector<std::string> estimate_lines(const SweepEstimate& e, std::uint64_t memory_available);

}  // namespace parsweep
