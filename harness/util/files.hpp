// Result files on disk: atomic writes and the run directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace parsweep {

// Writes `content` to `path` through a temporary file in the same directory, fsync and
// rename, so readers see the old file or the new one, never half of one.
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

// Appends one line (a newline is added) and fsyncs: the checkpoint journal.
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

// Creates `root/<YYYYmmdd-HHMMSS>-<name>` (with -2, -3… if taken) and returns it.
std::filesystem::path make_run_dir(const std::filesystem::path& root, const std::string& name);

// Points `root/latest` at `run_dir` (a symlink replaced atomically: relative when the run is
// inside `root`, else absolute), when `root` is a directory; `make plots` draws that run.
void point_latest(const std::filesystem::path& root, const std::filesystem::path& run_dir);

}  // namespace parsweep
