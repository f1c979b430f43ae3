#include "commands.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "config.hpp"
#include "corpus.hpp"
#include "files.hpp"
#include "launcher.hpp"
#include "reporter.hpp"
#include "runner.hpp"
#include "sysinfo.hpp"
#include "units.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

constexpr int kBadInput = 2;

// Loads a config, or prints every problem in it and returns nullopt.
std::optional<Sweep> load_or_report(const std::string& config, const UsableCores& cores) {
    try {
        return load_sweep(config, {cores.count, available_memory_bytes(), "sweep"});
    } catch (const ConfigErrors& e) {
        for (const auto& err : e.errors()) {
            if (err.path.empty())
                fmt::print(stderr, "error: {}\n", err.message);
            else
                fmt::print(stderr, "error: {}: {}: {}\n", config, err.path, err.message);
        }
        fmt::print(stderr, "{} problem{} in {}; nothing was run\n", e.errors().size(),
                   e.errors().size() == 1 ? "" : "s", config);
        return std::nullopt;
    }
}

}  // namespace

int cmd_run(const RunOptions& options) {
    const UsableCores cores = detect_usable_cores(options.cores);
    auto sweep = load_or_report(options.config, cores);
    if (!sweep) return kBadInput;

    fs::path dir;
    if (!options.out.empty()) {
        dir = options.out;
        if (fs::exists(dir / "sweep.json")) {
            fmt::print(stderr, "error: {} already holds a run (sweep.json); choose another --out\n",
                       dir.string());
            return kBadInput;
        }
        fs::create_directories(dir);
    } else {
        dir = make_run_dir(options.results_root, sweep->name);
        point_latest(options.results_root, dir);
    }

    std::size_t over = 0;
    for (const auto& p : sweep->points) over += p.processes * p.threads > cores.count;
    if (over && !options.quiet)
        fmt::print(stderr,
                   "note: {} point{} oversubscribe{} the {} usable cores (processes × threads > "
                   "cores); the results label them with their oversubscription factor\n",
                   over, over == 1 ? "" : "s", over == 1 ? "s" : "", cores.count);

    RunInfo run;
    run.sweep = &*sweep;
    run.context = run_context(cores);
    run.dir = dir;
    auto json_out = make_json_reporter();
    auto csv_out = make_csv_reporter();
    auto console = make_console_reporter(stdout, options.quiet ? nullptr : stderr);
    run_sweep(run, {json_out.get(), csv_out.get(), console.get()}, self_executable());
    return run.points_failed ? 1 : 0;
}

int cmd_validate(const std::string& config, std::optional<int> cores_opt) {
    const UsableCores cores = detect_usable_cores(cores_opt);
    auto sweep = load_or_report(config, cores);
    if (!sweep) return kBadInput;
    long reps = 0;
    std::size_t runs = 0;
    for (const auto& p : sweep->points) {
        reps += p.warmup + p.repetitions;
        runs = std::max(runs, p.run + 1);
    }
    fmt::print("{}: ok — {} points from {} runs, {} repetitions with warmups; usable cores {}\n",
               config, sweep->points.size(), runs, reps, cores.reason);
    for (const auto& p : sweep->points)
        fmt::print("  {:>4}  {}  P={} T={}{}\n", p.index, p.label(), p.processes, p.threads,
                   p.baseline_only ? "  (baseline only)" : "");
    return 0;
}

int cmd_list(bool as_json) {
    json all = json::array();
    for (const Kernel* k : kernels()) {
        json params = json::array();
        for (const auto& s : k->params()) {
            json p = {{"name", s.name},
                      {"type", to_string(s.type)},
                      {"default", s.default_value},
                      {"help", s.help}};
            if (s.min) p["min"] = *s.min;
            if (s.max) p["max"] = *s.max;
            if (!s.choices.empty()) p["choices"] = s.choices;
            params.push_back(p);
        }
        all.push_back({{"kernel", k->id()}, {"summary", k->summary()}, {"params", params}});
    }
    if (as_json) {
        fmt::print("{}\n", all.dump(2));
        return 0;
    }
    for (const auto& k : all) {
        fmt::print("{}\n  {}\n", k["kernel"].get<std::string>(), k["summary"].get<std::string>());
        for (const auto& p : k["params"]) {
            std::string range;
            if (p.contains("choices")) range = "one of " + param_text(p["choices"]);
            if (p.contains("min") || p.contains("max"))
                range = fmt::format(
                    "{} … {}",
                    p.contains("min") ? fmt::format("{:.15g}", p["min"].get<double>()) : "",
                    p.contains("max") ? fmt::format("{:.15g}", p["max"].get<double>()) : "");
            fmt::print("    {:<12} {:<15} default {:<28} {}\n", p["name"].get<std::string>(),
                       p["type"].get<std::string>(),
                       p["default"].is_null() ? "(required)" : p["default"].dump(),
                       p["help"].get<std::string>() + (range.empty() ? "" : " [" + range + "]"));
        }
        fmt::print("\n");
    }
    return 0;
}

int cmd_info(bool as_json, std::optional<int> cores_opt) {
    const UsableCores cores = detect_usable_cores(cores_opt);
    const json ctx = run_context(cores);
    if (as_json) {
        fmt::print("{}\n", ctx.dump(2));
        return 0;
    }
    const json& t = ctx["topology"];
    const json& b = ctx["blas"];
    const json& o = ctx["openmp"];
    fmt::print("host          {} ({})\n", ctx["host"].get<std::string>(),
               ctx["os"].get<std::string>());
    fmt::print("cpu           {}\n", t.value("cpu_model", "unknown"));
    fmt::print(
        "topology      {} package(s), {} physical cores, {} logical CPUs (PUs), {} NUMA node(s)\n",
        t.value("packages", 0), t.value("cores", 0), t.value("pus", 0), t.value("numa_nodes", 0));
    if (t.contains("caches"))
        for (const auto& [name, c] : t["caches"].items())
            fmt::print("cache {:<7} {} KiB × {}\n", name, c["size_kib"].get<long>(),
                       c["count"].get<int>());
    fmt::print("usable cores  {}\n", cores.reason);
    fmt::print("memory        {} total, {} available\n",
               format_bytes(ctx["memory"]["total_bytes"].get<double>()),
               format_bytes(ctx["memory"]["available_bytes"].get<double>()));
    fmt::print("openmp        {} ({}), {} threads by default here\n",
               o["version"].get<std::string>(), o["runtime"].get<std::string>(),
               o["max_threads"].get<int>());
    if (b.contains("error")) {
        fmt::print("blas          unavailable: {}\n", b["error"].get<std::string>());
    } else {
        fmt::print(
            "blas          {} {} ({}, core {}); threads: set per point by the threads axis\n",
            b["name"].get<std::string>(), b["version"].get<std::string>(),
            b["threading"].get<std::string>(), b["core"].get<std::string>());
        fmt::print("              config: {}\n", b["config"].get<std::string>());
        fmt::print(
            "              BLAS from {}\n              LAPACK from {}\n              LAPACKE from "
            "{}\n",
            b["blas_library"].get<std::string>(), b["lapack_library"].get<std::string>(),
            b["lapacke_library"].get<std::string>());
    }
    const json& build = ctx["build"];
    fmt::print("parsweep      {} ({}), {} build, {} {}\n",
               build["parsweep_version"].get<std::string>(), build["git_commit"].get<std::string>(),
               build["build_type"].get<std::string>(), build["compiler"].get<std::string>(),
               build["flags"].get<std::string>());
    if (!ctx["env"].empty()) {
        fmt::print("environment  ");
        for (const auto& [k, v] : ctx["env"].items()) fmt::print(" {}={}", k, v.get<std::string>());
        fmt::print("\n");
    }
    return 0;
}

int cmd_corpus(const std::string& size, const std::string& from, const std::string& out) {
    try {
        const std::uint64_t bytes = parse_size(size);
        const std::uint64_t written = build_corpus(from, out, bytes);
        fmt::print("{}: {} bytes ({}) from copies of {}\n", out, written,
                   format_bytes(double(written)), from);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return kBadInput;
    }
}

}  // namespace parsweep
