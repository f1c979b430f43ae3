#include "machine/blas_axis.hpp"

#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "blas.hpp"
#include "util/did_you_mean.hpp"

namespace parsweep {

namespace {

namespace fs = std::filesystem;

// Where Debian puts its BLAS builds (set by CMakeLists.txt from the multiarch triplet).
const char* const kLibDir = PARSWEEP_MULTIARCH_LIBDIR;

struct Named {
    const char* name;
    const char* file;     // under kLibDir
    const char* package;  // what to install
    bool blis;            // needs the reference LAPACK
};

const Named kNamed[] = {
    {"openblas-pthread", "openblas-pthread/libopenblas.so.0", "libopenblas0-pthread", false},
    {"openblas-openmp", "openblas-openmp/libopenblas.so.0", "libopenblas0-openmp", false},
    {"openblas-serial", "openblas-serial/libopenblas.so.0", "libopenblas0-serial", false},
    {"blis-openmp", "blis-openmp/libblis.so.4", "libblis4-openmp", true},
    {"blis-pthread", "blis-pthread/libblis.so.4", "libblis4-pthread", true},
};

bool installed(const fs::path& file) {
    return access(file.c_str(), R_OK) == 0;
}

// The reference LAPACK for a BLAS without one; "" in `problem` when it is installed.
std::string reference_lapack(const fs::path& libdir, std::string& problem) {
    const fs::path blas = libdir / "blas/libblas.so.3", lapack = libdir / "lapack/liblapack.so.3";
    if (!installed(blas) || !installed(lapack))
        problem =
            "needs the reference LAPACK, which is not installed (apt-get install liblapack3 "
            "libblas3)";
    return blas.string() + ":" + lapack.string();
}

BlasChoice resolve_file(const std::string& value, const fs::path& libdir, std::string& problem) {
    std::error_code ec;
    if (!fs::exists(value, ec)) {
        problem = "BLAS library file not found: " + value;
        return {};
    }
    // Probed once per file: a config names the same file in many runs.
    static std::mutex m;
    static std::map<std::string, std::pair<std::string, bool>> seen;
    std::lock_guard lock(m);
    auto it = seen.find(value);
    if (it == seen.end()) {
        bool has_lapack = false;
        std::string why = blas::probe(value, &has_lapack);
        it = seen.emplace(value, std::pair{why, has_lapack}).first;
    }
    if (!it->second.first.empty()) {
        problem = "cannot use " + value + " as the BLAS: " + it->second.first;
        return {};
    }
    BlasChoice c{value, ""};
    if (!it->second.second) c.lapack = reference_lapack(libdir, problem);
    return c;
}

}  // namespace

const std::vector<ParamSpec>& blas_params() {
    static const std::vector<ParamSpec> specs = {
        {"blas",
         ParamType::String,
         json(),
         "the BLAS the workers load: default, openblas-pthread, openblas-openmp, "
         "openblas-serial, blis, blis-openmp, blis-pthread, or a library file",
         std::nullopt,
         std::nullopt,
         {},
         [](const json& v) {
             std::string problem;
             resolve_blas(v.get<std::string>(), problem);
             return problem;
         }},
    };
    return specs;
}

BlasChoice resolve_blas(const std::string& value, std::string& problem,
                        const std::string& libdir_given) {
    problem.clear();
    const fs::path libdir = libdir_given.empty() ? kLibDir : libdir_given;
    if (value == "default") return {};
    if (value.find('/') != std::string::npos) return resolve_file(value, libdir, problem);
    // "blis": the OpenMP build when installed, else the pthreads one.
    const bool pthread_only =
        installed(libdir / kNamed[4].file) && !installed(libdir / kNamed[3].file);
    const std::string name = value != "blis" ? value
                             : pthread_only  ? "blis-pthread"
                                             : "blis-openmp";
    std::vector<std::string> names = {"default", "blis"};
    for (const Named& n : kNamed) {
        names.emplace_back(n.name);
        if (name != n.name) continue;
        const fs::path file = libdir / n.file;
        if (!installed(file)) {
            problem = "\"" + value + "\" is not installed (apt-get install " + n.package + ")";
            return {};
        }
        BlasChoice c{file.string(), ""};
        if (n.blis) c.lapack = reference_lapack(libdir, problem);
        return c;
    }
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    problem = "unknown BLAS \"" + value + "\": one of " + all +
              ", or a library file (a path with '/')" + did_you_mean_clause(value, names);
    return {};
}

std::string blas_not_applicable(const std::string& param) {
    if (param != blas_params()[0].name) return "";
    std::string users;
    for (const Kernel* k : kernels())
        if (k->uses_blas() && !k->hidden())
            users += (users.empty() ? "" : ", ") + std::string(k->id());
    return " (the blas axis is for the kernels that use the BLAS: " + users + ")";
}

std::map<std::string, std::string> blas_env(const json& params) {
    if (!params.contains("blas")) return {};
    std::string problem;
    const BlasChoice c = resolve_blas(params["blas"].get<std::string>(), problem);
    if (c.blas.empty()) return {};
    // Both set, so that a PARSWEEP_LAPACK_LIBRARY of the parent's does not leak into a point.
    return {{"PARSWEEP_BLAS_LIBRARY", c.blas}, {"PARSWEEP_LAPACK_LIBRARY", c.lapack}};
}

}  // namespace parsweep
