/*
 * Lesson 04 — the pool_invert kernel: everything but the thread count you choose
 * (starter/blas_threads.cpp).
 *
 * A pool of worker processes inverting matrices, like multiprocessing.Pool(P) mapping
 * numpy.linalg.inv over a list: the invert kernel's work (`count` seeded n×n matrices,
 * LAPACK dgetrf + dgetri on OpenBLAS, each checked by its residual), except that every
 * worker sets its BLAS threads to lesson04::blas_threads_per_worker(P, usable cores) before
 * it inverts anything, whatever the threads axis says.
 *
 * Where the worker gets the numbers (in prepare, untimed)
 *   P: the Share the harness hands prepare() with the worker's items (kernel.hpp), the
 *   point's worker processes or MPI ranks; usable cores: detect_usable_cores() (sysinfo.hpp),
 *   the same limits the parent applies (affinity mask, cgroup quota, SLURM_CPUS_PER_TASK) —
 *   but not `parsweep run --cores`, which only the parent knows. The threads are set with
 *   openblas_set_num_threads, which works after the BLAS has started (the threads axis has
 *   started it with T); the count the BLAS then reports is the repetition's blas_threads in
 *   sweep.json.
 *
 * Verification (in the parent): invert's own (every matrix checked, largest residual
 * ratio < 30), then the thread budget. With P workers of b BLAS threads each on C usable
 * cores:
 *   b > 1 and P·b > C  → "oversubscribed: P workers × b BLAS threads = P·b threads on C
 *                         usable cores" (b = 1 cannot do better: then the processes alone
 *                         oversubscribe, and the cure is fewer of them);
 *   P·(b + 1) ≤ C      → "cores left idle": one more thread each would still fit.
 * And the P the workers were handed must be the number of workers that answered.
 */
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "blas.hpp"
#include "blas_threads.hpp"
#include "kernel.hpp"
#include "launch/protocol.hpp"
#include "machine/sysinfo.hpp"

namespace {

using parsweep::json;
using parsweep::Verdict;
using u64 = std::uint64_t;

const parsweep::Kernel& invert() {
    static const parsweep::Kernel* const kernel = parsweep::find_kernel("invert");
    if (!kernel) throw std::logic_error("pool_invert: the invert kernel is not registered");
    return *kernel;
}

// The invert kernel's run of this worker's share, with the thread budget it ran under.
class PoolInvertRun final : public parsweep::KernelRun {
  public:
    PoolInvertRun(std::unique_ptr<parsweep::KernelRun> inner, json budget)
        : inner_(std::move(inner)), budget_(std::move(budget)) {}
    void stage(u64 b, u64 e) override { inner_->stage(b, e); }
    void run(u64 b, u64 e) override { inner_->run(b, e); }
    Verdict check(u64 b, u64 e) override { return inner_->check(b, e); }
    json partial() const override {
        json j = inner_->partial();
        j["budget"] = budget_;
        return j;
    }

  private:
    std::unique_ptr<parsweep::KernelRun> inner_;
    json budget_;
};

class PoolInvertKernel final : public parsweep::Kernel {
  public:
    std::string_view id() const override { return "pool_invert"; }
    std::string_view summary() const override {
        return "lesson 04: a pool of worker processes inverting matrices, each with the BLAS "
               "threads blas_threads_per_worker(P, usable cores) gives it";
    }
    const std::vector<parsweep::ParamSpec>& params() const override { return invert().params(); }
    bool uses_blas() const override { return true; }
    std::vector<parsweep::ParamError> validate(const json& p) const override {
        return invert().validate(p);
    }
    u64 items(const json& p) const override { return invert().items(p); }
    u64 batch_items(const json& p) const override { return invert().batch_items(p); }
    // The BLAS threads are the learner's choice, at most one per usable core in a correct
    // answer: the estimate allows for that many, not for the threads axis.
    u64 memory_bytes(const json& p, u64 share, int threads) const override {
        return invert().memory_bytes(p, share,
                                     std::max(threads, parsweep::detect_usable_cores().count));
    }
    parsweep::Work work(const json& p) const override { return invert().work(p); }

    std::unique_ptr<parsweep::KernelRun> prepare(const json& p,
                                                 const parsweep::Share& share) const override {
        const int processes = share.processes;
        const int cores = parsweep::detect_usable_cores().count;
        const int asked = lesson04::blas_threads_per_worker(processes, cores);
        if (asked < 1)
            throw std::invalid_argument(
                fmt::format("blas_threads_per_worker({}, {}) returned {}: every worker needs at "
                            "least 1 thread",
                            processes, cores, asked));
        const parsweep::blas::Library& lib = parsweep::blas::library();
        if (!lib.set_num_threads)
            throw std::runtime_error(
                "pool_invert: this BLAS has no openblas_set_num_threads; run it with OpenBLAS");
        lib.set_num_threads(asked);
        json budget = {{"processes", processes},
                       {"usable_cores", cores},
                       {"blas_threads_asked", asked},
                       {"blas_threads", parsweep::blas::threads()}};
        return std::make_unique<PoolInvertRun>(invert().prepare(p, share), std::move(budget));
    }

    json merge(const json& p, const std::vector<json>& partials) const override {
        json result = invert().merge(p, partials);
        result["workers"] = partials.size();
        // Every worker saw the same P and cores and so got the same answer; the largest is
        // kept, so that one odd worker cannot hide.
        for (const char* key :
             {"processes", "usable_cores", "blas_threads_asked", "blas_threads"}) {
            int most = 0;
            for (const json& part : partials)
                most = std::max(most, part.at("budget").at(key).get<int>());
            result[key] = most;
        }
        return result;
    }

    Verdict verify(const json& p, const json& result) const override {
        if (Verdict v = invert().verify(p, result); !v.ok) return v;
        const int workers = result.at("workers").get<int>();
        const int P = result.at("processes").get<int>();
        const int C = result.at("usable_cores").get<int>();
        const int b = result.at("blas_threads_asked").get<int>();
        // Named as the workers' environment has it: the launchers put the same P there.
        if (P != workers)
            return Verdict::fail(
                fmt::format("pool_invert: {} = {} in the workers, but {} workers "
                            "answered",
                            parsweep::kProcessesVar, P, workers));
        const std::string call =
            fmt::format("blas_threads_per_worker({}, {}) returned {}", P, C, b);
        if (b > 1 && P * b > C)
            return Verdict::fail(fmt::format(
                "oversubscribed: {} workers × {} BLAS threads = {} threads on {} usable cores ({})",
                P, b, P * b, C, call));
        if (P * (b + 1) <= C)
            return Verdict::fail(fmt::format(
                "cores left idle: {} workers × {} BLAS threads = {} threads on {} usable cores, "
                "and {} × {} would still fit ({})",
                P, b, P * b, C, P, b + 1, call));
        return Verdict::pass();
    }
};

const PoolInvertKernel kernel;
const bool registered = parsweep::register_kernel(kernel);

}  // namespace
