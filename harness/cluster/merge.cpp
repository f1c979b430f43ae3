// `parsweep merge RUN_DIR... --out DIR`: several runs joined into one run, written by the same
// reporters as `parsweep run` (sweep.json, points.csv, reps.csv), so that everything that
// reads a run reads a merged one.
//
// Two modes:
// - Parts (the default): the parts of one job array (`run --part K/N`), or any runs of one
//   sweep. They must have the same config hash. Points are keyed by Point::key() (kernel +
//   parameters + P + T); a point measured by two runs is refused, or with --dedupe one is
//   kept. Points of the sweep that no run measured are listed and the merged run is
//   "incomplete".
// - Class (--class): learners' runs of a lesson side by side, from any configs. Each point
//   carries its run's learner label (Point::learner), which is part of its key, so the same
//   point measured on two laptops is two points.
//
// Speedup, efficiency and the other derived metrics are computed again over the merged
// points: in a job array a point's baseline is often measured by another part. Each point
// keeps the usable cores of the machine that measured it, and every run's context is kept in
// sweep.json's `merge.sources`. Nothing is written until every input has been read and
// checked; the result is written to a temporary directory beside --out and renamed into place.
// --replace lets a merge job submitted again (after a part was finished) replace its own
// earlier merge, and nothing else: --out must hold a merged run of the same runs.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "cluster/merge.hpp"
#include "report/reporter.hpp"
#include "run/runner.hpp"
#include "sweep/model.hpp"
#include "util/files.hpp"
#include "util/json_input.hpp"
#include "util/term_style.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

constexpr int kBadInput = 2;

// Bad input: printed as "error: …", and merge exits 2 with nothing written.
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One run given to merge, as read from its sweep.json.
struct Source {
    fs::path dir;   // as given
    fs::path real;  // canonical
    fs::path file;  // dir/sweep.json
    json doc;
    std::string label;           // its learner, in class mode
    std::vector<Point> planned;  // config.expanded: every point its sweep has
    std::string hash;            // config.hash
    std::optional<Part> part;    // when it is a part of a job array
    int usable_cores = 1;

    // The value at JSON pointer `ptr`, which must pass `is` (json::is_string, …).
    const json& need(const std::string& ptr, bool (json::*is)() const noexcept,
                     const char* kind) const {
        const json::json_pointer where(ptr);
        if (!doc.contains(where))
            throw BadInput(fmt::format("{}: {}: missing", file.string(), ptr));
        const json& v = doc.at(where);
        if (!(v.*is)())
            throw BadInput(fmt::format("{}: {}: must be {} (got {})", file.string(), ptr, kind,
                                       v.dump().substr(0, 80)));
        return v;
    }
};

// A run's sweep.json, read by the strict rules (util/json_input.hpp), or BadInput naming the
// file and what is wrong: a FIFO or a file too large or too deep is refused, not waited for.
json read_record(const fs::path& file) {
    try {
        return read_json_file(file, JsonKind::run_record);
    } catch (const JsonInputError& e) {
        if (e.kind() != JsonInputError::Kind::syntax) throw BadInput(e.what());
        // nlohmann's own words name the line and column, but not for a number overflow.
        if (e.problem().rfind("parse error at line", 0) == 0)
            throw BadInput(fmt::format("{}: not valid JSON: {}", file.string(), e.problem()));
        throw BadInput(fmt::format("{}: not valid JSON: line {}, column {}: {}", file.string(),
                                   e.line(), e.column(), e.problem()));
    }
}

Source read_source(const fs::path& dir) {
    Source s;
    s.dir = dir;
    s.file = dir / "sweep.json";
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw BadInput(fmt::format("{}: no such run directory", dir.string()));
    if (!fs::exists(s.file, ec))
        throw BadInput(fmt::format("{}: missing (is {} a parsweep run directory?)", s.file.string(),
                                   dir.string()));
    s.doc = read_record(s.file);
    if (!s.doc.is_object()) throw BadInput(s.file.string() + ": not a JSON object");
    s.hash = s.need("/config/hash", &json::is_string, "a string").get<std::string>();
    s.need("/points", &json::is_array, "a list");
    s.need("/context", &json::is_object, "an object");
    // Optional fields that merge copies: when present, of the type the harness writes.
    using Is = bool (json::*)() const noexcept;
    for (const auto& [ptr, is, kind] :
         {std::tuple<const char*, Is, const char*>{"/name", &json::is_string, "a string"},
          {"/description", &json::is_string, "a string"},
          {"/status", &json::is_string, "a string"},
          {"/started_at", &json::is_string, "a string"},
          {"/finished_at", &json::is_string, "a string"},
          {"/elapsed_s", &json::is_number, "a number"},
          {"/points_failed", &json::is_number_unsigned, "a count"},
          {"/config/source", &json::is_string, "a string"},
          {"/config/expanded/oversubscribe", &json::is_number, "a number"}})
        if (s.doc.contains(json::json_pointer(ptr))) s.need(ptr, is, kind);
    const json& expanded = s.need("/config/expanded/points", &json::is_array, "a list");
    for (std::size_t i = 0; i < expanded.size(); ++i) {
        const std::string where = fmt::format("/config/expanded/points/{}", i);
        try {
            s.planned.push_back(point_from_json(expanded[i]));
        } catch (const std::runtime_error& e) {
            throw BadInput(fmt::format("{}: {}/{}", s.file.string(), where, e.what()));
        }
        const Point& p = s.planned.back();
        const std::string stored = expanded[i].value("key", "");
        if (stored != p.key())
            throw BadInput(
                fmt::format("{}: {}/key: \"{}\", but its kernel, parameters, processes "
                            "and threads give {} (written by another parsweep?)",
                            s.file.string(), where, stored, p.key()));
    }
    if (s.doc.contains("part")) {
        const int k = s.need("/part/index", &json::is_number_integer, "an integer").get<int>();
        const int n = s.need("/part/count", &json::is_number_integer, "an integer").get<int>();
        s.part = Part{k, n};
    }
    const json::json_pointer cores("/context/usable_cores/count");
    s.usable_cores = s.doc.contains(cores) && s.doc.at(cores).is_number_integer()
                         ? std::max(1, s.doc.at(cores).get<int>())
                         : 1;
    return s;
}

// The repetitions of measured point `j` of `s`, by its stored key.
std::pair<std::string, std::vector<RepRecord>> measured_point(const Source& s, std::size_t j) {
    const std::string where = fmt::format("/points/{}", j);
    const std::string key = s.need(where + "/key", &json::is_string, "a string");
    const json& reps = s.need(where + "/reps", &json::is_array, "a list");
    std::vector<RepRecord> out;
    for (std::size_t r = 0; r < reps.size(); ++r) {
        try {
            out.push_back(rep_from_json(reps[r]));
        } catch (const json::exception& e) {
            throw BadInput(fmt::format("{}: {}/reps/{}: {}", s.file.string(), where, r, e.what()));
        }
    }
    return {key, std::move(out)};
}

bool all_verified(const std::vector<RepRecord>& reps) {
    return !reps.empty() &&
           std::all_of(reps.begin(), reps.end(), [](const RepRecord& r) { return r.verified; });
}

std::string point_text(const Point& p) {
    return fmt::format("{} P={} T={}", p.label(), p.processes, p.threads);
}

// Learner labels: --label in the order of the runs, else each run directory's name; runs
// whose directory names collide (alice/lesson02 and bob/lesson02) are named after the
// directory above instead (alice, bob).
void label_learners(std::vector<Source>& sources, const std::vector<std::string>& labels) {
    if (!labels.empty()) {
        if (labels.size() != sources.size())
            throw BadInput(
                fmt::format("--label given {} times for {} runs: give one per run, in "
                            "the order of the runs",
                            labels.size(), sources.size()));
        for (std::size_t i = 0; i < sources.size(); ++i) sources[i].label = labels[i];
    } else {
        std::map<std::string, int> uses;
        for (auto& s : sources) ++uses[s.real.filename().string()];
        for (auto& s : sources) {
            s.label = s.real.filename().string();
            if (uses[s.label] > 1) s.label = s.real.parent_path().filename().string();
        }
    }
    std::map<std::string, const Source*> seen;
    for (const auto& s : sources) {
        if (s.label.empty())
            throw BadInput(fmt::format("{}: empty learner label; give --label", s.dir.string()));
        auto [it, fresh] = seen.emplace(s.label, &s);
        if (!fresh)
            throw BadInput(
                fmt::format("learner label \"{}\" names both {} and {}; give each run "
                            "its own with --label NAME (once per run, in order)",
                            s.label, it->second->dir.string(), s.dir.string()));
    }
}

// Parts of one job array come from one sweep: refuses runs of different configs.
void check_same_sweep(const std::vector<Source>& sources) {
    std::set<std::string> hashes;
    for (const auto& s : sources) hashes.insert(s.hash);
    if (hashes.size() == 1) return;
    std::string list;
    for (const auto& s : sources)
        list += fmt::format("\n  {}: sweep \"{}\", config hash {}", s.dir.string(),
                            s.doc.value("name", "?"), s.hash);
    throw BadInput(
        "these runs come from different sweeps, so they are not parts of one job array:" + list +
        "\nto keep several learners' runs side by side, use parsweep merge --class");
}

// A measured point's repetitions, and the run they come from.
struct Kept {
    std::size_t source = 0;
    std::vector<RepRecord> reps;
};

// Every point of every run once (by key), in the order of the first run that plans it: for
// the parts of one job array, the whole sweep in its own order.
struct Plan {
    Sweep sweep;
    std::vector<std::map<std::string, std::size_t>> local;  // per run: its key → position
    std::vector<int> cores;  // per point: usable cores of the machine that measured it
};

Plan plan_points(const std::vector<Source>& sources, bool class_mode) {
    Plan plan;
    Sweep& sweep = plan.sweep;
    const Source& first = sources.front();
    sweep.name = first.doc.value("name", "merged");
    sweep.description = first.doc.value("description", "");
    sweep.source = first.doc["config"].value("source", "");
    sweep.given = first.doc["config"].value("given", json());
    sweep.overrides = first.doc["config"].value("overrides", json());  // run --only, …
    sweep.base_dir = first.doc["config"].value("base_dir", "");
    sweep.usable_cores = first.usable_cores;
    sweep.oversubscribe = first.doc["config"]["expanded"].value("oversubscribe", 1.0);
    if (class_mode) {
        // Learners may have run different configs: each one's hash is in merge.sources.
        for (const auto& s : sources)
            if (s.hash != first.hash) sweep.given = json(), sweep.overrides = json();
        for (const auto& s : sources)
            if (s.doc.value("name", "") != sweep.name) sweep.name = "class";
    }
    std::map<std::string, std::size_t> index_of;  // merged key → position
    plan.local.resize(sources.size());
    for (std::size_t s = 0; s < sources.size(); ++s) {
        for (Point p : sources[s].planned) {
            const std::string stored = p.key();
            if (class_mode) p.learner = sources[s].label;
            const auto [it, fresh] = index_of.emplace(p.key(), sweep.points.size());
            if (fresh) {
                p.index = sweep.points.size();
                sweep.points.push_back(std::move(p));
                plan.cores.push_back(sources[s].usable_cores);
            }
            plan.local[s][stored] = it->second;
        }
    }
    return plan;
}

// Every measured point, once: a point measured by two runs is BadInput, or with `dedupe`
// one is kept (said on stderr, and recorded in `deduped`).
std::vector<std::optional<Kept>> take_measured(const std::vector<Source>& sources, Plan& plan,
                                               bool dedupe, json& deduped) {
    std::vector<std::optional<Kept>> measured(plan.sweep.points.size());
    std::vector<std::string> duplicates;
    for (std::size_t s = 0; s < sources.size(); ++s) {
        const Source& b = sources[s];
        for (std::size_t j = 0; j < b.doc["points"].size(); ++j) {
            auto [key, reps] = measured_point(b, j);
            const auto at = plan.local[s].find(key);
            if (at == plan.local[s].end())
                throw BadInput(fmt::format("{}: /points/{}: point {} is not in its config.expanded",
                                           b.file.string(), j, key));
            auto& slot = measured[at->second];
            const Point& point = plan.sweep.points[at->second];
            if (!slot) {
                slot = Kept{s, std::move(reps)};
                plan.cores[at->second] = b.usable_cores;
                continue;
            }
            const Source& a = sources[slot->source];
            if (!dedupe) {
                duplicates.push_back(fmt::format("  {} (key {}): in {} and in {}",
                                                 point_text(point), key, a.dir.string(),
                                                 b.dir.string()));
                continue;
            }
            // Keep a verified measurement over a failed one, then the one with more
            // repetitions (the better statistics), then the first given.
            const bool ok_a = all_verified(slot->reps), ok_b = all_verified(reps);
            std::string why = "the first given";
            bool take_b = false;
            if (ok_a != ok_b)
                take_b = ok_b, why = "the other did not verify";
            else if (slot->reps.size() != reps.size())
                take_b = reps.size() > slot->reps.size(), why = "more repetitions";
            const Source& kept = take_b ? b : a;
            fmt::print(stderr, "note: {} was measured by {} and {}: kept {}'s ({})\n",
                       point_text(point), a.dir.string(), b.dir.string(), kept.dir.string(), why);
            deduped.push_back({{"key", point.key()},
                               {"label", point.label()},
                               {"processes", point.processes},
                               {"threads", point.threads},
                               {"kept", kept.dir.string()},
                               {"dropped", (take_b ? a : b).dir.string()},
                               {"why", why}});
            if (take_b) {
                slot = Kept{s, std::move(reps)};
                plan.cores[at->second] = b.usable_cores;
            }
        }
    }
    if (!duplicates.empty()) {
        std::string list;
        for (const auto& d : duplicates) list += "\n" + d;
        throw BadInput(fmt::format(
            "{} point{} measured by two runs:{}\nmerge each point once, or pass --dedupe to keep "
            "one of each",
            duplicates.size(), duplicates.size() == 1 ? "" : "s", list));
    }
    return measured;
}

// Summaries and derived metrics over the merged points, in the plan's order: baselines
// first, so that every point finds its own (the same learner, run, kernel and parameters)
// wherever it was measured. The points no run measured go to `missing`. Each point's
// roofline_fraction is against the calibration of the run that measured it.
std::vector<PointResult> summarize_merged(const std::vector<Source>& sources, const Plan& plan,
                                          const std::vector<std::optional<Kept>>& measured,
                                          const std::optional<Part>& part, json& missing) {
    const auto& points = plan.sweep.points;
    std::vector<std::optional<PointResult>> results(points.size());
    std::map<std::string, std::size_t> baseline_of;
    for (const bool baselines : {true, false}) {
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (!measured[i] || points[i].is_baseline() != baselines) continue;
            const PointResult* base = nullptr;
            if (auto b = baseline_of.find(points[i].group_key()); b != baseline_of.end())
                base = &*results[b->second];
            const json& doc = sources[measured[i]->source].doc;
            const json::json_pointer calibration("/context/calibration");
            results[i] = summarize_point(points[i], measured[i]->reps, base, plan.cores[i],
                                         doc.contains(calibration) ? doc.at(calibration) : json(),
                                         allocation_of(doc.value("context", json::object())));
            if (baselines) baseline_of[points[i].group_key()] = i;
        }
    }
    std::vector<PointResult> done;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (results[i]) {
            done.push_back(std::move(*results[i]));
            continue;
        }
        const Point& p = points[i];
        json m = {{"index", p.index},
                  {"key", p.key()},
                  {"label", p.label()},
                  {"processes", p.processes},
                  {"threads", p.threads}};
        if (part) m["part"] = fmt::format("{}/{}", p.index % part->count + 1, part->count);
        missing.push_back(m);
    }
    return done;
}

// merge.sources: each run's directory, part or learner, status and its whole context.
json describe_sources(const std::vector<Source>& sources, bool class_mode) {
    json from = json::array();
    for (const auto& s : sources) {
        json f = {
            {"dir", s.dir.string()},
            {"path", s.real.string()},  // absolute: what merge --replace compares
            {"name", s.doc.value("name", "")},
            {"config_hash", s.hash},
            {"status", s.doc.value("status", "")},
            {"started_at", s.doc.value("started_at", "")},
            {"finished_at", s.doc.value("finished_at", "")},
            {"elapsed_s", s.doc.value("elapsed_s", 0.0)},
            {"points_done", s.doc["points"].size()},
            {"points_failed", s.doc.value("points_failed", 0)},
            {"part", s.part ? json{{"index", s.part->index}, {"count", s.part->count}} : json()},
            {"context", s.doc["context"]}};
        if (s.doc.contains("time_accounting")) f["time_accounting"] = s.doc["time_accounting"];
        if (class_mode) f["learner"] = s.label;
        from.push_back(f);
    }
    return from;
}

// Writes the run through the same reporters as `parsweep run`, into a directory beside
// `out` that then takes its place (exchanged with an earlier one): a reader sees the earlier
// run or the whole new one, and a merge that fails leaves the earlier one as it was. Throws
// std::exception when it cannot, after removing what it wrote.
void write_merged(RunInfo& run, const std::vector<PointResult>& done, const fs::path& out) {
    const fs::path staging =
        out.parent_path() / fmt::format(".{}.merging.{}", out.filename().string(), getpid());
    try {
        fs::create_directories(out.parent_path());
        fs::remove_all(staging);
        fs::create_directory(staging);
        run.dir = staging;
        for (auto& reporter : {make_json_reporter(), make_csv_reporter()})
            reporter->run_finished(run, done);
        replace_directory(staging, out);  // --force, --replace: the earlier one until now
    } catch (const std::exception&) {
        std::error_code ec;
        fs::remove_all(staging, ec);
        throw;
    }
}

void print_missing(const json& missing, std::size_t total, const std::string& out) {
    fmt::print(stderr,
               "warning: {} of {} points are missing: no run measured them, so {} is "
               "incomplete:\n",
               missing.size(), total, out);
    constexpr std::size_t kShown = 20;
    for (std::size_t i = 0; i < missing.size() && i < kShown; ++i) {
        const json& m = missing[i];
        fmt::print(stderr, "  [{}] {} P={} T={}{}\n", m["index"].get<std::size_t>(),
                   m["label"].get<std::string>(), m["processes"].get<int>(),
                   m["threads"].get<int>(),
                   m.contains("part") ? " (part " + m["part"].get<std::string>() + ")" : "");
    }
    if (missing.size() > kShown)
        fmt::print(stderr, "  … and {} more (all in sweep.json, merge.missing)\n",
                   missing.size() - kShown);
    fmt::print(stderr,
               "finish them (parsweep run --resume PART_DIR, or run the missing part) and merge "
               "again\n");
}

std::string iso_now() {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S%z}", fmt::localtime(std::time(nullptr)));
}

// The runs an earlier merge at `out` joined (merge.sources, by absolute path; one written
// before the path was recorded, by the directory it was given), or BadInput saying why `out`
// is no such merge: --replace replaces only what `parsweep merge` wrote.
std::set<fs::path> earlier_merge_sources(const fs::path& out) {
    const fs::path file = out / "sweep.json";
    const std::string refuse = fmt::format(
        "--out {}: exists and is not a merged run, so --replace leaves it alone", out.string());
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw BadInput(fmt::format("{} (it holds no sweep.json); choose another --out", refuse));
    json doc;
    try {
        doc = read_json_file(file, JsonKind::run_record);
    } catch (const JsonInputError& e) {
        throw BadInput(fmt::format("{} ({}); choose another --out", refuse,
                                   e.kind() == JsonInputError::Kind::syntax
                                       ? file.string() + " is not valid JSON"
                                       : std::string(e.what())));
    }
    const json::json_pointer sources("/merge/sources");
    if (!doc.is_object() || !doc.contains(sources) || !doc.at(sources).is_array())
        throw BadInput(
            fmt::format("{} (it is a run that parsweep merge did not write: its "
                        "sweep.json has no merge.sources); choose another --out",
                        refuse));
    std::set<fs::path> dirs;
    for (const json& s : doc.at(sources)) {
        const json path = s.is_object() ? s.value("path", s.value("dir", json())) : json();
        if (!path.is_string())
            throw BadInput(
                fmt::format("{} ({}: merge.sources names no directory)", refuse, file.string()));
        std::error_code ec;
        const fs::path p = fs::weakly_canonical(fs::absolute(path.get<std::string>()), ec);
        dirs.insert(ec ? fs::path(path.get<std::string>()) : p);
    }
    return dirs;
}

// --replace: `out` must be an earlier merge of the same runs (in any order), the one a merge
// job submitted again replaces; anything else is BadInput, naming what it is.
void check_replaceable(const fs::path& out, const std::vector<fs::path>& dirs) {
    const std::set<fs::path> before = earlier_merge_sources(out);
    const std::set<fs::path> now(dirs.begin(), dirs.end());
    if (before == now) return;
    auto list = [](const std::set<fs::path>& runs) {
        std::string text;
        for (const auto& r : runs) text += "\n    " + r.string();
        return text;
    };
    throw BadInput(fmt::format(
        "--out {}: an earlier merge of other runs, so --replace leaves it alone:\n  it "
        "joined:{}\n  this merge joins:{}\nchoose another --out, or --force to replace it "
        "anyway",
        out.string(), list(before), list(now)));
}

// Checks --out before anything is read: it may be new, empty, an earlier merge of the same
// runs with --replace, or anything with --force, but never a run being merged or a directory
// that holds one.
fs::path check_out(const MergeOptions& o, const std::vector<fs::path>& dirs) {
    if (auto why = file_option_problem(o.markdown, "--export-markdown")) throw BadInput(*why);
    fs::path out = fs::absolute(o.out).lexically_normal();
    if (out.filename().empty()) out = out.parent_path();
    std::error_code ec;
    if (fs::exists(out, ec)) {
        if (!fs::is_directory(out, ec))
            throw BadInput(fmt::format("--out {}: exists and is not a directory", out.string()));
        const fs::path real = fs::canonical(out);
        for (const auto& d : dirs) {
            const fs::path rel = d.lexically_relative(real);
            if (!rel.empty() && *rel.begin() != "..")
                throw BadInput(fmt::format(
                    "--out {} holds {}, one of the runs being merged; choose another --out "
                    "(e.g. {}/merged)",
                    out.string(), d.string(), out.string()));
        }
        if (!run_dir_entries(out, 1).empty() && !o.force) {
            if (o.replace) {
                check_replaceable(out, dirs);
            } else {
                throw BadInput(fmt::format(
                    "--out {}: exists and is not empty; choose another --out, --replace to "
                    "replace an earlier merge of these runs, or --force to replace whatever it "
                    "holds",
                    out.string()));
            }
        }
    }
    return out;
}

// --out held for this merge (util/files.hpp lock_run_dir: one writer per run directory, so a
// merge never replaces a run that `parsweep run` is writing, nor races another merge), made
// when it is new. A directory made here is removed again when the merge ends without writing
// it (bad input found after the lock): it then holds nothing but the lock file.
class OutLock {
  public:
    explicit OutLock(const fs::path& out) : out_(out) {
        std::error_code ec;
        made_ = fs::create_directories(out, ec);
        if (ec)
            throw BadInput(
                fmt::format("--out {}: cannot create it: {}", out.string(), ec.message()));
        try {
            lock_.emplace(lock_run_dir(out));
        } catch (const FileError& e) {
            remove_if_made();
            throw BadInput(fmt::format("--out {}: {}", out.string(), e.what()));
        }
    }
    ~OutLock() { remove_if_made(); }
    OutLock(const OutLock&) = delete;
    OutLock& operator=(const OutLock&) = delete;

  private:
    void remove_if_made() {
        std::error_code ec;
        if (!made_ || !fs::exists(out_ / kRunLockFile, ec)) return;  // the merge is in its place
        fs::remove(out_ / kRunLockFile, ec);
        fs::remove(out_, ec);  // only when empty
    }
    fs::path out_;
    bool made_ = false;
    std::optional<FileLock> lock_;
};

}  // namespace

int cmd_merge(const MergeOptions& options) {
    std::vector<Source> sources;
    fs::path out;
    Plan plan;
    std::vector<std::optional<Kept>> measured;
    json deduped = json::array();
    std::optional<OutLock> out_lock;
    try {
        std::vector<fs::path> dirs;
        for (const auto& d : options.dirs) {
            std::error_code ec;
            const fs::path real = fs::canonical(d, ec);
            if (ec) throw BadInput(fmt::format("{}: no such run directory", d));
            if (std::find(dirs.begin(), dirs.end(), real) != dirs.end())
                throw BadInput(fmt::format("{}: given twice", d));
            dirs.push_back(real);
        }
        if (!options.class_mode && !options.labels.empty())
            throw BadInput("--label names learners: it goes with --class");
        out = check_out(options, dirs);
        out_lock.emplace(out);
        for (std::size_t i = 0; i < dirs.size(); ++i) {
            sources.push_back(read_source(options.dirs[i]));
            sources.back().real = dirs[i];
        }
        if (options.class_mode)
            label_learners(sources, options.labels);
        else
            check_same_sweep(sources);
        plan = plan_points(sources, options.class_mode);
        measured = take_measured(sources, plan, options.dedupe, deduped);
    } catch (const BadInput& e) {
        fmt::print(stderr, "{} {}\nnothing was written\n", error_label(stderr), e.what());
        return kBadInput;
    }

    const Source& first = sources.front();
    json missing = json::array();
    std::vector<PointResult> done;
    try {
        done = summarize_merged(sources, plan, measured, first.part, missing);
    } catch (const std::exception& e) {
        // A kernel's work (for its rates) can need its inputs: wordcount the size of its
        // text, at the absolute path the run recorded (a run recorded before file parameters
        // were absolute holds the config's path, relative to where the sweep ran).
        fmt::print(stderr,
                   "{} cannot summarise the merged points: {}\n(the input files the runs "
                   "recorded must still be there; for a relative path, merge from the "
                   "directory the sweep ran in)\nnothing was written\n",
                   error_label(stderr), e.what());
        return kBadInput;
    }
    RunInfo run;
    run.sweep = &plan.sweep;
    run.context = first.doc["context"];
    run.status = missing.empty() ? RunStatus::complete : RunStatus::incomplete;
    for (const auto& p : done) run.points_failed += !p.verified;
    run.merge = {{"mode", options.class_mode ? "class" : "parts"},
                 {"merged_at", iso_now()},
                 {"sources", describe_sources(sources, options.class_mode)},
                 {"missing", missing},
                 {"deduped", deduped}};
    run.started_at = first.doc.value("started_at", "");
    for (const auto& f : run.merge["sources"]) {
        run.started_at = std::min(run.started_at, f["started_at"].get<std::string>());
        run.finished_at = std::max(run.finished_at, f["finished_at"].get<std::string>());
        run.elapsed_s += f["elapsed_s"].get<double>();  // time spent measuring, over all runs
    }
    try {
        write_merged(run, done, out);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{} cannot write the merged run to {}: {}\n", error_label(stderr),
                   out.string(), e.what());
        return kBadInput;
    }
    run.dir = options.out;  // as the user wrote it, like `run` prints its results
    if (!missing.empty()) print_missing(missing, plan.sweep.points.size(), options.out);
    if (!options.quiet) make_console_reporter(stdout, nullptr)->run_finished(run, done);
    if (!options.markdown.empty()) write_atomic(options.markdown, markdown_table(done));
    return missing.empty() && run.points_failed == 0 ? 0 : 1;
}

}  // namespace parsweep
