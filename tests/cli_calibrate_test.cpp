// `parsweep calibrate` and the calibration `parsweep run` records, with the real binary, real
// worker processes and a cache in a temporary directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <optional>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace parsweep {
namespace {

using json = nlohmann::json;
using namespace parsweep::test;

bool positive(const json& v) {
    return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > 0;
}

// Terminal columns of the first `bytes` bytes of UTF-8 text ("±" and "µ" are two bytes, one
// column).
std::size_t columns(const std::string& text, std::size_t bytes = std::string::npos) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < std::min(bytes, text.size()); ++i)
        n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    return n;
}

class Calibrate : public ::testing::Test {
  protected:
    TempDir dir;
    // The binary with its cache here, never the user's or the suite's.
    Output parsweep(const std::string& args) {
        return run_parsweep(args, dir.path(), "env PARSWEEP_CACHE_DIR='" + cache().string() + "'");
    }
    fs::path cache() const { return dir / "cache"; }
    std::size_t cached_files() const {
        if (!fs::exists(cache())) return 0;
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(cache()), {}));
    }
};

// Every part, each thread count, with positive finite values.
void expect_complete(const json& c, const std::vector<int>& threads) {
    ASSERT_TRUE(c.is_object()) << c.dump();
    EXPECT_EQ(c["threads"].get<std::vector<int>>(), threads);
    const json& s = c["stream"];
    EXPECT_TRUE(positive(s["array_bytes"]));
    EXPECT_TRUE(s["validated"].get<bool>());
    EXPECT_EQ(s["repetitions"].get<int>(), 10);
    ASSERT_EQ(s["points"].size(), threads.size());
    for (std::size_t i = 0; i < threads.size(); ++i) {
        const json& p = s["points"][i];
        EXPECT_EQ(p["threads"].get<int>(), threads[i]);
        for (const char* f : {"copy_gbs", "triad_gbs", "copy_best_s", "triad_best_s"})
            EXPECT_TRUE(positive(p[f])) << f << ": " << p.dump();
    }
    const json& g = c["dgemm"];
    EXPECT_TRUE(g["verified"].get<bool>());
    ASSERT_EQ(g["points"].size(), threads.size());
    for (std::size_t i = 0; i < threads.size(); ++i) {
        const json& p = g["points"][i];
        EXPECT_EQ(p["threads"].get<int>(), threads[i]);
        // The BLAS started with T threads (OpenBLAS caps them at the CPUs it sees).
        const int cpus = static_cast<int>(std::thread::hardware_concurrency());
        EXPECT_EQ(p["blas_threads"].get<int>(), std::min(threads[i], std::max(1, cpus)));
        for (const char* f : {"gflops", "best_s", "median_s"})
            EXPECT_TRUE(positive(p[f])) << f << ": " << p.dump();
    }
    const json& o = c["overheads"];
    ASSERT_EQ(o["points"].size(), 4 * threads.size());
    for (const auto& p : o["points"]) {
        for (const char* f : {"mean_s", "median_s", "max_s", "min_s", "ci95_s", "stddev_s"})
            EXPECT_TRUE(p[f].is_number() && std::isfinite(p[f].get<double>())) << f;
        EXPECT_TRUE(positive(p["reference_s"]));
        EXPECT_GE(p["inner"].get<long>(), 1);
        EXPECT_GE(p["outliers"].get<int>(), 0);
    }
    EXPECT_TRUE(positive(c["elapsed_s"]));
}

TEST_F(Calibrate, JsonHasEveryPartAndIsCachedThenReused) {
    Output o = parsweep("calibrate --quick --cores 1 --json --out calibration.json");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    const json first = json::parse(o.out);
    expect_complete(first, {1});
    EXPECT_FALSE(first["reused"].get<bool>());
    EXPECT_TRUE(first["quick"].get<bool>());
    EXPECT_EQ(first["key"]["usable_cores"].get<int>(), 1);
    EXPECT_EQ(json::parse(read_file(dir / "calibration.json"))["measured_at"],
              first["measured_at"]);
    ASSERT_EQ(cached_files(), 1u);
    EXPECT_TRUE(fs::exists(first["cache_file"].get<std::string>()));

    // The same machine and cores: the cached one, not a new measurement.
    o = parsweep("calibrate --quick --cores 1 --json");
    ASSERT_EQ(o.status, 0) << o.err;
    const json again = json::parse(o.out);
    EXPECT_TRUE(again["reused"].get<bool>());
    EXPECT_EQ(again["measured_at"], first["measured_at"]);
    EXPECT_EQ(again["stream"], first["stream"]);

    // The readable table says where it came from.
    o = parsweep("calibrate --quick --cores 1");
    ASSERT_EQ(o.status, 0) << o.err;
    for (const char* text : {"STREAM", "triad GB/s", "DGEMM", "GFLOP/s", "parallel", "barrier",
                             "reduction", "outliers", "reused"})
        EXPECT_NE(o.out.find(text), std::string::npos) << text << " in\n" << o.out;
}

TEST_F(Calibrate, OtherCoreCountsAndForceMeasureAgain) {
    Output o = parsweep("calibrate --quick --cores 1 --json");
    ASSERT_EQ(o.status, 0) << o.err;
    const json one = json::parse(o.out);
    // Another core count is another key: measured again, cached beside the first.
    o = parsweep("calibrate --quick --cores 2 --json");
    ASSERT_EQ(o.status, 0) << o.err;
    const json two = json::parse(o.out);
    EXPECT_FALSE(two["reused"].get<bool>());
    expect_complete(two, {1, 2});
    EXPECT_NE(two["cache_file"], one["cache_file"]);
    EXPECT_EQ(cached_files(), 2u);
    // --force measures even when one is cached.
    o = parsweep("calibrate --quick --cores 1 --json --force");
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_FALSE(json::parse(o.out)["reused"].get<bool>());
    // A damaged cache file is measured again and replaced, not an error.
    write_file(one["cache_file"].get<std::string>(), "{\"format\": 1, \"key\": ");
    o = parsweep("calibrate --quick --cores 1 --json");
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_FALSE(json::parse(o.out)["reused"].get<bool>());
    EXPECT_NO_THROW(json::parse(read_file(one["cache_file"].get<std::string>())));
}

TEST_F(Calibrate, BadOutIsBadInputBeforeMeasuring) {
    Output o = parsweep("calibrate --quick --cores 1 --out no/such/dir/c.json");
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("no/such/dir/c.json"), std::string::npos) << o.err;
    EXPECT_EQ(cached_files(), 0u);
    EXPECT_EQ(parsweep("calibrate --cores 0").status, 2);
}

// Two runs started together on a machine with nothing cached: one measures, the other waits
// for it and reuses its calibration, instead of both measuring at once (disturbing each
// other's figures, and each holding STREAM arrays of 4 × the last-level cache: together they
// ran a 24 GiB machine out of memory).
TEST_F(Calibrate, TwoRunsAtOnceMeasureOnceAndTheOtherWaits) {
    write_file(dir / "one.json", R"({"name": "one", "repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
    auto run = [&](const std::string& out) {
        return std::async(std::launch::async, [this, out] {
            return parsweep("run -q one.json --cores 1 --out " + out);
        });
    };
    auto a = run("a");
    auto b = run("b");
    const Output oa = a.get(), ob = b.get();
    ASSERT_EQ(oa.status, 0) << oa.err << oa.out;
    ASSERT_EQ(ob.status, 0) << ob.err << ob.out;
    int measured = 0;
    for (const char* out : {"a", "b"}) {
        const json c = json::parse(read_file(dir / out / "sweep.json"))["context"]["calibration"];
        ASSERT_FALSE(c.contains("error")) << c.dump();
        measured += c["reused"].get<bool>() ? 0 : 1;
    }
    EXPECT_EQ(measured, 1) << oa.err << ob.err;
}

// True once some process waits for an flock on `file` (a "->" line of /proc/locks with its
// inode), false when `done` comes first.
bool someone_waits_for(const fs::path& file, const std::future<Output>& done) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return false;
    const std::string inode = ":" + std::to_string(st.st_ino) + " ";
    while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
        std::istringstream locks(read_file("/proc/locks"));
        for (std::string line; std::getline(locks, line);)
            if (line.find("->") != std::string::npos && line.find(inode) != std::string::npos)
                return true;
    }
    return false;
}

// `parsweep calibrate` waits for a calibration measured by another parsweep on this machine,
// even one with another cache: two at once ran a 24 GiB machine out of memory. The test holds
// the lock itself, so the wait is certain, not a race that may or may not show.
TEST_F(Calibrate, CalibrateWaitsForOneMeasuredElsewhereOnThisMachine) {
    const fs::path tmp = dir / "tmp";
    fs::create_directories(tmp);
    const fs::path lock = tmp / ("parsweep-calibrating-" + std::to_string(::getuid()) + ".lock");
    const int fd = ::open(lock.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << lock;
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    auto calibrate = std::async(std::launch::async, [&] {
        return run_parsweep(
            "calibrate --quick --cores 1 --json", dir.path(),
            "env PARSWEEP_CACHE_DIR='" + cache().string() + "' TMPDIR='" + tmp.string() + "'");
    });
    const bool waited = someone_waits_for(lock, calibrate);
    ::close(fd);  // the other calibration is done
    const Output o = calibrate.get();
    EXPECT_TRUE(waited) << o.err;
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_NE(
        o.err.find("waiting for another parsweep's calibration to finish (" + lock.string() + ")"),
        std::string::npos)
        << o.err;
    EXPECT_FALSE(json::parse(o.out)["reused"].get<bool>());
}

TEST_F(Calibrate, RunRecordsTheCalibrationAndRooflineFractions) {
    const fs::path cfg = write_file(dir / "tiny.json", R"({"name": "tiny", "repetitions": 2,
        "warmup": 0, "grid": {"processes": [1, 2], "threads": [1]},
        "runs": [{"kernel": "square", "params": {"mode": "omp", "n": 2000000}},
                 {"kernel": "invert", "params": {"n": 200, "count": 2}}]})");
    Output o = parsweep("run -q tiny.json --cores 2 --out run");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    const json doc = json::parse(read_file(dir / "run" / "sweep.json"));
    const json& c = doc["context"]["calibration"];
    expect_complete(c, {1, 2});
    EXPECT_TRUE(c["quick"].get<bool>());  // what a sweep pays for
    EXPECT_FALSE(c["reused"].get<bool>());
    // A minute without a word looks like a hang: even under -q, a line says why it measures,
    // where it will be cached and how to skip it, and another how long it took. Nothing else.
    const std::string file = c["cache_file"].get<std::string>();
    EXPECT_NE(o.err.find("calibrating this machine"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("none is cached for host"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("it will be cached in " + file), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("--no-calibrate or PARSWEEP_NO_CALIBRATE=1 skips it"), std::string::npos)
        << o.err;
    const std::size_t done = o.err.find("calibrated in ");
    ASSERT_NE(done, std::string::npos) << o.err;
    const std::string took =
        o.err.substr(done + 14, o.err.find(" s; cached in " + file) - done - 14);
    EXPECT_GT(std::stod(took), 0) << o.err;
    EXPECT_EQ(o.err.find("STREAM"), std::string::npos) << "-q: no progress lines\n" << o.err;
    // Its time is in the time accounting, and in the time line.
    EXPECT_GT(doc["time_accounting"]["calibrate_s"].get<double>(), 0.5 * std::stod(took));
    EXPECT_NE(o.out.find(", calibrate "), std::string::npos) << o.out;
    for (const auto& p : doc["points"]) {
        const json& d = p["derived"];
        ASSERT_TRUE(positive(d["roofline_fraction"])) << p["label"] << ": " << d.dump();
        EXPECT_EQ(d["roofline_bound"], p["kernel"] == "square" ? "memory" : "compute");
    }
    const std::string csv = read_file(dir / "run" / "points.csv");
    EXPECT_NE(csv.find("roofline_fraction"), std::string::npos);

    // A second run reuses the cached calibration, and says nothing of it; so does one with
    // PARSWEEP_NO_CALIBRATE=0 (or empty, or any case of no/false). --no-calibrate records none.
    o = parsweep("run tiny.json --cores 2 --out run2");
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(o.err.find("calibrat"), std::string::npos) << o.err;
    EXPECT_TRUE(
        json::parse(read_file(dir / "run2" / "sweep.json"))["context"]["calibration"]["reused"]
            .get<bool>());
    for (const char* no : {"0", "", "No", "FALSE"}) {
        o = run_parsweep(
            "run -q tiny.json --cores 2 --out run-" + std::string(no), dir.path(),
            "env PARSWEEP_CACHE_DIR='" + cache().string() + "' PARSWEEP_NO_CALIBRATE='" + no + "'");
        ASSERT_EQ(o.status, 0) << no << ": " << o.err;
        EXPECT_TRUE(json::parse(read_file(dir / ("run-" + std::string(no)) /
                                          "sweep.json"))["context"]["calibration"]["reused"]
                        .get<bool>())
            << no;
    }
    // A merged run holds each point against the calibration of the run that measured it.
    o = parsweep("merge run run2 --dedupe --out merged -q");
    ASSERT_EQ(o.status, 0) << o.err;
    for (const auto& p : json::parse(read_file(dir / "merged" / "sweep.json"))["points"])
        EXPECT_TRUE(positive(p["derived"]["roofline_fraction"])) << p["label"];

    o = parsweep("run -q tiny.json --cores 2 --out run3 --no-calibrate");
    ASSERT_EQ(o.status, 0) << o.err;
    const json none = json::parse(read_file(dir / "run3" / "sweep.json"));
    EXPECT_TRUE(none["context"]["calibration"].is_null());
    for (const auto& p : none["points"]) EXPECT_TRUE(p["derived"]["roofline_fraction"].is_null());
}

// PARSWEEP_NO_CALIBRATE=1 is --no-calibrate for a batch script: with nothing cached, nothing
// is measured or said; a value that is neither yes nor no is bad input, before anything runs.
// (Not one calibration here: the cache stays empty.)
TEST_F(Calibrate, NoCalibrateFromTheEnvironmentSkipsItAndABadValueIsRefused) {
    write_file(dir / "one.json", R"({"name": "one", "repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
    auto with = [&](const std::string& value, const std::string& args) {
        return run_parsweep(args, dir.path(),
                            "env PARSWEEP_CACHE_DIR='" + cache().string() +
                                "' PARSWEEP_NO_CALIBRATE='" + value + "'");
    };
    for (const char* yes : {"1", "true", "yes", "YES", "True"}) {
        const std::string out = std::string("skip-") + yes;
        Output o = with(yes, "run one.json --cores 1 --out " + out);
        ASSERT_EQ(o.status, 0) << yes << ": " << o.err;
        EXPECT_EQ(o.err.find("calibrat"), std::string::npos) << yes << ": " << o.err;
        const json doc = json::parse(read_file(dir / out / "sweep.json"));
        EXPECT_TRUE(doc["context"]["calibration"].is_null()) << yes;
        EXPECT_TRUE(doc["points"][0]["derived"]["roofline_fraction"].is_null()) << yes;
    }
    // -qq (quieter than -q: not even a calibration's start and end) is an option of run.
    Output qq = with("1", "run -qq one.json --cores 1 --out qq");
    EXPECT_EQ(qq.status, 0) << qq.err;
    EXPECT_EQ(qq.err, "");
    EXPECT_EQ(cached_files(), 0u);
    for (const char* bad : {"2", "y", "off", "please"}) {
        Output o = with(bad, "run one.json --cores 1 --out bad");
        EXPECT_EQ(o.status, 2) << bad;
        EXPECT_NE(o.err.find(std::string("PARSWEEP_NO_CALIBRATE=") + bad +
                             ": must be 1, true "
                             "or yes"),
                  std::string::npos)
            << o.err;
        EXPECT_NE(o.err.find("nothing was run"), std::string::npos) << o.err;
        EXPECT_FALSE(fs::exists(dir / "bad")) << bad;
    }
    EXPECT_EQ(cached_files(), 0u);
    // Documented where a user looks.
    Output help = run_parsweep("run --help", dir.path());
    EXPECT_NE(help.out.find("PARSWEEP_NO_CALIBRATE=1"), std::string::npos) << help.out;
}

// What `log` holds so far ("" before it is made).
std::string log_text(const fs::path& log) {
    return fs::exists(log) ? read_file(log) : "";
}

// Waits up to 15 minutes for `text` to appear in `log`: another calibration on this machine
// (another test's) may hold the calibration lock for minutes first.
bool wait_for_text(const fs::path& log, const std::string& text) {
    for (int i = 0; i < 90000; ++i) {
        if (log_text(log).find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// The pids whose parent is `pid`.
std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        std::ifstream stat(e.path() / "stat");
        std::string line;
        if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) continue;
        std::istringstream rest(line.substr(line.rfind(')') + 1));  // state ppid …
        std::string state;
        pid_t ppid = 0;
        if (rest >> state >> ppid && ppid == pid) found.push_back(std::stoi(e.path().filename()));
    }
    return found;
}

// A child process of the test, killed and reaped when the test leaves it running (a failed
// assertion): none outlives its test, holding a lock or calibrating.
struct Child {
    pid_t pid = -1;
    ~Child() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
};

// How `child` ended, with how long after `since` it did: nullopt when it still runs `limit_s`
// after it.
struct Ended {
    int status = 0;  // waitpid's
    double after_s = 0;
};
std::optional<Ended> wait_at_most(Child& child, std::chrono::steady_clock::time_point since,
                                  double limit_s) {
    using namespace std::chrono;
    int st = 0;
    for (;;) {
        const double after_s = duration<double>(steady_clock::now() - since).count();
        if (::waitpid(child.pid, &st, WNOHANG) == child.pid) {
            child.pid = -1;
            return Ended{st, after_s};
        }
        if (after_s > limit_s) return std::nullopt;
        std::this_thread::sleep_for(milliseconds(10));
    }
}

// A calibration takes a minute or more (75 s on the 2-vCPU VM; 78–104 s for a run before
// calibrations looked at signals, Slurm's KillWait ending it first). Stopping well before
// that is the point, so the deadline is this generous.
constexpr double kStopWithin_s = 30;

// `pid`, sent `sig`, exits with 128 + sig well before a calibration could have ended, and
// nothing it started outlives it; `log` says so. (A signal's default action would kill it
// instead: no message, and no chance to stop its workers.)
void expect_stopped(Child& parsweep, int sig, const std::string& tag, const fs::path& log,
                    const std::string& message) {
    const auto signalled = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(parsweep.pid, sig), 0);
    const auto ended = wait_at_most(parsweep, signalled, 600);
    ASSERT_TRUE(ended) << "still running 600 s after " << strsignal(sig) << "\n" << read_file(log);
    EXPECT_TRUE(WIFEXITED(ended->status) && WEXITSTATUS(ended->status) == 128 + sig)
        << "status " << ended->status << ", after " << ended->after_s << " s\n"
        << read_file(log);
    EXPECT_LT(ended->after_s, kStopWithin_s) << read_file(log);
    EXPECT_EQ(processes_tagged(tag), 0) << "processes left behind";
    EXPECT_NE(read_file(log).find(message), std::string::npos) << read_file(log);
}

// SIGTERM (Slurm's time limit) or SIGINT (Ctrl-C) shortly into a run's calibration ends the
// run at once, not after the calibration: 128 + the signal, and nothing left behind — no
// calibration cached, no run directory, no results/latest (nothing to resume: no point ran).
TEST_F(Calibrate, SignalDuringARunsCalibrationEndsItAtOnceLeavingNothing) {
    const fs::path cfg = write_file(dir / "one.json", R"({"name": "one", "repetitions": 1,
        "warmup": 0, "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
    for (const int sig : {SIGTERM, SIGINT}) {
        const std::string name = sigabbrev_np(sig);
        const fs::path out = dir / ("run-" + name), log = dir / (name + ".log");
        const std::string tag = "calibration-" + name + "-" + std::to_string(::getpid());
        Child parsweep{start_parsweep(
            {"run", cfg.string(), "--out", out.string(), "--results", (dir / "results").string()},
            log, tag, {"PARSWEEP_CACHE_DIR=" + cache().string()})};
        ASSERT_TRUE(wait_for_text(log, "calibrating this machine")) << log_text(log);
        std::this_thread::sleep_for(std::chrono::seconds(1));  // into STREAM's gigabytes
        expect_stopped(
            parsweep, sig, tag, log,
            "interrupted (SIG" + name + ") before the first point: nothing was run or written");
        EXPECT_FALSE(fs::exists(out)) << name;
        EXPECT_FALSE(fs::exists(dir / "results")) << name;
        EXPECT_EQ(cached_files(), 0u) << name;
    }
}

// `parsweep calibrate` stopped while a DGEMM worker runs: the worker is stopped too, nothing
// is cached and --out is not written.
TEST_F(Calibrate, SignalDuringCalibrateStopsItsWorkerAndCachesNothing) {
    const std::string tag = "calibrate-dgemm-" + std::to_string(::getpid());
    const fs::path log = dir / "calibrate.log";
    Child parsweep{
        start_parsweep({"calibrate", "--quick", "--cores", "1", "--out", (dir / "c.json").string()},
                       log, tag, {"PARSWEEP_CACHE_DIR=" + cache().string()})};
    // STREAM first (a minute on a busy machine), then a fresh worker per DGEMM repetition.
    bool worker_seen = false;
    for (int i = 0; i < 90000 && !worker_seen; ++i) {
        worker_seen = log_text(log).find("STREAM     1 threads") != std::string::npos &&
                      !children_of(parsweep.pid).empty();
        if (!worker_seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(worker_seen) << log_text(log);
    expect_stopped(parsweep, SIGTERM, tag, log,
                   "interrupted (SIGTERM) while calibrating: nothing was cached or written");
    EXPECT_FALSE(fs::exists(dir / "c.json"));
    EXPECT_EQ(cached_files(), 0u);
}

// A run waiting for another process's calibration (a real second process holding the lock)
// is stopped by SIGTERM within a second, not when the other calibration ends.
TEST_F(Calibrate, SignalWhileWaitingForAnotherCalibrationEndsTheWait) {
    const fs::path cfg = write_file(dir / "one.json", R"({"name": "one", "repetitions": 1,
        "warmup": 0, "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
    const fs::path tmp = dir / "tmp";
    fs::create_directories(tmp);
    const fs::path lock = tmp / ("parsweep-calibrating-" + std::to_string(::getuid()) + ".lock");
    int held[2];
    ASSERT_EQ(::pipe(held), 0);
    Child holder{::fork()};
    ASSERT_GE(holder.pid, 0);
    if (holder.pid == 0) {  // the other calibration: holds the lock until killed
        const int fd = ::open(lock.c_str(), O_RDONLY | O_CREAT, 0600);
        if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(1);
        if (::write(held[1], "1", 1) != 1) ::_exit(1);
        for (;;) ::pause();
    }
    ::close(held[1]);
    char byte = 0;
    ASSERT_EQ(::read(held[0], &byte, 1), 1) << "the holder could not take " << lock;
    ::close(held[0]);
    const std::string tag = "calibration-lock-" + std::to_string(::getpid());
    const fs::path out = dir / "run", log = dir / "run.log";
    Child parsweep{start_parsweep(
        {"run", cfg.string(), "--out", out.string(), "--results", (dir / "results").string()}, log,
        tag, {"PARSWEEP_CACHE_DIR=" + cache().string(), "TMPDIR=" + tmp.string()})};
    ASSERT_TRUE(wait_for_text(log, "waiting for another parsweep's calibration to finish"))
        << log_text(log);
    std::this_thread::sleep_for(std::chrono::seconds(1));  // blocked in flock by now
    expect_stopped(parsweep, SIGTERM, tag, log,
                   "interrupted (SIGTERM) before the first point: nothing was run or written");
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(dir / "results"));
    EXPECT_EQ(cached_files(), 0u);
}

// The summary table's line of a point: the first line that starts with its label followed by
// its P and T columns.
std::string table_line(const std::string& out, const std::string& label) {
    std::size_t at = 0;
    while ((at = out.find(label + " ", at)) != std::string::npos) {
        if (at == 0 || out[at - 1] == '\n') return out.substr(at, out.find('\n', at) - at);
        ++at;
    }
    return "";
}

TEST_F(Calibrate, ConsoleTableShowsTheShareOfTheMachinesLimit) {
    write_file(dir / "roof.json", R"({"name": "roof", "repetitions": 2,
        "warmup": 0, "grid": {"processes": [1], "threads": [1]},
        "runs": [{"kernel": "square", "params": {"mode": "omp", "n": 2000000}},
                 {"kernel": "invert", "params": {"n": 200, "count": 2}}]})");
    Output o = parsweep("run -q roof.json --cores 1 --out run");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    const json doc = json::parse(read_file(dir / "run" / "sweep.json"));
    const std::string header = table_line(o.out, "point");
    ASSERT_NE(header.find(" roof "), std::string::npos) << o.out;
    // Each point's share of its limit, as sweep.json has it, rounded to a percent and named by
    // the limit: triad for the memory-bound square, dgemm for the compute-bound invert.
    for (const auto& p : doc["points"]) {
        const std::string line = table_line(o.out, p["label"].get<std::string>());
        ASSERT_FALSE(line.empty()) << p["label"] << " in\n" << o.out;
        const double percent = p["derived"]["roofline_fraction"].get<double>() * 100;
        const std::string limit = p["kernel"] == "square" ? "triad" : "dgemm";
        const std::size_t at = line.find("% " + limit + " ");
        ASSERT_NE(at, std::string::npos) << limit << " in\n" << line;
        const std::size_t cell = line.rfind(' ', at) + 1;
        const std::string shown = line.substr(cell, at - cell);  // "84", "3.5", "<0.1"
        if (shown == "<0.1")
            EXPECT_LT(percent, 0.1) << line;
        else  // rounded to whole percents from 10%, to one decimal below
            EXPECT_NEAR(std::stod(shown), percent, percent >= 9.95 ? 0.5 : 0.05) << line;
        // Under the header's "roof", and within 100 columns.
        EXPECT_EQ(columns(line, cell), columns(header, header.find("roof"))) << header << "\n"
                                                                             << line;
        EXPECT_LE(columns(line), 100u) << line;
    }
    // A run without a calibration has no roof column at all.
    o = parsweep("run -q roof.json --cores 1 --out plain --no-calibrate");
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(table_line(o.out, "point").find("roof"), std::string::npos) << o.out;
    EXPECT_EQ(o.out.find("% triad"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace parsweep
