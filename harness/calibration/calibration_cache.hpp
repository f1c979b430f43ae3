// Calibrations (calibrate.hpp) cached per host, in $PARSWEEP_CACHE_DIR, else
// $XDG_CACHE_HOME/parsweep, else ~/.cache/parsweep, as calibration-<host>-<key>.json, where the
// key hashes what the limits depend on: the CPU model, the usable cores, the BLAS (its config
// and file) and the OpenMP settings in the environment (calibration_key). A cached calibration
// is reused when its key matches and it is at least as thorough as the one asked for (a full
// one serves a quick request, not the other way round).
//
// `parsweep run` records one in sweep.json's context.calibration (a quick one, measured once
// when none is cached), and each point's roofline_fraction compares the point with it
// (measure/roofline.hpp).
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "kernel.hpp"
#include "machine/sysinfo.hpp"

namespace parsweep {

// Where calibrations are cached; empty when there is no such directory to use (no HOME).
std::filesystem::path calibration_cache_dir();
// The cache file of `key` in `dir`.
std::filesystem::path calibration_cache_file(const std::filesystem::path& dir, const json& key);

// The cached calibration for `key` when there is one that is at least as thorough as asked
// (`quick` false needs a full one); nullopt otherwise (an unreadable file counts as none).
std::optional<json> read_cached_calibration(const std::filesystem::path& file, const json& key,
                                            bool quick);

// Writes `calibration` to the cache `file`; a cache that cannot be written is said on stderr
// ("note: calibration not cached …"), not fatal. True when written.
bool write_calibration_cache(const std::filesystem::path& file, const json& calibration);

// Held while a calibration is measured: one at a time on this host for this user, an flock on
// <temp dir>/parsweep-calibrating-<uid>.lock. Two measured at once would disturb each other's
// figures, and each holds STREAM arrays of 4 × the last-level cache (gigabytes where hwloc
// reports a large one): two runs, or a run and `parsweep calibrate`, started together ran a
// 24 GiB machine out of memory. A later one waits, saying so on `notices`; then it should read
// the cache again, as the first may have measured what it needs. Per user, because a lock
// another user holds could keep ours waiting for ever. Where the lock cannot be made (no
// temporary directory, a file that is not ours) there is no waiting. A SIGINT or SIGTERM ends
// the wait within a second (once the handlers are installed): the constructor then throws
// Interrupted (util/interrupt.hpp), holding nothing.
class CalibrationLock {
  public:
    explicit CalibrationLock(std::FILE* notices);
    ~CalibrationLock();
    CalibrationLock(const CalibrationLock&) = delete;
    CalibrationLock& operator=(const CalibrationLock&) = delete;

  private:
    int fd_ = -1;
};

// What `parsweep run` records in context.calibration: the cached calibration, or a quick one
// measured now and cached, with "cache_file" and "reused"; {"error": …} when it could not be
// measured (the run goes on without rooflines). When it measures, a line on `notices` says
// why, where it will be cached and how to skip it, and another how long it took; `progress`
// gets a line per part. Either may be null. A SIGINT or SIGTERM while it waits for the lock or
// measures throws Interrupted within a second, nothing cached and no worker left running.
json calibration_for_run(const UsableCores& cores, const std::string& executable,
                         std::FILE* notices, std::FILE* progress);

}  // namespace parsweep
