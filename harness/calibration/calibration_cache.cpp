#include "calibration/calibration_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>

#include <fmt/format.h>

#include "calibration/calibrate.hpp"
#include "machine/sysinfo.hpp"
#include "measure/clock.hpp"
#include "util/files.hpp"
#include "util/interrupt.hpp"
#include "util/json_input.hpp"

namespace parsweep {

namespace fs = std::filesystem;

fs::path calibration_cache_dir() {
    if (const char* d = std::getenv("PARSWEEP_CACHE_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "parsweep";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "parsweep";
    return {};
}

fs::path calibration_cache_file(const fs::path& dir, const json& key) {
    std::string host = key.value("host", "host");
    for (char& ch : host)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') ch = '_';
    return dir / fmt::format("calibration-{}-{}.json", host, key.value("hash", "0"));
}

std::optional<json> read_cached_calibration(const fs::path& file, const json& key, bool quick) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return std::nullopt;
    try {
        json c = read_json_file(file, JsonKind::run_record);
        if (c.value("format", 0) != kCalibrationFormat || c.value("key", json()) != key)
            return std::nullopt;
        if (!quick && c.value("quick", true)) return std::nullopt;  // a full one was asked for
        for (const char* part : {"stream", "dgemm", "overheads"})
            if (!c.contains(part) || !c[part].contains("points")) return std::nullopt;
        return c;
    } catch (const std::exception&) {
        return std::nullopt;  // a damaged cache file is measured again and replaced
    }
}

bool write_calibration_cache(const fs::path& file, const json& c) {
    try {
        fs::create_directories(file.parent_path());
        write_atomic(file, c.dump(2) + "\n");
        return true;
    } catch (const std::exception& e) {
        fmt::print(stderr, "note: calibration not cached ({}): {}\n", file.string(), e.what());
        return false;
    }
}

namespace {

// Why `run` calibrates before its first point, and where the result goes: the first line a
// user sees of a pause of a minute or more (longer inside a busy job), so it says how to
// skip it too.
std::string calibrating_line(const UsableCores& cores, const json& key, const fs::path& file) {
    const std::string why =
        file.empty() ? "no cache directory (set PARSWEEP_CACHE_DIR, or HOME)"
        : fs::exists(file)
            ? fmt::format("the one cached in {} is unreadable or of an older parsweep",
                          file.string())
            : fmt::format(
                  "none is cached for host {} with {} usable core{} and this BLAS and "
                  "OpenMP (key {})",
                  key.value("host", "?"), cores.count, cores.count == 1 ? "" : "s",
                  key.value("hash", "?"));
    return fmt::format(
        "calibrating this machine for roofline_fraction (parsweep calibrate --quick: once, "
        "often a minute or more): {}; {}. --no-calibrate or PARSWEEP_NO_CALIBRATE=1 skips it",
        why, file.empty() ? "it will not be cached" : "it will be cached in " + file.string());
}

}  // namespace

namespace {

// While it lives, SIGALRM arrives every second (its handler does nothing, without SA_RESTART),
// so that a blocking flock returns EINTR at least once a second: a SIGINT or SIGTERM that
// lands between looking at interrupted() and entering flock is then seen a second later at
// most, not when the other calibration ends.
class WakeEverySecond {
  public:
    WakeEverySecond() {
        struct sigaction sa = {};
        sa.sa_handler = [](int) {};
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGALRM, &sa, &old_action_);
        const itimerval every_second{{1, 0}, {1, 0}};
        ::setitimer(ITIMER_REAL, &every_second, &old_timer_);
    }
    ~WakeEverySecond() {
        ::setitimer(ITIMER_REAL, &old_timer_, nullptr);
        ::sigaction(SIGALRM, &old_action_, nullptr);
    }
    WakeEverySecond(const WakeEverySecond&) = delete;
    WakeEverySecond& operator=(const WakeEverySecond&) = delete;

  private:
    struct sigaction old_action_ = {};
    itimerval old_timer_ = {};
};

}  // namespace

CalibrationLock::CalibrationLock(std::FILE* notices) {
    std::error_code ec;
    const fs::path dir = fs::temp_directory_path(ec);
    if (ec) return;
    const fs::path lock = dir / fmt::format("parsweep-calibrating-{}.lock", ::getuid());
    fd_ = ::open(lock.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat st {};
    if (fd_ >= 0 && (::fstat(fd_, &st) != 0 || st.st_uid != ::getuid())) {
        ::close(fd_);  // planted by another user: not a lock we may wait on
        fd_ = -1;
    }
    if (fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    progress_line(notices,
                  "waiting for another parsweep's calibration to finish (" + lock.string() + ")");
    const WakeEverySecond wake;
    for (;;) {
        if (const int sig = interrupted()) {
            ::close(fd_);
            throw Interrupted(sig);
        }
        if (::flock(fd_, LOCK_EX) == 0 || errno != EINTR) return;
    }
}

CalibrationLock::~CalibrationLock() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

// The cached calibration of `key` in `file` as a run records it, or nullopt.
std::optional<json> reuse_cached(const fs::path& file, const json& key) {
    if (file.empty()) return std::nullopt;
    auto cached = read_cached_calibration(file, key, true);
    if (cached) {
        (*cached)["cache_file"] = file.string();
        (*cached)["reused"] = true;
    }
    return cached;
}

}  // namespace

json calibration_for_run(const UsableCores& cores, const std::string& executable,
                         std::FILE* notices, std::FILE* progress) {
    const json key = calibration_key(cores);
    const fs::path dir = calibration_cache_dir();
    const fs::path file = dir.empty() ? fs::path() : calibration_cache_file(dir, key);
    if (auto cached = reuse_cached(file, key)) return *cached;
    const CalibrationLock lock(notices);
    if (auto cached = reuse_cached(file, key)) return *cached;  // measured while we waited
    progress_line(notices, calibrating_line(cores, key, file));
    const double t0 = monotonic_s();
    try {
        json c = measure_calibration(
            calibration_settings(true, cores.count, topology_info(), available_memory_bytes()),
            cores, executable, progress);
        const bool cached = !file.empty() && write_calibration_cache(file, c);
        progress_line(notices, fmt::format("calibrated in {:.1f} s; {}", monotonic_s() - t0,
                                           cached ? "cached in " + file.string() : "not cached"));
        c["cache_file"] = cached ? json(file.string()) : json();
        c["reused"] = false;
        return c;
    } catch (const Interrupted&) {
        throw;  // not a failed calibration: the run ends
    } catch (const std::exception& e) {
        fmt::print(stderr,
                   "warning: calibration failed after {:.1f} s, roofline_fraction is left empty: "
                   "{}\n",
                   monotonic_s() - t0, e.what());
        return {{"error", e.what()}};
    }
}

}  // namespace parsweep
