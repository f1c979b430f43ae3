// `parsweep calibrate`: the machine's practical limits, measured with parsweep's own code —
// STREAM copy and triad bandwidth (kernels/stream.hpp) and DGEMM GFLOP/s of the loaded BLAS
// (the dgemm kernel, one fresh worker process per thread count, started by the launcher with
// OPENBLAS_NUM_THREADS set) for each thread count up to the usable cores, and the OpenMP
// construct overheads the EPCC way (syncbench.hpp).
//
// A calibration is cached per host, in $PARSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/parsweep,
// else ~/.cache/parsweep, as calibration-<host>-<key>.json, where the key hashes what the
// limits depend on: the CPU model, the usable cores, the BLAS (its config and file) and the
// OpenMP settings in the environment. A
// cached calibration is reused when its key matches and it is at least as thorough as the one
// asked for (a full one serves a quick request, not the other way round).
//
// `parsweep run` records one in sweep.json's context.calibration (a quick one, measured once
// when none is cached), and each point's roofline_fraction compares the point with it.
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kernel.hpp"
#include "machine/sysinfo.hpp"
#include "measure/results.hpp"

namespace parsweep {

struct CalibrateOptions {
    std::optional<int> cores;  // --cores: overrides the detected usable cores
    bool as_json = false;      // --json: the calibration as JSON on stdout
    std::string out;           // --out FILE: also write the JSON there
    bool quick = false;        // --quick: fewer thread counts, smaller DGEMM, fewer repetitions
    bool force = false;        // --force: measure again even when a cached one matches
};

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
// OpenMP team smaller than asked).
json measure_calibration(const CalibrationSettings& settings, const UsableCores& cores,
                         const std::string& executable, std::FILE* progress);

// Where calibrations are cached; empty when there is no such directory to use (no HOME).
std::filesystem::path calibration_cache_dir();
// What a calibration's limits depend on: host, CPU model, usable cores, BLAS, and the OpenMP
// runtime's settings from the environment (OMP_WAIT_POLICY, OMP_PROC_BIND, GOMP_SPINCOUNT …;
// not the thread counts), with a hash of them all.
json calibration_key(const UsableCores& cores);
// The cache file of `key` in `dir`.
std::filesystem::path calibration_cache_file(const std::filesystem::path& dir, const json& key);

// The cached calibration for `key` when there is one that is at least as thorough as asked
// (`quick` false needs a full one); nullopt otherwise (an unreadable file counts as none).
std::optional<json> read_cached_calibration(const std::filesystem::path& file, const json& key,
                                            bool quick);

// What `parsweep run` records in context.calibration: the cached calibration, or a quick one
// measured now and cached, with "cache_file" and "reused"; {"error": …} when it could not be
// measured (the run goes on without rooflines). When it measures, a line on `notices` says
// why, where it will be cached and how to skip it, and another how long it took; `progress`
// gets a line per part. Either may be null.
json calibration_for_run(const UsableCores& cores, const std::string& executable,
                         std::FILE* notices, std::FILE* progress);

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

int cmd_calibrate(const CalibrateOptions& options);

}  // namespace parsweep
