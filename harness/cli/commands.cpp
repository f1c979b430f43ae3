#include "cli/commands.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "cluster/slurm_allocation.hpp"
#include "input/corpus.hpp"
#include "input/english_text.hpp"
#include "launch/interrupt.hpp"
#include "launch/launcher.hpp"
#include "launch/mpi_launcher.hpp"
#include "launch/protocol.hpp"
#include "machine/blas_axis.hpp"
#include "machine/calibration_cache.hpp"
#include "machine/pinning.hpp"
#include "machine/sysinfo.hpp"
#include "report/reporter.hpp"
#include "run/runner.hpp"
#include "sweep/config.hpp"
#include "sweep/estimate.hpp"
#include "sweep/load.hpp"
#include "util/files.hpp"
#include "util/term_style.hpp"
#include "util/units.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

constexpr int kBadInput = 2;

// PARSWEEP_NO_CALIBRATE: --no-calibrate from the environment, for a batch script whose command
// line is not the user's to edit (scripts/slurm/sweep.sbatch, the job arrays of `slurm`).
// 1/true/yes (any case) → skip, 0/false/no, empty or unset → calibrate; anything else throws
// std::invalid_argument naming the variable and value, so that a typo does not silently
// measure (or skip) what the user meant otherwise.
bool no_calibrate_from_env() {
    constexpr const char* kVar = "PARSWEEP_NO_CALIBRATE";
    const char* raw = std::getenv(kVar);
    if (!raw || !*raw) return false;
    std::string v = raw;
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "1" || v == "true" || v == "yes") return true;
    if (v == "0" || v == "false" || v == "no") return false;
    throw std::invalid_argument(fmt::format(
        "{}={}: must be 1, true or yes (skip the calibration), or 0, false or no", kVar, raw));
}

}  // namespace

namespace {

// Why a run started with the overrides `recorded` (sweep.json's config.overrides) cannot be
// resumed with `given`, or nullopt: none given (the recorded ones apply), or the same.
std::optional<std::string> overrides_differ(const RunOverrides& given, const json& recorded) {
    if (given.empty() || given.to_json() == recorded) return std::nullopt;
    return fmt::format(
        "it was started with {}, not with {}; resume it without them",
        recorded.is_null() ? "no --repetitions, --warmup or --only" : recorded.dump(),
        given.to_json().dump());
}

// What an interrupted run left: its config, context and the points it finished.
struct Resumable {
    Sweep sweep;
    json context;
    Checkpoint done;
};

// Reads DIR's sweep.json and checkpoint.jsonl, and the config to go on with: the one given
// on the command line, or the one recorded. Either must be the config the run started with
// (by hash). Prints the problem and returns nullopt when the run cannot be resumed.
std::optional<Resumable> read_resumable(const fs::path& dir, const std::string& config,
                                        std::optional<int> cores_opt,
                                        const RunOverrides& overrides) {
    auto fail = [&](const std::string& why) {
        fmt::print(stderr, "{} cannot resume {}: {}\n", error_label(stderr), dir.string(), why);
        return std::nullopt;
    };
    json old;
    try {
        std::ifstream in(dir / "sweep.json");
        if (!in) return fail("no sweep.json there");
        old = json::parse(in);
    } catch (const std::exception& e) {
        return fail(std::string("sweep.json is unreadable: ") + e.what());
    }
    if (old.contains("merge"))
        return fail(
            "it was made by parsweep merge; resume the runs it joined (a part that is "
            "missing points), then merge them again");
    if (!old.contains("config") || !old["config"].contains("hash"))
        return fail("sweep.json was not written by this version of parsweep");
    const std::string hash = old["config"]["hash"].get<std::string>();
    const json given = old["config"]["given"];
    // --repetitions, --warmup and --only: the run's own, or the same again.
    const json recorded = old["config"].value("overrides", json());
    if (auto why = overrides_differ(overrides, recorded)) return fail(*why);
    const std::string source = old["config"].value("source", "");
    // The config to go on with must be the one the run started with.
    const std::string check = !config.empty() ? config : source;
    if (!check.empty() && fs::exists(check)) {
        try {
            std::ifstream in(check);
            if (config_hash(json::parse(in), recorded) != hash)
                return fail(check +
                            (config.empty() ? " changed since the run started"
                                            : " is not the config the run started with") +
                            " (config hash " + hash + "); start a new run, or restore the config");
        } catch (const std::exception& e) {
            return fail(check + " is not valid JSON: " + e.what());
        }
    } else if (!config.empty()) {
        return fail("config file not found: " + config);
    }
    // "auto" grids expand with the cores of the original run, so the points are the same.
    const int cores = cores_opt.value_or(old["context"]["usable_cores"]["count"].get<int>());
    Resumable r;
    try {
        // Relative file parameters start where they did (runs before base_dir: the cwd).
        r.sweep = parse_sweep(
            given, {cores, available_memory_bytes(), old.value("name", "sweep"),
                    mpi_unavailable(self_executable()), old["config"].value("base_dir", "")});
    } catch (const ConfigErrors& e) {
        return fail("its config no longer loads:\n" + std::string(e.what()));
    }
    try {
        apply_overrides(r.sweep, RunOverrides::from_json(recorded));
    } catch (const std::exception& e) {
        return fail(std::string("its overrides no longer apply: ") + e.what());
    }
    r.sweep.source = source;
    r.context = old["context"];
    if (old.contains("part")) {  // a part of a job array goes on with its own share
        r.sweep.part.index = old["part"].value("index", 1);
        r.sweep.part.count = old["part"].value("count", 1);
    }
    std::set<std::string> keys;
    for (const auto& p : r.sweep.points) keys.insert(p.key());
    std::ifstream journal(dir / "checkpoint.jsonl");
    std::string line;
    while (std::getline(journal, line)) {
        json p;
        try {
            p = json::parse(line);
        } catch (const std::exception&) {
            continue;  // a line cut short by SIGKILL: that point runs again
        }
        const std::string key = p.value("key", "");
        if (!keys.count(key))
            return fail("checkpoint.jsonl holds point " + p.value("label", key) +
                        ", which the config does not have");
        std::vector<RepRecord> reps;
        for (const auto& rep : p.at("reps")) reps.push_back(rep_from_json(rep));
        r.done[key] = std::move(reps);
    }
    // Temporary files of a run killed while writing.
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path());
    return r;
}

// The config with the command line's overrides (--repetitions, --warmup, --only), or nullopt
// after saying what is wrong with either.
std::optional<Sweep> load_for_run(const RunOptions& options, const UsableCores& cores) {
    auto sweep = load_or_report(options.config, cores);
    if (!sweep) return std::nullopt;
    try {
        apply_overrides(*sweep, options.overrides);
    } catch (const OverrideError& e) {
        fmt::print(stderr, "{} {}\nnothing was run\n", error_label(stderr), e.what());
        return std::nullopt;
    }
    return sweep;
}

// A new run's context: the machine, MPI when a point uses it, and the machine's limits for
// roofline_fraction (cached per host, else measured once, quick; a resumed run keeps the
// calibration it started with), whose time goes to `time`. Measuring takes a minute or more,
// so its start and end are said even under -q (they are not progress: without them a run
// looks hung); -qq leaves them out too.
json new_run_context(const RunOptions& options, bool calibrate, const UsableCores& cores,
                     const Sweep& sweep, TimeAccounting& time) {
    json context = run_context(cores);
    if (std::any_of(sweep.points.begin(), sweep.points.end(),
                    [](const Point& p) { return p.launcher == "mpi"; }))
        context["mpi"] = mpi_info(self_executable());
    const double calibrate_start_s = monotonic_s();
    context["calibration"] = calibrate ? calibration_for_run(cores, self_executable(),
                                                             options.quiet >= 2 ? nullptr : stderr,
                                                             options.quiet ? nullptr : stderr)
                                       : json();
    time.calibrate_s = monotonic_s() - calibrate_start_s;
    return context;
}

// What `run` takes from its options and environment before anything else: --part, and whether
// to calibrate (not with --no-calibrate or PARSWEEP_NO_CALIBRATE=1); nullopt after saying
// what is wrong with them, or with --export-markdown's file (bad input: nothing is run).
struct RunChoices {
    std::optional<Part> part;
    bool calibrate = true;
};
std::optional<RunChoices> run_choices(const RunOptions& options) {
    RunChoices c;
    try {
        if (!options.part.empty()) c.part = parse_part(options.part);
    } catch (const std::invalid_argument& e) {
        fmt::print(stderr, "{} {}\n", error_label(stderr), e.what());
        return std::nullopt;
    }
    if (auto why = file_option_problem(options.markdown, "--export-markdown")) {
        fmt::print(stderr, "{} {}\nnothing was run\n", error_label(stderr), *why);
        return std::nullopt;
    }
    try {
        c.calibrate = !no_calibrate_from_env() && !options.no_calibrate;  // always checked
    } catch (const std::invalid_argument& e) {
        fmt::print(stderr, "{} {}\nnothing was run\n", error_label(stderr), e.what());
        return std::nullopt;
    }
    return c;
}

}  // namespace

int cmd_run(const RunOptions& options) {
    const double started_s = monotonic_s();  // the start of the run's time accounting
    TimeAccounting time;
    install_interrupt_handlers();
    const auto choices = run_choices(options);
    if (!choices) return kBadInput;
    const std::optional<Part>& part = choices->part;
    const bool calibrate = choices->calibrate;
    const UsableCores cores = detect_usable_cores(options.cores);
    std::optional<Sweep> sweep;
    Checkpoint done_before;
    json context;
    fs::path dir;
    if (!options.resume.empty()) {
        dir = options.resume;
        auto r = read_resumable(dir, options.config, options.cores, options.overrides);
        if (!r) return kBadInput;
        sweep = std::move(r->sweep);
        if (part && (part->index != sweep->part.index || part->count != sweep->part.count)) {
            fmt::print(stderr, "{} cannot resume {} with --part {}: it is part {}/{}\n",
                       error_label(stderr), dir.string(), options.part, sweep->part.index,
                       sweep->part.count);
            return kBadInput;
        }
        done_before = std::move(r->done);
        context = std::move(r->context);
        // Where and when it went on, next to where it started.
        json again = run_context(cores);
        context["resumed"].push_back({{"date", again["date"]},
                                      {"host", again["host"]},
                                      {"points_done_before", done_before.size()},
                                      {"build", again["build"]}});
        // Another job may have other nodes: the points measured from here on ran on these.
        if (again.contains("allocation"))
            context["resumed"].back()["allocation"] = again["allocation"];
        if (!options.quiet)
            fmt::print(stderr, "resuming {}: {} of {} points done before\n", dir.string(),
                       done_before.size(), sweep->points_to_run().size());
    } else {
        sweep = load_for_run(options, cores);
        if (!sweep) return kBadInput;
        if (part) sweep->part = *part;
        // A taken --out is bad input: said before the calibration's minute, not after it.
        if (!options.out.empty() && fs::exists(fs::path(options.out) / "sweep.json")) {
            fmt::print(stderr,
                       "{} {} already holds a run (sweep.json); choose another --out, or "
                       "--resume it\n",
                       error_label(stderr), options.out);
            return kBadInput;
        }
        context = new_run_context(options, calibrate, cores, *sweep, time);
        if (!options.out.empty()) {
            dir = options.out;
            fs::create_directories(dir);
        } else {
            dir = make_run_dir(options.results_root, sweep->name);
        }
        // `make plots` (RUN=results/latest) then draws this run, wherever --out put it.
        point_latest(options.results_root, dir);
    }

    // Said even with --quiet: it is a property of the results, not progress.
    std::size_t over = 0;
    bool mpi_in_allocation = false;
    const auto allocation = allocation_of(context);
    for (const Point* p : sweep->points_to_run()) {
        over += p->processes * p->threads > planned_cores(*p, sweep->usable_cores, allocation);
        mpi_in_allocation = mpi_in_allocation || (allocation && p->launcher == "mpi");
    }
    if (over)
        fmt::print(stderr,
                   "note: {} point{} oversubscribe{} the {} usable cores{} (processes × threads > "
                   "cores); the results label them with their oversubscription factor\n",
                   over, over == 1 ? "" : "s", over == 1 ? "s" : "", sweep->usable_cores,
                   mpi_in_allocation ? " (MPI ranks: the CPUs of the nodes they run on)" : "");

    RunInfo run;
    run.sweep = &*sweep;
    run.context = context;
    run.dir = dir;
    run.time = time;
    run.started_s = started_s;
    auto json_out = make_json_reporter();
    auto csv_out = make_csv_reporter();
    auto console = make_console_reporter(stdout, options.quiet ? nullptr : stderr);
    std::vector<Reporter*> reporters = {json_out.get(), csv_out.get(), console.get()};
    auto markdown = options.markdown.empty() ? nullptr : make_markdown_reporter(options.markdown);
    if (markdown) reporters.push_back(markdown.get());
    run_sweep(run, reporters, self_executable(), done_before);
    if (run.interrupted_by) return 128 + run.interrupted_by;
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
    for (const auto& p : sweep->points) {
        // A weak-scaling point's label shows its size per worker; here also what it runs.
        std::string weak;
        for (const auto& [name, v] : p.per_worker.items())
            weak += fmt::format("  {}={}", name, p.params[name].dump());
        fmt::print("  {:>4}  {}  P={} T={}{}{}\n", p.index, p.label(), p.processes, p.threads, weak,
                   p.baseline_only ? "  (baseline only)" : "");
    }
    for (const auto& line : estimate_lines(estimate_sweep(*sweep, cached_calibration(cores)),
                                           available_memory_bytes()))
        fmt::print("{}\n", line);
    return 0;
}

int cmd_list(bool as_json, bool include_hidden) {
    auto specs_json = [](const std::vector<ParamSpec>& specs) {
        json params = json::array();
        for (const auto& s : specs) {
            json p = {{"name", s.name},
                      {"type", to_string(s.type)},
                      {"default", s.default_value},
                      {"help", s.help}};
            if (s.min) p["min"] = *s.min;
            if (s.max) p["max"] = *s.max;
            if (!s.choices.empty()) p["choices"] = s.choices;
            if (s.work_size) p["work_size"] = true;  // what "scaling": "weak" multiplies by P·T
            params.push_back(p);
        }
        return params;
    };
    json all = json::array();
    for (const Kernel* k : kernels()) {
        if (k->hidden() && !include_hidden) continue;
        all.push_back(
            {{"kernel", k->id()}, {"summary", k->summary()}, {"params", specs_json(k->params())}});
        all.back()["uses_blas"] = k->uses_blas();  // takes the blas axis (blas_axis.hpp)
    }
    if (as_json) {
        fmt::print("{}\n", all.dump(2));
        return 0;
    }
    auto print_params = [](const json& params, const char* absent) {
        for (const auto& p : params) {
            std::string range;
            if (p.contains("choices")) range = "one of " + param_text(p["choices"]);
            if (p.contains("min") || p.contains("max"))
                range = fmt::format(
                    "{} … {}",
                    p.contains("min") ? fmt::format("{:.15g}", p["min"].get<double>()) : "",
                    p.contains("max") ? fmt::format("{:.15g}", p["max"].get<double>()) : "");
            fmt::print(
                "    {:<12} {:<15} default {:<28} {}\n", p["name"].get<std::string>(),
                p["type"].get<std::string>(), p["default"].is_null() ? absent : p["default"].dump(),
                p["help"].get<std::string>() + (range.empty() ? "" : " [" + range + "]") +
                    (p.value("work_size", false) ? " (work size: × P·T in weak scaling)" : ""));
        }
    };
    for (const auto& k : all) {
        fmt::print("{}\n  {}\n", k["kernel"].get<std::string>(), k["summary"].get<std::string>());
        print_params(k["params"], "(required)");
        fmt::print("\n");
    }
    fmt::print("every kernel\n  pinning axes, under params or grid like a kernel parameter\n");
    print_params(specs_json(pinning_params()), "(unset)");
    fmt::print("\nkernels that use the BLAS (uses_blas in --json)\n");
    print_params(specs_json(blas_params()), "(unset)");
    return 0;
}

int cmd_info(bool as_json, std::optional<int> cores_opt) {
    const UsableCores cores = detect_usable_cores(cores_opt);
    json ctx = run_context(cores);
    ctx["mpi"] = mpi_info(self_executable());
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
    if (const auto a = allocation_of(ctx)) {
        std::string nodes;
        for (std::size_t i = 0; i < a->nodes.size(); ++i)
            nodes += fmt::format("{}{} ({} CPUs)", i ? ", " : "", a->nodes[i], a->cpus[i]);
        fmt::print("slurm job     {}: {} CPUs on {} node{} for MPI ranks: {}\n", a->job_id,
                   a->total_cpus(), a->nodes.size(), a->nodes.size() == 1 ? "" : "s", nodes);
    }
    fmt::print("memory        {} total, {} available\n",
               format_bytes(ctx["memory"]["total_bytes"].get<double>()),
               format_bytes(ctx["memory"]["available_bytes"].get<double>()));
    fmt::print("openmp        {} {} ({}), OpenMP {}, {} threads by default here\n",
               o["runtime_name"].get<std::string>(), o["runtime_version"].get<std::string>(),
               o["runtime"].get<std::string>(), o["version"].get<std::string>(),
               o["max_threads"].get<int>());
    fmt::print("              {}\n", o["wait_policy"]["effect"].get<std::string>());
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
    const json& mpi = ctx["mpi"];
    if (mpi.contains("unavailable"))
        fmt::print("mpi           launcher \"mpi\" unavailable: {}\n",
                   mpi["unavailable"].get<std::string>());
    else
        fmt::print("mpi           {}\n              ranks started by {} ({})\n",
                   mpi["library"].get<std::string>(), mpi["launcher_path"].get<std::string>(),
                   mpi["launcher_version"].get<std::string>());
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

int cmd_corpus(const CorpusOptions& options) {
    try {
        const std::uint64_t bytes =
            options.size.empty() ? kWorkshopTextBytes : parse_size(options.size);
        if (options.from.empty()) {
            write_english_like_text(options.out, bytes, options.seed);
            fmt::print("{}: {} bytes ({}) of generated English-like text (seed {})\n", options.out,
                       bytes, format_bytes(double(bytes)), options.seed);
            return 0;
        }
        const std::uint64_t written = build_corpus(options.from, options.out, bytes);
        fmt::print("{}: {} bytes ({}) from copies of {}\n", options.out, written,
                   format_bytes(double(written)), options.from);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{} {}\n", error_label(stderr), e.what());
        return kBadInput;
    }
}

}  // namespace parsweep
