#include "machine/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "launch/launcher.hpp"
#include "machine/openmp_runtime.hpp"
#include "machine/syncbench.hpp"
#include "measure/clock.hpp"
#include "measure/stats.hpp"
#include "stream.hpp"
#include "sweep/config.hpp"
#include "util/files.hpp"
#include "util/term_style.hpp"
#include "util/units.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

// Bumped when the calibration's contents or method change: older cache files are not reused.
constexpr int kCalibrationFormat = 1;

// The highest cache level hwloc reports, all its instances together.
std::uint64_t last_level_cache_bytes(const json& topology) {
    const json caches = topology.value("caches", json::object());
    for (const char* level : {"l3", "l2", "l1d"})
        if (caches.contains(level))
            return caches[level].value("size_kib", std::uint64_t{0}) * 1024 *
                   caches[level].value("count", std::uint64_t{1});
    return 0;
}

void say(std::FILE* progress, const std::string& line) {
    if (!progress) return;
    fmt::print(progress, "{}\n", line);
    std::fflush(progress);
}

json measure_stream(const CalibrationSettings& s, std::FILE* progress) {
    json points = json::array();
    for (int t : s.threads) {
        const stream::Result r = stream::measure(s.stream_elements, t, s.stream_repetitions);
        points.push_back({{"threads", t},
                          {"copy_gbs", r.copy_gbs},
                          {"triad_gbs", r.triad_gbs},
                          {"copy_best_s", r.copy_best_s},
                          {"triad_best_s", r.triad_best_s}});
        say(progress, fmt::format("  STREAM   {:>3} threads: copy {:.1f} GB/s, triad {:.1f} GB/s",
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
            const RepRecord rec = SpawnExecutor(executable).run_repetition(p);
            if (rec.interrupted) throw std::runtime_error("DGEMM: interrupted");
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
        say(progress,
            fmt::format("  DGEMM    {:>3} threads: {:.1f} GFLOP/s", t, flops / st.min / 1e9));
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
        say(progress, line);
    }
    return {{"method", "EPCC syncbench: (test − reference) per use of the construct"},
            {"delay_s", sync.delay_s},
            {"target_test_s", sync.target_test_s},
            {"outer", sync.outer},
            {"points", points}};
}

}  // namespace

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
    say(progress, fmt::format("  STREAM arrays of {} (last-level cache {}), best of {}",
                              format_bytes(double(s.stream_elements * sizeof(double))),
                              format_bytes(double(s.llc_bytes)), s.stream_repetitions));
    c["stream"] = measure_stream(s, progress);
    c["dgemm"] = measure_dgemm(s, executable, progress);
    c["overheads"] = measure_overheads(s, progress);
    c["elapsed_s"] = monotonic_s() - t0;
    return c;
}

fs::path calibration_cache_dir() {
    if (const char* d = std::getenv("PARSWEEP_CACHE_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "parsweep";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "parsweep";
    return {};
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

fs::path calibration_cache_file(const fs::path& dir, const json& key) {
    std::string host = key.value("host", "host");
    for (char& ch : host)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') ch = '_';
    return dir / fmt::format("calibration-{}-{}.json", host, key.value("hash", "0"));
}

std::optional<json> read_cached_calibration(const fs::path& file, const json& key, bool quick) {
    std::ifstream in(file);
    if (!in) return std::nullopt;
    try {
        json c = json::parse(in);
        if (c.value("format", 0) != kCalibrationFormat || c.value("key", json()) != key)
            return std::nullopt;
        if (!quick && c.value("quick", true)) return std::nullopt;  // a full one was asked for
        for (const char* part : {"stream", "dgemm", "overheads"})
            if (!c.contains(part) || !c[part].contains("points")) return std::nullopt;
        return c;
    } catch (const std::exception&) {
        return std::nullopt;  // a damaged cache file is measured again and replaced
    }
}

namespace {

// Writes the cache file; a cache that cannot be written is said, not fatal. True when written.
bool write_cache(const fs::path& file, const json& c) {
    try {
        fs::create_directories(file.parent_path());
        write_atomic(file, c.dump(2) + "\n");
        return true;
    } catch (const std::exception& e) {
        fmt::print(stderr, "note: calibration not cached ({}): {}\n", file.string(), e.what());
        return false;
    }
}

// Why `run` calibrates before its first point, and where the result goes: the first line a
// user sees of a pause of a minute or more (longer inside a busy job), so it says how to
// skip it too.
std::string calibrating_line(const UsableCores& cores, const json& key, const fs::path& file) {
    const std::string why =
        file.empty() ? "no cache directory (set PARSWEEP_CACHE_DIR, or HOME)"
        : fs::exists(file)
            ? fmt::format("the one cached in {} is unreadable or of an older parsweep",
                          file.string())
            : fmt::format(
                  "none is cached for host {} with {} usable core{} and this BLAS and "
                  "OpenMP (key {})",
                  key.value("host", "?"), cores.count, cores.count == 1 ? "" : "s",
                  key.value("hash", "?"));
    return fmt::format(
        "calibrating this machine for roofline_fraction (parsweep calibrate --quick: once, "
        "often a minute or more): {}; {}. --no-calibrate or PARSWEEP_NO_CALIBRATE=1 skips it",
        why, file.empty() ? "it will not be cached" : "it will be cached in " + file.string());
}

}  // namespace

json calibration_for_run(const UsableCores& cores, const std::string& executable,
                         std::FILE* notices, std::FILE* progress) {
    const json key = calibration_key(cores);
    const fs::path dir = calibration_cache_dir();
    const fs::path file = dir.empty() ? fs::path() : calibration_cache_file(dir, key);
    if (!file.empty())
        if (auto cached = read_cached_calibration(file, key, true)) {
            (*cached)["cache_file"] = file.string();
            (*cached)["reused"] = true;
            return *cached;
        }
    say(notices, calibrating_line(cores, key, file));
    const double t0 = monotonic_s();
    try {
        json c = measure_calibration(
            calibration_settings(true, cores.count, topology_info(), available_memory_bytes()),
            cores, executable, progress);
        const bool cached = !file.empty() && write_cache(file, c);
        say(notices, fmt::format("calibrated in {:.1f} s; {}", monotonic_s() - t0,
                                 cached ? "cached in " + file.string() : "not cached"));
        c["cache_file"] = cached ? json(file.string()) : json();
        c["reused"] = false;
        return c;
    } catch (const std::exception& e) {
        fmt::print(stderr,
                   "warning: calibration failed after {:.1f} s, roofline_fraction is left empty: "
                   "{}\n",
                   monotonic_s() - t0, e.what());
        return {{"error", e.what()}};
    }
}

std::optional<double> limit_at(const json& points, const char* field, double threads) {
    if (!points.is_array() || points.empty()) return std::nullopt;
    const json* below = nullptr;
    for (const auto& p : points) {
        const double t = p.at("threads").get<double>();
        if (t == threads) return p.at(field).get<double>();
        if (t > threads) {
            if (!below) return p.at(field).get<double>();
            const double t0 = below->at("threads").get<double>();
            const double v0 = below->at(field).get<double>(), v1 = p.at(field).get<double>();
            return v0 + (v1 - v0) * (threads - t0) / (t - t0);
        }
        below = &p;
    }
    return below->at(field).get<double>();  // beyond the calibrated counts: the machine's top
}

void apply_roofline(Derived& d, const Work& work, int workers, const json& calibration) {
    if (!calibration.is_object() || !calibration.contains("stream") ||
        !calibration.contains("dgemm"))
        return;
    const auto bandwidth = limit_at(calibration["stream"]["points"], "triad_gbs", workers);
    const auto flops = limit_at(calibration["dgemm"]["points"], "gflops", workers);
    if (!bandwidth || !flops || *bandwidth <= 0 || *flops <= 0) return;
    // The roofline: a kernel doing `work.flops` per `work.bytes` moved can reach at most
    // min(DGEMM, intensity × triad). Below the ridge point (intensity < DGEMM / triad) memory
    // bandwidth is the binding limit and the point is judged in GB/s; above it (or when no
    // bytes are counted, as for invert: its matrices live in cache-blocked BLAS-3 calls)
    // arithmetic is, and it is judged in GFLOP/s against the BLAS's best.
    const bool memory_bound =
        work.bytes > 0 && (work.flops <= 0 || work.flops / work.bytes < *flops / *bandwidth);
    if (memory_bound && d.bandwidth_gbs) {
        d.roofline_fraction = *d.bandwidth_gbs / *bandwidth;
        d.roofline_bound = "memory";
    } else if (!memory_bound && work.flops > 0 && d.gflops) {
        d.roofline_fraction = *d.gflops / *flops;
        d.roofline_bound = "compute";
    }
}

namespace {

void print_table(const json& c) {
    const json& k = c["key"];
    fmt::print("calibration of {} ({}), {} usable cores, BLAS {}\n", k["host"].get<std::string>(),
               k["cpu_model"].get<std::string>(), k["usable_cores"].get<int>(),
               k["blas"].get<std::string>());
    fmt::print("{} calibration measured {} in {:.1f} s\n\n",
               c["quick"].get<bool>() ? "quick" : "full", c["measured_at"].get<std::string>(),
               c["elapsed_s"].get<double>());
    const json& s = c["stream"];
    fmt::print("STREAM: 3 arrays of {} (last-level cache {}{}), best of {}, validated\n",
               format_bytes(s["array_bytes"].get<double>()),
               format_bytes(s["last_level_cache_bytes"].get<double>()),
               s["arrays_at_least_4x_llc"].get<bool>() ? "" : "; NOT 4× it: too little memory",
               s["repetitions"].get<int>());
    fmt::print("  {:>7}  {:>10}  {:>10}\n", "threads", "copy GB/s", "triad GB/s");
    for (const auto& p : s["points"])
        fmt::print("  {:>7}  {:>10.1f}  {:>10.1f}\n", p["threads"].get<int>(),
                   p["copy_gbs"].get<double>(), p["triad_gbs"].get<double>());
    const json& g = c["dgemm"];
    fmt::print("\nDGEMM: n = {}, best of {}, a fresh process per repetition, verified\n",
               g["n"].get<int>(), g["repetitions"].get<int>());
    fmt::print("  {:>7}  {:>10}  {:>10}\n", "threads", "GFLOP/s", "best");
    for (const auto& p : g["points"])
        fmt::print("  {:>7}  {:>10.1f}  {:>10}\n", p["threads"].get<int>(),
                   p["gflops"].get<double>(), format_seconds(p["best_s"].get<double>()));
    const json& o = c["overheads"];
    fmt::print("\nOpenMP overheads per use (EPCC syncbench, {} tests of ≥ {}, delay {})\n",
               o["outer"].get<int>(), format_seconds(o["target_test_s"].get<double>()),
               format_seconds(o["delay_s"].get<double>()));
    fmt::print("  {:<10} {:>7}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}\n", "construct", "threads",
               "mean", "±95%", "median", "max", "outliers");
    for (const auto& p : o["points"])
        fmt::print("  {:<10} {:>7}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}\n",
                   p["construct"].get<std::string>(), p["threads"].get<int>(),
                   format_seconds(p["mean_s"].get<double>()),
                   format_seconds(p["ci95_s"].get<double>()),
                   format_seconds(p["median_s"].get<double>()),
                   format_seconds(p["max_s"].get<double>()), p["outliers"].get<int>());
}

}  // namespace

int cmd_calibrate(const CalibrateOptions& options) {
    const UsableCores cores = detect_usable_cores(options.cores);
    const json key = calibration_key(cores);
    const fs::path dir = calibration_cache_dir();
    const fs::path file = dir.empty() ? fs::path() : calibration_cache_file(dir, key);
    if (!options.out.empty()) {
        const fs::path parent = fs::absolute(options.out).parent_path();
        if (!fs::is_directory(parent) || fs::is_directory(options.out)) {
            fmt::print(
                stderr, "{} --out {}: {}\n", error_label(stderr), options.out,
                fs::is_directory(options.out) ? "is a directory" : "its directory does not exist");
            return 2;
        }
    }
    std::optional<json> c;
    if (!options.force && !file.empty()) c = read_cached_calibration(file, key, options.quick);
    const bool reused = c.has_value();
    if (!c) {
        std::FILE* progress = options.as_json ? stderr : stdout;
        fmt::print(progress, "measuring{} for {} usable cores: {}\n",
                   options.quick ? " (quick)" : "", cores.count, cores.reason);
        try {
            c = measure_calibration(calibration_settings(options.quick, cores.count,
                                                         topology_info(), available_memory_bytes()),
                                    cores, self_executable(), progress);
        } catch (const std::exception& e) {
            fmt::print(stderr, "{} calibration failed: {}\n", error_label(stderr), e.what());
            return 1;
        }
        if (!file.empty()) write_cache(file, *c);
    }
    if (!options.out.empty()) {
        try {
            write_atomic(options.out, c->dump(2) + "\n");
        } catch (const std::exception& e) {
            fmt::print(stderr, "{} cannot write --out {}: {}\n", error_label(stderr), options.out,
                       e.what());
            return 2;
        }
    }
    (*c)["cache_file"] = file.empty() ? json() : json(file.string());
    (*c)["reused"] = reused;
    if (options.as_json) {
        fmt::print("{}\n", c->dump(2));
        return 0;
    }
    if (!reused) fmt::print("\n");
    print_table(*c);
    if (!file.empty())
        fmt::print("\n{} {}{}\n", reused ? "cached calibration, reused:" : "cached in",
                   file.string(), reused ? " (--force measures again)" : "");
    return 0;
}

}  // namespace parsweep
