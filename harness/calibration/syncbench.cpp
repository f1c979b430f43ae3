#include "calibration/syncbench.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include <fmt/format.h>

#include "measure/clock.hpp"
#include "measure/stats.hpp"
#include "util/interrupt.hpp"

namespace parsweep::syncbench {

namespace {

volatile float delay_start = 0.0f;  // read, never written: the compiler cannot know it is 0
volatile float delay_sink = 0.0f;

constexpr long kMaxInner = 1L << 24;

// Times `body(inner)` once: a millisecond or two. Between two of them a SIGINT or SIGTERM
// ends the measurement.
double time_once(const std::function<void(long)>& body, long inner) {
    throw_if_interrupted();
    const double t0 = monotonic_s();
    body(inner);
    return monotonic_s() - t0;
}

}  // namespace

[[gnu::noinline]] void delay(long length) {
    float a = delay_start;
    for (long i = 0; i < length; ++i) a += static_cast<float>(i);
    if (a < 0) delay_sink = a;
}

long delay_length_for(double seconds) {
    constexpr long kProbe = 1L << 20;
    double best = INFINITY;
    for (int k = 0; k < 5; ++k) {
        const double t0 = monotonic_s();
        delay(kProbe);
        best = std::min(best, monotonic_s() - t0);
    }
    return std::max(1L, std::lround(seconds / (best / kProbe)));
}

int count_outliers(const std::vector<double>& values) {
    const Stats s = summarize(values);
    return static_cast<int>(std::count_if(values.begin(), values.end(), [&](double v) {
        return std::abs(v - s.mean) > 3 * s.stddev;
    }));
}

namespace {

// Throws when OpenMP ran a team of `team` threads for `construct` instead of `threads`.
void check_team(int team, int threads, const char* construct) {
    if (team != threads)
        throw std::runtime_error(fmt::format(
            "{}: OpenMP ran {} threads, {} were asked for (OMP_DYNAMIC or OMP_THREAD_LIMIT?)",
            construct, team, threads));
}

// One construct's test: `inner` uses of it, each around delay(`length`) per thread.
using TestBody = std::function<void(long inner)>;

TestBody parallel_test(int threads, long length) {
    return [=](long inner) {
        int team = 0;
        for (long j = 0; j < inner; ++j) {
#pragma omp parallel num_threads(threads)
            {
                delay(length);
                if (omp_get_thread_num() == 0) team = omp_get_num_threads();
            }
        }
        check_team(team, threads, "parallel");
    };
}

TestBody for_test(int threads, long length) {
    return [=](long inner) {
        long handed_out = 0;
#pragma omp parallel num_threads(threads) reduction(+ : handed_out)
        {
            for (long j = 0; j < inner; ++j) {
#pragma omp for
                for (int i = 0; i < threads; ++i) {
                    delay(length);
                    handed_out += 1;
                }
            }
        }
        if (handed_out != inner * threads)
            throw std::runtime_error(
                fmt::format("for: {} iterations ran, expected {}", handed_out, inner * threads));
    };
}

TestBody barrier_test(int threads, long length) {
    return [=](long inner) {
        int team = 0;
#pragma omp parallel num_threads(threads)
        {
            if (omp_get_thread_num() == 0) team = omp_get_num_threads();
            for (long j = 0; j < inner; ++j) {
                delay(length);
#pragma omp barrier
            }
        }
        check_team(team, threads, "barrier");
    };
}

TestBody reduction_test(int threads, long length) {
    return [=](long inner) {
        for (long j = 0; j < inner; ++j) {
            long sum = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sum)
            {
                delay(length);
                sum += 1;
            }
            if (sum != threads)
                throw std::runtime_error(
                    fmt::format("reduction: the sum is {}, expected {}", sum, threads));
        }
    };
}

// One construct's overhead per use, EPCC's way: `inner` doubled until one test takes the
// target time (getinnerreps), then `outer` references and `outer` tests of `inner` uses each.
Overhead measure_construct(const char* construct, const TestBody& test, const TestBody& reference,
                           int threads, long length, const Settings& settings) {
    long inner = 1;
    while (inner < kMaxInner && time_once(test, inner) < settings.target_test_s) inner *= 2;
    std::vector<double> ref, over;
    for (int k = 0; k < settings.outer; ++k) ref.push_back(time_once(reference, inner) / inner);
    const double ref_mean = summarize(ref).mean;
    for (int k = 0; k < settings.outer; ++k)
        over.push_back(time_once(test, inner) / inner - ref_mean);
    Overhead o;
    o.construct = construct;
    o.threads = threads;
    o.inner = inner;
    o.delay_length = length;
    o.reference_s = ref_mean;
    o.overhead_s = summarize(over);
    o.outliers = count_outliers(over);
    return o;
}

}  // namespace

std::vector<Overhead> measure(int threads, const Settings& settings) {
    const long length = delay_length_for(settings.delay_s);
    // EPCC's refer()/referred(): the delay (and the reduction's add) with no construct.
    long counter = 0;
    const TestBody reference = [&](long inner) {
        for (long j = 0; j < inner; ++j) {
            delay(length);
            counter += 1;
        }
    };
    const std::pair<const char*, TestBody> tests[] = {
        {"parallel", parallel_test(threads, length)},
        {"for", for_test(threads, length)},
        {"barrier", barrier_test(threads, length)},
        {"reduction", reduction_test(threads, length)},
    };
    std::vector<Overhead> out;
    for (const auto& [construct, test] : tests)
        out.push_back(measure_construct(construct, test, reference, threads, length, settings));
    if (counter <= 0) throw std::runtime_error("syncbench: the reference loop did not run");
    return out;
}

}  // namespace parsweep::syncbench
