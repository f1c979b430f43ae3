#include "calibration/calibrate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "calibration/syncbench.hpp"
#include "launch/launcher.hpp"
#include "machine/openmp_runtime.hpp"
#include "measure/clock.hpp"
#include "measure/stats.hpp"
#include "stream.hpp"
#include "sweep/config.hpp"
#include "util/interrupt.hpp"
#include "util/units.hpp"

namespace parsweep {

namespace {

// The highest cache level hwloc reports, all its instances together.
std::uint64_t last_level_cache_bytes(const json& topology) {
    const json caches = topology.value("caches", json::object());
    for (const char* level : {"l3", "l2", "l1d"})
        if (caches.contains(level))
            return caches[level].value("size_kib", std::uint64_t{0}) * 1024 *
                   caches[level].value("count", std::uint64_t{1});
    return 0;
}

json measure_stream(const CalibrationSettings& s, std::FILE* progress) {
    json points = json::array();
    for (int t : s.threads) {
        stream::Result r;
        try {
            r = stream::measure(s.stream_elements, t, s.stream_repetitions,
                                [] { return interrupted() != 0; });
        } catch (const stream::Stopped&) {
            throw_if_interrupted();  // the only reason it stops
            throw;
        }
        points.push_back({{"threads", t},
                          {"copy_gbs", r.copy_gbs},
                          {"triad_gbs", r.triad_gbs},
                          {"copy_best_s", r.copy_best_s},
                          {"triad_best_s", r.triad_best_s}});
        progress_line(progress,
                      fmt::format("  STREAM   {:>3} threads: copy {:.1f} GB/s, triad {:.1f} GB/s",
                                  t, r.copy_gbs, r.triad_gbs));
    }
    return {{"array_bytes", s.stream_elements * sizeof(double)},
            {"last_level_cache_bytes", s.llc_bytes},
            {"arrays_at_least_4x_llc", s.stream_rule_met},
            {"repetitions", s.stream_repetitions},
            {"validated", true},
            {"points", points}};
}

// One fresh worker process per repetition: the BLAS starts with OPENBLAS_NUM_THREADS = T.
json measure_dgemm(const CalibrationSettings& s, const std::string& executable,
                   std::FILE* progress) {
    const Kernel* kernel = find_kernel("dgemm");
    json points = json::array();
    for (int t : s.threads) {
        Point p;
        p.kernel = kernel;
        p.params = {{"n", s.dgemm_n}, {"count", 1}, {"seed", 42}};
        p.processes = 1;
        p.threads = t;
        p.timeout_s = 600;
        std::vector<double> times;
        int blas_threads = 0;
        for (int k = 0; k < s.dgemm_repetitions; ++k) {
            throw_if_interrupted();  // no worker started for nothing
            const RepRecord rec = SpawnExecutor(executable).run_repetition(p);
            throw_if_interrupted();  // its worker, if the signal cut it short, killed and reaped
            if (!rec.verified)
                throw std::runtime_error(
                    fmt::format("DGEMM n={} with {} threads failed: {}", s.dgemm_n, t, rec.error));
            times.push_back(rec.compute_s);
            blas_threads = rec.blas_threads;
        }
        const Stats st = summarize(times);
        const double flops = kernel->work(p.params).flops;
        points.push_back({{"threads", t},
                          {"gflops", flops / st.min / 1e9},
                          {"best_s", st.min},
                          {"median_s", st.median},
                          {"blas_threads", blas_threads}});
        progress_line(progress, fmt::format("  DGEMM    {:>3} threads: {:.1f} GFLOP/s", t,
                                            flops / st.min / 1e9));
    }
    return {{"n", s.dgemm_n},
            {"repetitions", s.dgemm_repetitions},
            {"verified", true},
            {"points", points}};
}

json measure_overheads(const CalibrationSettings& s, std::FILE* progress) {
    syncbench::Settings sync;
    sync.target_test_s = s.overhead_target_test_s;
    sync.outer = s.overhead_outer;
    json points = json::array();
    for (int t : s.threads) {
        std::string line = fmt::format("  overheads {:>2} threads:", t);
        for (const auto& o : syncbench::measure(t, sync)) {
            line += fmt::format(" {} {}", o.construct, format_seconds(o.overhead_s.mean));
            points.push_back({{"construct", o.construct},
                              {"threads", o.threads},
                              {"inner", o.inner},
                              {"delay_length", o.delay_length},
                              {"reference_s", o.reference_s},
                              {"mean_s", o.overhead_s.mean},
                              {"ci95_s", o.overhead_s.ci95},
                              {"median_s", o.overhead_s.median},
                              {"min_s", o.overhead_s.min},
                              {"max_s", o.overhead_s.max},
                              {"stddev_s", o.overhead_s.stddev},
                              {"outliers", o.outliers}});
        }
        progress_line(progress, line);
    }
    return {{"method", "EPCC syncbench: (test − reference) per use of the construct"},
            {"delay_s", sync.delay_s},
            {"target_test_s", sync.target_test_s},
            {"outer", sync.outer},
            {"points", points}};
}

}  // namespace

void progress_line(std::FILE* progress, const std::string& line) {
    if (!progress) return;
    fmt::print(progress, "{}\n", line);
    std::fflush(progress);
}

CalibrationSettings calibration_settings(bool quick, int usable_cores, const json& topology,
                                         std::uint64_t memory_available) {
    CalibrationSettings s;
    s.quick = quick;
    const int cores = std::max(1, usable_cores);
    if (quick) {
        s.threads = auto_counts(cores);
    } else {
        for (int t = 1; t <= cores; ++t) s.threads.push_back(t);
    }
    s.llc_bytes = last_level_cache_bytes(topology);
    // STREAM's rule: each array at least 4× the last-level cache (at least 32 MiB when hwloc
    // reports none), the three arrays within half of the memory available.
    std::uint64_t array_bytes = std::max<std::uint64_t>(4 * s.llc_bytes, 32u << 20);
    if (memory_available > 0 && 3 * array_bytes > memory_available / 2) {
        array_bytes = memory_available / 6;
        s.stream_rule_met = array_bytes >= 4 * s.llc_bytes;
    }
    s.stream_elements = std::max<std::size_t>(1, array_bytes / sizeof(double));
    s.dgemm_n = quick ? 1500 : 3000;
    s.dgemm_repetitions = 3;
    return s;
}

json measure_calibration(const CalibrationSettings& s, const UsableCores& cores,
                         const std::string& executable, std::FILE* progress) {
    const double t0 = monotonic_s();
    json c = {{"format", kCalibrationFormat},
              {"measured_at", now_iso()},
              {"quick", s.quick},
              {"key", calibration_key(cores)},
              {"threads", s.threads}};
    progress_line(progress, fmt::format("  STREAM arrays of {} (last-level cache {}), best of {}",
                                        format_bytes(double(s.stream_elements * sizeof(double))),
                                        format_bytes(double(s.llc_bytes)), s.stream_repetitions));
    c["stream"] = measure_stream(s, progress);
    c["dgemm"] = measure_dgemm(s, executable, progress);
    c["overheads"] = measure_overheads(s, progress);
    c["elapsed_s"] = monotonic_s() - t0;
    return c;
}

json calibration_key(const UsableCores& cores) {
    const json topo = topology_info();
    const json blas = blas_info();
    // How the OpenMP runtime waits and binds changes its overheads by orders of magnitude
    // (spinning threads on a busy machine): OMP_WAIT_POLICY=passive is another calibration.
    // Thread counts are not part of it: calibration sets its own.
    const json env = relevant_env();
    json openmp_env = json::object();
    for (const auto& [name, value] : env.items())
        if ((name.rfind("OMP_", 0) == 0 || name.rfind("GOMP_", 0) == 0 ||
             name.rfind("KMP_", 0) == 0) &&
            name.find("NUM_THREADS") == std::string::npos)
            openmp_env[name] = value;
    json key = {{"format", kCalibrationFormat},
                {"host", host_name()},
                {"cpu_model", topo.value("cpu_model", "unknown")},
                {"usable_cores", cores.count},
                {"blas", blas.value("config", blas.value("error", "unknown"))},
                {"blas_library", blas.value("blas_library", "")},
                {"openmp_env", openmp_env},
                // libgomp and libomp (a clang build) differ in their overheads too, and
                // share the cache directory.
                {"openmp_runtime", openmp_info().value("runtime", "unknown")}};
    key["hash"] = hash_text(key.dump());
    return key;
}

}  // namespace parsweep
