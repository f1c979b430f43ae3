// Result files on disk: atomic writes and the run directory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace parsweep {

// Writes `content` to `path` through a temporary file in the same directory, fsync and
// rename, so readers see the old file or the new one, never half of one.
void write_atomic(const std::filesystem::path& path, std::string_view content);

// Writes all of `data` to `fd`, retrying short writes and EINTR. False on any other error.
bool write_all(int fd, std::string_view data);

// Appends one line (a newline is added) and fsyncs: the checkpoint journal.
void append_line(const std::filesystem::path& path, std::string_view line);

// Creates `root/<YYYYmmdd-HHMMSS>-<name>` (with -2, -3… if taken) and returns it.
std::filesystem::path make_run_dir(const std::filesystem::path& root, const std::string& name);

// Points `root/latest` at `run_dir` (a relative symlink, replaced atomically).
void point_latest(const std::filesystem::path& root, const std::filesystem::path& run_dir);

}  // namespace parsweep
