/*
 * Lesson 05 — the blas_invert kernel: the built-in `invert` kernel, on a BLAS started by
 * YOUR start_blas() (starter/start_blas.cpp), and a check that the BLAS runs the threads
 * that were asked for.
 *
 * Why the kernel clears the thread variables
 *   The launcher sets OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS and OMP_NUM_THREADS to the
 *   point's `threads` (T) in every worker's environment before it starts — the right way,
 *   which would make the order inside start_blas() irrelevant: OpenBLAS would find T there
 *   whatever the learner did. So prepare() removes the three variables OpenBLAS reads (the
 *   worker is then like a Python script started from a shell where none is set), and gives T
 *   to start_blas() instead: only the learner's code decides the count. (libgomp read
 *   OMP_NUM_THREADS when the worker started, so the worker's OpenMP team keeps T.)
 *
 * In every worker process, prepare():
 *   1. asks for T = the point's threads (omp_get_max_threads(), from the launcher);
 *   2. clears the variables, calls lesson05::start_blas(T), and reads what OpenBLAS runs
 *      (parsweep::blas::threads(), openblas_get_num_threads());
 *   3. prepares the built-in `invert` kernel's share (kernels/invert.cpp), which does the
 *      work: `count` seeded n×n matrices inverted with dgetrf + dgetri, each verified by its
 *      normwise residual.
 *
 * (lessons::KernelAround, ../kernel_around.hpp, does 3. and the plumbing.)
 *
 * Verification: the worker's check() fails when OpenBLAS runs another count than
 * min(T, the CPUs of the affinity mask) — OpenBLAS caps its threads at the CPUs it sees —
 * with the reason in words ("asked for 1 BLAS thread, OpenBLAS runs 2: the count was set
 * after the BLAS had started"); then invert's checks and verify(). The result is invert's,
 * plus every worker's "blas_threads" (what ran) and "asked" (T).
 *
 * Counting, items, memory: the `invert` kernel's (items = matrices).
 */
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "../kernel_around.hpp"
#include "blas.hpp"
#include "machine/sysinfo.hpp"
#include "start_blas.hpp"

namespace {

using parsweep::json;
using parsweep::Verdict;

// The variables OpenBLAS takes its thread count from, in the order it looks.
constexpr const char* kOpenBlasThreadVars[] = {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                                               "OMP_NUM_THREADS"};

std::string threads_word(int n) {
    return fmt::format("{} BLAS thread{}", n, n == 1 ? "" : "s");
}

// What OpenBLAS runs against what was asked, with the mistake in words. `cpus`: the CPUs of
// the affinity mask, where OpenBLAS caps its count, and the count it starts with when no
// variable is set.
Verdict judge(int asked, int runs, int cpus) {
    const int expected = std::min(asked, cpus);
    if (runs == expected) return Verdict::pass();
    if (runs == 0)
        return Verdict::fail(fmt::format(
            "asked for {}, but the BLAS does not say how many it runs (it is not OpenBLAS: "
            "openblas_get_num_threads is missing)",
            threads_word(asked)));
    const std::string said =
        fmt::format("asked for {}, OpenBLAS runs {}", threads_word(asked), runs);
    if (runs == cpus)
        return Verdict::fail(said +
                             ": the count was set after the BLAS had started (OpenBLAS reads "
                             "OPENBLAS_NUM_THREADS once, when it loads, and otherwise starts "
                             "one thread per CPU)");
    return Verdict::fail(
        fmt::format("{} (expected {}: the count asked for, at most the {} CPUs "
                    "OpenBLAS sees)",
                    said, expected, cpus));
}

class BlasInvertKernel final : public lessons::KernelAround {
  public:
    BlasInvertKernel() : KernelAround("invert") {}
    std::string_view id() const override { return "blas_invert"; }
    std::string_view summary() const override {
        return "lesson 05: invert on a BLAS started by start_blas(T) — with T threads, or with "
               "one per CPU when the count comes too late";
    }

  protected:
    lessons::Before before(const json&) const override {
        if (parsweep::blas::loaded())
            throw std::logic_error(
                "blas_invert: the BLAS was already loaded before start_blas(); this kernel "
                "needs a fresh worker process");
        const int asked = omp_get_max_threads();
        for (const char* name : kOpenBlasThreadVars) unsetenv(name);
        lesson05::start_blas(asked);
        const int runs = parsweep::blas::threads();
        const int cpus = parsweep::detect_usable_cores().affinity;
        return {judge(asked, runs, cpus), {{"blas_threads", runs}, {"asked", asked}}};
    }
};

const BlasInvertKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
