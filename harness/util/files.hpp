// Result files on disk: atomic writes and the run directory.
//
// Every write here either completes or throws FileError naming the file and the OS error
// ("cannot write results/x/sweep.json: No space left on device"), leaving no temporary file
// and no torn line behind, so a caller can report it and stop cleanly. Files are written
// without following symbolic links: a link planted where a result file goes is replaced (a
// file written whole) or refused (the journal), never written through.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/file_lock.hpp"

namespace parsweep {

// A file or directory that could not be read, written, created or locked; what() names it and
// the OS error.
class FileError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throws FileError: "`what` `path`: <strerror(err)>", with a plainer word for a symbolic link
// refused (ELOOP from O_NOFOLLOW).
[[noreturn]] void throw_file_error(const std::string& what, const std::filesystem::path& path,
                                   int err);

// Writes `content` to `path` through a temporary file in the same directory, fsync and
// rename, so readers see the old file or the new one, never half of one. On failure the
// temporary file is removed and `path` is as it was. A symbolic link at `path` is replaced,
// not followed.
void write_atomic(const std::filesystem::path& path, std::string_view content);

// Puts the directory `fresh` in the place of `target` (both in the same directory), so that a
// reader sees the old `target` or the new one whole, never neither: an atomic exchange where
// the filesystem has one (renameat2 RENAME_EXCHANGE), else two renames with the old one put
// back when the second fails. The old `target` is removed afterwards; `target` may be absent.
// Throws std::runtime_error naming the path when it cannot, leaving `target` as it was.
void replace_directory(const std::filesystem::path& fresh, const std::filesystem::path& target);

// Why the file an option `what` names cannot be written there (its directory does not exist,
// it is a directory), checked before anything runs; nullopt when it can, or `file` is "".
std::optional<std::string> file_option_problem(const std::string& file, const char* what);

// Writes all of `data` to `fd`, retrying short writes and EINTR. False on any other error.
bool write_all(int fd, std::string_view data);

// Appends one line (a newline is added) and fsyncs: the checkpoint journal. A write that
// fails part-way (a full disk) is cut back off, so the file keeps whole lines only. `path`
// must not be a symbolic link.
void append_line(const std::filesystem::path& path, std::string_view line);

// When a file that holds the whole run so far (sweep.json, the CSVs) is rewritten after a
// point: only once the last rewrite is at least a second old, and 50 times as old as it took.
// Such files grow with every point, so rewriting them after each one would cost time growing
// with the square of the points; this way rewriting takes at most ~2% of the run, and the
// checkpoint journal, appended after every point, is what a crash leaves to --resume.
class RewritePace {
  public:
    // Whether a rewrite is due at `now_s` (CLOCK_MONOTONIC): always before the first one.
    bool due(double now_s) const;
    // A rewrite ran from `start_s` to `end_s`.
    void wrote(double start_s, double end_s);

  private:
    double last_end_s_ = 0, last_took_s_ = 0;
    bool wrote_ = false;
};

// Creates `root/<YYYYmmdd-HHMMSS>-<name>` (with -2, -3… if taken) and returns it; throws
// FileError when `root` or the directory cannot be made.
std::filesystem::path make_run_dir(const std::filesystem::path& root, const std::string& name);

// The file in a run directory whose lock marks its one writer: `run`, `run --resume` or
// `merge --out`. The only entry a run directory that holds no run yet may have.
inline constexpr const char* kRunLockFile = ".parsweep.lock";

// What the directory `dir` holds besides the lock file, sorted by name, at most `limit`
// names: empty for a directory that holds no run (nor anything else) yet.
std::vector<std::string> run_dir_entries(const std::filesystem::path& dir,
                                         std::size_t limit = SIZE_MAX);

// Locks the run directory `dir` (which must exist) for this process, for as long as the
// returned lock lives, so that two parsweeps never write one run. Throws FileError when
// another process holds it ("in use by another parsweep (pid N) …": the caller names `dir`),
// or the lock file
// cannot be made (a read-only file system, no permission).
FileLock lock_run_dir(const std::filesystem::path& dir);

// Points `root/latest` at `run_dir` (a symlink replaced atomically: relative when the run is
// inside `root`, else absolute), when `root` is a directory; `make plots` draws that run.
void point_latest(const std::filesystem::path& root, const std::filesystem::path& run_dir);

}  // namespace parsweep
