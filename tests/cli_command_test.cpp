// The command kernel end to end: real Python scripts and shell commands swept over processes ×
// threads by the real parsweep binary — each rank's environment and share, placeholders,
// parsweep-time, expect and check, every way a program can fail, and no process left behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

json read_json(const fs::path& p) {
    return json::parse(read_file(p));
}

std::string unique_tag(const std::string& what) {
    return fmt::format("command-{}-{}-{}", what, getpid(),
                       std::chrono::steady_clock::now().time_since_epoch().count());
}

class Command : public ::testing::Test {
  protected:
    TempDir dir;

    // Runs `config` (written into the test's directory) to completion with PARSWEEP_TEST_TAG
    // `tag`; returns its exit status, the log in `log`.
    int run(const std::string& name, const std::string& config, const std::string& tag,
            std::string& log) {
        const fs::path cfg = write_file(dir / (name + ".json"), config);
        const pid_t pid = start_parsweep(
            {"run", "-q", "--no-calibrate", cfg.string(), "--out", (dir / name).string()},
            dir / (name + ".log"), tag);
        const int status = wait_for(pid);
        log = read_file(dir / (name + ".log"));
        return status;
    }
};

// A Python script at P ∈ {1, 2}, T ∈ {1, 2}: every rank writes its environment to a file the
// test reads; its share, the thread variables and the placeholders are the point's; its
// parsweep-time line is the compute time and the rest of its wall time its set-up.
TEST_F(Command, EachRankGetsItsEnvironmentShareAndPlaceholders) {
    write_file(dir / "dump.py", R"(import os, sys, time
t0 = time.perf_counter()
names = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
         "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "PARSWEEP_PROCESSES",
         "PARSWEEP_THREADS", "PARSWEEP_RANK", "PARSWEEP_ITEMS", "PARSWEEP_BEGIN", "PARSWEEP_END"]
e = os.environ
def is_open(fd):
    try:
        os.fstat(fd)
        return "open"
    except OSError:
        return "closed"
inherited = "fd3={} fd4={}".format(is_open(3), is_open(4))  # the worker's protocol pipes
with open("envs/{}-{}-{}-{}.txt".format(sys.argv[1], e["PARSWEEP_PROCESSES"], e["PARSWEEP_THREADS"], e["PARSWEEP_RANK"]), "w") as f:
    f.write(" ".join(sys.argv[1:]) + "\n" + inherited + "\n")
    for n in names:
        f.write("{}={}\n".format(n, e.get(n)))
time.sleep(0.2)
print("ok rank", e["PARSWEEP_RANK"])
print("parsweep-time: {:.6f}".format(time.perf_counter() - t0))
)");
    fs::create_directory(dir / "envs");
    const std::string tag = unique_tag("env");
    std::string log;
    const int status = run("env",
                           fmt::format(R"({{"repetitions": 1, "warmup": 0, "runs": [
        {{"kernel": "command", "params": {{"cmd": "python3 dump.py {{label}} {{n}} {{processes}} {{threads}} {{{{x}}}} ${{HOME:+h}}",
          "items": 5, "expect": "^ok rank [01]$", "workdir": "{}", "label": "sh"}},
          "grid": {{"n": [7], "processes": [1, 2], "threads": [1, 2]}}}},
        {{"kernel": "command", "params": {{"argv": ["python3", "dump.py", "{{label}}", "{{rank}}", "{{begin}}", "{{end}}"],
          "items": 5, "workdir": "{}", "label": "argv"}},
          "grid": {{"processes": [2]}}, "baseline": {{"processes": 2}}}}]}})",
                                       dir.path().string(), dir.path().string()),
                           tag, log);
    ASSERT_EQ(status, 0) << log;
    for (int P : {1, 2})
        for (int T : {1, 2})
            for (int r = 0; r < P; ++r) {
                SCOPED_TRACE(fmt::format("P={} T={} rank {}", P, T, r));
                const std::string env =
                    read_file(dir / "envs" / fmt::format("sh-{}-{}-{}.txt", P, T, r));
                EXPECT_NE(env.find("fd3=closed fd4=closed\n"), std::string::npos) << env;
                EXPECT_NE(env.find(fmt::format("sh 7 {} {} {{x}} h\n", P, T)), std::string::npos)
                    << env;
                for (const char* var :
                     {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                      "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                      "PARSWEEP_THREADS"})
                    EXPECT_NE(env.find(fmt::format("{}={}\n", var, T)), std::string::npos) << var;
                const auto begin = P == 1 ? 0 : r == 0 ? 0 : 3, end = P == 1 ? 5 : r == 0 ? 3 : 5;
                EXPECT_NE(env.find(fmt::format("PARSWEEP_PROCESSES={}\nPARSWEEP_THREADS={}\n"
                                               "PARSWEEP_RANK={}\nPARSWEEP_ITEMS=5\n"
                                               "PARSWEEP_BEGIN={}\nPARSWEEP_END={}\n",
                                               P, T, r, begin, end)),
                          std::string::npos)
                    << env;
            }
    for (int r = 0; r < 2; ++r)
        EXPECT_NE(read_file(dir / "envs" / fmt::format("argv-2-1-{}.txt", r))
                      .find(fmt::format("argv {} {} {}\n", r, r == 0 ? 0 : 3, r == 0 ? 3 : 5)),
                  std::string::npos);

    const json sweep = read_json(dir / "env" / "sweep.json");
    for (const auto& p : sweep["points"]) {
        ASSERT_EQ(p["status"], "ok") << p["error"];
        for (const auto& rep : p["reps"]) {
            const json& result = rep["result"];
            EXPECT_EQ(result["timed_by"], "parsweep-time:");
            EXPECT_EQ(result["programs"], p["processes"]);
            // The script slept 0.2 s after its clock started: compute is at least that, and
            // the interpreter's start before it is set-up, not compute.
            EXPECT_GE(result["compute_s"].get<double>(), 0.2);
            EXPECT_GT(result["setup_s"].get<double>(), 0.0);
            EXPECT_LE(rep["compute_s"].get<double>(), result["wall_s"].get<double>());
            EXPECT_GE(rep["dispatch_s"].get<double>(), result["setup_s"].get<double>() * 0.5);
            for (const auto& w : rep["workers"]) EXPECT_GT(w["user_s"].get<double>(), 0.0);
        }
    }
    EXPECT_EQ(processes_tagged(tag), 0);

    // The charts and the report draw a command run like any other.
    const Output plot = run_parsweep("plot " + (dir / "env").string());
    EXPECT_EQ(plot.status, 0) << plot.out << plot.err;
    EXPECT_TRUE(fs::exists(dir / "env" / "report.html")) << plot.out << plot.err;
}

struct Failure {
    const char* name;
    const char* params;  // the run's params, as JSON members
    const char* reason;  // what the point's error must say
};

// Each way a program can fail fails its point with the reason, the sweep goes on, and no process
// is left: a wrong answer, a crash, a non-zero exit, a missing program, a failed check, a bad
// parsweep-time; and a program that exits leaving a background job passes, the job ended.
TEST_F(Command, EachFailureFailsItsPointWithTheReasonAndLeavesNoProcess) {
    const std::vector<Failure> cases = {
        {"wrong", R"("cmd": "echo 41", "expect": "^42$")", "does not match expect \"^42$\": 41"},
        {"crash",
         R"j("argv": ["python3", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"])j",
         "killed by SIGSEGV"},
        {"crash_in_shell",
         R"("cmd": "python3 -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'")",
         "killed by SIGSEGV (the shell's status 139)"},
        {"exit", R"("cmd": "echo the disk is full >&2; exit 3")",
         "exited with status 3; stderr: the disk is full"},
        {"missing", R"("argv": ["no-such-program-parsweep"])",
         "cannot run 'no-such-program-parsweep': not found on PATH"},
        {"not_found", R"("cmd": "no-such-program-parsweep")",
         "exited with status 127 (the shell found no such command)"},
        {"check",
         R"("cmd": "echo 2", "items": 4, "check": "test $(cat $PARSWEEP_OUTPUTS | wc -l) -eq 5 || { echo expected 5 lines >&2; exit 1; }")",
         "check exited with status 1: expected 5 lines"},
        {"bad_time", R"("cmd": "echo parsweep-time: 12 days")",
         "parsweep-time: ' 12 days' is not a number"},
    };
    std::string runs;
    for (const auto& c : cases)
        runs += fmt::format(R"({}{{"kernel": "command", "params": {{{}, "workdir": "{}"}}}})",
                            runs.empty() ? "" : ",", c.params, dir.path().string());
    const std::string tag = unique_tag("fail");
    std::string log;
    const int status = run("fail",
                           fmt::format(R"({{"repetitions": 1, "warmup": 0, "timeout_s": 600,
        "grid": {{"processes": [2]}}, "baseline": {{"processes": 2}},
        "runs": [{}, {{"kernel": "command", "params": {{"cmd": "sleep 300 & echo fine"}}}}]}})",
                                       runs),
                           tag, log);
    EXPECT_EQ(status, 1) << log;
    EXPECT_EQ(processes_tagged(tag), 0) << "processes left behind";
    const json sweep = read_json(dir / "fail" / "sweep.json");
    ASSERT_EQ(sweep["points"].size(), cases.size() + 1);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].name);
        const json& p = sweep["points"][i];
        EXPECT_EQ(p["status"], "failed");
        EXPECT_NE(p["error"].get<std::string>().find(cases[i].reason), std::string::npos)
            << p["error"];
    }
    // A program that exits leaving a background job behind passes; the job is ended.
    EXPECT_EQ(sweep["points"][cases.size()]["status"], "ok");
}

// A program that hangs with a Python Pool under it is stopped at timeout_s, its Pool too (the
// Pool's processes come back to parsweep when their parent is killed, and it ends them). The
// Pool says when it is up: a time limit that caught the interpreter still starting proves
// nothing, and is tried again longer.
TEST_F(Command, HangingProgramIsStoppedWithItsPool) {
    write_file(dir / "pool_hang.py", R"(import multiprocessing, os, sys, time
if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        open("pool-up-" + sys.argv[1] + "-" + os.environ["PARSWEEP_RANK"], "w").close()
        pool.map(time.sleep, [3600, 3600])
)");
    json sweep;
    std::string tag;
    with_growing_time_limit(kHangLimits_s, [&](double limit) {
        const std::string name = fmt::format("hang-{:g}", limit);
        tag = unique_tag(name);
        std::string log;
        EXPECT_EQ(run(name,
                      fmt::format(R"({{"repetitions": 1, "warmup": 0, "timeout_s": {0:g},
            "grid": {{"processes": [2]}}, "baseline": {{"processes": 2}},
            "runs": [{{"kernel": "command", "params": {{"cmd": "sleep 0.1 & exec python3 pool_hang.py {0:g}",
                       "workdir": "{1}"}}}}]}})",
                                  limit, dir.path().string()),
                      tag, log),
                  1)
            << log;
        sweep = read_json(dir / name / "sweep.json");
        return fs::exists(dir / fmt::format("pool-up-{:g}-0", limit)) &&
               fs::exists(dir / fmt::format("pool-up-{:g}-1", limit));
    });
    EXPECT_EQ(processes_tagged(tag), 0) << "processes left behind";
    const json& p = sweep["points"][0];
    EXPECT_EQ(p["status"], "failed");
    EXPECT_NE(p["error"].get<std::string>().find("timed out after"), std::string::npos)
        << p["error"];
}

// A check given every rank's output passes when the ranks' answers add up.
TEST_F(Command, CheckSeesEveryRanksOutput) {
    const std::string tag = unique_tag("check");
    std::string log;
    const int status = run("check", R"j({"repetitions": 2, "warmup": 0, "runs": [
        {"kernel": "command", "params": {"cmd": "echo $((PARSWEEP_END - PARSWEEP_BEGIN))",
         "items": 1001, "expect": "^[0-9]+$",
         "check": "s=0; for f in $PARSWEEP_OUTPUTS; do s=$((s + $(cat $f))); done; test $s -eq {items}"
}
, "grid" : {
    "processes" : [ 1, 2 ]
}
}]
})j",
                           tag, log);
    EXPECT_EQ(status, 0) << log;
    const json sweep = read_json(dir / "check" / "sweep.json");
    for (const auto& p : sweep["points"]) {
        EXPECT_EQ(p["status"], "ok") << p["error"];
        EXPECT_TRUE(p["result"]["check"]["ok"].get<bool>());
    }
}

// A config that cannot run says where and why, before anything runs.
TEST_F(Command, BadConfigsNameTheParameter) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"("cmd": "echo {nope}")", "runs[0].params.cmd: {nope} is not a parameter or axis"},
        {R"("cmd": "echo", "argv": ["echo"])", "give cmd or argv, not both"},
        {R"("items": 3)", "give the program to run"},
        {R"("cmd": "echo {rank}", "rank": 3)", "runs[0].params.rank: {rank} is set by parsweep"},
        {R"("cmd": "echo", "check": "test {rank}")", "check runs once for every worker"},
        {R"("cmd": "echo", "expect": "(")", "runs[0].params.expect: not a regular expression"},
        {R"("cmd": "echo", "workdir": "nowhere")", "runs[0].params.workdir: directory not found"},
        {R"("cmd": "echo", "label": [1])", "runs[0].params.label: must be a number, a string"},
    };
    for (const auto& [params, error] : cases) {
        SCOPED_TRACE(params);
        const fs::path cfg = write_file(
            dir / "bad.json",
            fmt::format(R"({{"runs": [{{"kernel": "command", "params": {{{}}}}}]}})", params));
        const Output o = run_parsweep("validate " + cfg.string());
        EXPECT_EQ(o.status, 2) << o.out << o.err;
        EXPECT_NE((o.out + o.err).find(error), std::string::npos) << o.out << o.err;
    }
    // Another kernel still refuses a name it does not have.
    const fs::path cfg =
        write_file(dir / "square.json",
                   R"({"runs": [{"kernel": "square", "params": {"n": 10, "label": 1}}]})");
    const Output o = run_parsweep("validate " + cfg.string());
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("unknown parameter of kernel square"), std::string::npos) << o.err;
}

// The examples shipped in examples/ run and verify with Debian's python3 and numpy, from a copy
// beside a data/ folder holding the workshop text, as after `make data`.
TEST_F(Command, ExamplesRunAndVerify) {
    fs::copy(fs::path(PARSWEEP_SOURCE_DIR) / "examples", dir / "examples");
    fs::create_directory(dir / "data");
    fs::copy_file(workshop_text(), dir / "data" / "t8.shakespeare.txt");
    // Debian's python3 first: one on PATH before it (pyenv, a venv) may lack numpy.
    const std::string path = std::string("PATH=/usr/bin:") + std::getenv("PATH");
    for (const char* name : {"pool_squares", "numpy_invert", "pool_wordcount"}) {
        SCOPED_TRACE(name);
        const Output o =
            run_parsweep(fmt::format("run -q --no-calibrate --repetitions 1 --warmup 0 "
                                     "examples/{0}.json --out {0}",
                                     name),
                         dir.path(), "env " + path);
        EXPECT_EQ(o.status, 0) << o.out << o.err;
        const json sweep = read_json(dir / name / "sweep.json");
        for (const auto& p : sweep["points"]) EXPECT_EQ(p["status"], "ok") << p["error"];
    }
}

}  // namespace
}  // namespace parsweep::test
