// Job arrays and class results end to end: `parsweep run --part K/N` and `parsweep merge`
// with real runs of a small sweep, real files, exit codes.
#include <gtest/gtest.h>

#include <signal.h>

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

}  // namespace
}  // namespace parsweep::test
