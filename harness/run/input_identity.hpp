// The files a run's points read, identified once when the run starts, so that a point whose
// input changed (replaced, rewritten, deleted) since then fails instead of verifying an answer
// about another file, and `run --resume` sees when an input differs from the run's record.
//
// A point's input files are the values of its kernel's File parameters (ParamSpec::type
// ParamType::File): the kernel declares them, the harness never names a kernel's parameters.
// Each distinct path is identified once per run: size, mtime, inode and device from stat(),
// and an XXH3-64 hash of its content (a file parameter is what the kernel's answer and its
// reference are computed from). The run records them in sweep.json's context.inputs.
//
// Before and after every repetition the runner compares each of the point's inputs with the
// record by stat() alone (microseconds, no read): a replaced file has another inode, a
// rewritten one another size or mtime. The hash is compared when a run is resumed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/model.hpp"

namespace parsweep {

using json = nlohmann::json;

// One input file as it was when looked at.
struct InputIdentity {
    std::string path;  // as the points' parameters give it
    std::uint64_t size_bytes = 0;
    std::int64_t mtime_ns = 0;  // modification time, ns since the epoch
    std::int64_t ctime_ns = 0;  // status change time (any write sets it); 0: not recorded
    std::uint64_t inode = 0, device = 0;
    std::string hash;   // "xxh3-64:<16 hex digits>"; "" when not hashed
    std::string error;  // why it could not be identified (it is gone, unreadable); "" when it was

    // {path, size_bytes, mtime, mtime_ns, ctime_ns, inode, device, hash} or {path, error}.
    json to_json() const;
    // Throws nlohmann's exceptions when `j` lacks a field.
    static InputIdentity from_json(const json& j);
};

// An input as recorded, as it is now, and how they differ (identity_change).
struct InputChange {
    InputIdentity before, now;
    std::string change;
};

// The values of `point`'s File parameters, in the kernel's order (empty strings left out).
std::vector<std::string> input_files(const Point& point);

// stat() of `path`, and with `hash` its content's hash. A file that cannot be stat'ed or read
// is an identity with `error` set ("cannot stat it: No such file or directory"), never a throw.
InputIdentity identify_input(const std::string& path, bool hash = true);

// How `now` differs from `then`, or "" when it does not: now.error when it could not be
// identified ("cannot stat it: No such file or directory"), "size A → B bytes"; then, when
// both are hashed, "content hash H1 → H2" only (the same content elsewhere or touched is the
// same input); else "inode A → B", "device A → B", "mtime T1 → T2" or "ctime T1 → T2: …".
std::string identity_change(const InputIdentity& then, const InputIdentity& now);

// The identities of the input files of a run, by path.
class RunInputs {
  public:
    RunInputs() = default;
    // The record of context.inputs (a list of InputIdentity::to_json); nullopt when the record
    // has none or it does not parse (a run of an older parsweep).
    static std::optional<RunInputs> from_json(const json& inputs);
    json to_json() const;

    bool empty() const { return by_path_.empty(); }
    // Adds the identities of the inputs of `points` this record lacks.
    void add_missing(const std::vector<const Point*>& points);
    // Why `point` must not run or verify now: "input changed since the run started: FILE
    // (size A → B)", or "" when each of its inputs has the recorded identity (stat only).
    std::string point_problem(const Point& point) const;
    // Each recorded input identified again (hashed when it was), with how it differs from
    // the record ("" when it does not).
    std::vector<InputChange> identify_again() const;

  private:
    friend std::string check_resumed_inputs(json& context, bool allow_changed);
    std::map<std::string, InputIdentity> by_path_;
};

// A resumed run's recorded inputs (context.inputs) compared with the files as they are now,
// by size and content hash. When one differs and not `allow_changed`: why the run must not go
// on ("input FILE changed since the run started (size A → B); …"), `context` untouched.
// Else "", with the files as they are now in context.inputs (what the points from here on are
// checked against) and each change, with the former identity, in the last context.resumed
// entry's "changed_inputs". "" and nothing done when the run recorded no inputs (an older
// parsweep's).
std::string check_resumed_inputs(json& context, bool allow_changed);

// The inputs a run records in context["inputs"]: the recorded ones when `context` has them
// (a resumed run), with those of `points` it lacks added, else all identified now. Written
// back into `context`.
RunInputs record_run_inputs(json& context, const std::vector<const Point*>& points);

}  // namespace parsweep
