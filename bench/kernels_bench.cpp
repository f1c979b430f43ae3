// Google Benchmark micro-benchmarks of every kernel (square, wordcount, invert, pi),
// in-process with sizes and thread counts as arguments, of the reference invert is held to
// (DGEMM), and of the harness's own cost: spawning and gathering worker processes. `make
// bench` runs them and writes Google Benchmark JSON to results/bench/, which compare.py and
// any tool reading that format can compare.
//
// Counters: bytes_per_second (GB/s of STREAM-counted traffic, or text scanned),
// items_per_second (numbers, chunks, matrices, samples), and "flops" (a rate: FLOP/s, or
// integer multiplies/s for square and pi, which count them in the flops slot). Times are
// real (wall) time: the kernels are multi-threaded.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "blas.hpp"
#include "invert.hpp"
#include "kernel.hpp"
#include "launch/launcher.hpp"
#include "sweep/model.hpp"
#include "wordcount.hpp"

namespace {

using parsweep::json;
namespace fs = std::filesystem;

// The text the word-count benchmarks read: $PARSWEEP_BENCH_TEXT, data/t8.shakespeare.txt,
// or the workshop copy beside the checkout.
std::string text_path() {
    if (const char* p = std::getenv("PARSWEEP_BENCH_TEXT")) return p;
    for (const char* p : {"data/t8.shakespeare.txt", PARSWEEP_SHAKESPEARE})
        if (fs::is_regular_file(p)) return p;
    return "";
}

const std::string& text() {
    static const std::string t = [] {
        std::ifstream f(text_path(), std::ios::binary);
        std::stringstream s;
        s << f.rdbuf();
        return s.str();
    }();
    return t;
}

void skip_without_text(benchmark::State& state) {
    if (text().empty()) state.SkipWithError("no text: set PARSWEEP_BENCH_TEXT or run `make data`");
}

// The counting core alone over the text in memory, one thread.
void BM_WordCountCore(benchmark::State& state) {
    skip_without_text(state);
    const auto tok = state.range(0) ? parsweep::wordcount::Tokenizer::Alpha
                                    : parsweep::wordcount::Tokenizer::Whitespace;
    parsweep::wordcount::Matcher m({"dog", "cat", "boy", "girl"}, tok, false);
    const std::string& t = text();
    for (auto _ : state) {
        auto c = parsweep::wordcount::count_words(t, 0, t.size(), false, m);
        benchmark::DoNotOptimize(c);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * t.size()));
    state.SetLabel(tok == parsweep::wordcount::Tokenizer::Alpha ? "alpha" : "whitespace");
}
BENCHMARK(BM_WordCountCore)->Arg(0)->Arg(1)->UseRealTime();

// `params` with every parameter of kernel `k` the benchmark did not set at its default.
json with_defaults(const parsweep::Kernel& k, json params) {
    for (const auto& spec : k.params())
        if (!params.contains(spec.name)) params[spec.name] = spec.default_value;
    return params;
}

// The kernel's work per execution as Google Benchmark counters (a zero is left out).
void set_work_counters(benchmark::State& state, const parsweep::Work& w) {
    const auto it = static_cast<double>(state.iterations());
    if (w.bytes > 0) state.SetBytesProcessed(static_cast<std::int64_t>(w.bytes * it));
    if (w.items > 0) state.SetItemsProcessed(static_cast<std::int64_t>(w.items * it));
    if (w.flops > 0)
        state.counters["flops"] = benchmark::Counter(w.flops * it, benchmark::Counter::kIsRate);
}

// The last run() of `run` (items [0, items)) checked and its merged result verified, as a sweep
// does: a wrong kernel is an error, not a time. Then the work counters.
void check_and_count(benchmark::State& state, const parsweep::Kernel& k, const json& params,
                     parsweep::KernelRun& run, std::uint64_t items) {
    parsweep::Verdict v = run.check(0, items);
    if (v.ok) v = k.verify(params, k.merge(params, {run.partial()}));
    if (!v.ok) state.SkipWithError(v.message.c_str());
    set_work_counters(state, k.work(params));
}

// Runs one share of a kernel in-process with `threads` OpenMP threads, timing run() only.
// Then one more execution, untimed and on a fresh run (partials add up over executions), is
// checked and verified (check_and_count).
void run_kernel(benchmark::State& state, const char* id, json params, int threads) {
    const parsweep::Kernel& k = *parsweep::find_kernel(id);
    params = with_defaults(k, std::move(params));
    omp_set_num_threads(threads);
    const std::uint64_t items = k.items(params);
    auto run = k.prepare(params, 0, items);
    for (auto _ : state) run->run(0, items);
    auto fresh = k.prepare(params, 0, items);
    fresh->run(0, items);
    check_and_count(state, k, params, *fresh, items);
}

// chunk_bytes 2^30 reads the whole text as one chunk: the reference that the cost of chunk
// handling (a pread per chunk, the boundary bytes, the dynamic schedule) is measured against.
// Tokenizer 0 is whitespace (the workshop's split()), 1 is alpha (word boundaries, as rg -w).
void BM_WordCountKernel(benchmark::State& state) {
    skip_without_text(state);
    run_kernel(state, "wordcount",
               {{"file", text_path()},
                {"chunk_bytes", state.range(0)},
                {"tokenizer", state.range(2) ? "alpha" : "whitespace"}},
               static_cast<int>(state.range(1)));
    state.SetLabel(state.range(2) ? "alpha" : "whitespace");
}
BENCHMARK(BM_WordCountKernel)
    ->ArgsProduct({{4096, 262144, 1 << 30}, {1, 2}, {0, 1}})
    ->UseRealTime();

void BM_Square(benchmark::State& state) {
    run_kernel(state, "square", {{"n", state.range(0)}, {"mode", "omp"}},
               static_cast<int>(state.range(1)));
}
BENCHMARK(BM_Square)->ArgsProduct({{1000, 100000000}, {1, 2}})->UseRealTime();

// Monte Carlo π: compute-bound, nothing in memory (about 1.7 ns per sample on one core).
void BM_Pi(benchmark::State& state) {
    run_kernel(state, "pi", {{"samples", state.range(0)}}, static_cast<int>(state.range(1)));
}
BENCHMARK(BM_Pi)
    ->ArgsProduct({{1000000, 100000000}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The BLAS reference: C = A·B, 2n³ flops.
void BM_Dgemm(benchmark::State& state) {
    const auto& lib = parsweep::blas::library();
    lib.set_num_threads(static_cast<int>(state.range(1)));
    const int n = static_cast<int>(state.range(0));
    const auto N = static_cast<std::size_t>(n);
    std::vector<double> a(N * N), b(N * N), c(N * N);
    parsweep::invert::generate_matrix(a.data(), N, 1, 0);
    parsweep::invert::generate_matrix(b.data(), N, 1, 1);
    for (auto _ : state)
        lib.dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a.data(), n, b.data(), n,
                  0.0, c.data(), n);
    state.counters["flops"] =
        benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Dgemm)
    ->ArgsProduct({{1000, 3000}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// One inversion (2n³ flops) through the invert kernel itself, as a worker runs a batch: the
// matrix built by stage() outside the timed region, then run() with method getri (0), trtri (1)
// or gje (2, the default). The last inverse goes through the kernel's check() and verify(): a
// wrong inverse is an error, not a time.
void BM_Invert(benchmark::State& state) {
    // T threads as a worker has them: the BLAS's (getri, trtri) and OpenMP's (gje's team).
    parsweep::blas::library().set_num_threads(static_cast<int>(state.range(1)));
    omp_set_num_threads(static_cast<int>(state.range(1)));
    const char* method = state.range(2) == 0 ? "getri" : state.range(2) == 1 ? "trtri" : "gje";
    const parsweep::Kernel& kernel = *parsweep::find_kernel("invert");
    const json params =
        with_defaults(kernel, {{"n", state.range(0)}, {"count", 1}, {"method", method}});
    auto run = kernel.prepare(params, 0, 1);
    for (auto _ : state) {
        state.PauseTiming();
        run->stage(0, 1);
        state.ResumeTiming();
        run->run(0, 1);
    }
    check_and_count(state, kernel, params, *run, 1);
    state.SetLabel(method);
}
BENCHMARK(BM_Invert)
    ->ArgsProduct({{1000, 3000, 5000}, {1, 2}, {0, 1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The harness's own cost: one repetition of a trivial point (square of 1,000 numbers, whose
// compute is a microsecond) on P fresh worker processes of the parsweep binary (its
// parsweep-worker), through SpawnExecutor as a sweep runs it. Counters per repetition: spawn_s
// (first spawn → every worker ready), gather_s (last batch end → last result received), and their
// sum per worker, spawn_gather_s_per_worker — what each extra process costs.
void BM_HarnessSpawnGather(benchmark::State& state) {
    parsweep::Point point;
    point.kernel = parsweep::find_kernel("square");
    point.params = with_defaults(*point.kernel, {{"n", 1000}, {"mode", "serial"}});
    point.processes = static_cast<int>(state.range(0));
    point.threads = 1;
    point.timeout_s = 60;
    double spawn_s = 0, gather_s = 0;
    for (auto _ : state) {
        const parsweep::RepRecord rec =
            parsweep::SpawnExecutor(PARSWEEP_BINARY).run_repetition(point);
        if (!rec.verified) {
            state.SkipWithError(rec.error.c_str());
            break;
        }
        spawn_s += rec.spawn_s;
        gather_s += rec.gather_s;
    }
    const auto reps = static_cast<double>(state.iterations());
    if (reps == 0) return;
    state.counters["spawn_s"] = spawn_s / reps;
    state.counters["gather_s"] = gather_s / reps;
    state.counters["spawn_gather_s_per_worker"] = (spawn_s + gather_s) / reps / point.processes;
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * point.processes);
}
BENCHMARK(BM_HarnessSpawnGather)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
