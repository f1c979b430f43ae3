// Advisory locks (flock) on files: one writer per run directory (files.hpp lock_run_dir), one
// calibration per machine at a time. The kernel releases a flock when its holder exits,
// however it ends (SIGKILL included), so a lock left by a dead process never blocks; the file
// itself stays, holding the pid of its last holder.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace parsweep {

class FileLock {
  public:
    // Locks `path` without waiting, creating it (0644) if missing and never through a
    // symbolic link; the lock holds this process's pid. nullopt when another process holds
    // it, with that holder's pid in `*holder` (from /proc/locks, else what it wrote; 0 when
    // neither says). On a file
    // system without flock the lock is granted unheld (held() false): parsweep runs there,
    // unguarded. Throws FileError when the file cannot be created or opened.
    static std::optional<FileLock> try_lock(const std::filesystem::path& path, pid_t* holder);

    FileLock(FileLock&& other) noexcept : fd_(other.fd_), held_(other.held_) { other.fd_ = -1; }
    FileLock& operator=(FileLock&&) = delete;
    FileLock(const FileLock&) = delete;
    ~FileLock();

    bool held() const { return held_; }

  private:
    FileLock(int fd, bool held) : fd_(fd), held_(held) {}
    int fd_ = -1;
    bool held_ = false;
};

}  // namespace parsweep
