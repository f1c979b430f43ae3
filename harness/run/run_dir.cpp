#include "run/run_dir.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/files.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

// Why --out `out`, now locked by this process, cannot take a new run (it holds one, or other
// files), or "".
std::string out_problem(const fs::path& out) {
    const auto names = run_dir_entries(out, 4);
    if (names.empty()) return "";
    if (fs::exists(out / "sweep.json"))
        return "already holds a run (sweep.json); choose another --out, or --resume it";
    return fmt::format(
        "is not empty and holds no run ({}{}); choose a new or empty directory",
        fmt::join(names.begin(), names.begin() + std::min<std::size_t>(3, names.size()), ", "),
        names.size() > 3 ? ", …" : "");
}

[[noreturn]] void refuse_out(const fs::path& out, const std::string& why) {
    throw FileError(fmt::format("--out {}: {}", out.string(), why));
}

}  // namespace

void RunDir::discard() const {
    if (!fresh) return;
    std::error_code ec;
    if (made) {
        fs::remove_all(path, ec);
        return;
    }
    for (const auto& name : run_dir_entries(path, SIZE_MAX)) fs::remove_all(path / name, ec);
}

RunDir claim_out_dir(const fs::path& out) {
    std::error_code ec;
    const fs::file_status st = fs::status(out, ec);
    bool made = false;
    if (fs::exists(st)) {
        if (!fs::is_directory(st)) refuse_out(out, "exists and is not a directory");
    } else {
        made = fs::create_directories(out, ec);
        if (ec) refuse_out(out, "cannot create it: " + ec.message());
    }
    // Said plainly before the lock file would fail on it (a read-only file system, no
    // permission).
    if (access(out.c_str(), W_OK) != 0)
        refuse_out(out, fmt::format("cannot write there: {}", std::strerror(errno)));
    std::optional<RunDir> dir;
    std::string why;
    try {
        dir.emplace(RunDir{out, lock_run_dir(out), made, true});
        why = out_problem(out);
    } catch (const FileError& e) {
        why = e.what();
    }
    if (why.empty()) return std::move(*dir);
    dir.reset();
    if (made) fs::remove_all(out, ec);  // what this process made: empty but for the lock
    refuse_out(out, why);
}

RunDir claim_new_run_dir(const fs::path& root, const std::string& name) {
    const fs::path path = make_run_dir(root, name);
    return RunDir{path, lock_run_dir(path), true, true};
}

RunDir claim_run_dir(const fs::path& dir) {
    RunDir d{dir, lock_run_dir(dir), false, false};
    if (access(dir.c_str(), W_OK) != 0) throw_file_error("cannot write to", dir, errno);
    return d;
}

}  // namespace parsweep
