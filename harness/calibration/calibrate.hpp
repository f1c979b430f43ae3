// The machine's practical limits, measured with parsweep's own code — STREAM copy and triad
// bandwidth (kernels/stream.hpp) and DGEMM GFLOP/s of the loaded BLAS (the dgemm kernel, one
// fresh worker process per thread count, started by the launcher with OPENBLAS_NUM_THREADS
// set) for each thread count up to the usable cores, and the OpenMP construct overheads the
// EPCC way (syncbench.hpp). `parsweep calibrate` (cli/calibrate.cpp) shows one;
// calibration_cache.hpp keeps them per host, and measure/roofline.hpp holds a point to them.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "kernel.hpp"
#include "machine/sysinfo.hpp"

namespace parsweep {

// Bumped when the calibration's contents or method change: older cache files are not reused.
constexpr int kCalibrationFormat = 1;

// How thoroughly to measure.
struct CalibrationSettings {
    bool quick = false;
    std::vector<int> threads;         // thread counts of STREAM, DGEMM and the overheads
    std::size_t stream_elements = 0;  // per array
    std::uint64_t llc_bytes = 0;      // the last-level caches, all of them together
    bool stream_rule_met = true;      // arrays ≥ 4× llc_bytes (false: memory too small for it)
    int stream_repetitions = 10;      // best of
    int dgemm_n = 3000;
    int dgemm_repetitions = 3;  // best of, each in a fresh process
    double overhead_target_test_s = 1e-3;
    int overhead_outer = 20;
};

// Full: every thread count 1…usable cores, DGEMM n = 3000. Quick (what `run` pays for): thread
// counts 1, 2, 4, … and the usable cores, DGEMM n = 1500. Both keep STREAM's rules: arrays of
// 4× the last-level cache (from `topology`, as topology_info() gives it), capped so that the
// three arrays use at most half of `memory_available` bytes.
CalibrationSettings calibration_settings(bool quick, int usable_cores, const json& topology,
                                         std::uint64_t memory_available);

// Measures everything. `executable` is the parsweep binary the DGEMM workers run; `progress`
// (may be null) gets a line per part. Throws std::runtime_error naming the part that failed
// (a STREAM result that does not validate, a DGEMM worker that failed or did not verify, an
// OpenMP team smaller than asked), and Interrupted (util/interrupt.hpp) within milliseconds of
// a SIGINT or SIGTERM once the handlers are installed (its DGEMM worker killed and reaped).
json measure_calibration(const CalibrationSettings& settings, const UsableCores& cores,
                         const std::string& executable, std::FILE* progress);

// What a calibration's limits depend on: host, CPU model, usable cores, BLAS, and the OpenMP
// runtime's settings from the environment (OMP_WAIT_POLICY, OMP_PROC_BIND, GOMP_SPINCOUNT …;
// not the thread counts), with a hash of them all. Recorded in every calibration, and the
// name of its cache file.
json calibration_key(const UsableCores& cores);

// `line` on `progress` (nothing when null), flushed at once: a calibration's parts take
// seconds each, and its notices are all a user sees of a pause of a minute.
void progress_line(std::FILE* progress, const std::string& line);

}  // namespace parsweep
