// Reliability end to end: workers that crash, hang, exit, lie or fail their checks; sweeps
// stopped by SIGTERM, SIGINT or SIGKILL and completed with --resume. Real processes, real
// signals, real files.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

json read_json(const fs::path& p) {
    return json::parse(read_file(p));
}

// A unique tag per test: finds the processes of this test's runs only.
std::string tag_for(const std::string& what) {
    return what + "-" + std::to_string(getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

class Reliability : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path config(const std::string& name, const std::string& body) {
        return write_file(dir / name, body);
    }
};

struct FaultCase {
    const char* mode;
    const char* reason;  // what the failure must say ({} for the hang: the time limit)
};

// Each way a worker can fail makes its point failed with the reason, the sweep goes on, the
// run exits 1 and names what failed, and no process of the run is left.
TEST_F(Reliability, EveryWorkerFaultIsAFailedPointWithItsReason) {
    const std::vector<FaultCase> cases = {
        {"crash", "worker 1 killed by SIGSEGV"},
        {"hang", "timed out after {:g} s (timeout_s); no report from worker 1"},
        {"exit", "worker 1 exited with status 7"},
        {"wrong", "fault: sum of items is 7, expected 6 (mode wrong)"},
        {"check", "worker 1: fault: check failed at item 3 (mode check)"},
        {"setup", "worker 1: set-up failed: fault: set-up failed for item 3 (mode setup)"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.mode);
        const bool hang = std::string(c.mode) == "hang";
        fs::path out;
        std::string tag, log, reason;
        json sweep;
        // The time limit counts from the workers' start: far beyond it for every fault but the
        // hang, which must time out while worker 0 has reported (and may not, when start-up on
        // a loaded machine took the whole limit: then with a longer one).
        with_growing_time_limit(hang ? kHangLimits_s : std::vector<double>{120}, [&](double limit) {
            auto cfg = config("fault.json",
                              fmt::format(R"({{"repetitions": 2, "warmup": 0, "timeout_s": {:g},
            "grid": {{"processes": [2]}}, "baseline": {{"processes": 2}},
            "runs": [{{"kernel": "fault", "params": {{"mode": "{}", "count": 4, "at": 3,
                      "exit_code": 7}}}},
                     {{"kernel": "square", "params": {{"n": 100}}}}]}})",
                                          limit, c.mode));
            out = dir / fmt::format("run-{}-{:g}", c.mode, limit);
            tag = tag_for(c.mode);
            reason = fmt::format(fmt::runtime(c.reason), limit);
            pid_t pid = start_parsweep({"run", "-q", cfg.string(), "--out", out.string()},
                                       dir / "log.txt", tag);
            EXPECT_EQ(wait_for(pid), 1);
            log = read_file(dir / "log.txt");
            sweep = read_json(out / "sweep.json");
            for (const auto& r : sweep["points"][0]["reps"])
                if (r["error"].get<std::string>().find(reason) == std::string::npos &&
                    r["error"].get<std::string>().find("(timeout_s)") != std::string::npos)
                    return false;  // start-up outlasted the limit: inconclusive
            return true;
        });
        EXPECT_NE(log.find("failed points:"), std::string::npos) << log;
        EXPECT_NE(log.find(reason), std::string::npos) << log;
        EXPECT_EQ(processes_tagged(tag), 0) << "processes left behind";

        EXPECT_EQ(sweep["status"], "complete");
        EXPECT_EQ(sweep["points_failed"], 1);
        const json& p = sweep["points"][0];
        EXPECT_EQ(p["status"], "failed");
        EXPECT_NE(p["error"].get<std::string>().find(reason), std::string::npos) << p["error"];
        for (const auto& r : p["reps"]) {
            EXPECT_FALSE(r["verified"].get<bool>());
            EXPECT_NE(r["error"].get<std::string>().find(reason), std::string::npos);
        }
        EXPECT_TRUE(sweep["points"][1]["verified"].get<bool>()) << "the sweep went on";
        const std::string csv = read_file(out / "points.csv");
        EXPECT_NE(csv.find(reason), std::string::npos) << csv;
    }
}

// An unreadable data file is a config error (exit 2, the path named). Root reads every file,
// so as root the check runs as `nobody` through setpriv: CI runs as root.
TEST_F(Reliability, UnreadableFileIsAConfigError) {
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
    auto secret = write_file(dir / "secret.txt", "dog cat");
    fs::permissions(secret, fs::perms::none);
    auto cfg =
        config("unreadable.json", R"({"runs": [{"kernel": "wordcount", "params": {"file": ")" +
                                      secret.string() + R"("}}]})");
    fs::permissions(cfg, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    std::string cmd = "validate '" + cfg.string() + "'";
    if (geteuid() == 0) {
        ASSERT_EQ(std::system("command -v setpriv >/dev/null"), 0) << "setpriv (util-linux) needed";
        cmd = "--version >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups '" +
              std::string(PARSWEEP_BINARY) + "' " + cmd;
    }
    Output o = run_parsweep(cmd, dir.path());
    EXPECT_EQ(o.status, 2) << o.out << o.err;
    EXPECT_NE(
        o.err.find("runs[0].params.file: cannot read " + secret.string() + ": Permission denied"),
        std::string::npos)
        << o.err;
}

TEST_F(Reliability, FaultKernelIsHiddenFromListUnlessAsked) {
    // A kernel's heading is its id alone on a line.
    EXPECT_EQ(run_parsweep("list").out.find("\nfault\n"), std::string::npos);
    EXPECT_NE(run_parsweep("list --all").out.find("\nfault\n"), std::string::npos);
}

// Six slow points (about 0.2 s each); the checkpoint tells when some are done.
std::string slow_sweep() {
    return R"({"name": "slow", "repetitions": 2, "warmup": 0, "grid": {"processes": [1, 2]},
        "runs": [{"kernel": "fault", "params": {"count": 2, "item_s": 0.05}, "grid": {"at": [0, 1]}},
                 {"kernel": "square", "grid": {"n": [1000, 2000]}}]})";
}

// The points of a run as (key, label, P, T, verified, repetitions), in order.
std::vector<std::string> point_summary(const json& sweep) {
    std::vector<std::string> out;
    for (const auto& p : sweep["points"])
        out.push_back(p["key"].get<std::string>() + " " + p["label"].get<std::string>() + " " +
                      std::to_string(p["processes"].get<int>()) + "x" +
                      std::to_string(p["threads"].get<int>()) + " " +
                      (p["verified"].get<bool>() ? "ok" : "failed") + " " +
                      std::to_string(p["reps"].size()));
    return out;
}

void expect_same_points_as_a_clean_run(const fs::path& resumed, const fs::path& clean) {
    json a = read_json(resumed / "sweep.json"), b = read_json(clean / "sweep.json");
    EXPECT_EQ(a["status"], "complete");
    EXPECT_EQ(a["points_done"], a["points_total"]);
    EXPECT_EQ(point_summary(a), point_summary(b));
    EXPECT_EQ(count_lines(resumed / "points.csv"), count_lines(clean / "points.csv"));
    EXPECT_EQ(count_lines(resumed / "reps.csv"), count_lines(clean / "reps.csv"));
    EXPECT_EQ(count_lines(resumed / "checkpoint.jsonl"), a["points"].size());
    EXPECT_EQ(read_file(resumed / "points.csv").substr(0, 200),
              read_file(clean / "points.csv").substr(0, 200));  // same header and columns
    for (const auto& e : fs::directory_iterator(resumed))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST_F(Reliability, SigtermStopsTheSweepAndResumeCompletesIt) {
    auto cfg = config("slow.json", slow_sweep());
    const auto clean = dir / "clean", run = dir / "run";
    ASSERT_EQ(run_parsweep("run -q '" + cfg.string() + "' --out '" + clean.string() + "'").status,
              0);

    const std::string tag = tag_for("sigterm");
    pid_t pid = start_parsweep({"run", cfg.string(), "--out", run.string()}, dir / "log.txt", tag);
    ASSERT_TRUE(wait_for_lines(run / "checkpoint.jsonl", 2));
    kill(pid, SIGTERM);
    EXPECT_EQ(wait_for(pid), 128 + SIGTERM);
    EXPECT_EQ(processes_tagged(tag), 0) << "workers left behind";
    const std::string log = read_file(dir / "log.txt");
    EXPECT_NE(log.find("interrupted (SIGTERM)"), std::string::npos) << log;
    EXPECT_NE(log.find("parsweep run --resume " + run.string()), std::string::npos) << log;

    json stopped = read_json(run / "sweep.json");
    EXPECT_EQ(stopped["status"], "incomplete");
    EXPECT_EQ(stopped["interrupted_by"], SIGTERM);
    const std::size_t done = stopped["points"].size();
    EXPECT_GE(done, 2u);
    EXPECT_LT(done, 8u);
    EXPECT_EQ(count_lines(run / "checkpoint.jsonl"), done);

    Output resumed = run_parsweep("run -q --resume '" + run.string() + "' '" + cfg.string() + "'");
    EXPECT_EQ(resumed.status, 0) << resumed.err << resumed.out;
    expect_same_points_as_a_clean_run(run, clean);
    // The points finished before the signal were not run again.
    json after = read_json(run / "sweep.json");
    for (std::size_t i = 0; i < done; ++i)
        EXPECT_EQ(after["points"][i]["reps"], stopped["points"][i]["reps"]) << i;
    EXPECT_EQ(after["context"]["resumed"].size(), 1u);
}

TEST_F(Reliability, SigkillOfTheParentLeavesNoWorkerAndResumeCompletesTheRun) {
    auto cfg = config("slow.json", slow_sweep());
    const auto clean = dir / "clean", run = dir / "run";
    ASSERT_EQ(run_parsweep("run -q '" + cfg.string() + "' --out '" + clean.string() + "'").status,
              0);
    const std::string tag = tag_for("sigkill");
    pid_t pid =
        start_parsweep({"run", "-q", cfg.string(), "--out", run.string()}, dir / "log.txt", tag);
    ASSERT_TRUE(wait_for_lines(run / "checkpoint.jsonl", 3));
    kill(pid, SIGKILL);
    EXPECT_EQ(wait_for(pid), 128 + SIGKILL);
    // The workers die with their parent (PR_SET_PDEATHSIG): give the kernel a moment.
    int left = 1;
    for (int i = 0; i < 3000 && left; ++i) {  // up to 30 s on a loaded machine
        left = processes_tagged(tag);
        if (left) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(left, 0) << "workers outlived their killed parent";
    // Whatever was on disk is whole: sweep.json parses (it may lag the checkpoint by a point).
    EXPECT_NO_THROW(read_json(run / "sweep.json"));

    // Without the config on the command line: the recorded one is used.
    Output resumed = run_parsweep("run -q --resume '" + run.string() + "'");
    EXPECT_EQ(resumed.status, 0) << resumed.err << resumed.out;
    expect_same_points_as_a_clean_run(run, clean);
}

TEST_F(Reliability, ResumeRefusesAChangedConfig) {
    auto cfg = config("slow.json", slow_sweep());
    const auto run = dir / "run";
    pid_t pid = start_parsweep({"run", "-q", cfg.string(), "--out", run.string()}, dir / "log.txt",
                               tag_for("changed"));
    ASSERT_TRUE(wait_for_lines(run / "checkpoint.jsonl", 1));
    kill(pid, SIGINT);
    EXPECT_EQ(wait_for(pid), 128 + SIGINT);
    EXPECT_EQ(read_json(run / "sweep.json")["status"], "incomplete");

    std::string changed = slow_sweep();
    changed.replace(changed.find("\"repetitions\": 2"), 16, "\"repetitions\": 3");
    write_file(cfg, changed);
    Output o = run_parsweep("run -q --resume '" + run.string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("changed since the run started"), std::string::npos) << o.err;
    auto other = config("other.json", R"({"runs": [{"kernel": "square"}]})");
    o = run_parsweep("run -q --resume '" + run.string() + "' '" + other.string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("is not the config the run started with"), std::string::npos) << o.err;
    EXPECT_EQ(read_json(run / "sweep.json")["status"], "incomplete") << "nothing was touched";

    EXPECT_EQ(run_parsweep("run -q --resume '" + (dir / "nowhere").string() + "'").status, 2);
    EXPECT_EQ(run_parsweep("run -q --resume '" + run.string() + "' --out x").status, 2);
}

}  // namespace
}  // namespace parsweep::test
