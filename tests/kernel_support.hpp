// What the kernel tests share: running one point in-process the way the harness does it,
// over shares that the harness would never choose (uneven, empty), with a chosen number of
// OpenMP threads.
#pragma once

#include <omp.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "kernel.hpp"

namespace parsweep::test {

using Shares = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// Splits [0, n) into 1, 2 or 3 uneven contiguous shares (the harness splits evenly; uneven
// ones are the harder case). Shares may be empty when n is small.
inline Shares uneven_shares(std::uint64_t n, int shares) {
    std::vector<std::uint64_t> cuts = {0};
    if (shares == 2) cuts.push_back(n / 3);
    if (shares == 3) {
        cuts.push_back(n / 7);
        cuts.push_back(n / 2 + 1 > n ? n : n / 2 + 1);
    }
    cuts.push_back(n);
    Shares out;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) out.push_back({cuts[i], cuts[i + 1]});
    return out;
}

struct Outcome {
    Verdict checks;              // every share's check()
    std::vector<json> partials;  // in share order
    json result;                 // merge()
    Verdict verdict;             // verify()
};

// What the worker and the parent do: each share prepare → batches of batch_items() (run,
// check) → partial, an empty share running no batch; then merge and verify.
inline Outcome run_point(const Kernel& kernel, const json& params, const Shares& shares) {
    Outcome o;
    const std::uint64_t batch = kernel.batch_items(params);
    const int P = static_cast<int>(shares.size());
    for (int w = 0; w < P; ++w) {
        const auto [b, e] = shares[static_cast<std::size_t>(w)];
        // As a worker is handed its share: P, its index and the point's threads.
        auto run = kernel.prepare(params, parsweep::Share{b, e, P, w, omp_get_max_threads()});
        const std::uint64_t step = batch ? batch : (e > b ? e - b : 1);
        for (std::uint64_t k = b; k < e; k += step) {
            const std::uint64_t end = k + step < e ? k + step : e;
            run->stage(k, end);
            run->run(k, end);
            o.checks &= run->check(k, end);
        }
        o.partials.push_back(run->partial());
    }
    o.result = kernel.merge(params, o.partials);
    o.verdict = kernel.verify(params, o.result);
    return o;
}

// OpenMP threads for a scope (the harness fixes them per process through OMP_NUM_THREADS).
class OmpThreads {
  public:
    explicit OmpThreads(int threads) : saved_(omp_get_max_threads()) {
        omp_set_num_threads(threads);
    }
    ~OmpThreads() { omp_set_num_threads(saved_); }
    OmpThreads(const OmpThreads&) = delete;
    OmpThreads& operator=(const OmpThreads&) = delete;

  private:
    int saved_;
};

}  // namespace parsweep::test
