// `parsweep run`: a sweep measured and written, or an interrupted one completed (--resume).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "calibration/calibration_cache.hpp"
#include "cli/commands.hpp"
#include "launch/executor.hpp"
#include "launch/launcher.hpp"
#include "launch/mpi_launcher.hpp"
#include "machine/slurm_allocation.hpp"
#include "machine/sysinfo.hpp"
#include "measure/clock.hpp"
#include "report/reporter.hpp"
#include "run/input_identity.hpp"
#include "run/load.hpp"
#include "run/run_dir.hpp"
#include "run/runner.hpp"
#include "sweep/config.hpp"
#include "sweep/overrides.hpp"
#include "util/files.hpp"
#include "util/install_paths.hpp"
#include "util/interrupt.hpp"
#include "util/json_input.hpp"
#include "util/term_style.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

// What `run` was asked for on the command line.
struct RunOptions {
    std::string config;  // may be empty with `resume`
    std::string resume;  // an interrupted run's directory to complete
    std::string out;     // "" → results/<date>-<name>/
    std::string results_root = "results";
    std::optional<int> cores;   // --cores: overrides the detected usable cores
    int quiet = 0;              // -q: no progress; -qq: not the calibration's start and end either
    std::string part;           // --part K/N: only the K-th of N disjoint shares ("" = all)
    bool no_calibrate = false;  // --no-calibrate (or PARSWEEP_NO_CALIBRATE=1): no calibration
    RunOverrides overrides;     // --repetitions, --warmup, --only
    std::string markdown;       // --export-markdown FILE: the summary table as Markdown
    bool allow_changed_inputs = false;  // --allow-changed-inputs: resume on inputs as they are
};

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

// DIR's sweep.json into `old`, or why the run there cannot be resumed: there is none, it is
// unreadable, it is a merge, or it was written by another version of parsweep.
std::optional<std::string> read_run_record(const fs::path& dir, json& old) {
    try {
        if (!fs::exists(dir / "sweep.json")) return "no sweep.json there";
        old = read_json_file(dir / "sweep.json", JsonKind::run_record);
    } catch (const std::exception& e) {
        return std::string("sweep.json is unreadable: ") + e.what();
    }
    if (old.contains("merge"))
        return "it was made by parsweep merge; resume the runs it joined (a part that is "
               "missing points), then merge them again";
    if (!old.contains("config") || !old["config"].contains("hash"))
        return "sweep.json was not written by this version of parsweep";
    return std::nullopt;
}

// Why the config to go on with — `config` as given, else the run's recorded `source` — is not
// the one the run started with (its hash with the `recorded` overrides is not `hash`), or
// nullopt. A recorded source that is gone is not checked.
std::optional<std::string> config_changed(const std::string& config, const std::string& source,
                                          const json& recorded, const std::string& hash) {
    const std::string check = !config.empty() ? config : source;
    if (!check.empty() && fs::exists(check)) {
        try {
            if (config_hash(read_json_file(check, JsonKind::config), recorded) != hash)
                return check +
                       (config.empty() ? " changed since the run started"
                                       : " is not the config the run started with") +
                       " (config hash " + hash + "); start a new run, or restore the config";
        } catch (const std::exception& e) {
            return check + " is not valid JSON: " + e.what();
        }
    } else if (!config.empty()) {
        return "config file not found: " + config;
    }
    return std::nullopt;
}

// The sweep the run in `old` (its sweep.json) measured, into `sweep`, or why it no longer
// loads. "auto" grids expand with the cores of the original run (or `cores_opt`), so the
// points are the same.
std::optional<std::string> recorded_sweep(const json& old, std::optional<int> cores_opt,
                                          const json& recorded, Sweep& sweep) {
    const int cores = cores_opt.value_or(old["context"]["usable_cores"]["count"].get<int>());
    try {
        // Relative file parameters start where they did (runs before base_dir: the cwd).
        sweep =
            parse_sweep(old["config"]["given"],
                        {cores, available_memory_bytes(), old.value("name", "sweep"),
                         mpi_unavailable(self_executable()), old["config"].value("base_dir", "")});
    } catch (const ConfigErrors& e) {
        return "its config no longer loads:\n" + std::string(e.what());
    }
    try {
        apply_overrides(sweep, RunOverrides::from_json(recorded));
    } catch (const std::exception& e) {
        return std::string("its overrides no longer apply: ") + e.what();
    }
    return std::nullopt;
}

// The points DIR's checkpoint.jsonl holds, into `done`, or why they do not fit `sweep`. A line
// cut short by SIGKILL is skipped: that point runs again.
std::optional<std::string> read_checkpoint(const fs::path& dir, const Sweep& sweep,
                                           Checkpoint& done) {
    std::set<std::string> keys;
    for (const auto& p : sweep.points) keys.insert(p.key());
    // Read as sweep.json is: a FIFO or a device there is refused, not waited for.
    std::string text;
    try {
        if (fs::exists(dir / "checkpoint.jsonl"))
            text = read_json_text(dir / "checkpoint.jsonl", max_json_bytes(JsonKind::run_record));
    } catch (const std::exception& e) {
        return e.what();
    }
    std::istringstream journal(text);
    std::string line;
    while (std::getline(journal, line)) {
        json p;
        try {
            p = parse_json_strict(line, "checkpoint.jsonl");
        } catch (const std::exception&) {
            continue;
        }
        const std::string key = p.value("key", "");
        if (!keys.count(key))
            return "checkpoint.jsonl holds point " + p.value("label", key) +
                   ", which the config does not have";
        std::vector<RepRecord> reps;
        for (const auto& rep : p.at("reps")) reps.push_back(rep_from_json(rep));
        done[key] = std::move(reps);
    }
    return std::nullopt;
}

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
    if (auto why = read_run_record(dir, old)) return fail(*why);
    const std::string hash = old["config"]["hash"].get<std::string>();
    // --repetitions, --warmup and --only: the run's own, or the same again.
    const json recorded = old["config"].value("overrides", json());
    if (auto why = overrides_differ(overrides, recorded)) return fail(*why);
    const std::string source = old["config"].value("source", "");
    if (auto why = config_changed(config, source, recorded, hash)) return fail(*why);
    Resumable r;
    if (auto why = recorded_sweep(old, cores_opt, recorded, r.sweep)) return fail(*why);
    r.sweep.source = source;
    r.context = old["context"];
    if (old.contains("part")) {  // a part of a job array goes on with its own share
        r.sweep.part.index = old["part"].value("index", 1);
        r.sweep.part.count = old["part"].value("count", 1);
    }
    if (auto why = read_checkpoint(dir, r.sweep, r.done)) return fail(*why);
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
// looks hung); -qq leaves them out too. A SIGINT or SIGTERM received by its end (the
// calibration ends within a second of it) throws Interrupted.
json new_run_context(const RunOptions& options, bool calibrate, const UsableCores& cores,
                     const Sweep& sweep, TimeAccounting& time) {
    json context = run_context(cores);
    if (std::any_of(sweep.points.begin(), sweep.points.end(),
                    [](const Point& p) { return p.launcher == Launcher::mpi; }))
        context["mpi"] = mpi_info(self_executable());
    const double calibrate_start_s = monotonic_s();
    context["calibration"] = calibrate ? calibration_for_run(cores, self_executable(),
                                                             options.quiet >= 2 ? nullptr : stderr,
                                                             options.quiet ? nullptr : stderr)
                                       : json();
    time.calibrate_s = monotonic_s() - calibrate_start_s;
    throw_if_interrupted();
    return context;
}

// A new run that SIGINT or SIGTERM ended before its first point (while calibrating or waiting
// for another's calibration) leaves nothing: no calibration cached (but one that had just
// finished), the run directory taken back (start_run), results/latest as it was; there is
// nothing to resume. 128 + the signal, as any interrupted run.
int interrupted_before_the_first_point(const Interrupted& e) {
    fmt::print(stderr, "interrupted ({}) before the first point: nothing was run or written\n",
               signal_name(e.signal()));
    return 128 + e.signal();
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

namespace {

// Where a run goes on from: the sweep, the points done before (a resumed run's), the context
// to record and the directory to write.
struct RunStart {
    Sweep sweep;
    Checkpoint done_before;
    json context;
    fs::path dir;
    std::optional<RunDir> claim;  // `dir`, locked for this run
};

// options.resume's run, to be completed: nullopt after saying why it cannot be (bad input),
// also when --part names another share than the run's.
std::optional<RunStart> resume_run(const RunOptions& options, const std::optional<Part>& part,
                                   const UsableCores& cores) {
    RunStart s;
    s.dir = options.resume;
    // Locked before its journal is read: a run still going (or another --resume) keeps it.
    if (fs::is_directory(s.dir)) {
        try {
            s.claim.emplace(claim_run_dir(s.dir));
        } catch (const FileError& e) {
            fmt::print(stderr, "{} cannot resume {}: {}\n", error_label(stderr), s.dir.string(),
                       e.what());
            return std::nullopt;
        }
    }
    auto r = read_resumable(s.dir, options.config, options.cores, options.overrides);
    if (!r) return std::nullopt;
    s.sweep = std::move(r->sweep);
    if (part && (part->index != s.sweep.part.index || part->count != s.sweep.part.count)) {
        fmt::print(stderr, "{} cannot resume {} with --part {}: it is part {}/{}\n",
                   error_label(stderr), s.dir.string(), options.part, s.sweep.part.index,
                   s.sweep.part.count);
        return std::nullopt;
    }
    s.done_before = std::move(r->done);
    s.context = std::move(r->context);
    // Where and when it went on, next to where it started.
    json again = run_context(cores);
    s.context["resumed"].push_back({{"date", again["date"]},
                                    {"host", again["host"]},
                                    {"points_done_before", s.done_before.size()},
                                    {"build", again["build"]}});
    // Another job may have other nodes: the points measured from here on ran on these.
    if (again.contains("allocation"))
        s.context["resumed"].back()["allocation"] = again["allocation"];
    if (auto why = check_resumed_inputs(s.context, options.allow_changed_inputs); !why.empty()) {
        fmt::print(stderr, "{} cannot resume {}: {}\n", error_label(stderr), s.dir.string(), why);
        return std::nullopt;
    }
    if (!options.quiet)
        fmt::print(stderr, "resuming {}: {} of {} points done before\n", s.dir.string(),
                   s.done_before.size(), s.sweep.points_to_run().size());
    return s;
}

// A new run of options.config: loaded, its context recorded (calibrating when asked, the time
// going to `time`), its directory made and results/latest pointed at it; nullopt after saying
// why not (bad input: the config, the overrides, an --out that holds a run).
std::optional<RunStart> start_run(const RunOptions& options, const RunChoices& choices,
                                  const UsableCores& cores, TimeAccounting& time) {
    auto sweep = load_for_run(options, cores);
    if (!sweep) return std::nullopt;
    RunStart s;
    s.sweep = std::move(*sweep);
    if (choices.part) s.sweep.part = *choices.part;
    // The run's directory, made and locked before the calibration's minute: a bad --out (a
    // file, read-only, in use, holding a run or other files) is said at once.
    try {
        s.claim.emplace(options.out.empty() ? claim_new_run_dir(options.results_root, s.sweep.name)
                                            : claim_out_dir(options.out));
    } catch (const FileError& e) {
        fmt::print(stderr, "{} {}\nnothing was run\n", error_label(stderr), e.what());
        return std::nullopt;
    }
    s.dir = s.claim->path;
    try {
        s.context = new_run_context(options, choices.calibrate, cores, s.sweep, time);
    } catch (const Interrupted&) {
        s.claim->discard();  // no point ran: nothing to resume
        throw;
    }
    // `make plots` (RUN=results/latest) then draws this run, wherever --out put it.
    point_latest(options.results_root, s.dir);
    return s;
}

// Says how many points to run oversubscribe the usable cores (or, for MPI ranks in a Slurm
// allocation, the CPUs of their nodes). Even with --quiet: it is a property of the results,
// not progress.
void note_oversubscription(const Sweep& sweep, const json& context) {
    std::size_t over = 0;
    bool mpi_in_allocation = false;
    const auto allocation = allocation_of(context);
    for (const Point* p : sweep.points_to_run()) {
        over += p->processes * p->threads > planned_cores(*p, sweep.usable_cores, allocation);
        mpi_in_allocation = mpi_in_allocation || (allocation && p->launcher == Launcher::mpi);
    }
    if (over)
        fmt::print(stderr,
                   "note: {} point{} oversubscribe{} the {} usable cores{} (processes × threads > "
                   "cores); the results label them with their oversubscription factor\n",
                   over, over == 1 ? "" : "s", over == 1 ? "s" : "", sweep.usable_cores,
                   mpi_in_allocation ? " (MPI ranks: the CPUs of the nodes they run on)" : "");
}

// A run that stopped because a result file could not be written: says which and why. The
// exit status: 128 + N when a signal also stopped it; 2 when no point was measured (a new
// run's files are then taken back: RunDir::discard), else 1.
int stopped_by_write_error(const RunInfo& run, const RunStart& start,
                           const std::vector<PointResult>& done) {
    const bool measured =
        std::any_of(done.begin(), done.end(), [](const PointResult& p) { return !p.resumed; });
    fmt::print(
        stderr, "{} {}\n{}\n", error_label(stderr), run.write_error,
        measured ? "the run stopped; the points measured before are kept" : "nothing was run");
    if (!measured && start.claim) start.claim->discard();
    if (run.interrupted_by) return 128 + run.interrupted_by;
    return measured ? 1 : kBadInput;
}

// Measures the points `start` has left and writes every report. The exit status: 128 + N when
// interrupted by signal N, 1 when a point failed, else 0.
int measure_and_report(const RunOptions& options, const RunStart& start, const TimeAccounting& time,
                       double started_s) {
    RunInfo run;
    run.sweep = &start.sweep;
    run.context = start.context;
    run.dir = start.dir;
    run.time = time;
    run.started_s = started_s;
    auto json_out = make_json_reporter();
    auto csv_out = make_csv_reporter();
    auto console = make_console_reporter(stdout, options.quiet ? nullptr : stderr);
    std::vector<Reporter*> reporters = {json_out.get(), csv_out.get(), console.get()};
    auto markdown = options.markdown.empty() ? nullptr : make_markdown_reporter(options.markdown);
    if (markdown) reporters.push_back(markdown.get());
    const auto done = run_sweep(run, reporters, self_executable(), start.done_before);
    if (!run.write_error.empty()) return stopped_by_write_error(run, start, done);
    if (run.interrupted_by) return 128 + run.interrupted_by;
    return run.points_failed ? 1 : 0;
}

int cmd_run(const RunOptions& options) {
    const double started_s = monotonic_s();  // the start of the run's time accounting
    TimeAccounting time;
    install_interrupt_handlers();
    const auto choices = run_choices(options);
    if (!choices) return kBadInput;
    const UsableCores cores = detect_usable_cores(options.cores);
    try {  // Interrupted: from the calibration, before the first point
        const auto start = options.resume.empty() ? start_run(options, *choices, cores, time)
                                                  : resume_run(options, choices->part, cores);
        if (!start) return kBadInput;
        note_oversubscription(start->sweep, start->context);
        return measure_and_report(options, *start, time, started_s);
    } catch (const Interrupted& e) {
        return interrupted_before_the_first_point(e);
    }
}

}  // namespace

Command add_run_command(CLI::App& parsweep) {
    auto o = std::make_shared<RunOptions>();
    auto* cmd = parsweep.add_subcommand("run", "run a sweep and write its results");
    cmd->add_option("config", o->config, "the sweep's JSON config (optional with --resume)");
    cmd->add_option("--resume", o->resume,
                    "complete an interrupted run in this directory: only its missing points");
    cmd->add_option("--out", o->out, "results directory (default results/<date>-<name>)");
    cmd->add_option("--results", o->results_root, "where default results directories go")
        ->capture_default_str();
    cmd->add_option("--cores", o->cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_flag("-q,--quiet", o->quiet,
                  "no progress output; a calibration's start and end are still said (-qq: "
                  "not those either)");
    cmd->add_flag("--no-calibrate", o->no_calibrate,
                  "do not measure or record the machine's limits (parsweep calibrate); "
                  "also PARSWEEP_NO_CALIBRATE=1");
    cmd->footer(
        "The first run on a machine (host, usable cores, BLAS and OpenMP settings) measures a "
        "quick calibration before its first point, once (often a minute or more; longer in a "
        "busy batch job), and caches it in $PARSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/parsweep, "
        "else ~/.cache/parsweep. Its start and end are said on stderr. SIGINT or SIGTERM "
        "ends it within a second (exit 130 / 143) with nothing written: no point had run.\n\n"
        "Environment:\n"
        "  PARSWEEP_NO_CALIBRATE=1   as --no-calibrate (1, true, yes; 0, false, no or unset: "
        "calibrate); any other value is an error\n"
        "  PARSWEEP_CACHE_DIR=DIR    where calibrations are cached\n" +
        std::string(kMaxJsonBytesHelp));
    cmd->add_option("--part", o->part,
                    "K/N: run only the K-th of N disjoint shares of the points (job arrays; "
                    "join them with parsweep merge)");
    cmd->add_option("--repetitions", o->overrides.repetitions,
                    "repetitions of every point, instead of the config's")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--warmup", o->overrides.warmup,
                    "unrecorded warm-up repetitions of every point, instead of the config's")
        ->check(CLI::Range(0, 1000));
    cmd->add_option("--only", o->overrides.only,
                    "only the points matching key=value[,key=value…] (keys: kernel, P, T and "
                    "the kernels' parameters; comma = and, several --only = or), and their "
                    "baselines");
    cmd->add_flag("--allow-changed-inputs", o->allow_changed_inputs,
                  "with --resume: go on although an input file differs from the run's record "
                  "(sweep.json context.inputs); the points left are measured on it as it is "
                  "now, and context.resumed records what changed");
    cmd->add_option("--export-markdown", o->markdown,
                    "also write the summary table to this file as a Markdown table");

    cmd->callback([o] {
        if (o->config.empty() && o->resume.empty())
            throw CLI::RequiredError("config (or --resume DIR)");
        if (!o->resume.empty() && !o->out.empty())
            throw CLI::ValidationError("--out", "a resumed run stays in its own directory");
        if (o->allow_changed_inputs && o->resume.empty())
            throw CLI::ValidationError("--allow-changed-inputs",
                                       "only with --resume: a new run records its inputs as it "
                                       "finds them");
    });
    return {cmd, [o] { return cmd_run(*o); }};
}

}  // namespace parsweep
