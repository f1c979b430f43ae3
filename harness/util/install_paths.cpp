#include "util/install_paths.hpp"

#include <unistd.h>

#include <map>
#include <mutex>
#include <system_error>
#include <utility>

// Compiled in by CMake (cmake/install.cmake): the installed layout relative to the bin
// directory, and the source tree of a build.
#ifndef PARSWEEP_BIN_TO_LIBEXEC
#define PARSWEEP_BIN_TO_LIBEXEC "../libexec/parsweep"
#endif
#ifndef PARSWEEP_BIN_TO_DATA
#define PARSWEEP_BIN_TO_DATA "../share/parsweep"
#endif
#ifndef PARSWEEP_SOURCE_DIR
#define PARSWEEP_SOURCE_DIR ""
#endif

namespace fs = std::filesystem;

namespace parsweep {

namespace {

bool is_executable(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

// `path` with symlinks resolved, or as given when it cannot be.
fs::path real_path(const fs::path& path) {
    std::error_code ec;
    fs::path real = fs::canonical(path, ec);
    return ec ? path : real;
}

// The program `name` of the parsweep binary `executable`: beside it, else in its prefix's
// libexec directory; "" when in neither.
std::string find_helper(const std::string& executable, const std::string& name) {
    const fs::path exe(executable);
    if (const fs::path beside = exe.parent_path() / name; is_executable(beside))
        return beside.string();
    const fs::path bin = real_path(exe).parent_path();
    if (const fs::path installed = (bin / PARSWEEP_BIN_TO_LIBEXEC / name).lexically_normal();
        is_executable(installed))
        return installed.string();
    return "";
}

// find_helper, once per (executable, name) for the life of the process.
const std::string& cached_helper(const std::string& executable, const std::string& name) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, std::string>, std::string> found;
    const std::lock_guard lock(mutex);
    auto key = std::make_pair(executable, name);
    auto it = found.find(key);
    if (it == found.end()) it = found.emplace(key, find_helper(executable, name)).first;
    return it->second;
}

fs::path installed_data_dir() {
    return (fs::path(self_executable()).parent_path() / PARSWEEP_BIN_TO_DATA).lexically_normal();
}

}  // namespace

const std::string& self_executable() {
    static const std::string self = [] {
        char buf[4096];
        const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        return n <= 0 ? std::string("parsweep") : std::string(buf, static_cast<std::size_t>(n));
    }();
    return self;
}

const std::string& worker_executable(const std::string& executable) {
    return cached_helper(executable, fs::path(executable).filename().string() + "-worker");
}

std::string mpi_worker_executable(const std::string& executable) {
    const std::string& found = cached_helper(executable, kMpiWorkerName);
    return found.empty() ? (fs::path(executable).parent_path() / kMpiWorkerName).string() : found;
}

const fs::path& data_dir() {
    static const fs::path dir = [] {
        std::error_code ec;
        // An installed parsweep first: a build tree has no share/parsweep above it.
        if (fs::path installed = installed_data_dir(); fs::is_directory(installed / "plots", ec))
            return installed;
        if (fs::path source = PARSWEEP_SOURCE_DIR;
            !source.empty() && fs::is_directory(source / "plots", ec))
            return source;
        return fs::path();
    }();
    return dir;
}

std::string data_dir_candidates() {
    std::string s = installed_data_dir().string();
    if (*PARSWEEP_SOURCE_DIR) s += std::string(" or ") + PARSWEEP_SOURCE_DIR;
    return s;
}

}  // namespace parsweep
