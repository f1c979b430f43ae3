#include "util/files.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc ≥ 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace parsweep {

namespace fs = std::filesystem;

void throw_file_error(const std::string& what, const fs::path& path, int err) {
    const std::string why =
        err == ELOOP ? "is a symbolic link (parsweep does not follow links for the files it "
                       "writes)"
                     : std::strerror(err);
    throw FileError(fmt::format("{} {}: {}", what, path.string(), why));
}

namespace {
[[noreturn]] void fail(const std::string& what, const fs::path& path) {
    throw_file_error(what, path, errno);
}
}  // namespace

bool write_all(int fd, std::string_view data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n, left -= static_cast<std::size_t>(n);
    }
    return true;
}

void write_atomic(const fs::path& path, std::string_view content) {
    fs::path tmp = path;
    tmp += fmt::format(".tmp.{}", getpid());
    // O_EXCL | O_NOFOLLOW: never through a link planted under the temporary name. One left by
    // an earlier process with this pid is ours to replace.
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(tmp.c_str(), kFlags, 0644);
    if (fd < 0 && errno == EEXIST && unlink(tmp.c_str()) == 0) fd = open(tmp.c_str(), kFlags, 0644);
    if (fd < 0) fail("cannot write", path);  // the directory's problem, named by the file meant
    // Any failure from here removes the temporary file: nothing half-written stays behind.
    auto give_up = [&](bool closed) {
        const int err = errno;
        if (!closed) close(fd);
        unlink(tmp.c_str());
        throw_file_error("cannot write", path, err);
    };
    if (!write_all(fd, content) || fsync(fd) != 0) give_up(false);
    if (close(fd) != 0) give_up(true);
    if (rename(tmp.c_str(), path.c_str()) != 0) give_up(true);
}

void replace_directory(const fs::path& fresh, const fs::path& target) {
    std::error_code ec;
    if (!fs::exists(target, ec)) {
        if (rename(fresh.c_str(), target.c_str()) != 0) fail("cannot rename into", target);
        return;
    }
    if (renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
        // No exchange here (an older kernel, NFS, …): move the old one aside, the new one in,
        // and the old one back if that fails, so that `target` is never left missing.
        if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) fail("cannot replace", target);
        fs::path aside = target;
        aside += fmt::format(".replaced.{}", getpid());
        if (rename(target.c_str(), aside.c_str()) != 0) fail("cannot move aside", target);
        if (rename(fresh.c_str(), target.c_str()) != 0) {
            const int saved = errno;
            rename(aside.c_str(), target.c_str());
            errno = saved;
            fail("cannot rename into", target);
        }
        fs::remove_all(aside, ec);
        return;
    }
    fs::remove_all(fresh, ec);  // now the old one; a leftover is harmless, the new one is in
}

void append_line(const fs::path& path, std::string_view line) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot write", path);
    struct stat before {};
    if (fstat(fd, &before) != 0) {
        const int err = errno;
        close(fd);
        throw_file_error("cannot write", path, err);
    }
    std::string s(line);
    s += '\n';
    if (!write_all(fd, s) || fsync(fd) != 0) {
        // Part of the line may be in: cut it off, so that the journal holds whole lines only
        // (a reader would otherwise join the next line onto it).
        const int err = errno;
        if (ftruncate(fd, before.st_size) == 0) fsync(fd);
        close(fd);
        throw_file_error("cannot write", path, err);
    }
    if (close(fd) != 0) fail("cannot write", path);
}

std::optional<std::string> file_option_problem(const std::string& file, const char* what) {
    if (file.empty()) return std::nullopt;
    const fs::path path = fs::absolute(file);
    if (fs::is_directory(path)) return fmt::format("{} {}: is a directory", what, file);
    if (!fs::is_directory(path.parent_path()))
        return fmt::format("{} {}: directory {} does not exist", what, file,
                           path.parent_path().string());
    return std::nullopt;
}

bool RewritePace::due(double now_s) const {
    constexpr double kMinInterval_s = 1, kIntervalPerWrite = 50;
    return !wrote_ ||
           now_s - last_end_s_ >= std::max(kMinInterval_s, kIntervalPerWrite * last_took_s_);
}

void RewritePace::wrote(double start_s, double end_s) {
    wrote_ = true;
    last_end_s_ = end_s;
    last_took_s_ = end_s - start_s;
}

fs::path make_run_dir(const fs::path& root, const std::string& name) {
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) throw_file_error("cannot create", root, ec.value());
    const std::string stamp = fmt::format("{:%Y%m%d-%H%M%S}", fmt::localtime(std::time(nullptr)));
    for (int i = 1;; ++i) {
        fs::path dir = root / (stamp + "-" + name + (i > 1 ? fmt::format("-{}", i) : ""));
        if (mkdir(dir.c_str(), 0755) == 0) return dir;
        if (errno != EEXIST) fail("cannot create", dir);
    }
}

std::vector<std::string> run_dir_entries(const fs::path& dir, std::size_t limit) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string name = e.path().filename().string();
        if (name != kRunLockFile) names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    if (names.size() > limit) names.resize(limit);
    return names;
}

FileLock lock_run_dir(const fs::path& dir) {
    pid_t holder = 0;
    auto lock = FileLock::try_lock(dir / kRunLockFile, &holder);
    if (!lock)
        throw FileError(fmt::format(
            "in use by another parsweep ({}): one process writes a run directory at a time; "
            "wait for it to end, or stop it",
            holder > 0 ? fmt::format("pid {}", holder) : std::string("pid unknown")));
    return std::move(*lock);
}

void point_latest(const fs::path& root, const fs::path& run_dir) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return;  // not where runs land here: no pointer made
    fs::path link = root / "latest";
    fs::path tmp = root / fmt::format(".latest.{}", getpid());
    // Relative inside the results directory (it survives moving the checkout), else absolute.
    const fs::path abs_root = fs::absolute(root, ec).lexically_normal();
    const fs::path abs_run = fs::absolute(run_dir, ec).lexically_normal();
    fs::path target = abs_run.lexically_relative(abs_root);
    if (target.empty() || *target.begin() == "..") target = abs_run;
    fs::remove(tmp, ec);
    fs::create_directory_symlink(target, tmp, ec);
    if (ec) return;  // a results directory on a filesystem without symlinks: no "latest"
    fs::rename(tmp, link, ec);
    if (ec) fs::remove(tmp, ec);
}

}  // namespace parsweep
