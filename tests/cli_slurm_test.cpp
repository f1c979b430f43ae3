// `parsweep slurm` without a cluster: the scripts it writes, and bad input (exit 2, every
// problem named, nothing written). tests/hpc/test_slurm.py runs the scripts on a real Slurm.
#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cluster/slurm.hpp"
#include "machine/sysinfo.hpp"
#include "test_support.hpp"

namespace parsweep::test {
namespace {

const char* kTiny = R"({"name": "tiny", "repetitions": 1, "warmup": 0,
  "grid": {"processes": [1, 2], "threads": [1, 2]},
  "runs": [{"kernel": "square", "params": {"n": 1000}},
           {"kernel": "pi", "params": {"samples": 1000}}]})";

// The number of `needle`s in `text`.
std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The copy of the config sits in the job's directory: a relative file in it (taken from the
// config's own directory) is made absolute, so that the tasks read the same file.
TEST(CliSlurm, TheConfigsCopyKeepsItsRelativeFiles) {
    TempDir dir;
    write_file(dir / "project/data/words.txt", "the dog and the cat\n");
    write_file(dir / "project/configs/wc.json", R"({"name": "wc", "repetitions": 1,
        "runs": [{"kernel": "wordcount", "params": {"file": "../data/words.txt"}}]})");
    const auto out = run_parsweep("slurm project/configs/wc.json --parts 1 --out arr", dir.path());
    ASSERT_EQ(out.status, 0) << out.err;
    const auto copy = nlohmann::json::parse(read_file(dir / "arr/config.json"));
    EXPECT_EQ(copy["runs"][0]["params"]["file"], (dir / "project/data/words.txt").string());
    // The copy validates from anywhere.
    const auto v = run_parsweep("validate " + (dir / "arr/config.json").string(), "/");
    EXPECT_EQ(v.status, 0) << v.err;
}

TEST(CliSlurm, WritesAJobArrayItsMergeJobAndTheConfig) {
    TempDir dir;
    write_file(dir / "tiny.json", kTiny);
    const auto out = run_parsweep(
        "slurm tiny.json --parts 3 --cpus-per-task 2 --time 0:30:00 --partition debug "
        "--account proj-1 --out arr",
        dir.path());
    ASSERT_EQ(out.status, 0) << out.err;
    const fs::path arr = fs::canonical(dir / "arr");
    EXPECT_NE(out.out.find("a job array of 3 tasks over the 8 points"), std::string::npos)
        << out.out;
    EXPECT_NE(out.out.find("sbatch " + (arr / "array.sbatch").string()), std::string::npos);
    EXPECT_TRUE(fs::is_directory(arr / "logs"));  // Slurm does not create --output's directory
    EXPECT_EQ(read_file(arr / "config.json"), kTiny);

    const std::string array = read_file(arr / "array.sbatch");
    const std::vector<std::string> lines = {
        "#SBATCH --array=1-3\n",
        "#SBATCH --cpus-per-task=2\n",
        "#SBATCH --time=0:30:00\n",
        "#SBATCH --partition=debug\n",
        "#SBATCH --account=proj-1\n",
        "#SBATCH --chdir=" + fs::canonical(dir.path()).string() + "\n",
        "#SBATCH --output=" + (arr / "logs/part-%a.out").string() + "\n",
        "export SRUN_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK\n",
        "run " + (arr / "config.json").string() + " --part \"$SLURM_ARRAY_TASK_ID/3\"",
        "run --resume \"$part\""};
    for (const auto& line : lines) EXPECT_EQ(count(array, line), 1u) << line << " in\n" << array;
    const std::string merge = read_file(arr / "merge.sbatch");
    EXPECT_NE(merge.find(" merge " + (arr / "part-1").string() + " " + (arr / "part-2").string() +
                         " " + (arr / "part-3").string() + " --out " + (arr / "merged").string() +
                         " --replace\n"),
              std::string::npos)
        << merge;
    // --replace: submitted again after a part was finished, the merge job replaces its own
    // earlier merge (parsweep merge refuses any other --out that is not empty).
    EXPECT_NE(out.out.find("--out " + (arr / "merged").string() + " --replace"), std::string::npos)
        << out.out;
    EXPECT_EQ(count(merge, "#SBATCH --partition=debug\n"), 1u);
    // Both are valid bash.
    for (const char* script : {"array.sbatch", "merge.sbatch"})
        EXPECT_EQ(std::system(("bash -n " + (arr / script).string()).c_str()), 0) << script;
}

TEST(CliSlurm, DefaultsToFourPartsAndTheUsableCores) {
    TempDir dir;
    write_file(dir / "tiny.json", kTiny);
    const auto out = run_parsweep("slurm tiny.json --out arr", dir.path());
    ASSERT_EQ(out.status, 0) << out.err;
    const std::string array = read_file(dir / "arr/array.sbatch");
    EXPECT_EQ(count(array, "#SBATCH --array=1-4\n"), 1u) << array;
    EXPECT_EQ(count(array, "#SBATCH --time="), 0u);  // the partition's default
    EXPECT_EQ(count(array, "#SBATCH --partition="), 0u);
    const std::string cores = std::to_string(detect_usable_cores().count);
    EXPECT_EQ(count(array, "#SBATCH --cpus-per-task=" + cores + "\n"), 1u) << array;
}

// MPI ranks spread over a task's nodes: one task per node (never --ntasks=1, which made sbatch
// shrink a 2-node job to 1), --nodes from the config's nodes axis unless given, and not less.
TEST(CliSlurm, NodesForMpiRanksComeFromTheNodesAxis) {
    TempDir dir;
    write_file(dir / "mpi.json", R"({"name": "mpi", "launcher": "mpi",
      "grid": {"processes": [1, 2, 4], "nodes": [1, 2]},
      "runs": [{"kernel": "pi", "params": {"samples": 1000}}]})");
    const auto out = run_parsweep("slurm mpi.json --cpus-per-task 2 --out arr", dir.path());
    ASSERT_EQ(out.status, 0) << out.err;
    const std::string array = read_file(dir / "arr/array.sbatch");
    EXPECT_EQ(count(array, "#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=1\n"), 1u) << array;
    EXPECT_EQ(count(array, "--ntasks=1\n"), 0u) << array;
    EXPECT_EQ(count(array, "srun --nodes=1 --ntasks=1 "), 2u) << array;
    EXPECT_EQ(count(out.out, "more nodes help only the mpi launcher"), 0u) << out.out;
    const auto fewer = run_parsweep("slurm mpi.json --nodes 1 --out arr1", dir.path());
    EXPECT_EQ(fewer.status, 2);
    EXPECT_NE(fewer.err.find("--nodes 1: mpi.json's nodes axis goes up to 2"), std::string::npos)
        << fewer.err;
    EXPECT_FALSE(fs::exists(dir / "arr1"));
}

TEST(CliSlurm, BadInputNamesEveryProblemAndWritesNothing) {
    TempDir dir;
    write_file(dir / "tiny.json", kTiny);
    fs::create_directories(dir / "full");
    write_file(dir / "full/keep", "x");
    const auto out = run_parsweep(
        "slurm tiny.json --parts 9 --time 1:2:3:4 --partition 'a b' --account 'x;y' --out full",
        dir.path());
    EXPECT_EQ(out.status, 2);
    for (const char* problem :
         {"--parts 9: tiny.json has only 8 points", "--time 1:2:3:4: not a Slurm time limit",
          "--partition 'a b': must be a Slurm name", "--account 'x;y': must be a Slurm name",
          "full: exists and is not an empty directory", "5 problems; nothing was written"})
        EXPECT_NE(out.err.find(problem), std::string::npos) << problem << " in\n" << out.err;
    EXPECT_FALSE(fs::exists(dir / "results"));
    EXPECT_EQ(read_file(dir / "full/keep"), "x");

    const auto bad_config = run_parsweep("slurm missing.json --out arr", dir.path());
    EXPECT_EQ(bad_config.status, 2);
    EXPECT_NE(bad_config.err.find("missing.json"), std::string::npos) << bad_config.err;
    EXPECT_FALSE(fs::exists(dir / "arr"));

    const auto zero = run_parsweep("slurm tiny.json --parts 0", dir.path());
    EXPECT_EQ(zero.status, 2);
    EXPECT_NE(zero.err.find("--parts"), std::string::npos) << zero.err;
}

TEST(CliSlurm, SubmitWithoutSbatchSaysSoAndKeepsTheScripts) {
    TempDir dir;
    write_file(dir / "tiny.json", kTiny);
    fs::create_directories(dir / "bin");  // a PATH where no sbatch is
    const std::string path = std::getenv("PATH");
    setenv("PATH", (dir / "bin").c_str(), 1);
    const auto out = run_parsweep("slurm tiny.json --out arr --submit", dir.path());
    setenv("PATH", path.c_str(), 1);
    EXPECT_EQ(out.status, 2);
    EXPECT_NE(out.err.find("cannot run sbatch"), std::string::npos) << out.err;
    EXPECT_NE(out.err.find("arr/array.sbatch"), std::string::npos) << out.err;
    EXPECT_TRUE(fs::exists(dir / "arr/array.sbatch"));
}

TEST(SlurmTime, AcceptsWhatSbatchAccepts) {
    for (const char* t : {"30", "30:00", "1:00:00", "2-0", "2-12", "2-12:30", "2-12:30:00",
                          "UNLIMITED", "infinite"})
        EXPECT_TRUE(is_slurm_time(t)) << t;
    for (const char* t : {"", "1h", "1:2:3:4", "-1", "2-", "1:00:00 ", "a"})
        EXPECT_FALSE(is_slurm_time(t)) << t;
}

TEST(ShellQuote, QuotesOnlyWhatNeedsIt) {
    EXPECT_EQ(shell_quote("/a/b-c_1.json"), "/a/b-c_1.json");
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote(""), "''");
}

}  // namespace
}  // namespace parsweep::test
