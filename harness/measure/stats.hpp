// Statistics of repeated measurements and the metrics derived against a baseline.
#pragma once

#include <vector>

#include "kernel.hpp"
#include "measure/results.hpp"

namespace parsweep {

// min, max, mean, median, sample stddev and the 95% CI half-width of `values`.
// An empty series gives a Stats with count 0.
Stats summarize(std::vector<double> values);

// Two-sided 95% Student t quantile for `dof` degrees of freedom.
double t95(std::size_t dof);

// The derived metrics of a point whose median time (of its time metric) is `time_s`, against
// a baseline median `base_time_s` measured at `base_workers` = P·T of the baseline (usually
// 1). Rates (GFLOP/s, GB/s, items/s) divide the work by `compute_s`, the kernel's own time.
// A non-positive time means "not measured" and leaves what depends on it empty.
// `weak`: the point ran P·T ÷ base_workers times the baseline's work (weak scaling,
// config.hpp), and speedup is the scaled speedup (see Derived).
Derived derive(int processes, int threads, double time_s, double base_time_s, int base_workers,
               int usable_cores, const Work& work, double compute_s, bool weak = false);

}  // namespace parsweep
