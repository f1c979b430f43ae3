// Job arrays and class results end to end: `parsweep run --part K/N` and `parsweep merge`
// with real runs of a small sweep, real files, exit codes.
#include <gtest/gtest.h>

#include <signal.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

json read_json(const fs::path& p) {
    return json::parse(read_file(p));
}

// Point keys of a run's sweep.json, in order.
std::vector<std::string> keys_of(const json& sweep) {
    std::vector<std::string> keys;
    for (const auto& p : sweep["points"]) keys.push_back(p["key"]);
    return keys;
}

class Merge : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path config(const std::string& name, const std::string& body) {
        return write_file(dir / name, body);
    }
    // 14 points: square on a 2×2 grid at two sizes, and invert whose baseline (1×1) is not on
    // its grid, so it is added as baseline_only points.
    fs::path small_sweep() {
        return config("small.json", R"({"name": "small", "repetitions": 2, "warmup": 0,
          "grid": {"processes": [1, 2], "threads": [1, 2]},
          "runs": [
            {"kernel": "square", "grid": {"n": [1000, 20000]}},
            {"kernel": "invert", "params": {"n": 16, "count": 2},
             "grid": {"processes": [2], "threads": [1, 2], "method": ["getri", "trtri"]}}
          ]})");
    }
    Output run(const fs::path& cfg, const fs::path& out, const std::string& extra = "") {
        return run_parsweep("run -q '" + cfg.string() + "' --out '" + out.string() + "' " + extra);
    }
};

TEST_F(Merge, PartsAreDisjointSharesOfTheWholeSweep) {
    auto cfg = small_sweep();
    ASSERT_EQ(run(cfg, dir / "whole").status, 0);
    const json whole = read_json(dir / "whole" / "sweep.json");
    const auto whole_keys = keys_of(whole);
    ASSERT_EQ(whole_keys.size(), 14u);
    EXPECT_FALSE(whole.contains("part"));

    std::multiset<std::string> seen;
    for (int k = 1; k <= 3; ++k) {
        const auto out = dir / ("part-" + std::to_string(k));
        Output o = run(cfg, out, "--part " + std::to_string(k) + "/3");
        ASSERT_EQ(o.status, 0) << o.err << o.out;
        EXPECT_NE(o.out.find("(part " + std::to_string(k) + "/3 of 14) verified"),
                  std::string::npos)
            << o.out;
        const json part = read_json(out / "sweep.json");
        EXPECT_EQ(part["status"], "complete");
        EXPECT_EQ(part["part"]["index"], k);
        EXPECT_EQ(part["part"]["count"], 3);
        EXPECT_EQ(part["part"]["sweep_points_total"], 14);
        // The whole sweep's hash and expansion, each point marked with the part measuring it.
        EXPECT_EQ(part["config"]["hash"], whole["config"]["hash"]);
        ASSERT_EQ(part["config"]["expanded"]["points"].size(), 14u);
        for (const auto& e : part["config"]["expanded"]["points"])
            EXPECT_EQ(e["part"], e["index"].get<int>() % 3 + 1);
        // Round robin over the sweep's order: point i is in part i mod 3 + 1.
        EXPECT_EQ(part["points_total"], part["points"].size());
        for (const auto& p : part["points"]) {
            EXPECT_EQ(p["index"].get<int>() % 3 + 1, k) << p["label"];
            EXPECT_EQ(p["key"], whole_keys.at(p["index"].get<std::size_t>()));
            EXPECT_TRUE(p["verified"].get<bool>()) << p["label"];
            seen.insert(p["key"].get<std::string>());
        }
        EXPECT_EQ(count_lines(out / "points.csv"), part["points"].size() + 1);
    }
    EXPECT_EQ(seen, std::multiset<std::string>(whole_keys.begin(), whole_keys.end()));
}

TEST_F(Merge, BadPartIsAUsageError) {
    auto cfg = small_sweep();
    for (const char* bad : {"0/3", "4/3", "x", "1/0", "2", "-1/3", "1/3/4"}) {
        Output o = run(cfg, dir / "never", std::string("--part ") + bad);
        EXPECT_EQ(o.status, 2) << bad;
        EXPECT_NE(o.err.find(std::string("--part ") + bad), std::string::npos) << o.err;
        EXPECT_FALSE(fs::exists(dir / "never" / "sweep.json")) << bad;
    }
}

// A wordcount's rates need its text's size. A run records its files' absolute paths (a
// relative one is taken from the config's directory), so it merges from anywhere; a text
// that is gone is a clear error, and nothing is written.
TEST_F(Merge, InputFilesAreFoundFromAnywhereAndAMissingOneIsAClearError) {
    write_file(dir / "text.txt", "the dog and the cat\n");
    auto cfg = config("wc.json", R"({"repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "wordcount", "params": {"file": "text.txt"}}]})");
    fs::create_directories(dir / "elsewhere");
    Output o = run_parsweep(
        "run -q --no-calibrate '" + cfg.string() + "' --out '" + (dir / "run").string() + "'",
        dir / "elsewhere");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    Output ok = run_parsweep(
        "merge '" + (dir / "run").string() + "' --out '" + (dir / "merged").string() + "'",
        dir / "elsewhere");
    EXPECT_EQ(ok.status, 0) << ok.err << ok.out;
    fs::remove(dir / "text.txt");
    Output m = run_parsweep(
        "merge '" + (dir / "run").string() + "' --out '" + (dir / "merged2").string() + "'",
        dir.path());
    EXPECT_EQ(m.status, 2) << m.err << m.out;
    EXPECT_NE(m.err.find((dir / "text.txt").string()), std::string::npos) << m.err;
    EXPECT_FALSE(fs::exists(dir / "merged2" / "sweep.json"));
}

TEST_F(Merge, AnInterruptedPartResumesItsOwnShare) {
    auto cfg = config("slow.json", R"({"name": "slow", "repetitions": 1, "warmup": 0,
        "grid": {"processes": [1, 2]},
        "runs": [{"kernel": "fault", "params": {"count": 3, "item_s": 0.1}, "grid": {"at": [0, 1, 2]}}]})");
    const auto clean = dir / "clean", part = dir / "part-2";
    ASSERT_EQ(run(cfg, clean, "--part 2/2").status, 0);
    pid_t pid = start_parsweep({"run", cfg.string(), "--out", part.string(), "--part", "2/2"},
                               dir / "log.txt", "merge-part-resume");
    ASSERT_TRUE(wait_for_lines(part / "checkpoint.jsonl", 1));
    kill(pid, SIGTERM);
    EXPECT_EQ(wait_for(pid), 128 + SIGTERM);
    const json stopped = read_json(part / "sweep.json");
    EXPECT_EQ(stopped["status"], "incomplete");
    EXPECT_LT(stopped["points"].size(), 3u);

    EXPECT_EQ(run_parsweep("run -q --resume '" + part.string() + "' --part 1/2").status, 2);
    Output o = run_parsweep("run -q --resume '" + part.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    const json resumed = read_json(part / "sweep.json");
    EXPECT_EQ(resumed["status"], "complete");
    EXPECT_EQ(resumed["part"]["index"], 2);
    EXPECT_EQ(keys_of(resumed), keys_of(read_json(clean / "sweep.json")));
}

// The first line of a CSV file, split at commas (parsweep's headers are never quoted).
std::vector<std::string> csv_header(const fs::path& path) {
    const std::string text = read_file(path);
    std::vector<std::string> cells(1);
    for (char c : text.substr(0, text.find('\n')))
        if (c == ',')
            cells.emplace_back();
        else
            cells.back().push_back(c);
    return cells;
}

// merge writes beside --out into ".<name>.merging.<pid>" and renames it: none may be left.
void expect_no_temporary_directory(const fs::path& parent) {
    for (const auto& e : fs::directory_iterator(parent))
        EXPECT_NE(e.path().filename().string().front(), '.') << "left behind: " << e.path();
}

// Runs `small_sweep()` whole and as 3 parts, once for every test that merges them.
class Merged : public Merge {
  protected:
    fs::path cfg, whole;
    void SetUp() override {
        cfg = small_sweep();
        whole = dir / "whole";
        ASSERT_EQ(run(cfg, whole).status, 0);
        for (int k = 1; k <= 3; ++k)
            ASSERT_EQ(run(cfg, part(k), "--part " + std::to_string(k) + "/3").status, 0);
    }
    fs::path part(int k) const { return dir / "array" / ("part-" + std::to_string(k)); }
    std::string parts() const {
        return "'" + part(1).string() + "' '" + part(2).string() + "' '" + part(3).string() + "'";
    }
    Output merge(const std::string& args) { return run_parsweep("merge " + args); }
};

TEST_F(Merged, ThreePartsMergeIntoTheWholeRun) {
    const auto out = dir / "merged";
    Output o = merge(parts() + " --out '" + out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    EXPECT_NE(o.out.find("14 of 14 points verified"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("results: " + out.string()), std::string::npos) << o.out;

    const json w = read_json(whole / "sweep.json"), m = read_json(out / "sweep.json");
    EXPECT_EQ(m["status"], "complete");
    EXPECT_EQ(m["points_total"], 14);
    EXPECT_EQ(m["points_failed"], 0);
    EXPECT_FALSE(m.contains("part"));
    // Time is accounted by the runs that measured; the merge keeps theirs in its sources.
    EXPECT_TRUE(w.contains("time_accounting"));
    EXPECT_FALSE(m.contains("time_accounting"));
    EXPECT_EQ(m["config"]["hash"], w["config"]["hash"]);
    // Every point exactly once, verified, in the whole sweep's order.
    EXPECT_EQ(keys_of(m), keys_of(w));
    std::map<std::string, json> by_key;
    for (const auto& p : m["points"]) by_key[p["key"]] = p;
    std::size_t from_other_parts = 0;
    for (const auto& p : m["points"]) {
        EXPECT_TRUE(p["verified"].get<bool>()) << p["label"];
        EXPECT_EQ(p["reps"].size(), 2u);
        // The speedup against the baseline, wherever that was measured: the same points have
        // one as in the whole run, and it is the ratio of the medians.
        const json& same = w["points"][p["index"].get<std::size_t>()];
        EXPECT_EQ(p["derived"]["speedup"].is_number(), same["derived"]["speedup"].is_number());
        ASSERT_TRUE(p["derived"]["speedup"].is_number()) << p["label"];
        const json* base = nullptr;
        for (const auto& b : m["points"])
            if (b["run"] == p["run"] && b["params"] == p["params"] && b["processes"] == 1 &&
                b["threads"] == 1)
                base = &b;
        ASSERT_NE(base, nullptr) << p["label"];
        EXPECT_DOUBLE_EQ(p["derived"]["speedup"].get<double>(),
                         (*base)["stats"]["wall_s"]["median"].get<double>() /
                             p["stats"]["wall_s"]["median"].get<double>());
        from_other_parts += (*base)["index"].get<int>() % 3 != p["index"].get<int>() % 3;
    }
    EXPECT_GT(from_other_parts, 5u);  // the round robin puts most baselines in another part
    // Each part's context is kept, with its part.
    ASSERT_EQ(m["merge"]["mode"], "parts");
    ASSERT_EQ(m["merge"]["sources"].size(), 3u);
    for (int k = 0; k < 3; ++k) {
        const json& s = m["merge"]["sources"][k];
        EXPECT_EQ(s["part"]["index"], k + 1);
        EXPECT_EQ(s["context"], read_json(part(k + 1) / "sweep.json")["context"]);
        EXPECT_EQ(s["time_accounting"], read_json(part(k + 1) / "sweep.json")["time_accounting"]);
    }
    EXPECT_TRUE(m["merge"]["missing"].empty());
    // The same CSV columns as a measured run, and a row per point and per repetition.
    EXPECT_EQ(csv_header(out / "points.csv"), csv_header(whole / "points.csv"));
    EXPECT_EQ(csv_header(out / "reps.csv"), csv_header(whole / "reps.csv"));
    EXPECT_EQ(count_lines(out / "points.csv"), 15u);
    EXPECT_EQ(count_lines(out / "reps.csv"), 29u);
    expect_no_temporary_directory(dir.path());
    // A merged run is not resumed: its parts are.
    Output r = run_parsweep("run -q --resume '" + out.string() + "'");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("parsweep merge"), std::string::npos) << r.err;
}

TEST_F(Merged, AMissingPartIsReportedAndTheRunIsIncomplete) {
    const auto out = dir / "merged";
    Output o =
        merge("'" + part(1).string() + "' '" + part(3).string() + "' --out '" + out.string() + "'");
    EXPECT_EQ(o.status, 1) << o.err << o.out;
    const json m = read_json(out / "sweep.json"), p2 = read_json(part(2) / "sweep.json");
    EXPECT_EQ(m["status"], "incomplete");
    EXPECT_EQ(m["points_total"], 14);
    EXPECT_EQ(m["points"].size() + p2["points"].size(), 14u);
    std::vector<std::string> missing;
    for (const auto& x : m["merge"]["missing"]) {
        missing.push_back(x["key"]);
        EXPECT_EQ(x["part"], "2/3");
        EXPECT_NE(o.err.find(x["label"].get<std::string>() +
                             " P=" + std::to_string(x["processes"].get<int>())),
                  std::string::npos)
            << o.err;
    }
    EXPECT_EQ(missing, keys_of(p2));
    EXPECT_NE(o.err.find(std::to_string(missing.size()) + " of 14 points are missing"),
              std::string::npos)
        << o.err;
    // A point whose baseline is missing has no speedup; the others have theirs.
    std::size_t without = 0;
    for (const auto& p : m["points"]) {
        EXPECT_TRUE(p["verified"].get<bool>());
        bool has_base = false;
        for (const auto& b : m["points"])
            has_base = has_base || (b["run"] == p["run"] && b["params"] == p["params"] &&
                                    b["processes"] == 1 && b["threads"] == 1);
        EXPECT_EQ(p["derived"]["speedup"].is_number(), has_base) << p["label"];
        without += !has_base;
    }
    EXPECT_GT(without, 0u);
}

TEST_F(Merged, APointMeasuredTwiceIsRefusedOrDeduped) {
    const auto out = dir / "merged";
    Output o = merge("'" + whole.string() + "' " + parts() + " --out '" + out.string() + "'");
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_NE(o.err.find("14 points measured by two runs"), std::string::npos) << o.err;
    const json first = read_json(part(1) / "sweep.json")["points"][0];
    EXPECT_NE(o.err.find(first["label"].get<std::string>() + " P=1 T=1 (key " +
                         first["key"].get<std::string>() + "): in " + whole.string() + " and in " +
                         part(1).string()),
              std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find("--dedupe"), std::string::npos);

    o = merge("'" + whole.string() + "' " + parts() + " --dedupe --out '" + out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err;
    const json m = read_json(out / "sweep.json"), w = read_json(whole / "sweep.json");
    EXPECT_EQ(keys_of(m), keys_of(w));
    ASSERT_EQ(m["merge"]["deduped"].size(), 14u);
    for (const auto& d : m["merge"]["deduped"]) {
        EXPECT_EQ(d["kept"], whole.string());  // all verified, same repetitions: the first given
        EXPECT_EQ(d["why"], "the first given");
    }
    for (std::size_t i = 0; i < 14; ++i) EXPECT_EQ(m["points"][i]["reps"], w["points"][i]["reps"]);
    EXPECT_NE(o.err.find("kept " + whole.string() + "'s (the first given)"), std::string::npos);
}

TEST_F(Merged, RunsOfDifferentSweepsAreRefused) {
    auto other = config("other.json", R"({"name": "other", "repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
    ASSERT_EQ(run(other, dir / "other").status, 0);
    const auto out = dir / "merged";
    Output o = merge("'" + part(1).string() + "' '" + (dir / "other").string() + "' --out '" +
                     out.string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("different sweeps"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find(part(1).string() + ": sweep \"small\", config hash"), std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find((dir / "other").string() + ": sweep \"other\""), std::string::npos);
    EXPECT_NE(o.err.find("--class"), std::string::npos);
    EXPECT_FALSE(fs::exists(out));
    // Side by side, runs of different configs are fine.
    o = merge("--class -q '" + whole.string() + "' '" + (dir / "other").string() + "' --out '" +
              out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err;
    const json m = read_json(out / "sweep.json");
    EXPECT_EQ(m["name"], "class");
    EXPECT_TRUE(m["config"]["given"].is_null());  // each learner's config hash is in merge.sources
    EXPECT_EQ(m["points"].size(), 15u);
    EXPECT_EQ(m["points"][14]["learner"], "other");
    EXPECT_NE(m["merge"]["sources"][0]["config_hash"], m["merge"]["sources"][1]["config_hash"]);
}

TEST_F(Merged, BadInputIsRefusedAndNothingIsWritten) {
    const auto out = dir / "merged";
    auto refused = [&](const std::string& args, const std::string& says) {
        Output o = merge(args);
        EXPECT_EQ(o.status, 2) << args;
        EXPECT_NE(o.err.find(says), std::string::npos) << o.err;
        EXPECT_NE(o.err.find("nothing was written"), std::string::npos) << o.err;
    };
    const std::string to = " --out '" + out.string() + "'";
    refused("'" + (dir / "nowhere").string() + "'" + to,
            (dir / "nowhere").string() + ": no such run directory");
    // A sweep.json cut short, and one whose repetition lacks a field.
    const auto cut = dir / "cut";
    fs::create_directories(cut);
    const std::string text = read_file(part(2) / "sweep.json");
    write_file(cut / "sweep.json", text.substr(0, text.size() / 2));
    refused("'" + part(1).string() + "' '" + cut.string() + "'" + to,
            (cut / "sweep.json").string() + ": not valid JSON");
    json doc = json::parse(text);
    doc["points"][1]["reps"][0].erase("wall_s");
    write_file(cut / "sweep.json", doc.dump());
    refused("'" + part(1).string() + "' '" + cut.string() + "'" + to,
            (cut / "sweep.json").string() + ": /points/1/reps/0: ");
    doc = json::parse(text);
    doc["elapsed_s"] = "soon";
    write_file(cut / "sweep.json", doc.dump());
    refused("'" + part(1).string() + "' '" + cut.string() + "'" + to,
            (cut / "sweep.json").string() + ": /elapsed_s: must be a number (got \"soon\")");
    doc = json::parse(text);
    doc["config"]["expanded"]["points"][2]["kernel"] = "sqaure";
    write_file(cut / "sweep.json", doc.dump());
    refused("'" + cut.string() + "'" + to, "/config/expanded/points/2/kernel: unknown kernel");
    fs::remove_all(cut);
    refused("'" + part(1).string() + "' '" + part(1).string() + "'" + to, "given twice");
    refused(parts() + " --label a" + to, "--label");
    // --out: never one of the runs or their directory; not empty without --force.
    refused(parts() + " --out '" + (dir / "array").string() + "'", "one of the runs being merged");
    EXPECT_EQ(read_file(part(2) / "sweep.json"), text);
    fs::create_directories(out);
    write_file(out / "notes.txt", "mine");
    refused(parts() + to, "exists and is not empty");
    EXPECT_EQ(read_file(out / "notes.txt"), "mine");
    Output o = merge(parts() + to + " --force -q");
    EXPECT_EQ(o.status, 0) << o.err;
    EXPECT_FALSE(fs::exists(out / "notes.txt"));
    EXPECT_TRUE(fs::exists(out / "sweep.json"));
    expect_no_temporary_directory(dir.path());
}

// The merge job of a job array submitted again, after a part that had not finished was
// finished: the same runs merged into the same --out. With --replace that replaces the earlier
// merge; without it, the non-empty --out is refused as before.
TEST_F(Merged, MergingAgainWithReplaceReplacesTheEarlierMergeOfTheSameRuns) {
    const auto out = dir / "merged";
    const std::string text = read_file(part(2) / "sweep.json");
    json cut = json::parse(text);  // part 2 stopped after its first point
    cut["points"].erase(cut["points"].begin() + 1, cut["points"].end());
    cut["status"] = "incomplete";
    write_file(part(2) / "sweep.json", cut.dump());
    Output o = merge(parts() + " --out '" + out.string() + "' --replace -q");  // no --out yet
    ASSERT_EQ(o.status, 1) << o.err;
    EXPECT_EQ(read_json(out / "sweep.json")["status"], "incomplete");
    // Each run is recorded by its absolute path, whatever was given.
    const json sources = read_json(out / "sweep.json")["merge"]["sources"];
    for (int k = 0; k < 3; ++k)
        EXPECT_EQ(sources[k]["path"], fs::canonical(part(k + 1)).string()) << sources[k];
    write_file(out / "plots" / "speedup.png", "drawn from the earlier merge");

    write_file(part(2) / "sweep.json", text);  // the part finished
    o = merge(parts() + " --out '" + out.string() + "' -q");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("--out " + out.string() + ": exists and is not empty"), std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find("--replace"), std::string::npos) << o.err;
    // Given in another order, and one of them by a relative path: the same runs.
    o = run_parsweep("merge '" + part(3).string() + "' array/part-1 '" + part(2).string() +
                         "' --out merged --replace -q",
                     dir.path());
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    const json m = read_json(out / "sweep.json");
    EXPECT_EQ(m["status"], "complete");
    EXPECT_EQ(keys_of(m), keys_of(read_json(whole / "sweep.json")));
    EXPECT_FALSE(fs::exists(out / "plots")) << "the earlier merge is replaced whole";
    expect_no_temporary_directory(dir.path());
}

// --replace replaces only an earlier merge of the same runs: a measured run, a directory
// without a run, a damaged sweep.json, a merge of other runs and a file are refused, named,
// with exit 2, and left as they were.
TEST_F(Merged, ReplaceRefusesAnythingButAnEarlierMergeOfTheSameRuns) {
    auto refused = [&](const fs::path& out, const std::string& says) {
        Output o = merge(parts() + " --out '" + out.string() + "' --replace -q");
        EXPECT_EQ(o.status, 2) << out << "\n" << o.err;
        EXPECT_NE(o.err.find("--out " + out.string() + ": "), std::string::npos) << o.err;
        EXPECT_NE(o.err.find(says), std::string::npos) << o.err;
        EXPECT_NE(o.err.find("nothing was written"), std::string::npos) << o.err;
    };
    const std::string measured = read_file(whole / "sweep.json");
    refused(whole, "is not a merged run");
    refused(whole, "parsweep merge did not write");
    EXPECT_EQ(read_file(whole / "sweep.json"), measured);
    EXPECT_TRUE(fs::exists(whole / "points.csv"));

    const auto notes = dir / "notes";
    write_file(notes / "todo.txt", "mine");
    refused(notes, "holds no sweep.json");
    EXPECT_EQ(read_file(notes / "todo.txt"), "mine");
    write_file(notes / "sweep.json", "{\"merge\": ");
    refused(notes, "is not valid JSON");
    EXPECT_EQ(read_file(notes / "sweep.json"), "{\"merge\": ");

    const auto two = dir / "two";  // a merge of parts 1 and 3 only
    ASSERT_EQ(merge("'" + part(1).string() + "' '" + part(3).string() + "' --out '" + two.string() +
                    "' -q")
                  .status,
              1);
    const std::string earlier = read_file(two / "sweep.json");
    refused(two, "an earlier merge of other runs");
    EXPECT_EQ(read_file(two / "sweep.json"), earlier);

    const auto file = write_file(dir / "merged.txt", "not a directory");
    refused(file, "exists and is not a directory");
    EXPECT_EQ(read_file(file), "not a directory");
    expect_no_temporary_directory(dir.path());
}

// A merge that fails leaves the earlier one as it was: it is replaced only by a whole new one.
TEST_F(Merged, AFailedMergeAgainLeavesTheEarlierMergeIntact) {
    const auto out = dir / "merged";
    ASSERT_EQ(merge(parts() + " --out '" + out.string() + "' --replace -q").status, 0);
    const std::string earlier = read_file(out / "sweep.json"),
                      earlier_csv = read_file(out / "points.csv");
    const std::string text = read_file(part(2) / "sweep.json");
    write_file(part(2) / "sweep.json", text.substr(0, text.size() / 2));  // being rewritten
    Output o = merge(parts() + " --out '" + out.string() + "' --replace -q");
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find((part(2) / "sweep.json").string() + ": not valid JSON"), std::string::npos)
        << o.err;
    EXPECT_EQ(read_file(out / "sweep.json"), earlier);
    EXPECT_EQ(read_file(out / "points.csv"), earlier_csv);
    // A part that is gone altogether: the same.
    fs::rename(part(2), dir / "part-2-elsewhere");
    o = merge(parts() + " --out '" + out.string() + "' --replace -q");
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find(part(2).string() + ": no such run directory"), std::string::npos) << o.err;
    EXPECT_EQ(read_file(out / "sweep.json"), earlier);
    expect_no_temporary_directory(dir.path());
}

TEST_F(Merge, ClassModeKeepsEachLearnersRunSideBySide) {
    auto cfg = small_sweep();
    const auto alice = dir / "class" / "alice" / "lesson", bob = dir / "class" / "bob" / "lesson";
    ASSERT_EQ(run(cfg, alice).status, 0);
    ASSERT_EQ(run(cfg, bob).status, 0);
    const auto out = dir / "class-run";
    Output o = run_parsweep("merge --class '" + alice.string() + "' '" + bob.string() +
                            "' --out '" + out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    EXPECT_NE(o.out.find("28 of 28 points verified"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("bob: square n=1000"), std::string::npos) << o.out;
    const json m = read_json(out / "sweep.json");
    EXPECT_EQ(m["status"], "complete");
    EXPECT_EQ(m["merge"]["mode"], "class");
    EXPECT_EQ(m["name"], "small");  // every learner ran the same config
    ASSERT_EQ(m["points"].size(), 28u);
    // Same points twice, told apart by the learner (named after the directory above, as both
    // runs are called "lesson"), each with its own baseline and context.
    const json a = read_json(alice / "sweep.json"), b = read_json(bob / "sweep.json");
    for (std::size_t i = 0; i < 28; ++i) {
        const json& p = m["points"][i];
        const json& from = i < 14 ? a["points"][i] : b["points"][i - 14];
        EXPECT_EQ(p["learner"], i < 14 ? "alice" : "bob");
        EXPECT_EQ(p["label"],
                  p["learner"].get<std::string>() + ": " + from["label"].get<std::string>());
        EXPECT_EQ(p["reps"], from["reps"]);
        EXPECT_EQ(p["derived"]["speedup"], from["derived"]["speedup"]) << p["label"];
        EXPECT_TRUE(p["verified"].get<bool>());
    }
    EXPECT_EQ(m["merge"]["sources"][1]["learner"], "bob");
    EXPECT_EQ(m["merge"]["sources"][1]["context"], b["context"]);
    // The learner column comes first, in this mode only.
    auto header = csv_header(out / "points.csv"), plain = csv_header(alice / "points.csv");
    ASSERT_EQ(header.front(), "learner");
    EXPECT_EQ(std::vector<std::string>(header.begin() + 1, header.end()), plain);
    EXPECT_EQ(csv_header(out / "reps.csv").front(), "learner");
    EXPECT_EQ(count_lines(out / "points.csv"), 29u);
    EXPECT_NE(read_file(out / "reps.csv").find("\nbob,square,1,1,"), std::string::npos);

    // --label names them; it must name each run once.
    const auto named = dir / "named";
    o = run_parsweep("merge --class '" + alice.string() + "' '" + bob.string() +
                     "' --label Ada --label Bo -q --out '" + named.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(read_json(named / "sweep.json")["points"][14]["learner"], "Bo");
    o = run_parsweep("merge --class '" + alice.string() + "' '" + bob.string() +
                     "' --label Ada --out '" + (dir / "x").string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("--label given 1 times for 2 runs"), std::string::npos) << o.err;
    o = run_parsweep("merge --class '" + alice.string() + "' '" + bob.string() +
                     "' --label Ada --label Ada --out '" + (dir / "x").string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("learner label \"Ada\" names both"), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(dir / "x"));
}

}  // namespace
}  // namespace parsweep::test
