// `parsweep calibrate`: the machine's limits (calibration/calibrate.hpp), measured now or taken
// from the cache (calibration/calibration_cache.hpp), as a table or as JSON.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "calibration/calibrate.hpp"
#include "calibration/calibration_cache.hpp"
#include "cli/commands.hpp"
#include "launch/executor.hpp"
#include "util/files.hpp"
#include "util/install_paths.hpp"
#include "util/interrupt.hpp"
#include "util/term_style.hpp"
#include "util/units.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

struct CalibrateOptions {
    std::optional<int> cores;  // --cores: overrides the detected usable cores
    bool as_json = false;      // --json: the calibration as JSON on stdout
    std::string out;           // --out FILE: also write the JSON there
    bool quick = false;        // --quick: fewer thread counts, smaller DGEMM, fewer repetitions
    bool force = false;        // --force: measure again even when a cached one matches
};

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

int calibrate(const CalibrateOptions& options) {
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
    auto cached = [&] {
        if (!options.force && !file.empty()) c = read_cached_calibration(file, key, options.quick);
    };
    cached();
    std::optional<CalibrationLock> lock;
    if (!c) {
        lock.emplace(stderr);  // one calibration at a time on this machine
        cached();              // measured while we waited
    }
    const bool reused = c.has_value();
    if (!c) {
        std::FILE* progress = options.as_json ? stderr : stdout;
        fmt::print(progress, "measuring{} for {} usable cores: {}\n",
                   options.quick ? " (quick)" : "", cores.count, cores.reason);
        try {
            c = measure_calibration(calibration_settings(options.quick, cores.count,
                                                         topology_info(), available_memory_bytes()),
                                    cores, self_executable(), progress);
        } catch (const Interrupted&) {
            throw;
        } catch (const std::exception& e) {
            fmt::print(stderr, "{} calibration failed: {}\n", error_label(stderr), e.what());
            return 1;
        }
        if (!file.empty()) write_calibration_cache(file, *c);
    }
    if (!options.out.empty()) {
        try {
            write_atomic(options.out, c->dump(2) + "\n");
        } catch (const std::exception& e) {
            fmt::print(stderr, "{} --out: {}\n", error_label(stderr), e.what());
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

// SIGINT or SIGTERM (Slurm's time limit) while waiting for another's calibration or measuring
// ends it within a second, with 128 + the signal: nothing cached, no --out written, no worker
// left running.
int cmd_calibrate(const CalibrateOptions& options) {
    install_interrupt_handlers();
    try {
        return calibrate(options);
    } catch (const Interrupted& e) {
        fmt::print(stderr, "interrupted ({}) while calibrating: nothing was cached or written\n",
                   signal_name(e.signal()));
        return 128 + e.signal();
    }
}

}  // namespace

Command add_calibrate_command(CLI::App& parsweep) {
    auto o = std::make_shared<CalibrateOptions>();
    auto* cmd = parsweep.add_subcommand(
        "calibrate", "the machine's limits: STREAM, DGEMM, OpenMP overheads (cached per host)");
    cmd->add_option("--cores", o->cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_flag("--json", o->as_json, "as JSON");
    cmd->add_option("--out", o->out, "also write the calibration's JSON here");
    cmd->add_flag("--quick", o->quick,
                  "thread counts 1, 2, 4, …, a smaller DGEMM: what run measures");
    cmd->add_flag("--force", o->force, "measure again even when one is cached");

    return {cmd, [o] { return cmd_calibrate(*o); }};
}

}  // namespace parsweep
