// The mpi launcher end to end, with real Open MPI on this machine (mpirun, with the flags
// root needs): results that match the spawn launcher's, failed ranks reported as failed points
// naming the rank, and the configs refused where MPI cannot run.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "launch/mpi_launcher.hpp"
#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

class Mpi : public ::testing::Test {
  protected:
    TempDir dir;

    fs::path config(const std::string& name, const std::string& body) {
        return write_file(dir / name, body);
    }
    // Runs the sweep; its sweep.json.
    json run(const fs::path& cfg, int expect_status, const std::string& tag = "") {
        const fs::path out = dir / ("run-" + cfg.stem().string());
        if (!tag.empty()) setenv("PARSWEEP_TEST_TAG", tag.c_str(), 1);
        Output o = run_parsweep("run -q '" + cfg.string() + "' --out '" + out.string() + "'");
        if (!tag.empty()) unsetenv("PARSWEEP_TEST_TAG");
        EXPECT_EQ(o.status, expect_status) << o.err << o.out;
        return json::parse(read_file(out / "sweep.json"));
    }
};

// P ranks through mpirun compute what P spawned workers compute: the same merged result,
// verified, for every kernel and P (3 ranks on 2 cores: oversubscribed, as allowed).
TEST_F(Mpi, ResultsMatchTheSpawnLaunchers) {
    const fs::path text = write_file(dir / "words.txt", generated_text(60000, 11));
    const std::string runs = R"(
        {"kernel": "square", "params": {"n": 100001}},
        {"kernel": "pi", "params": {"samples": 200000}, "grid": {"threads": [1, 2]}},
        {"kernel": "wordcount", "params": {"file": ")" +
                             text.string() + R"(", "chunk_bytes": 4096}})";
    auto cfg = config("both.json", R"({"repetitions": 1, "warmup": 0,
        "grid": {"processes": [1, 2, 3]}, "runs": [)" +
                                       runs + R"(]})");
    json spawn = run(cfg, 0);
    auto mpi_cfg = config("mpi.json", R"({"launcher": "mpi", "repetitions": 1, "warmup": 0,
        "grid": {"processes": [1, 2, 3]}, "runs": [)" +
                                          runs + R"(]})");
    json mpi = run(mpi_cfg, 0);

    // The run records which MPI and which launcher.
    const json& info = mpi["context"]["mpi"];
    EXPECT_NE(info["library"].get<std::string>().find("Open MPI"), std::string::npos) << info;
    EXPECT_NE(info["launcher_version"].get<std::string>().find("Open MPI"), std::string::npos);
    EXPECT_EQ(info["launcher"], "mpirun");
    EXPECT_FALSE(spawn["context"].contains("mpi"));

    ASSERT_EQ(mpi["points"].size(), 12u);
    ASSERT_EQ(spawn["points"].size(), mpi["points"].size());
    std::set<std::string> kernels;
    for (std::size_t i = 0; i < mpi["points"].size(); ++i) {
        const json& m = mpi["points"][i];
        const json& s = spawn["points"][i];
        kernels.insert(m["kernel"].get<std::string>());
        EXPECT_EQ(m["launcher"], "mpi");
        EXPECT_EQ(s["launcher"], "spawn");
        EXPECT_EQ(m["label"], s["label"].get<std::string>() + " (mpi)");
        for (const char* k : {"kernel", "params", "processes", "threads"}) EXPECT_EQ(m[k], s[k]);
        EXPECT_TRUE(m["verified"].get<bool>()) << m["error"];
        EXPECT_TRUE(s["verified"].get<bool>()) << s["error"];
        EXPECT_EQ(m["result"], s["result"]) << m["label"] << " P=" << m["processes"];
        const int P = m["processes"], T = m["threads"];
        const json& rm = m["reps"][0];
        const json& rs = s["reps"][0];
        EXPECT_EQ(rm["omp_threads"], T);
        ASSERT_EQ(rm["workers"].size(), static_cast<std::size_t>(P));
        for (int w = 0; w < P; ++w) {
            const json& rank = rm["workers"][w];
            // Each rank had the share the spawn launcher gives worker w.
            EXPECT_EQ(rank["items"], rs["workers"][w]["items"]);
            EXPECT_TRUE(rank["ok"].get<bool>()) << rank["error"];
            EXPECT_FALSE(rank["host"].get<std::string>().empty());
            EXPECT_GT(rank["user_s"].get<double>() + rank["sys_s"].get<double>(), 0);
            EXPECT_GT(rank["max_rss_kb"].get<long>(), 0);
            // Set up before the release, computed after it, all within the repetition.
            EXPECT_LE(rank["ready_s"].get<double>(), rank["start_s"].get<double>());
            EXPECT_LE(rm["spawn_s"].get<double>(), rank["start_s"].get<double>());
            EXPECT_LE(rank["start_s"].get<double>(), rank["end_s"].get<double>());
            EXPECT_LE(rank["end_s"].get<double>(), rm["wall_s"].get<double>());
        }
        // compute_s is barrier to barrier: at least the busiest rank's share.
        double busiest = 0;
        for (const auto& rank : rm["workers"])
            busiest = std::max(busiest, rank["busy_s"].get<double>());
        EXPECT_GE(rm["compute_s"].get<double>(), busiest);
        EXPECT_LT(rm["spawn_s"].get<double>(), rm["wall_s"].get<double>());
        EXPECT_LE(rm["compute_s"].get<double>(), rm["wall_s"].get<double>());
        EXPECT_GE(rm["gather_s"].get<double>(), 0);
    }
    EXPECT_EQ(kernels, (std::set<std::string>{"square", "pi", "wordcount"}));
    // Both CSVs say which launcher ran the point.
    for (const char* csv : {"points.csv", "reps.csv"}) {
        const std::string text = read_file(dir / "run-mpi" / csv);
        EXPECT_NE(text.find(",point,launcher,"), std::string::npos) << csv;
        EXPECT_EQ(text.find(",spawn,"), std::string::npos) << csv;
        EXPECT_NE(text.find(",mpi,"), std::string::npos) << csv;
    }
}

// A rank that crashes, exits, hangs, fails to set up or fails its check makes its point failed,
// naming the rank; the sweep goes on, and leaves no process behind.
TEST_F(Mpi, FailedRankIsAFailedPointNamingTheRank) {
    // 6 items over 3 ranks: item 3 is rank 1's, item 5 rank 2's. A time limit far beyond
    // start-up: on a loaded machine mpirun and 3 ranks alone can take many seconds, which
    // must not time a fault out before it happens.
    auto cfg = config("faults.json", R"({"launcher": "mpi", "repetitions": 1, "warmup": 0,
        "grid": {"processes": [3]}, "baseline": {"processes": 3}, "timeout_s": 120,
        "params": {"count": 6, "at": 3},
        "runs": [{"kernel": "fault", "params": {"mode": "crash"}},
                 {"kernel": "fault", "params": {"mode": "exit", "exit_code": 7}},
                 {"kernel": "fault", "params": {"mode": "setup", "at": 5}},
                 {"kernel": "fault", "params": {"mode": "check"}},
                 {"kernel": "fault", "params": {"mode": "ok"}}]})");
    const std::string tag = "mpi-faults-" + std::to_string(getpid());
    json sweep = run(cfg, 1, tag);
    EXPECT_EQ(processes_tagged(tag), 0);
    ASSERT_EQ(sweep["points"].size(), 5u);
    const std::vector<std::string> expected = {
        "rank 1 (on ",  // … killed by SIGSEGV
        "rank 1 exited with status 7",
        "rank 2: set-up failed: fault: set-up failed for item 5",
        "rank 1: fault: check failed at item 3",
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const json& p = sweep["points"][i];
        EXPECT_FALSE(p["verified"].get<bool>());
        EXPECT_EQ(p["status"], "failed");
        EXPECT_TRUE(p["stats"]["wall_s"]["count"] == 0) << "a failed point has no time";
        const std::string error = p["error"];
        EXPECT_NE(error.find(expected[i]), std::string::npos) << error;
    }
    EXPECT_NE(sweep["points"][0]["error"].get<std::string>().find("killed by SIGSEGV"),
              std::string::npos);
    EXPECT_TRUE(sweep["points"][4]["verified"].get<bool>()) << sweep["points"][4]["error"];
    EXPECT_EQ(sweep["points_failed"], 4);

    // A hanging rank is ended by the time limit, which counts from mpirun's start: the one
    // that had not finished its share is named, once the ranks were all set up within it.
    json hung;
    const double limit = with_growing_time_limit(kHangLimits_s, [&](double limit_s) {
        auto hang = config(fmt::format("hang-{:g}.json", limit_s),
                           fmt::format(R"({{"launcher": "mpi", "repetitions": 1, "warmup": 0,
            "grid": {{"processes": [3]}}, "baseline": {{"processes": 3}}, "timeout_s": {:g},
            "runs": [{{"kernel": "fault", "params": {{"mode": "hang", "count": 6, "at": 3}}}}]}})",
                                       limit_s));
        hung = run(hang, 1, tag);
        // Inconclusive when the limit caught start-up ("the ranks were not all set up") or
        // another rank still in its share.
        const std::string error = hung["points"][0]["error"];
        return error.find("rank 1 had not finished its share") != std::string::npos ||
               error.find("(timeout_s); ") == std::string::npos;
    });
    EXPECT_EQ(processes_tagged(tag), 0);
    const json& p = hung["points"][0];
    EXPECT_EQ(p["status"], "failed");
    EXPECT_TRUE(p["stats"]["wall_s"]["count"] == 0) << "a failed point has no time";
    EXPECT_NE(p["error"].get<std::string>().find(fmt::format(
                  "timed out after {:g} s (timeout_s); rank 1 had not finished its share", limit)),
              std::string::npos)
        << p["error"];
}

// SIGTERM (Slurm's at the time limit) and SIGKILL of parsweep in the middle of an mpi point
// leave neither mpirun nor a rank behind.
TEST_F(Mpi, InterruptedOrKilledSweepLeavesNoRankBehind) {
    auto cfg = config("hang.json", R"({"launcher": "mpi", "repetitions": 1, "warmup": 0,
        "grid": {"processes": [2]}, "baseline": {"processes": 2}, "timeout_s": 120,
        "runs": [{"kernel": "fault", "params": {"mode": "hang", "count": 4, "at": 3}}]})");
    for (int sig : {SIGTERM, SIGKILL}) {
        const std::string tag = fmt::format("mpi-signal{}-{}", sig, getpid());
        const fs::path out = dir / fmt::format("run{}", sig);
        const pid_t pid =
            start_parsweep({"run", cfg.string(), "--out", out.string()}, dir / "log.txt", tag);
        // parsweep, mpirun and both ranks, the hanging one in its share: seen in 5 polls in a
        // row, because short-lived children (parsweep's `mpirun --version` probe, processes
        // mpirun forks on its way to the ranks) can make the count reach 4 for a moment.
        // A bound, not a cost: start-up on a loaded machine may take far longer than usual.
        int stable = 0;
        for (int i = 0; i < 2400 && stable < 5; ++i) {
            stable = processes_tagged(tag) >= 4 ? stable + 1 : 0;
            usleep(50000);
        }
        ASSERT_EQ(stable, 5) << read_file(dir / "log.txt");
        usleep(1000000);  // past MPI_Init and set-up: rank 1 hangs in its share
        kill(pid, sig);
        EXPECT_EQ(wait_for(pid), 128 + sig);
        // The ranks die with mpirun, which dies with parsweep (PR_SET_PDEATHSIG): not instantly.
        for (int i = 0; i < 1200 && processes_tagged(tag) > 0; ++i) usleep(50000);
        EXPECT_EQ(processes_tagged(tag), 0) << "mpirun or ranks left behind after signal " << sig;
        if (sig == SIGTERM) {
            EXPECT_EQ(json::parse(read_file(out / "sweep.json"))["status"], "incomplete");
            EXPECT_NE(read_file(dir / "log.txt").find("interrupted (SIGTERM)"), std::string::npos);
        }
    }
}

// Job-array parts of an mpi sweep merge into one run, its points still mpi points.
TEST_F(Mpi, PartsOfAnMpiSweepMerge) {
    auto cfg = config("parts.json", R"({"launcher": "mpi", "repetitions": 1, "warmup": 0,
        "grid": {"processes": [1, 2]},
        "runs": [{"kernel": "pi", "params": {"samples": 10000}},
                 {"kernel": "pi", "params": {"samples": 10000}, "launcher": "spawn"}]})");
    std::string parts;
    for (int k : {1, 2}) {
        const fs::path out = dir / fmt::format("part{}", k);
        Output o = run_parsweep(
            fmt::format("run -q '{}' --part {}/2 --out '{}'", cfg.string(), k, out.string()));
        ASSERT_EQ(o.status, 0) << o.err << o.out;
        parts += " '" + out.string() + "'";
    }
    const fs::path merged = dir / "merged";
    Output o = run_parsweep(fmt::format("merge -q{} --out '{}'", parts, merged.string()));
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    json sweep = json::parse(read_file(merged / "sweep.json"));
    ASSERT_EQ(sweep["points"].size(), 4u);
    std::multiset<std::string> launchers;
    for (const auto& p : sweep["points"]) {
        EXPECT_TRUE(p["verified"].get<bool>()) << p["error"];
        launchers.insert(p["launcher"].get<std::string>());
    }
    EXPECT_EQ(launchers, (std::multiset<std::string>{"mpi", "mpi", "spawn", "spawn"}));
}

// The command kernel runs its program in every rank, with the rank's share in its environment,
// and its check sees every rank's output.
TEST_F(Mpi, CommandRunsInEveryRank) {
    auto cfg = config("command.json", R"({"launcher": "mpi", "repetitions": 1, "warmup": 0,
        "grid": {"processes": [1, 2]}, "runs": [{"kernel": "command", "params": {
        "cmd": "echo rank $PARSWEEP_RANK of {processes}: $PARSWEEP_BEGIN $PARSWEEP_END",
        "items": 5, "expect": "^rank [01] of [12]: [0-9] [0-9]$",
        "check": "cat $PARSWEEP_OUTPUTS | tr '\\n' ' ' | grep -Eq '^rank 0 of 2: 0 3 rank 1 of 2: 3 5 $|^rank 0 of 1: 0 5 $'"}}]})");
    const json sweep = run(cfg, 0);
    ASSERT_EQ(sweep["points"].size(), 2u);
    for (const auto& p : sweep["points"]) {
        EXPECT_EQ(p["status"], "ok") << p["error"];
        EXPECT_EQ(p["result"]["programs"], p["processes"]);
    }
}

TEST_F(Mpi, BogusLauncherIsAConfigErrorAndNothingRuns) {
    auto cfg = config("bogus.json", R"({"launcher": "bogus", "runs": [{"kernel": "pi"}]})");
    const fs::path out = dir / "never";
    Output o = run_parsweep("run '" + cfg.string() + "' --out '" + out.string() + "'");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("bogus.json: launcher: must be one of spawn, mpi (got \"bogus\")"),
              std::string::npos)
        << o.err;
    EXPECT_FALSE(fs::exists(out));
}

// Without parsweep-mpi-worker beside the binary (a build without MPI), or without mpirun (srun
// in a Slurm allocation), an mpi config is refused with the reason; spawn configs still run.
TEST_F(Mpi, WhereMpiCannotRunTheConfigIsRefusedAndSpawnStillWorks) {
    auto mpi_cfg = config("mpi.json", R"({"runs": [{"kernel": "pi", "launcher": "mpi"}]})");
    auto spawn_cfg = config("spawn.json", R"({"repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "pi", "params": {"samples": 1000}}]})");
    // A copy of parsweep with nothing beside it.
    const fs::path alone = dir / "bin" / "parsweep";
    fs::create_directories(alone.parent_path());
    fs::copy_file(PARSWEEP_BINARY, alone);
    // Runs `binary args` through the shell with `env` before it: its status and stderr.
    auto shell = [&](const std::string& env, const fs::path& binary, const std::string& args) {
        Output o;
        const fs::path err = dir / "stderr";
        const std::string cmd = fmt::format("cd '{}' && {} '{}' {} 2>'{}'", dir.path().string(),
                                            env, binary.string(), args, err.string());
        FILE* p = popen(cmd.c_str(), "r");
        char buf[4096];
        std::size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
        const int st = pclose(p);
        o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        o.err = read_file(err);
        return o;
    };
    const std::string validate_mpi = fmt::format("validate '{}'", mpi_cfg.string());
    Output o = shell("", alone, validate_mpi);
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(
        o.err.find(fmt::format("runs[0].launcher: \"mpi\" cannot run here: this parsweep "
                               "was built without MPI (no parsweep-mpi-worker beside {} or in "
                               "its prefix's libexec)",
                               alone.string())),
        std::string::npos)
        << o.err;
    o = shell("", alone, fmt::format("run -q '{}' --out spawn-run", spawn_cfg.string()));
    EXPECT_EQ(o.status, 0) << o.err;

    o = shell("PATH=/nonexistent", PARSWEEP_BINARY, validate_mpi);
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("cannot run here: mpirun not found on PATH"), std::string::npos) << o.err;
    o = shell("SLURM_JOB_ID=1 PATH=/nonexistent", PARSWEEP_BINARY, validate_mpi);
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("cannot run here: srun not found on PATH"), std::string::npos) << o.err;
}

TEST(MpiCommand, MpirunFlagsForRootOversubscriptionAndThreads) {
    MpiLaunch how{"/usr/bin/mpirun", false, true, false, "", ""};
    const auto cmd =
        mpi_command(how, {3, 2, 0}, 1, {"OMP_NUM_THREADS", "OMP_PROC_BIND"}, "/b/worker", "{}");
    const std::vector<std::string> expected = {"/usr/bin/mpirun",
                                               "-np",
                                               "3",
                                               "--oversubscribe",
                                               "--bind-to",
                                               "none",
                                               "--allow-run-as-root",
                                               "--mca",
                                               "btl",
                                               "self,vader",
                                               "-x",
                                               "OMP_NUM_THREADS",
                                               "-x",
                                               "OMP_PROC_BIND",
                                               "/b/worker",
                                               "{}"};
    EXPECT_EQ(cmd, expected);
    // Not root, and transports chosen by the user (OMPI_MCA_btl): neither flag.
    how.as_root = false;
    how.user_btl = true;
    const auto plain = mpi_command(how, {2, 1, 0}, 1, {}, "/b/worker", "{}");
    EXPECT_EQ(std::count(plain.begin(), plain.end(), "--allow-run-as-root"), 0);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), "--mca"), 0);
}

TEST(MpiCommand, SrunInsideASlurmAllocation) {
    MpiLaunch how{"/usr/bin/srun", true, true, false, "pmix", "srun --mpi=list"};
    // 4 ranks of 2 threads in an allocation of 3 nodes: spread over the 3, at most 2 on each.
    const auto cmd = mpi_command(how, {4, 2, 0}, 3, {"OMP_NUM_THREADS"}, "/b/worker", "{}");
    const std::vector<std::string> expected = {"/usr/bin/srun",
                                               "--mpi=pmix",
                                               "--nodes=3",
                                               "--ntasks=4",
                                               "--ntasks-per-node=2",
                                               "--cpus-per-task=2",
                                               "--export=ALL",
                                               "--overcommit",
                                               "--overlap",
                                               "--cpu-bind=none",
                                               "--kill-on-bad-exit=1",
                                               "/b/worker",
                                               "{}"};
    EXPECT_EQ(cmd, expected);
    // The nodes axis says how many; never more nodes than ranks.
    EXPECT_EQ(placement_nodes({4, 1, 2}, 3), 2);
    EXPECT_EQ(placement_nodes({1, 1, 0}, 3), 1);
    EXPECT_EQ(placement_nodes({2, 1, 0}, 1), 1);
    const auto two = mpi_command(how, {3, 1, 2}, 3, {}, "/b/worker", "{}");
    EXPECT_EQ(std::count(two.begin(), two.end(), "--nodes=2"), 1);
    EXPECT_EQ(std::count(two.begin(), two.end(), "--ntasks-per-node=2"), 1);
}

TEST(MpiCommand, PrefersPmixAmongSrunsPlugins) {
    // Slurm 22.05's `srun --mpi=list`, and an older one's.
    const auto listed = parse_mpi_plugin_list(
        "MPI plugin types are...\n\tnone\n\tcray_shasta\n\tpmi2\n\tpmix\n"
        "specific pmix plugin versions available: pmix_v4\n");
    EXPECT_EQ(listed, (std::vector<std::string>{"none", "cray_shasta", "pmi2", "pmix", "pmix_v4"}));
    EXPECT_EQ(preferred_mpi_plugin(listed), "pmix");
    EXPECT_EQ(
        preferred_mpi_plugin(parse_mpi_plugin_list(
            "srun: MPI types are...\nsrun: none\nsrun: pmix_v2\nsrun: pmix_v3\nsrun: pmi2\n")),
        "pmix_v3");
    EXPECT_EQ(preferred_mpi_plugin({"none", "pmi2"}), "pmi2");
    EXPECT_EQ(preferred_mpi_plugin({}), "none");
}

// Open MPI 4.1's and srun's own words, as a failed start-up prints them.
TEST(LaunchMessage, KeepsWhatTheLibrarySaidAboutAFailedStart) {
    const std::string no_pmi =
        "[vm:12887] OPAL ERROR: Unreachable in file ext3x_client.c at line 112\n"
        "--------------------------------------------------------------------------\n"
        "The application appears to have been direct launched using \"srun\",\n"
        "but OMPI was not built with SLURM's PMI support and therefore cannot\n"
        "execute. There are several options for building PMI support under\n"
        "SLURM, depending upon the SLURM version you are using:\n\n"
        "  version 16.05 or later: you can use SLURM's PMIx support.\n"
        "--------------------------------------------------------------------------\n"
        "srun: error: n2: task 1: Exited with exit code 1\n";
    EXPECT_EQ(launch_message(no_pmi),
              "Open MPI: The application appears to have been direct launched using \"srun\", "
              "but OMPI was not built with SLURM's PMI support and therefore cannot execute.");
    EXPECT_EQ(launch_message("srun: error: Couldn't find the specified plugin name for mpi/bogus\n"
                             "srun: error: Invalid MPI type 'bogus', --mpi=list for acceptable "
                             "types\n"),
              "srun: Invalid MPI type 'bogus', --mpi=list for acceptable types");
    EXPECT_EQ(launch_message("srun: error: n1: task 0: Exited with exit code 1\n"), "");
    EXPECT_EQ(launch_message(""), "");
}

// The messages are Open MPI 4.1's and Slurm's own.
TEST(RankFailure, NamesTheRankFromTheLaunchersMessage) {
    EXPECT_EQ(rank_failure("-----\nmpirun noticed that process rank 1 with PID 0 on node vm exited "
                           "on signal 11 (Segmentation fault).\n-----\n"),
              "rank 1 (on vm) killed by SIGSEGV");
    EXPECT_EQ(rank_failure("mpirun detected that one or more processes exited with non-zero "
                           "status, thus causing\nthe job to be terminated. The first process to "
                           "do so was:\n\n  Process name: [[3344,1],2]\n  Exit code:    3\n"),
              "rank 2 exited with status 3");
    EXPECT_EQ(rank_failure("MPI_ABORT was invoked on rank 0 in communicator MPI_COMM_WORLD\n"),
              "rank 0 called MPI_Abort");
    EXPECT_EQ(rank_failure("srun: error: node7: task 1: Segmentation fault (core dumped)\n"),
              "rank 1 (on node7): Segmentation fault (core dumped)");
    EXPECT_EQ(rank_failure("srun: error: node2: tasks 0-2: Killed\n"),
              "ranks 0-2 (on node2): Killed");
    EXPECT_EQ(rank_failure("ORTE was unable to reliably start one or more daemons.\n"), "");
}

}  // namespace
}  // namespace parsweep::test
