// The roofline model over a calibration of the machine (calibration/calibrate.hpp): how close a
// point came to the machine's limit at its thread count.
#pragma once

#include <optional>

#include "kernel.hpp"
#include "measure/results.hpp"

namespace parsweep {

// The limit a point is held to, from `calibration` (context.calibration), by the roofline
// model: at the point's P·T threads (linearly interpolated between calibrated thread counts,
// capped at the most calibrated), the attainable rate is min(DGEMM GFLOP/s, arithmetic
// intensity × STREAM triad GB/s). A kernel whose intensity puts it under the bandwidth roof
// (bytes > 0 and flops/bytes below DGEMM/triad: square, wordcount) is memory-bound and is
// compared in GB/s with triad; one above it (no bytes counted: invert, pi) is compute-bound
// and compared in GFLOP/s with DGEMM. Sets derived.roofline_fraction and roofline_bound;
// leaves them empty when there is no calibration, no rate or no work counted.
void apply_roofline(Derived& derived, const Work& work, int workers, const json& calibration);

// The value of `points` ([{"threads": t, field: v}, …], ascending t) at `threads`: linear
// between the neighbouring calibrated counts, the first below them, the last above them.
std::optional<double> limit_at(const json& points, const char* field, double threads);

}  // namespace parsweep
