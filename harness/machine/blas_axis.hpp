// The BLAS library as a sweep axis: `"blas": "openblas-openmp"` under `params`, or a list
// under `grid`, for the kernels that use the BLAS (Kernel::uses_blas: invert, dgemm).
//
//   default            what parsweep was built against (kernels/blas.hpp), as without the axis
//   openblas-pthread   Debian's libopenblas0-pthread  (OPENBLAS_NUM_THREADS)
//   openblas-openmp    libopenblas0-openmp            (OMP_NUM_THREADS, its own OpenMP team)
//   openblas-serial    libopenblas0-serial            (one thread, whatever T)
//   blis-openmp        libblis4-openmp                (BLIS_NUM_THREADS / OMP_NUM_THREADS)
//   blis-pthread       libblis4-pthread               (BLIS_NUM_THREADS)
//   blis               blis-openmp when installed, else blis-pthread
//   a value with '/'   a library file that has cblas_dgemm
//
// The Debian libraries are looked for in the multiarch directory found when parsweep was
// configured (/usr/lib/x86_64-linux-gnu, /usr/lib/aarch64-linux-gnu, …). BLIS has no LAPACK:
// its workers also load the reference LAPACK (liblapack3, with the reference BLAS of libblas3
// only to satisfy its soname) after BLIS, so LAPACK's dgemm_ … calls resolve to BLIS; the
// same holds for a library file without dgetrf_.
//
// Like the pinning axes (pinning.hpp) a point carries `blas` only when the config gives it, so
// configs without it keep their point keys, labels and CSV columns. The kernels never read it:
// the launchers pass blas_env() to the workers, whose kernels/blas.cpp loads what it names, and
// each worker reports what it loaded (blas::loaded_info, recorded per repetition).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kernel.hpp"

namespace parsweep {

// The spec of `blas` (no default: absent means the default library, as before the axis).
const std::vector<ParamSpec>& blas_params();

// The libraries a `blas` value stands for.
struct BlasChoice {
    std::string blas;    // the BLAS file ("" for "default": the build's choice)
    std::string lapack;  // ':'-separated libraries loaded before LAPACKE; "" for none
};

// Resolves a `blas` value; "" in `problem` when it can be used here, else why not, naming the
// Debian package to install or the file and the loader's reason. `libdir` is where Debian's
// builds are looked for (the multiarch directory when "").
BlasChoice resolve_blas(const std::string& value, std::string& problem,
                        const std::string& libdir = "");

// For a parameter a kernel does not have: when it is `blas`, " (the blas axis is for the
// kernels that use the BLAS: invert, dgemm)", else "".
std::string blas_not_applicable(const std::string& param);

// PARSWEEP_BLAS_LIBRARY and PARSWEEP_LAPACK_LIBRARY for the point's workers (kernels/blas.hpp);
// empty when the point has no `blas` or it is "default".
std::map<std::string, std::string> blas_env(const json& params);

}  // namespace parsweep
