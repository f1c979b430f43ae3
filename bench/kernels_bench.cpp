// Google Benchmark micro-benchmarks of the kernels, in-process, and of the reference they
// are held to (DGEMM for invert). `make bench` runs them and writes Google Benchmark JSON to
// results/bench/, which compare.py and any tool reading that format can compare.
//
// Counters: bytes_per_second (GB/s of STREAM-counted traffic, or text scanned), items, and
// GFLOP/s as "flops" (rate). Times are real (wall) time: the kernels are multi-threaded.
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

// Runs one share of a kernel in-process with `threads` OpenMP threads, timing run() only.
void run_kernel(benchmark::State& state, const char* id, json params, int threads) {
    const parsweep::Kernel& k = *parsweep::find_kernel(id);
    for (const auto& spec : k.params())
        if (!params.contains(spec.name)) params[spec.name] = spec.default_value;
    omp_set_num_threads(threads);
    const std::uint64_t items = k.items(params);
    auto run = k.prepare(params, 0, items);
    for (auto _ : state) run->run(0, items);
    if (!run->check(0, items).ok) state.SkipWithError("verification failed");
    const auto w = k.work(params);
    state.SetBytesProcessed(static_cast<std::int64_t>(w.bytes * state.iterations()));
    state.SetItemsProcessed(static_cast<std::int64_t>(w.items * state.iterations()));
}

void BM_WordCountKernel(benchmark::State& state) {
    skip_without_text(state);
    run_kernel(state, "wordcount", {{"file", text_path()}, {"chunk_bytes", state.range(0)}},
               static_cast<int>(state.range(1)));
}
BENCHMARK(BM_WordCountKernel)->ArgsProduct({{4096, 262144}, {1, 2}})->UseRealTime();

void BM_Square(benchmark::State& state) {
    run_kernel(state, "square", {{"n", state.range(0)}, {"mode", "omp"}},
               static_cast<int>(state.range(1)));
}
BENCHMARK(BM_Square)->ArgsProduct({{1000, 100000000}, {1, 2}})->UseRealTime();

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

// One inversion (2n³ flops) as the kernel times it: generate + getrf + getri (or trtri).
void BM_Invert(benchmark::State& state) {
    const auto& lib = parsweep::blas::library();
    lib.set_num_threads(static_cast<int>(state.range(1)));
    const int n = static_cast<int>(state.range(0));
    const bool trtri = state.range(2) != 0;
    const auto N = static_cast<std::size_t>(n);
    std::vector<double> a(N * N), l(N * N), work(parsweep::invert::getri_workspace(n));
    std::vector<int> ipiv(N);
    for (auto _ : state) {
        parsweep::invert::generate_matrix(a.data(), N, 42, 0);
        auto info =
            trtri ? parsweep::invert::invert_in_place_trtri(a.data(), n, ipiv.data(), l.data())
                  : parsweep::invert::invert_in_place(a.data(), n, ipiv.data(), work.data(),
                                                      work.size());
        if (info.getrf || info.getri) state.SkipWithError("singular");
    }
    state.counters["flops"] =
        benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate);
    state.SetLabel(trtri ? "trtri" : "getri");
}
BENCHMARK(BM_Invert)
    ->ArgsProduct({{1000, 3000}, {1, 2}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
