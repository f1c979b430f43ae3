// The parsweep binary end to end: real worker processes, real files, exit codes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sweep/model.hpp"
#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

// A CSV file as a header and rows of cells (handles quoted cells).
struct Csv {
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
};

Csv read_csv(const fs::path& path) {
    Csv csv;
    std::string text = read_file(path);
    std::vector<std::vector<std::string>> lines(1);
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
                cell += '"', ++i;
            else if (c == '"')
                quoted = false;
            else
                cell += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            lines.back().push_back(cell), cell.clear();
        } else if (c == '\n') {
            lines.back().push_back(cell), cell.clear();
            lines.emplace_back();
        } else {
            cell += c;
        }
    }
    lines.pop_back();  // after the final newline
    csv.header = lines.at(0);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i].size(), csv.header.size()) << path << " row " << i;
        std::map<std::string, std::string> row;
        for (std::size_t k = 0; k < csv.header.size() && k < lines[i].size(); ++k)
            row[csv.header[k]] = lines[i][k];
        csv.rows.push_back(row);
    }
    return csv;
}

bool has_column(const Csv& csv, const std::string& name) {
    return std::find(csv.header.begin(), csv.header.end(), name) != csv.header.end();
}

class Cli : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path text;
    void SetUp() override { text = write_file(dir / "words.txt", generated_text(50000, 7)); }

    fs::path config(const std::string& name, const std::string& body) {
        return write_file(dir / name, body);
    }
    std::string tiny_sweep() const {
        return R"({"name": "tiny", "repetitions": 2, "warmup": 1,
          "grid": {"processes": [1, 2], "threads": [1, 2]},
          "runs": [
            {"kernel": "square", "grid": {"n": [1000, 100000]}},
            {"kernel": "wordcount", "params": {"file": ")" +
               text.string() + R"("},
             "grid": {"chunk_bytes": [7, 4096]}},
            {"kernel": "invert", "params": {"n": 24, "count": 3},
             "grid": {"processes": [1, 3], "threads": [1, 2]}}
          ]})";
    }
};

TEST_F(Cli, TinySweepWritesEveryFileAndVerifiesEveryPoint) {
    auto cfg = config("tiny.json", tiny_sweep());
    auto out = dir / "run";
    Output o = run_parsweep("run '" + cfg.string() + "' --out '" + out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    EXPECT_NE(o.out.find("20 of 20 points verified"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("results: " + out.string()), std::string::npos);

    json sweep = json::parse(read_file(out / "sweep.json"));
    EXPECT_EQ(sweep["schema_version"], 1);
    EXPECT_EQ(sweep["status"], "complete");
    EXPECT_EQ(sweep["name"], "tiny");
    for (const char* key :
         {"date", "host", "topology", "usable_cores", "memory", "build", "openmp", "blas", "env"})
        EXPECT_TRUE(sweep["context"].contains(key)) << key;
    EXPECT_EQ(sweep["context"]["blas"]["name"], "OpenBLAS");
    EXPECT_TRUE(sweep["config"]["given"].contains("runs"));
    EXPECT_EQ(sweep["config"]["expanded"]["points"].size(), 20u);
    ASSERT_EQ(sweep["points"].size(), 20u);
    for (const auto& p : sweep["points"]) {
        EXPECT_TRUE(p["verified"].get<bool>()) << p.dump();
        EXPECT_EQ(p["reps"].size(), 2u);
        EXPECT_EQ(p["stats"]["wall_s"]["count"], 2);
        EXPECT_TRUE(p["derived"]["speedup"].is_number()) << p["label"];
        const int P = p["processes"], T = p["threads"];
        for (const auto& r : p["reps"]) {
            // The workers ran with the thread counts the point asked for. The BLAS is loaded
            // only by kernels that use it: invert's default method (gje) runs T OpenMP
            // threads that each call it with one thread.
            EXPECT_EQ(r["omp_threads"], T);
            EXPECT_EQ(r["blas_threads"], p["kernel"] == "invert" ? 1 : 0);
            EXPECT_EQ(r["workers"].size(), static_cast<std::size_t>(P));
            const double wall = r["wall_s"], spawn = r["spawn_s"], compute = r["compute_s"];
            EXPECT_GT(wall, 0);
            EXPECT_LE(spawn, wall);
            EXPECT_LE(compute, wall);
            EXPECT_GE(r["imbalance_s"].get<double>(), 0);
            EXPECT_GT(r["max_rss_kb"].get<long>(), 0);
        }
    }
    // The wordcount result carries the counts and the total.
    const auto& wc = sweep["points"][8];
    EXPECT_EQ(wc["kernel"], "wordcount");
    EXPECT_TRUE(wc["result"]["counts"].contains("dog"));
    EXPECT_GT(wc["result"]["total_words"].get<long>(), 0);
    // invert: 3 matrices over 3 processes × 2 threads, GFLOP/s reported.
    const auto& inv = sweep["points"][19];
    EXPECT_EQ(inv["kernel"], "invert");
    EXPECT_EQ(inv["processes"], 3);
    EXPECT_TRUE(inv["derived"]["gflops"].is_number());

    Csv points = read_csv(out / "points.csv");
    for (const char* col :
         {"kernel", "processes", "threads", "param_n", "param_chunk_bytes", "repetitions", "min_s",
          "median_s", "mean_s", "stddev_s", "speedup", "efficiency", "overhead_s", "karp_flatt",
          "oversubscription", "cpu_util", "ctx_involuntary", "verified"})
        EXPECT_TRUE(has_column(points, col)) << col;
    ASSERT_EQ(points.rows.size(), 20u);
    EXPECT_EQ(points.rows[0]["kernel"], "square");
    EXPECT_EQ(points.rows[0]["param_n"], "1000");
    EXPECT_EQ(points.rows[0]["param_chunk_bytes"], "");
    EXPECT_EQ(points.rows[0]["speedup"], "1");
    EXPECT_EQ(points.rows[8]["param_words"], "dog cat boy girl");
    for (auto& row : points.rows) EXPECT_EQ(row["verified"], "true");

    Csv reps = read_csv(out / "reps.csv");
    for (const char* col : {"kernel", "processes", "threads", "param_n", "rep", "wall_s", "spawn_s",
                            "compute_s", "gather_s", "imbalance_s", "user_s", "sys_s", "cpu_util",
                            "ctx_voluntary", "ctx_involuntary", "max_rss_kb", "verified"})
        EXPECT_TRUE(has_column(reps, col)) << col;
    EXPECT_EQ(reps.rows.size(), 40u);

    // One checkpoint line per point, each a complete point record.
    std::ifstream journal(out / "checkpoint.jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(journal, line)) EXPECT_EQ(json::parse(line)["index"], lines++);
    EXPECT_EQ(lines, 20);
    // No temporary files left behind.
    for (const auto& e : fs::directory_iterator(out))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

// sweep.json's time_accounting says where the run's wall time went: every repetition run
// (warm-ups and failed ones included) counts, and the parts add up to the wall time.
TEST_F(Cli, TimeAccountingSaysWhereTheWallTimeWent) {
    auto cfg = config("acct.json", R"({"name": "acct", "repetitions": 2, "warmup": 1,
        "grid": {"processes": [1, 2]},
        "runs": [{"kernel": "square", "params": {"n": 200000}},
                 {"kernel": "fault", "params": {"mode": "crash", "at": 0}}]})");
    auto out = dir / "run";
    Output o = run_parsweep("run '" + cfg.string() + "' --out '" + out.string() + "'");
    ASSERT_EQ(o.status, 1) << o.err << o.out;  // the fault points fail, on purpose
    EXPECT_NE(o.out.find("time: "), std::string::npos) << o.out;
    EXPECT_NE(o.out.find(" in kernels, "), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("% outside: the kernels' untimed set-up, checks and exit "),
              std::string::npos)
        << o.out;

    json sweep = json::parse(read_file(out / "sweep.json"));
    ASSERT_TRUE(sweep.contains("time_accounting")) << sweep.dump(2).substr(0, 2000);
    const json& t = sweep["time_accounting"];
    const double wall = t["wall_s"];
    EXPECT_GT(wall, 0);
    double parts = 0;
    for (const char* part : {"kernels_s", "start_s", "setup_s", "release_s", "checks_s", "gather_s",
                             "reap_s", "verify_s", "failed_s", "calibrate_s", "write_s"}) {
        ASSERT_TRUE(t[part].is_number()) << part;
        EXPECT_GE(t[part].get<double>(), 0) << part;
        parts += t[part].get<double>();
    }
    EXPECT_LE(parts, wall * (1 + 1e-9)) << t.dump(2);
    EXPECT_NEAR(parts + t["other_s"].get<double>(), wall, 1e-9 * wall + 1e-12) << t.dump(2);
    EXPECT_NEAR(t["outside_s"].get<double>(), wall - t["kernels_s"].get<double>(), 1e-9);
    EXPECT_NEAR(t["outside_fraction"].get<double>(), t["outside_s"].get<double>() / wall, 1e-9);
    EXPECT_NEAR(
        t["kernel_untimed_s"].get<double>(),
        t["setup_s"].get<double>() + t["checks_s"].get<double>() + t["reap_s"].get<double>(), 1e-9);
    EXPECT_NEAR(t["harness_s"].get<double>() + t["kernel_untimed_s"].get<double>() +
                    t["failed_s"].get<double>() + t["kernels_s"].get<double>(),
                wall, 1e-9 * wall + 1e-12);
    EXPECT_NEAR(t["harness_fraction"].get<double>(), t["harness_s"].get<double>() / wall, 1e-9);
    // 4 points × (1 warm-up + 2 repetitions), each of P workers; the crashes cost time too.
    EXPECT_EQ(t["repetitions"], 12);
    EXPECT_EQ(t["workers"], 3 * (1 + 2 + 1 + 2));
    EXPECT_GT(t["failed_s"].get<double>(), 0);
    EXPECT_GT(t["write_s"].get<double>(), 0);
    // The recorded repetitions are a part of what ran: the accounting holds at least their
    // compute, spawn and gather.
    double compute = 0, spawn = 0, gather = 0;
    for (const auto& p : sweep["points"])
        for (const auto& r : p["reps"]) {
            compute += r["compute_s"].get<double>();
            spawn += r["spawn_s"].get<double>();
            gather += r["gather_s"].get<double>();
            // Each worker that got ready says when its main() began: after the spawn.
            if (p["kernel"] == "square")
                for (const auto& w : r["workers"]) {
                    EXPECT_GT(w["main_s"].get<double>(), 0);
                    EXPECT_LE(w["main_s"].get<double>(), w["ready_s"].get<double>());
                }
        }
    EXPECT_GT(compute, 0);
    EXPECT_GE(t["kernels_s"].get<double>(), compute * (1 - 1e-9));
    EXPECT_GE(t["start_s"].get<double>() + t["setup_s"].get<double>(), spawn * (1 - 1e-9));
    EXPECT_GT(t["start_s"].get<double>(), 0);
    EXPECT_GT(t["setup_s"].get<double>(), 0);  // square allocates and fills its numbers
    EXPECT_GE(t["gather_s"].get<double>(), gather * (1 - 1e-9));
}

// compute_s is the kernel's own work: a worker's untimed checks and stage() calls between its
// batches (invert: one matrix per batch, each checked, the next generated) are left out of it
// and counted as checks_s.
TEST_F(Cli, ComputeLeavesOutTheChecksBetweenBatches) {
    auto cfg = config("batches.json", R"({"repetitions": 1, "warmup": 0, "time_metric": "compute_s",
        "runs": [{"kernel": "invert", "params": {"n": 300, "count": 6},
                  "grid": {"processes": [1, 2]}}]})");
    auto out = dir / "run";
    Output o =
        run_parsweep("run -q --no-calibrate '" + cfg.string() + "' --out '" + out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    json sweep = json::parse(read_file(out / "sweep.json"));
    for (const auto& p : sweep["points"]) {
        const json& r = p["reps"][0];
        // The span from the first worker's first batch to the last worker's last batch.
        double first = std::numeric_limits<double>::max(), last = 0, busy = 0;
        for (const auto& w : r["workers"]) {
            first = std::min(first, w["start_s"].get<double>());
            last = std::max(last, w["end_s"].get<double>());
            busy = std::max(busy, w["busy_s"].get<double>());
        }
        const double span = last - first;
        const double compute = r["compute_s"];
        EXPECT_GE(compute, busy * (1 - 1e-9)) << r.dump(2);  // every timed batch is in it
        EXPECT_LT(compute, span) << r.dump(2);               // the checks between them are not
    }
    EXPECT_GT(sweep["time_accounting"]["checks_s"].get<double>(), 0);
}

// A repetition that outlives timeout_s fails: its workers are killed and reaped, the point is
// reported failed with the reason and no time, the others still run, and `run` exits 1.
TEST_F(Cli, TimedOutPointIsFailedNotFastAndLeavesNoProcess) {
    auto cfg = config("slow.json", R"({"repetitions": 2, "warmup": 0, "grid": {"processes": [2]},
        "runs": [{"kernel": "invert", "params": {"n": 1200, "count": 8}, "timeout_s": 0.05},
                 {"kernel": "square", "params": {"n": 1000}}]})");
    auto out = dir / "run";
    // Workers inherit the parent's environment: this tag finds this run's processes only
    // (other tests may be running workers of their own at the same time).
    const std::string tag = "timeout-" + std::to_string(getpid());
    setenv("PARSWEEP_TEST_TAG", tag.c_str(), 1);
    Output o = run_parsweep("run -q '" + cfg.string() + "' --out '" + out.string() + "'");
    unsetenv("PARSWEEP_TEST_TAG");
    EXPECT_EQ(o.status, 1) << o.err << o.out;
    EXPECT_NE(o.out.find("2 FAILED"), std::string::npos) << o.out;  // invert 1×1 and 2×1
    json sweep = json::parse(read_file(out / "sweep.json"));
    ASSERT_EQ(sweep["points"].size(), 4u);
    EXPECT_EQ(sweep["points_failed"], 2);
    for (int i : {0, 1}) {
        const auto& p = sweep["points"][i];
        EXPECT_FALSE(p["verified"].get<bool>());
        EXPECT_EQ(p["status"], "failed");
        EXPECT_NE(p["error"].get<std::string>().find("timed out after 0.05 s"), std::string::npos)
            << p["error"];
        EXPECT_EQ(p["stats"]["wall_s"]["count"], 0);
        EXPECT_TRUE(p["derived"]["speedup"].is_null());
    }
    EXPECT_TRUE(sweep["points"][3]["verified"].get<bool>());  // the sweep went on
    Csv points = read_csv(out / "points.csv");
    EXPECT_EQ(points.rows[0]["verified"], "false");
    EXPECT_EQ(points.rows[0]["median_s"], "");  // never a (fast) time
    EXPECT_EQ(points.rows[0]["speedup"], "");
    // Every worker was killed and reaped: no process of this run is left.
    EXPECT_EQ(processes_tagged(tag), 0) << "processes of the timed-out run left behind";
}

TEST_F(Cli, DefaultResultsDirectoryAndLatestLink) {
    auto cfg = config("small.json", R"({"name": "small", "repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "square", "params": {"n": 100}}]})");
    Output o = run_parsweep("run -q '" + cfg.string() + "'", dir.path());
    ASSERT_EQ(o.status, 0) << o.err;
    ASSERT_TRUE(fs::is_symlink(dir / "results/latest"));
    auto target = fs::read_symlink(dir / "results/latest");
    EXPECT_NE(target.string().find("-small"), std::string::npos) << target;
    EXPECT_TRUE(fs::exists(dir / "results" / target / "sweep.json"));
    // -q prints nothing but, on a machine's first run (this suite's calibration may be measured
    // by this test), the calibration's start and end: a minute of silence would look hung.
    std::string said;
    std::istringstream lines(o.err);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("calibrating this machine", 0) != 0 && line.rfind("calibrated in ", 0) != 0)
            said += line + "\n";
    EXPECT_TRUE(said.empty()) << "quiet run printed: " << o.err;
}

TEST_F(Cli, RefusesToOverwriteARun) {
    auto cfg = config("small.json", R"({"repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "square", "params": {"n": 100}}]})");
    auto out = dir / "run";
    ASSERT_EQ(run_parsweep("run -q '" + cfg.string() + "' --out '" + out.string() + "'").status, 0);
    Output again = run_parsweep("run -q '" + cfg.string() + "' --out '" + out.string() + "'");
    EXPECT_EQ(again.status, 2);
    EXPECT_NE(again.err.find("already holds a run"), std::string::npos) << again.err;
}

// Each class of bad config: exit status 2, the JSON path and value named, nothing created.
TEST_F(Cli, BadConfigsExitTwoNamingThePathAndLeaveNothing) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{\"runs\": [\n  {\"kernel\": \"square\",}\n]}", "bad.json:2:"},
        {R"([1, 2])", "must be a JSON object"},
        {R"({"repetitons": 2, "runs": [{"kernel": "square"}]})",
         "repetitons: unknown key; did you mean \"repetitions\"?"},
        {R"({"runs": [{"kernel": "square", "params": {"n": "ten"}}]})",
         "runs[0].params.n: must be an integer (got \"ten\")"},
        {R"({"runs": [{"kernel": "wordcount", "params": {"file": "WORDS"}, "grid": {"chunk_bytes": [0]}}]})",
         "runs[0].grid.chunk_bytes[0]: must be ≥ 1 (got 0)"},
        {R"({"runs": [{"kernel": "squares"}]})",
         "runs[0].kernel: unknown kernel \"squares\"; did you mean \"square\"?"},
        {R"({"runs": [{"kernel": "wordcount", "params": {"file": "/nonexistent/t8.txt"}}]})",
         "runs[0].params.file: file not found: /nonexistent/t8.txt"},
        {R"({"runs": [{"kernel": "square", "params": {"mode": "openmp"}}]})",
         "runs[0].params.mode: must be one of serial, omp (got \"openmp\")"},
        {R"({"grid": {"processes": []}, "runs": [{"kernel": "square"}]})",
         "grid.processes: must be a non-empty list"},
        {R"({"runs": [{"kernel": "square", "params": {"n": 40000000000}}], "grid": {"processes": [64]}})",
         "of memory, more than the"},
    };
    int i = 0;
    for (auto [body, expected] : cases) {
        std::string text = body;
        if (auto p = text.find("WORDS"); p != std::string::npos)
            text.replace(p, 5, this->text.string());
        auto cfg = config("bad.json", text);
        auto results = dir / ("results" + std::to_string(i++));
        for (const std::string cmd : {"run", "validate"}) {
            const std::string extra = cmd == "run" ? " --results '" + results.string() + "'" : "";
            Output o = run_parsweep(cmd + " '" + cfg.string() + "'" + extra);
            EXPECT_EQ(o.status, 2) << cmd << " " << text;
            EXPECT_NE(o.err.find(expected), std::string::npos)
                << cmd << ": expected \"" << expected << "\" in:\n"
                << o.err;
            EXPECT_NE(o.err.find("nothing was run"), std::string::npos) << o.err;
            EXPECT_FALSE(fs::exists(results)) << "results created for a bad config: " << text;
        }
    }
}

TEST_F(Cli, MissingConfigFileAndUsageErrors) {
    Output o = run_parsweep("run '" + (dir / "absent.json").string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("config file not found"), std::string::npos) << o.err;
    EXPECT_EQ(run_parsweep("frobnicate").status, 2);
    EXPECT_EQ(run_parsweep("run").status, 2);
    EXPECT_EQ(run_parsweep("").status, 2);
}

TEST_F(Cli, ValidateListsThePoints) {
    auto cfg = config("tiny.json", tiny_sweep());
    Output o = run_parsweep("validate '" + cfg.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_NE(o.out.find("ok — 20 points from 3 runs"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("wordcount chunk_bytes=7"), std::string::npos) << o.out;
}

TEST_F(Cli, ListShowsKernelsAndParameters) {
    Output o = run_parsweep("list");
    ASSERT_EQ(o.status, 0);
    for (const char* s : {"square", "wordcount", "invert", "pi", "triad", "command", "chunk_bytes",
                          "tokenizer", "schedule", "samples"})
        EXPECT_NE(o.out.find(s), std::string::npos) << s;
    json j = json::parse(run_parsweep("list --json").out);
    ASSERT_EQ(j.size(), 6u);
    EXPECT_EQ(j[0]["kernel"], "square");
}

TEST_F(Cli, InfoShowsCoresAndLibraries) {
    Output o = run_parsweep("info");
    ASSERT_EQ(o.status, 0) << o.err;
    for (const char* s : {"usable cores", "physical cores", "OpenBLAS", "openmp", "LAPACK from"})
        EXPECT_NE(o.out.find(s), std::string::npos) << s << "\n" << o.out;
    json j = json::parse(run_parsweep("info --json --cores 1").out);
    EXPECT_EQ(j["usable_cores"]["count"], 1);
    EXPECT_NE(j["usable_cores"]["reason"].get<std::string>().find("--cores 1"), std::string::npos);
}

// The usable cores come from the job's limits, not the machine: a narrowed affinity mask
// (taskset) and SLURM_CPUS_PER_TASK each shrink "auto" grids, and a point above them is run
// but labelled oversubscribed.
TEST_F(Cli, UsableCoresFollowTasksetAndSlurm) {
    json j = json::parse(run_parsweep("info --json", dir.path(), "taskset -c 0").out);
    EXPECT_EQ(j["usable_cores"]["affinity"], 1);
    EXPECT_EQ(j["usable_cores"]["count"], 1);
    EXPECT_NE(j["usable_cores"]["reason"].get<std::string>().find("affinity mask 1 of"),
              std::string::npos);

    const std::string slurm = "env SLURM_CPUS_PER_TASK=1";
    j = json::parse(run_parsweep("info --json", dir.path(), slurm).out);
    EXPECT_EQ(j["usable_cores"]["count"], 1);
    EXPECT_EQ(j["usable_cores"]["slurm_variable"], "SLURM_CPUS_PER_TASK");

    auto cfg = config("auto.json", R"({"repetitions": 1, "warmup": 0,
        "grid": {"processes": [1, 2], "threads": "auto"},
        "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
    Output o = run_parsweep("validate '" + cfg.string() + "'", dir.path(), slurm);
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_NE(o.out.find("SLURM_CPUS_PER_TASK=1"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("P=2 T=1"), std::string::npos) << o.out;
    EXPECT_EQ(o.out.find("T=2"), std::string::npos) << "auto threads above 1 core:\n" << o.out;

    auto out = dir / "slurm-run";
    o = run_parsweep("run -q '" + cfg.string() + "' --out '" + out.string() + "'", dir.path(),
                     slurm);
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_NE(o.err.find("oversubscribe"), std::string::npos) << o.err;
    json sweep = json::parse(read_file(out / "sweep.json"));
    EXPECT_EQ(sweep["context"]["usable_cores"]["count"], 1);
    for (const auto& p : sweep["points"])
        EXPECT_DOUBLE_EQ(p["derived"]["oversubscription"].get<double>(),
                         p["processes"].get<double>() * p["threads"].get<double>());
}

// Pinning axes: each point's workers get the OMP_* placement and CPU set it names, and every
// worker records the set it was bound to and the CPUs its threads were on.
TEST_F(Cli, PinningAxesBindWorkersAndRecordWhereTheyRan) {
    auto cfg = config("pin.json", R"({"repetitions": 1, "warmup": 0,
        "grid": {"processes": [2], "threads": [1], "cpu_set": ["none", "compact", "scatter"]},
        "params": {"bind": "close", "places": "cores"},
        "runs": [{"kernel": "square", "params": {"n": 100000}}]})");
    auto out = dir / "pinned";
    Output o = run_parsweep("run -q '" + cfg.string() + "' --out '" + out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err;
    json sweep = json::parse(read_file(out / "sweep.json"));
    std::set<std::string> seen;
    for (const auto& p : sweep["points"]) {
        ASSERT_TRUE(p["verified"].get<bool>()) << p["label"];
        const std::string policy = p["params"].value("cpu_set", "");
        seen.insert(policy + (p["baseline_only"].get<bool>() ? " baseline" : ""));
        EXPECT_NE(p["label"].get<std::string>().find("cpu_set=" + policy), std::string::npos);
        EXPECT_EQ(p["env"]["OMP_PROC_BIND"], "close");
        EXPECT_EQ(p["env"]["OMP_PLACES"], "cores");
        for (const auto& w : p["reps"][0]["workers"]) {
            auto bound = w["cpu_set"].get<std::vector<int>>();
            auto cpus = w["cpus"].get<std::vector<int>>();
            EXPECT_FALSE(cpus.empty());
            EXPECT_EQ(bound.empty(), policy == "none") << p["label"];
            for (int c : cpus) {
                if (bound.empty()) continue;
                EXPECT_TRUE(std::count(bound.begin(), bound.end(), c))
                    << p["label"] << ": ran on CPU " << c << " outside its set";
            }
        }
    }
    // A baseline (1×1) for each placement, then its 2×1 point.
    EXPECT_EQ(seen, (std::set<std::string>{"none", "compact", "scatter", "none baseline",
                                           "compact baseline", "scatter baseline"}));
    EXPECT_NE(read_file(out / "points.csv").find("cpu_set"), std::string::npos);

    auto bad = config("badpin.json", R"({"grid": {"bind": ["sideways"]},
        "runs": [{"kernel": "square", "params": {"n": 10}}]})");
    o = run_parsweep("validate '" + bad.string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("grid.bind[0]"), std::string::npos) << o.err;
}

TEST_F(Cli, CorpusBuildsALargeTextOfWholeLines) {
    auto out = dir / "big.txt";
    Output o = run_parsweep("corpus --from '" + text.string() + "' --size 200k --out '" +
                            out.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err;
    const auto size = fs::file_size(out);
    EXPECT_LE(size, 200u * 1024);
    EXPECT_GT(size, 200u * 1024 - 50000);
    std::string big = read_file(out), small = read_file(text);
    EXPECT_EQ(big.substr(0, small.size()), small);
    EXPECT_EQ(run_parsweep("corpus --from '" + text.string() + "' --size lots --out x").status, 2);
    EXPECT_EQ(run_parsweep("corpus --from /nonexistent --size 1k --out x").status, 2);
}

// Offline, `make sweep` counts words in this stand-in: the workshop text's size, the same bytes
// for a seed on every machine, and English enough that the workshop's words are in it.
TEST_F(Cli, CorpusGeneratesTheWorkshopTextsStandIn) {
    const auto a = dir / "a.txt", b = dir / "b.txt", c = dir / "c.txt";
    Output o = run_parsweep("corpus --out '" + a.string() + "'");
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_NE(o.out.find("generated English-like text (seed 1)"), std::string::npos) << o.out;
    EXPECT_EQ(fs::file_size(a), 5458199u);  // t8.shakespeare.txt's size
    ASSERT_EQ(run_parsweep("corpus --out '" + b.string() + "'").status, 0);
    ASSERT_EQ(run_parsweep("corpus --seed 2 --size 100k --out '" + c.string() + "'").status, 0);
    const std::string text = read_file(a), again = read_file(b), other = read_file(c);
    EXPECT_EQ(text, again);
    EXPECT_EQ(other.size(), 100u * 1024);
    EXPECT_NE(other.substr(200, 2000), text.substr(200, 2000));
    // It says what it is, and ends with a whole word and a newline.
    EXPECT_EQ(text.rfind("This text was generated by parsweep corpus", 0), 0u);
    EXPECT_EQ(text.back(), '\n');
    // The same bytes everywhere: a change of the model changes every stand-in's counts.
    EXPECT_EQ(hash_text(text), "71c585214b7f2490") << "the generated text changed";
    for (const char* w : {" dog", " cat", " boy", " girl", " thou", "KING.", ", ", "? "})
        EXPECT_NE(text.find(w), std::string::npos) << w;
    // Printable ASCII, spaces and newlines only: no byte a tokeniser would stumble on.
    EXPECT_EQ(std::count_if(text.begin(), text.end(),
                            [](char ch) { return ch != '\n' && (ch < ' ' || ch > '~'); }),
              0);
    EXPECT_EQ(run_parsweep("corpus --size 10 --out '" + (dir / "d.txt").string() + "'").status, 2);
    EXPECT_FALSE(fs::exists(dir / "d.txt"));
}

}  // namespace
}  // namespace parsweep::test
