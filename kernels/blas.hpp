// The BLAS and LAPACKE, loaded on first use.
//
// Why not link them: starting a worker that links OpenBLAS and LAPACKE costs about 3 ms more
// than one that does not (relocating a 36 MB library, OpenBLAS's start-up, the gfortran
// chain behind LAPACKE), and every worker of every point pays it. Kernels that never call
// the BLAS (square, wordcount) should not show that cost as "parallel overhead". So the
// libraries are dlopen()ed by the first kernel that asks for them — in a worker, after its
// environment (OPENBLAS_NUM_THREADS …) was fixed by the launcher, so the BLAS still starts
// with the point's thread count, exactly like `import numpy` after setting the variables.
//
// Which library: $PARSWEEP_BLAS_LIBRARY / $PARSWEEP_LAPACKE_LIBRARY when set (to compare BLAS
// builds; the launcher sets them from a point's `blas` axis, harness/machine/blas_axis.hpp), else
// the ones found when parsweep was built, else their sonames. $PARSWEEP_LAPACK_LIBRARY, when set,
// is a ':'-separated list of libraries opened between the two (RTLD_GLOBAL, in order): for a
// BLAS without LAPACK (BLIS), the reference LAPACK, whose calls to dgemm_ … then resolve to
// the BLAS opened first — the global scope is searched in load order.
#pragma once

#include <cblas.h>
#include <lapacke.h>

#include <string>

#include <nlohmann/json.hpp>

namespace parsweep::blas {

// The entry points parsweep uses, with the signatures of the headers it was built against.
struct Library {
    decltype(&cblas_dgemv) dgemv = nullptr;
    decltype(&cblas_dgemm) dgemm = nullptr;
    decltype(&cblas_dtrsm) dtrsm = nullptr;
    decltype(&cblas_dtrmm) dtrmm = nullptr;
    decltype(&LAPACKE_dgetrf_work) dgetrf = nullptr;
    decltype(&LAPACKE_dgetri_work) dgetri = nullptr;
    decltype(&LAPACKE_dtrtri_work) dtrtri = nullptr;
    decltype(&LAPACKE_dlaswp_work) dlaswp = nullptr;
    // OpenBLAS extensions; null for another BLAS.
    decltype(&openblas_get_num_threads) get_num_threads = nullptr;
    decltype(&openblas_set_num_threads) set_num_threads = nullptr;
    decltype(&openblas_get_config) get_config = nullptr;
    decltype(&openblas_get_corename) get_corename = nullptr;
    decltype(&openblas_get_parallel) get_parallel = nullptr;
    // BLIS's identity (bli_info_*); null for another BLAS. BLIS's own thread calls are bound
    // to get_num_threads / set_num_threads above through adapters (its counts are 64-bit).
    const char* (*blis_version)() = nullptr;
    bool (*blis_openmp)() = nullptr;
    bool (*blis_pthreads)() = nullptr;
    int (*blis_arch_id)() = nullptr;
    const char* (*blis_arch_name)(int) = nullptr;
    std::string blas_path;     // as opened
    std::string lapack_paths;  // $PARSWEEP_LAPACK_LIBRARY as opened, "" when not set
    std::string lapacke_path;
};

// Loads the libraries once (thread-safe) and returns their entry points. Throws
// std::runtime_error naming the library and the loader's reason when they cannot be loaded.
const Library& library();

// The BLAS for a caller that runs its own threads, each calling it: loaded with one thread
// when this process has not loaded it yet (OpenBLAS then starts no thread pool, whose idle
// threads would spin for about 0.1 s after each call on cores the caller's threads need), else
// set to one thread (leaving the process's OpenMP thread count as it was, which OpenBLAS's
// OpenMP build would change). Throws as library() does.
const Library& single_threaded();

// Whether the library file at `path` loads in this process and is a CBLAS (has cblas_dgemm):
// "" when it is, else the loader's reason or what it lacks. It is opened RTLD_LOCAL with one
// OpenBLAS thread (no thread pool) and left open. `has_lapack`, when given, is set to whether
// it brings its own LAPACK (dgetrf_). For checking a config before anything runs.
std::string probe(const std::string& path, bool* has_lapack = nullptr);

// Whether this process has loaded the BLAS (a worker of a non-BLAS kernel has not).
bool loaded();

// The BLAS's thread count in this process: 0 when it is not loaded.
int threads();

// The file of the shared library that defines `symbol` (symlinks resolved), or "unknown":
// where a routine really comes from, whatever was asked for.
std::string file_of(const void* symbol);

// What `parsweep info` and sweep.json record: name ("OpenBLAS", "BLIS"), version, config,
// core, threading model, and the files the BLAS, LAPACK and LAPACKE routines come from
// (lapack_blas_library: where LAPACK's own BLAS calls, dgemm_, resolve); {"error": …} when
// they cannot be loaded. Called in the parent: when this process has not loaded the BLAS yet, it
// loads it with one thread, because an idle OpenBLAS thread pool in the parent spins on a
// CPU that the workers need (seen: 10 ms added to a 1 ms point on 2 cores). The thread
// count of the workers is theirs, recorded per repetition.
nlohmann::json info();

// info() of the BLAS this process has loaded, null when it has not loaded one: what a worker
// reports, so that each repetition records the library it really ran on.
nlohmann::json loaded_info();

}  // namespace parsweep::blas
