#include "blas.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

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
        bind(b, lib.get_num_threads, "openblas_get_num_threads", false);
        bind(b, lib.set_num_threads, "openblas_set_num_threads", false);
        bind(b, lib.get_config, "openblas_get_config", false);
        bind(b, lib.get_corename, "openblas_get_corename", false);
        bind(b, lib.get_parallel, "openblas_get_parallel", false);
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

const Library& single_threaded() {
    if (!is_loaded) {
        // One thread while loading: OpenBLAS starts no pool. The environment is restored
        // afterwards (a process's children get their own thread counts).
        const char* saved = std::getenv("OPENBLAS_NUM_THREADS");
        const std::string keep = saved ? saved : "";
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        try {
            library();
        } catch (...) {
        }
        if (saved)
            setenv("OPENBLAS_NUM_THREADS", keep.c_str(), 1);
        else
            unsetenv("OPENBLAS_NUM_THREADS");
    }
    const Library& l = library();
    if (l.set_num_threads && threads() != 1) l.set_num_threads(1);
    return l;
}

nlohmann::json info() {
    try {
        const Library& l = is_loaded ? library() : single_threaded();
        nlohmann::json j;
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
        j["blas_library"] = file_of(reinterpret_cast<const void*>(l.dgemm));
        // Where LAPACK's dgetrf_ (which LAPACKE calls) resolves to: OpenBLAS's own LAPACK,
        // or a reference LAPACK that would make invert slow.
        j["lapack_library"] = file_of(dlsym(RTLD_DEFAULT, "dgetrf_"));
        j["lapacke_library"] = file_of(reinterpret_cast<const void*>(l.dgetrf));
        return j;
    } catch (const std::exception& e) {
        return {{"name", "unavailable"}, {"error", e.what()}};
    }
}

}  // namespace parsweep::blas
