// The run directory end to end: --out checked before anything runs, one writer at a time
// (`run`, `run --resume`, `merge --out`), and file-system errors — a full disk, a read-only
// file system, a planted symbolic link — ending in a clear answer, never an abort, with what
// was measured kept. Real processes, real locks, real tmpfs mounts (as root; skipped with the
// reason otherwise).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

// Twenty quick points: enough files and lines to fill a small file system part-way.
constexpr const char* kManyPoints = R"({"repetitions": 1, "warmup": 0,
    "grid": {"processes": [1, 2]},
    "runs": [{"kernel": "square", "grid": {"n": [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007,
                                                 1008, 1009]}}]})";
constexpr std::size_t kManyPointsCount = 20;

// Points long enough (a second or more each) that another process can act while they run.
constexpr const char* kSlowPoints = R"({"repetitions": 3, "warmup": 0,
    "grid": {"processes": [1, 2]},
    "runs": [{"kernel": "square", "grid": {"n": [100000000, 100000001, 100000002]}}]})";

std::string quoted(const fs::path& p) {
    return "'" + p.string() + "'";
}

// Whether anything in `dir` is a temporary file of an atomic write (*.tmp.PID).
bool temp_files_in(const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) return true;
    return false;
}

// Every line of a checkpoint journal is a whole JSON object: how many there are.
std::size_t whole_lines(const fs::path& journal) {
    std::ifstream in(journal);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        EXPECT_NO_THROW((void)json::parse(line)) << "torn line in " << journal << ": " << line;
        ++n;
    }
    return n;
}

// A tmpfs mounted at `dir` for the test's life (root only: has() says whether it is).
class Tmpfs {
  public:
    Tmpfs(const fs::path& dir, const std::string& options) : dir_(dir) {
        fs::create_directories(dir);
        mounted_ = geteuid() == 0 && mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
    }
    ~Tmpfs() {
        if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    }
    bool has() const { return mounted_; }
    // Gives it `options` (e.g. a larger size) in place: what is in it stays.
    bool remount(const std::string& options) {
        return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
    }

  private:
    fs::path dir_;
    bool mounted_ = false;
};

class RunDir : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path config(const std::string& name, const std::string& body) {
        return write_file(dir / name, body);
    }
    Output run(const std::string& args) {
        return run_parsweep("run -q --no-calibrate " + args, dir.path());
    }
};

#define SKIP_UNLESS_MOUNTED(fs_) \
    if (!(fs_).has())            \
    GTEST_SKIP() << "needs root to mount a tmpfs (this test runs as uid " << geteuid() << ")"

TEST_F(RunDir, OutThatIsAFileIsRefusedBeforeAnythingRuns) {
    const auto cfg = config("c.json", kManyPoints);
    const auto file = write_file(dir / "results.txt", "mine\n");
    const Output o = run(quoted(cfg) + " --out " + quoted(file));
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find("--out " + file.string() + ": exists and is not a directory"),
              std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find("nothing was run"), std::string::npos) << o.err;
    EXPECT_EQ(read_file(file), "mine\n");
    EXPECT_FALSE(temp_files_in(dir.path()));
}

// A directory that holds other files is not a run's to take: its files stay as they were, and
// a planted checkpoint.jsonl link is never appended through.
TEST_F(RunDir, NonEmptyDirectoryThatHoldsNoRunIsNotTakenOver) {
    const auto cfg = config("c.json", kManyPoints);
    const fs::path out = dir / "mine";
    write_file(out / "points.csv", "my own table\n");
    const auto target = write_file(dir / "elsewhere.txt", "untouched\n");
    fs::create_symlink(target, out / "checkpoint.jsonl");
    const Output o = run(quoted(cfg) + " --out " + quoted(out));
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find("is not empty and holds no run (checkpoint.jsonl, points.csv)"),
              std::string::npos)
        << o.err;
    EXPECT_EQ(read_file(out / "points.csv"), "my own table\n");
    EXPECT_EQ(read_file(target), "untouched\n");
    EXPECT_FALSE(fs::exists(out / "sweep.json"));
}

TEST_F(RunDir, OutOnAReadOnlyFileSystemIsRefusedBeforeAnythingRuns) {
    Tmpfs ro(dir / "ro", "size=1m,mode=0755");
    SKIP_UNLESS_MOUNTED(ro);
    ASSERT_TRUE(ro.remount("ro"));
    const auto cfg = config("c.json", kManyPoints);
    for (const fs::path out : {dir / "ro", dir / "ro" / "new"}) {
        SCOPED_TRACE(out);
        const Output o = run(quoted(cfg) + " --out " + quoted(out));
        EXPECT_EQ(o.status, 2) << o.err;
        EXPECT_NE(o.err.find("--out " + out.string() + ": "), std::string::npos) << o.err;
        EXPECT_NE(o.err.find("Read-only file system"), std::string::npos) << o.err;
        EXPECT_NE(o.err.find("nothing was run"), std::string::npos) << o.err;
    }
}

// A disk that fills part-way: the run stops with the file and the OS error, exit 1, no
// temporary file, whole journal lines only; once there is room, --resume completes it.
TEST_F(RunDir, FullDiskStopsTheRunCleanlyAndResumeCompletesIt) {
    Tmpfs small(dir / "small", "size=64k");
    SKIP_UNLESS_MOUNTED(small);
    const auto cfg = config("c.json", kManyPoints);
    const fs::path out = dir / "small" / "run";
    Output o = run(quoted(cfg) + " --out " + quoted(out));
    EXPECT_EQ(o.status, 1) << o.err;
    EXPECT_NE(o.err.find("cannot write " + out.string() + "/"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("No space left on device"), std::string::npos) << o.err;
    EXPECT_EQ(o.err.find("terminate called"), std::string::npos) << o.err;
    EXPECT_FALSE(temp_files_in(out));
    const std::size_t journaled = whole_lines(out / "checkpoint.jsonl");
    EXPECT_GE(journaled, 1u);
    EXPECT_LT(journaled, kManyPointsCount);
    EXPECT_NO_THROW((void)json::parse(read_file(out / "sweep.json")));  // the last whole one

    ASSERT_TRUE(small.remount("size=64m"));
    o = run_parsweep("run -q --resume " + quoted(out), dir.path());
    EXPECT_EQ(o.status, 0) << o.err;
    const json sweep = json::parse(read_file(out / "sweep.json"));
    EXPECT_EQ(sweep["status"], "complete");
    EXPECT_EQ(sweep["points"].size(), kManyPointsCount);
    EXPECT_EQ(sweep["points_failed"], 0);
    EXPECT_EQ(whole_lines(out / "checkpoint.jsonl"), kManyPointsCount);
}

// Full before the first file: nothing was run (exit 2), and nothing is left of the run.
TEST_F(RunDir, FullDiskBeforeTheFirstWriteLeavesNothing) {
    Tmpfs full(dir / "full", "size=64k");
    SKIP_UNLESS_MOUNTED(full);
    {
        std::ofstream fill(dir / "full" / "fill", std::ios::binary);
        const std::string block(4096, 'x');
        while (fill.write(block.data(), block.size())) {
        }
    }
    const auto cfg = config("c.json", kManyPoints);
    const fs::path out = dir / "full" / "run";
    const Output o = run(quoted(cfg) + " --out " + quoted(out));
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find("No space left on device"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("nothing was run"), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(out)) << "the run directory it made is taken back";
}

// The journal is never written through a symbolic link: a resumed run whose checkpoint.jsonl
// was replaced by one stops, naming it, and the file it points at is untouched.
TEST_F(RunDir, JournalIsNotWrittenThroughASymbolicLink) {
    const auto cfg = config("c.json", kManyPoints);
    const fs::path out = dir / "run";
    ASSERT_EQ(run(quoted(cfg) + " --out " + quoted(out)).status, 0);
    // Keep the first half of the journal elsewhere, and link to it.
    std::ifstream in(out / "checkpoint.jsonl");
    std::string line, half;
    for (std::size_t i = 0; i < kManyPointsCount / 2 && std::getline(in, line); ++i)
        half += line + "\n";
    const auto target = write_file(dir / "elsewhere.jsonl", half);
    fs::remove(out / "checkpoint.jsonl");
    fs::create_symlink(target, out / "checkpoint.jsonl");
    const Output o = run_parsweep("run -q --resume " + quoted(out), dir.path());
    EXPECT_EQ(o.status, 1) << o.err;
    EXPECT_NE(
        o.err.find("cannot write " + (out / "checkpoint.jsonl").string() + ": is a symbolic link"),
        std::string::npos)
        << o.err;
    EXPECT_EQ(read_file(target), half);
}

// Two runs started at once into one --out: one runs, the other is refused (exit 2), and the
// journal holds each point once.
TEST_F(RunDir, TwoRunsIntoOneOutDirectoryOneIsRefused) {
    const auto cfg = config("c.json", kManyPoints);
    const fs::path out = dir / "shared";
    const std::string tag = "two-runs-" + std::to_string(getpid());
    const std::vector<std::string> args = {"run",        "-q",    "--no-calibrate",
                                           cfg.string(), "--out", out.string()};
    const pid_t a = start_parsweep(args, dir / "a.log", tag);
    const pid_t b = start_parsweep(args, dir / "b.log", tag);
    const int status_a = wait_for(a), status_b = wait_for(b);
    EXPECT_EQ(std::min(status_a, status_b), 0)
        << read_file(dir / "a.log") << read_file(dir / "b.log");
    EXPECT_EQ(std::max(status_a, status_b), 2)
        << read_file(dir / "a.log") << read_file(dir / "b.log");
    const std::string refused = read_file(dir / (status_a == 2 ? "a.log" : "b.log"));
    EXPECT_TRUE(refused.find("in use by another parsweep") != std::string::npos ||
                refused.find("already holds a run") != std::string::npos)
        << refused;
    EXPECT_EQ(whole_lines(out / "checkpoint.jsonl"), kManyPointsCount);
}

// --resume of a run that is still going is refused with the running one's pid; once that one
// is gone — even killed, its lock released with it — --resume goes on.
TEST_F(RunDir, ResumeOfARunStillGoingIsRefusedUntilItEnds) {
    const auto cfg = config("slow.json", kSlowPoints);
    const fs::path out = dir / "slow";
    const std::string tag = "resume-busy-" + std::to_string(getpid());
    const pid_t running = start_parsweep(
        {"run", "-q", "--no-calibrate", cfg.string(), "--out", out.string()}, dir / "a.log", tag);
    ASSERT_TRUE(wait_for_lines(out / "checkpoint.jsonl", 1)) << read_file(dir / "a.log");
    const Output o = run_parsweep("run -q --resume " + quoted(out), dir.path());
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find(fmt::format("cannot resume {}: in use by another parsweep (pid {})",
                                     out.string(), running)),
              std::string::npos)
        << o.err;
    kill(running, SIGKILL);
    EXPECT_EQ(wait_for(running), 128 + SIGKILL);
    const Output resumed = run_parsweep("run -q --resume " + quoted(out), dir.path());
    EXPECT_EQ(resumed.status, 0) << resumed.err;
    EXPECT_EQ(json::parse(read_file(out / "sweep.json"))["status"], "complete");
}

// merge --out on a directory another process holds (here util-linux flock, a real second
// process) is refused with that process's pid, even with --force.
TEST_F(RunDir, MergeIntoADirectoryInUseIsRefused) {
    const auto cfg = config("c.json", kManyPoints);
    const fs::path run_dir = dir / "run";
    ASSERT_EQ(run(quoted(cfg) + " --out " + quoted(run_dir)).status, 0);
    const fs::path busy = dir / "busy";
    fs::create_directories(busy);
    ASSERT_EQ(std::system("command -v flock >/dev/null"), 0) << "flock (util-linux) needed";
    const pid_t holder = fork();
    ASSERT_GE(holder, 0);
    if (holder == 0) {
        execlp("flock", "flock", "--no-fork", (busy / ".parsweep.lock").c_str(), "sleep", "600",
               static_cast<char*>(nullptr));
        _exit(127);
    }
    // Taken once /proc/locks lists it: `flock` has locked before it runs its command.
    bool held = false;
    for (int i = 0; i < 6000 && !held; ++i) {
        held = read_file("/proc/locks").find(fmt::format(" {} ", holder)) != std::string::npos;
        if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(held);
    const Output o = run_parsweep(
        "merge " + quoted(run_dir) + " --out " + quoted(busy) + " --force", dir.path());
    kill(holder, SIGKILL);
    wait_for(holder);
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_NE(o.err.find(fmt::format("in use by another parsweep (pid {})", holder)),
              std::string::npos)
        << o.err;
    EXPECT_FALSE(fs::exists(busy / "sweep.json"));
}

}  // namespace
}  // namespace parsweep::test
