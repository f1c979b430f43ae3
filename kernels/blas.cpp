#include "blas.hpp"

#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace parsweep::blas {

namespace {

std::once_flag once;
Library lib;
std::string load_error;
bool is_loaded = false;

// Opens the first of the candidates that loads; RTLD_GLOBAL so that LAPACKE's calls into
// LAPACK resolve to the BLAS library's LAPACK (OpenBLAS ships an optimised one).
void* open_first(std::initializer_list<const char*> candidates, std::string& opened,
                 std::string& errors) {
    for (const char* name : candidates) {
        if (!name || !*name) continue;
        if (void* h = dlopen(name, RTLD_NOW | RTLD_GLOBAL)) {
            opened = name;
            return h;
        }
        errors += std::string(errors.empty() ? "" : "; ") + dlerror();
    }
    return nullptr;
}

template <typename F>
void bind(void* handle, F& slot, const char* symbol, bool required) {
    slot = reinterpret_cast<F>(dlsym(handle, symbol));
    if (!slot && required) throw std::runtime_error(std::string("symbol ") + symbol + " not found");
}

// Opens each ':'-separated entry of `list` in order (RTLD_GLOBAL); "" when all opened, else
// the entry and the loader's reason.
std::string open_all(const char* list, std::string& opened) {
    if (!list || !*list) return "";
    std::string rest = list;
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string name = rest.substr(0, colon);
        rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
        if (name.empty()) continue;
        if (!dlopen(name.c_str(), RTLD_NOW | RTLD_GLOBAL)) return name + ": " + dlerror();
        opened += (opened.empty() ? "" : ":") + name;
    }
    return "";
}

// BLIS's thread calls take and return dim_t (64 bits); OpenBLAS's, int.
using BlisGetThreads = std::int64_t (*)();
using BlisSetThreads = void (*)(std::int64_t);
BlisGetThreads blis_get_threads = nullptr;
BlisSetThreads blis_set_threads = nullptr;

void bind_extensions(void* b) {
    bind(b, lib.get_num_threads, "openblas_get_num_threads", false);
    bind(b, lib.set_num_threads, "openblas_set_num_threads", false);
    bind(b, lib.get_config, "openblas_get_config", false);
    bind(b, lib.get_corename, "openblas_get_corename", false);
    bind(b, lib.get_parallel, "openblas_get_parallel", false);
    bind(b, lib.blis_version, "bli_info_get_version_str", false);
    bind(b, lib.blis_openmp, "bli_info_get_enable_openmp", false);
    bind(b, lib.blis_pthreads, "bli_info_get_enable_pthreads", false);
    bind(b, lib.blis_arch_id, "bli_arch_query_id", false);
    bind(b, lib.blis_arch_name, "bli_arch_string", false);
    bind(b, blis_get_threads, "bli_thread_get_num_threads", false);
    bind(b, blis_set_threads, "bli_thread_set_num_threads", false);
    if (!lib.get_num_threads && blis_get_threads)
        // -1: BLIS was given no count (no BLIS_NUM_THREADS / OMP_NUM_THREADS), so runs one.
        lib.get_num_threads = [] { return int(std::max<std::int64_t>(1, blis_get_threads())); };
    if (!lib.set_num_threads && blis_set_threads)
        lib.set_num_threads = [](int n) { blis_set_threads(n); };
}

void load() {
    std::string errors;
    void* b = open_first(
        {std::getenv("PARSWEEP_BLAS_LIBRARY"), PARSWEEP_OPENBLAS_LIBRARY, PARSWEEP_OPENBLAS_SONAME},
        lib.blas_path, errors);
    if (!b) {
        load_error =
            "cannot load the BLAS (" + std::string(PARSWEEP_OPENBLAS_LIBRARY) + "): " + errors;
        return;
    }
    if (std::string e = open_all(std::getenv("PARSWEEP_LAPACK_LIBRARY"), lib.lapack_paths);
        !e.empty()) {
        load_error = "cannot load LAPACK " + e;
        return;
    }
    errors.clear();
    void* l = open_first({std::getenv("PARSWEEP_LAPACKE_LIBRARY"), PARSWEEP_LAPACKE_LIBRARY,
                          PARSWEEP_LAPACKE_SONAME},
                         lib.lapacke_path, errors);
    if (!l) {
        load_error =
            "cannot load LAPACKE (" + std::string(PARSWEEP_LAPACKE_LIBRARY) + "): " + errors;
        return;
    }
    try {
        bind(b, lib.dgemv, "cblas_dgemv", true);
        bind(b, lib.dgemm, "cblas_dgemm", true);
        bind(b, lib.dtrsm, "cblas_dtrsm", true);
        bind(b, lib.dtrmm, "cblas_dtrmm", true);
        bind(l, lib.dgetrf, "LAPACKE_dgetrf_work", true);
        bind(l, lib.dgetri, "LAPACKE_dgetri_work", true);
        bind(l, lib.dtrtri, "LAPACKE_dtrtri_work", true);
        bind(l, lib.dlaswp, "LAPACKE_dlaswp_work", true);
        bind_extensions(b);
        is_loaded = true;
    } catch (const std::exception& e) {
        load_error = std::string("BLAS/LAPACKE library is incomplete: ") + e.what();
    }
}

}  // namespace

std::string file_of(const void* symbol) {
    Dl_info info{};
    if (!symbol || !dladdr(symbol, &info) || !info.dli_fname) return "unknown";
    std::error_code ec;
    auto real = std::filesystem::canonical(info.dli_fname, ec);
    return ec ? info.dli_fname : real.string();
}

const Library& library() {
    std::call_once(once, load);
    if (!is_loaded) throw std::runtime_error(load_error);
    return lib;
}

bool loaded() {
    return is_loaded;
}

int threads() {
    return is_loaded && lib.get_num_threads ? lib.get_num_threads() : 0;
}

namespace {

// Runs `f` with OPENBLAS_NUM_THREADS=1, then restores the environment (a process's children
// get their own thread counts): an OpenBLAS loaded meanwhile starts no thread pool.
template <typename F>
void with_one_blas_thread(F f) {
    const char* saved = std::getenv("OPENBLAS_NUM_THREADS");
    const std::string keep = saved ? saved : "";
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    f();
    if (saved)
        setenv("OPENBLAS_NUM_THREADS", keep.c_str(), 1);
    else
        unsetenv("OPENBLAS_NUM_THREADS");
}

}  // namespace

const Library& single_threaded() {
    if (!is_loaded) with_one_blas_thread([] {
            try {
                library();
            } catch (...) {
            }
        });
    const Library& l = library();
    if (l.set_num_threads && threads() != 1) {
        // OpenBLAS's OpenMP build sets this process's OpenMP thread count as well
        // (omp_set_num_threads): the caller's own team must keep the threads it was given.
        const int omp_threads = omp_get_max_threads();
        l.set_num_threads(1);
        if (omp_get_max_threads() != omp_threads) omp_set_num_threads(omp_threads);
    }
    return l;
}

std::string probe(const std::string& path, bool* has_lapack) {
    std::string problem;
    with_one_blas_thread([&] {
        void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            problem = dlerror();
            return;
        }
        if (!dlsym(h, "cblas_dgemm")) {
            problem = "it has no cblas_dgemm (not a CBLAS library)";
            return;
        }
        if (has_lapack) *has_lapack = dlsym(h, "dgetrf_") != nullptr;
        // Not closed: unloading a BLAS that started threads is not safe in every version.
    });
    return problem;
}

namespace {

// name, version, config, core and threading of OpenBLAS or BLIS.
nlohmann::json identity(const Library& l) {
    nlohmann::json j;
    if (l.blis_version) {
        const char* arch = l.blis_arch_id && l.blis_arch_name ? l.blis_arch_name(l.blis_arch_id())
                                                             : "";
        j["name"] = "BLIS";
        j["version"] = l.blis_version();
        j["config"] = fmt::format("BLIS {} {}", l.blis_version(), arch ? arch : "");
        j["core"] = arch ? arch : "";
        j["threading"] = l.blis_openmp && l.blis_openmp()         ? "openmp"
                         : l.blis_pthreads && l.blis_pthreads()   ? "pthreads"
                         : l.blis_openmp && l.blis_pthreads ? "sequential"
                                                            : "unknown";
        return j;
    }
    std::string config = l.get_config ? l.get_config() : "";
    std::string version = "unknown";
    if (config.rfind("OpenBLAS ", 0) == 0) version = config.substr(9, config.find(' ', 9) - 9);
    j["name"] = l.get_config ? "OpenBLAS" : "unknown";
    j["version"] = version;
    j["config"] = config;
    j["core"] = l.get_corename ? l.get_corename() : "";
    const int parallel = l.get_parallel ? l.get_parallel() : -1;
    j["threading"] = parallel == 0   ? "sequential"
                     : parallel == 1 ? "pthreads"
                     : parallel == 2 ? "openmp"
                                     : "unknown";
    return j;
}

nlohmann::json info_of(const Library& l) {
    nlohmann::json j = identity(l);
    j["blas_library"] = file_of(reinterpret_cast<const void*>(l.dgemm));
    // Where LAPACK's dgetrf_ (which LAPACKE calls) resolves to: OpenBLAS's own LAPACK,
    // or a reference LAPACK that would make invert slow unless its BLAS calls resolve to an
    // optimised BLAS: dgemm_ in the global scope, which LAPACK's calls find first.
    j["lapack_library"] = file_of(dlsym(RTLD_DEFAULT, "dgetrf_"));
    j["lapack_blas_library"] = file_of(dlsym(RTLD_DEFAULT, "dgemm_"));
    j["lapacke_library"] = file_of(reinterpret_cast<const void*>(l.dgetrf));
    return j;
}

}  // namespace

nlohmann::json info() {
    try {
        return info_of(is_loaded ? library() : single_threaded());
    } catch (const std::exception& e) {
        return {{"name", "unavailable"}, {"error", e.what()}};
    }
}

nlohmann::json loaded_info() {
    return is_loaded ? info_of(lib) : nlohmann::json();
}

}  // namespace parsweep::blas
