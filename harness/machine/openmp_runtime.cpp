#include "machine/openmp_runtime.hpp"

#include <omp.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include <fmt/format.h>

#include "blas.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

// libgomp, libomp or Intel's libiomp5, by the file's name. Not by its symbols: libomp
// exports libgomp's GOMP_* entry points, and libgomp exports libomp's kmp_*.
std::string runtime_name(const std::string& file) {
    const std::string name = fs::path(file).filename().string();
    for (const char* known : {"libgomp", "libiomp5", "libomp"})
        if (name.rfind(known, 0) == 0) return known;
    return "unknown";
}

// Neither runtime has an API for its own version. libomp is installed in its LLVM's tree
// (/usr/lib/llvm-14/lib/libomp.so.5 → "LLVM 14"); libgomp's file name carries its ABI
// version (libgomp.so.1.0.0 → "1.0.0"), which changes only when its ABI does.
std::string runtime_version(const std::string& file) {
    std::smatch m;
    static const std::regex llvm(R"(/llvm-?([0-9][0-9.]*)/)");
    if (std::regex_search(file, m, llvm)) return "LLVM " + m[1].str();
    static const std::regex so(R"(\.so\.([0-9][0-9.]*)$)");
    if (std::regex_search(file, m, so)) return m[1].str();
    return "unknown";
}

nlohmann::json env_or_null(const char* name) {
    const char* v = std::getenv(name);
    return v ? nlohmann::json(v) : nlohmann::json();
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// What the settings mean for an idle thread, from the runtimes' documentation.
std::string wait_effect(const std::string& name) {
    const char* policy_env = std::getenv("OMP_WAIT_POLICY");
    const std::string policy = policy_env ? lower(policy_env) : "";
    if (name == "libgomp") {
        if (const char* spin = std::getenv("GOMP_SPINCOUNT"))
            return fmt::format("idle threads spin {} iterations, then sleep (GOMP_SPINCOUNT)",
                               spin);
        if (policy == "passive") return "idle threads sleep at once (OMP_WAIT_POLICY=passive)";
        if (policy == "active")
            return "idle threads spin 30 billion iterations before they sleep "
                   "(OMP_WAIT_POLICY=active)";
        return "idle threads spin 300,000 iterations, then sleep (libgomp's default)";
    }
    if (name == "libomp" || name == "libiomp5") {
        if (const char* bt = std::getenv("KMP_BLOCKTIME"))
            return fmt::format("idle threads spin {} ms, then sleep (KMP_BLOCKTIME)", bt);
        if (policy == "passive") return "idle threads sleep at once (OMP_WAIT_POLICY=passive)";
        if (policy == "active")
            return "idle threads spin without sleeping (OMP_WAIT_POLICY=active)";
        return "idle threads spin 200 ms, then sleep (libomp's default KMP_BLOCKTIME)";
    }
    return "unknown runtime";
}

}  // namespace

nlohmann::json openmp_info() {
    static const std::pair<int, const char*> versions[] = {
        {202111, "5.2"}, {202011, "5.1"}, {201811, "5.0"}, {201511, "4.5"},
        {201307, "4.0"}, {201107, "3.1"}, {200805, "3.0"}};
    std::string version = "unknown";
    for (auto [date, v] : versions)
        if (_OPENMP >= date) {
            version = v;
            break;
        }
    const std::string file = blas::file_of(reinterpret_cast<const void*>(&omp_get_max_threads));
    const std::string name = runtime_name(file);
    return {{"version", version},
            {"spec_date", _OPENMP},
            {"runtime", file},
            {"runtime_name", name},
            {"runtime_version", runtime_version(file)},
            {"wait_policy",
             {{"OMP_WAIT_POLICY", env_or_null("OMP_WAIT_POLICY")},
              {"GOMP_SPINCOUNT", env_or_null("GOMP_SPINCOUNT")},
              {"KMP_BLOCKTIME", env_or_null("KMP_BLOCKTIME")},
              {"effect", wait_effect(name)}}},
            {"max_threads", omp_get_max_threads()},
            {"num_procs", omp_get_num_procs()}};
}

}  // namespace parsweep
