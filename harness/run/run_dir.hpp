// The directory a run writes: claimed before anything is measured (the calibration included),
// so that a bad --out is said at once, and locked for as long as the run writes it, so that two
// parsweeps never write one run (util/files.hpp lock_run_dir).
#pragma once

#include <filesystem>
#include <string>

#include "util/file_lock.hpp"

namespace parsweep {

struct RunDir {
    std::filesystem::path path;
    FileLock lock;
    bool made = false;   // created by this process
    bool fresh = false;  // new or empty when claimed: all it holds since is this run's

    // Takes back what a new run that measured nothing wrote (a full disk at its first
    // write): the directory when this process made it, else all in it but the lock file.
    // Nothing for a claimed run that was there before (--resume).
    void discard() const;
};

// `--out DIR` for a new run: made when missing, then locked. It must be a directory (or
// not exist yet) that this process can write, and empty but for a lock file left by an
// earlier parsweep: never a file, a run (sweep.json: that is --resume's), or a directory
// holding other files (a run's files there would mix with them). Throws FileError naming
// --out and the problem; nothing is created then.
RunDir claim_out_dir(const std::filesystem::path& out);

// A new run directory `root/<YYYYmmdd-HHMMSS>-<name>` (util/files.hpp make_run_dir), locked.
// Throws FileError when `root` cannot hold it.
RunDir claim_new_run_dir(const std::filesystem::path& root, const std::string& name);

// An existing run directory, locked for --resume. Throws FileError when another parsweep
// holds it (naming its pid) or it cannot be written.
RunDir claim_run_dir(const std::filesystem::path& dir);

}  // namespace parsweep
