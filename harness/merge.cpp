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
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "config.hpp"
#include "reporter.hpp"
#include "runner.hpp"

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

Source read_source(const fs::path& dir) {
    Source s;
    s.dir = dir;
    s.file = dir / "sweep.json";
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw BadInput(fmt::format("{}: no such run directory", dir.string()));
    std::ifstream in(s.file);
    if (!in)
        throw BadInput(fmt::format("{}: missing (is {} a parsweep run directory?)", s.file.string(),
                                   dir.string()));
    try {
        s.doc = json::parse(in);
    } catch (const json::exception& e) {
        throw BadInput(fmt::format("{}: not valid JSON: {}", s.file.string(), e.what()));
    }
    if (!s.doc.is_object()) throw BadInput(s.file.string() + ": not a JSON object");
    s.hash = s.need("/config/hash", &json::is_string, "a string").get<std::string>();
    s.need("/points", &json::is_array, "a list");
    s.need("/context", &json::is_object, "an object");
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

// The one kept of a point measured twice, and why.
struct Kept {
    std::size_t source = 0;
    std::vector<RepRecord> reps;
};

std::string iso_now() {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S%z}", fmt::localtime(std::time(nullptr)));
}

// Checks --out before anything is read: it may be new, empty, or replaced with --force, but
// never a run being merged or a directory that holds one.
fs::path check_out(const MergeOptions& o, const std::vector<fs::path>& dirs) {
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
        if (!fs::is_empty(out, ec) && !o.force)
            throw BadInput(fmt::format(
                "--out {}: exists and is not empty; choose another --out, or --force to replace it",
                out.string()));
    }
    return out;
}

}  // namespace

int cmd_merge(const MergeOptions& options) {
    std::vector<Source> sources;
    fs::path out;
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
        for (std::size_t i = 0; i < dirs.size(); ++i) {
            sources.push_back(read_source(options.dirs[i]));
            sources.back().real = dirs[i];
        }
        if (options.class_mode)
            label_learners(sources, options.labels);
        else
            check_same_sweep(sources);
    } catch (const BadInput& e) {
        fmt::print(stderr, "error: {}\nnothing was written\n", e.what());
        return kBadInput;
    }

    // Every point of every sweep, once (by key), in the order of the first run that plans it:
    // for the parts of one job array, the whole sweep in its own order.
    Sweep sweep;
    const Source& first = sources.front();
    sweep.name = first.doc.value("name", "merged");
    sweep.description = first.doc.value("description", "");
    sweep.source = first.doc["config"].value("source", "");
    sweep.given = first.doc["config"].value("given", json());
    sweep.usable_cores = first.usable_cores;
    sweep.oversubscribe = first.doc["config"]["expanded"].value("oversubscribe", 1.0);
    if (options.class_mode) {
        bool same = true;
        for (const auto& s : sources) same = same && s.hash == first.hash;
        // Learners may have run different configs: each one's is in merge.sources.
        if (!same) sweep.given = json();
        for (const auto& s : sources) same = same && s.doc.value("name", "") == sweep.name;
        if (!same) sweep.name = "class";
    }
    std::map<std::string, std::size_t> index_of;  // merged key → position
    std::vector<std::map<std::string, std::size_t>> local(sources.size());  // stored key → position
    std::vector<int> cores_of;  // usable cores of the machine that planned each point
    for (std::size_t s = 0; s < sources.size(); ++s) {
        for (Point p : sources[s].planned) {
            const std::string stored = p.key();
            if (options.class_mode) p.learner = sources[s].label;
            const auto [it, fresh] = index_of.emplace(p.key(), sweep.points.size());
            if (fresh) {
                p.index = sweep.points.size();
                sweep.points.push_back(std::move(p));
                cores_of.push_back(sources[s].usable_cores);
            }
            local[s][stored] = it->second;
        }
    }

    // Every measured point, once.
    std::vector<std::optional<Kept>> measured(sweep.points.size());
    json deduped = json::array();
    std::vector<std::string> duplicates;
    try {
        for (std::size_t s = 0; s < sources.size(); ++s) {
            const json& points = sources[s].doc["points"];
            for (std::size_t j = 0; j < points.size(); ++j) {
                auto [key, reps] = measured_point(sources[s], j);
                const auto at = local[s].find(key);
                if (at == local[s].end())
                    throw BadInput(
                        fmt::format("{}: /points/{}: point {} is not in its "
                                    "config.expanded",
                                    sources[s].file.string(), j, key));
                auto& slot = measured[at->second];
                const Point& point = sweep.points[at->second];
                cores_of[at->second] = sources[s].usable_cores;
                if (!slot) {
                    slot = Kept{s, std::move(reps)};
                    continue;
                }
                const Source& a = sources[slot->source];
                if (!options.dedupe) {
                    duplicates.push_back(fmt::format("  {} (key {}): in {} and in {}",
                                                     point_text(point), key, a.dir.string(),
                                                     sources[s].dir.string()));
                    continue;
                }
                // Keep a verified measurement over a failed one, then the one with more
                // repetitions (the better statistics), then the first given.
                const bool ok_a = all_verified(slot->reps), ok_b = all_verified(reps);
                std::string why;
                bool take_b = false;
                if (ok_a != ok_b)
                    take_b = ok_b, why = "the other did not verify";
                else if (slot->reps.size() != reps.size())
                    take_b = reps.size() > slot->reps.size(), why = "more repetitions";
                else
                    why = "the first given";
                const Source& kept = take_b ? sources[s] : a;
                const Source& dropped = take_b ? a : sources[s];
                fmt::print(stderr, "note: {} was measured by {} and {}: kept {}'s ({})\n",
                           point_text(point), a.dir.string(), sources[s].dir.string(),
                           kept.dir.string(), why);
                deduped.push_back({{"key", point.key()},
                                   {"label", point.label()},
                                   {"processes", point.processes},
                                   {"threads", point.threads},
                                   {"kept", kept.dir.string()},
                                   {"dropped", dropped.dir.string()},
                                   {"why", why}});
                if (take_b) {
                    *slot = Kept{s, std::move(reps)};
                    cores_of[at->second] = sources[s].usable_cores;
                } else {
                    cores_of[at->second] = a.usable_cores;
                }
            }
        }
        if (!duplicates.empty()) {
            std::string list;
            for (const auto& d : duplicates) list += "\n" + d;
            throw BadInput(
                fmt::format("{} point{} measured by two runs:{}\nmerge each point "
                            "once, or pass --dedupe to keep one of each",
                            duplicates.size(), duplicates.size() == 1 ? "" : "s", list));
        }
    } catch (const BadInput& e) {
        fmt::print(stderr, "error: {}\nnothing was written\n", e.what());
        return kBadInput;
    }

    // Summaries and derived metrics over the merged points: baselines first, so that every
    // point finds its own (the same learner, run, kernel and parameters) wherever it was
    // measured.
    std::vector<std::optional<PointResult>> results(sweep.points.size());
    std::map<std::string, std::size_t> baseline_of;
    for (const bool baselines : {true, false}) {
        for (std::size_t i = 0; i < sweep.points.size(); ++i) {
            const Point& point = sweep.points[i];
            if (!measured[i] || point.is_baseline() != baselines) continue;
            const PointResult* base = nullptr;
            if (auto b = baseline_of.find(point.group_key()); b != baseline_of.end())
                base = &*results[b->second];
            results[i] = summarize_point(point, measured[i]->reps, base, cores_of[i]);
            if (baselines) baseline_of[point.group_key()] = i;
        }
    }
    std::vector<PointResult> done;
    json missing = json::array();
    RunInfo run;
    run.sweep = &sweep;
    run.context = first.doc["context"];
    for (std::size_t i = 0; i < sweep.points.size(); ++i) {
        if (results[i]) {
            done.push_back(std::move(*results[i]));
            if (!done.back().verified) ++run.points_failed;
            continue;
        }
        const Point& p = sweep.points[i];
        json m = {{"index", p.index},
                  {"key", p.key()},
                  {"label", p.label()},
                  {"processes", p.processes},
                  {"threads", p.threads}};
        if (first.part)
            m["part"] = fmt::format("{}/{}", p.index % first.part->count + 1, first.part->count);
        missing.push_back(m);
    }

    json from = json::array();
    run.started_at = first.doc.value("started_at", "");
    for (const auto& s : sources) {
        json f = {
            {"dir", s.dir.string()},
            {"name", s.doc.value("name", "")},
            {"config_hash", s.hash},
            {"status", s.doc.value("status", "")},
            {"started_at", s.doc.value("started_at", "")},
            {"finished_at", s.doc.value("finished_at", "")},
            {"points_done", s.doc["points"].size()},
            {"points_failed", s.doc.value("points_failed", 0)},
            {"part", s.part ? json{{"index", s.part->index}, {"count", s.part->count}} : json()},
            {"context", s.doc["context"]}};
        if (options.class_mode) f["learner"] = s.label;
        from.push_back(f);
        run.started_at = std::min(run.started_at, f["started_at"].get<std::string>());
        run.finished_at = std::max(run.finished_at, f["finished_at"].get<std::string>());
        run.elapsed_s += s.doc.value("elapsed_s", 0.0);  // time spent measuring, over all runs
    }
    run.status = missing.empty() ? "complete" : "incomplete";
    run.merge = {{"mode", options.class_mode ? "class" : "parts"},
                 {"merged_at", iso_now()},
                 {"sources", from},
                 {"missing", missing},
                 {"deduped", deduped}};

    // Written beside --out and renamed into place: a reader sees no run or the whole one.
    const fs::path staging =
        out.parent_path() / fmt::format(".{}.merging.{}", out.filename().string(), getpid());
    try {
        fs::create_directories(out.parent_path());
        fs::remove_all(staging);
        fs::create_directory(staging);
        run.dir = staging;
        for (auto& reporter : {make_json_reporter(), make_csv_reporter()})
            reporter->run_finished(run, done);
        if (fs::exists(out)) {
            const fs::path old = out.parent_path() /
                                 fmt::format(".{}.replaced.{}", out.filename().string(), getpid());
            fs::rename(out, old);
            fs::rename(staging, out);
            fs::remove_all(old);
        } else {
            fs::rename(staging, out);
        }
    } catch (const std::exception& e) {
        std::error_code ec;
        fs::remove_all(staging, ec);
        fmt::print(stderr, "error: cannot write the merged run to {}: {}\n", out.string(),
                   e.what());
        return kBadInput;
    }
    run.dir = out;

    if (!missing.empty()) {
        fmt::print(stderr,
                   "warning: {} of {} points are missing: no run measured them, so {} is "
                   "incomplete:\n",
                   missing.size(), sweep.points.size(), out.string());
        std::size_t shown = 0;
        for (const auto& m : missing) {
            if (++shown > 20) {
                fmt::print(stderr, "  … and {} more (all in sweep.json, merge.missing)\n",
                           missing.size() - 20);
                break;
            }
            fmt::print(stderr, "  [{}] {} P={} T={}{}\n", m["index"].get<std::size_t>(),
                       m["label"].get<std::string>(), m["processes"].get<int>(),
                       m["threads"].get<int>(),
                       m.contains("part") ? " (part " + m["part"].get<std::string>() + ")" : "");
        }
        fmt::print(stderr,
                   "finish them (parsweep run --resume PART_DIR, or run the missing part) "
                   "and merge again\n");
    }
    if (!options.quiet) make_console_reporter(stdout, nullptr)->run_finished(run, done);
    return missing.empty() && run.points_failed == 0 ? 0 : 1;
}

}  // namespace parsweep
