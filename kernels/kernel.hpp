// The Kernel interface and the kernel registry.
//
// A kernel is a unit of verifiable work that parsweep times. It knows nothing of worker
// processes, results files or the CLI: the harness gives each worker process a contiguous
// share [begin, end) of the kernel's items (and says how many workers share them: Share),
// and the kernel processes that share with the OpenMP / BLAS threads the worker process was
// started with.
//
// Life of one repetition of one point, in each worker process:
//
//   auto run = kernel.prepare(params, {begin, end, P});  // untimed: allocate, first-touch, open
//   for each batch [b, e) of the share:                  // batch_items() items at a time
//       run->stage(b, e);                                // untimed: the batch's input, if any
//       run->run(b, e);                                  // TIMED
//       verdict &= run->check(b, e);                     // untimed: prove the batch's answer
//   partial = run->partial();                            // sent to the parent
//
// and in the parent, once every worker has answered:
//
//   result  = kernel.merge(params, partials);            // e.g. sum the counts
//   verdict = kernel.verify(params, result);             // e.g. against a serial reference
//
// A point is verified only when every worker's checks and the merged verify() pass.
//
// Adding a kernel: one file kernels/<id>.cpp defining `const Kernel& <id>_kernel()`, and one
// entry in PARSWEEP_KERNELS in kernels/registry.cpp. The file declares its parameters once,
// as a struct and a list of Param (ParamSpec + the member it fills), and implements the
// kernel on that struct; KernelOf (below) turns it into a Kernel that parses the point's
// JSON once per call and hands the struct to the kernel's methods.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace parsweep {

using json = nlohmann::json;

// The type of a kernel parameter, as checked by the config loader.
enum class ParamType {
    Integer,     // a whole number (JSON integer, or a float with no fractional part)
    Number,      // any finite number
    String,      // a string; restricted to `choices` when that is not empty
    Boolean,     // true / false
    StringList,  // a non-empty list of non-empty strings
    File,        // a path to a readable regular file (relative to the working directory),
                 // what the kernel's answer is computed from: a run identifies it when it
                 // starts and fails a point whose file changed since (run/input_identity.hpp)
    Directory,   // a path to a directory, relative to the config's directory as File's
    Scalar,      // a number, string or boolean: a user's own variable (Kernel::takes_variables)
};

std::string_view to_string(ParamType type);

// A non-negative integer parameter (the config loader normalises them, but a float with no
// fraction is accepted too). Throws std::invalid_argument naming `kernel` and `name`.
std::uint64_t count_param(const json& params, std::string_view kernel, const char* name);

// One parameter of a kernel: what `parsweep list` prints and what the config loader checks.
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Integer;
    json default_value;         // null: the parameter is required
    std::string help;           // one line: meaning and unit
    std::optional<double> min;  // inclusive bounds, for Integer and Number
    std::optional<double> max;
    std::vector<std::string> choices;  // for String: the allowed values
    // A check of one value against the outside world (is this library installed?), run by
    // the config loader after the type and range checks: "" when the value can be used, else
    // why not. Empty for most parameters.
    std::function<std::string(const json&)> check = {};
    // The kernel's work is proportional to this parameter (and to nothing else that weak
    // scaling would change): square's n, pi's samples, invert's count of matrices. Weak
    // scaling (`"scaling": "weak"`, config.hpp) multiplies it by the point's P·T so that the
    // work per worker stays fixed. At most one per kernel; a kernel without one (wordcount
    // over a fixed text) cannot be swept with weak scaling, and the config says so.
    bool work_size = false;
};

// A problem with a kernel's parameters found by Kernel::validate: `param` names the
// parameter (the config loader turns it into a JSON path), `message` says what is wrong.
struct ParamError {
    std::string param;
    std::string message;
};

// The outcome of a check: ok, or the reason it failed ("sum of y is 12, expected 14").
struct Verdict {
    bool ok = true;
    std::string message;

    static Verdict pass() { return {}; }
    static Verdict fail(std::string why) { return {false, std::move(why)}; }
    // Keeps the first failure.
    Verdict& operator&=(const Verdict& other) {
        if (ok && !other.ok) *this = other;
        return *this;
    }
};

// What one execution of a point (all its items, over all workers) amounts to. The harness
// divides these by the measured time to report GFLOP/s, GB/s and items/s; a zero means
// "not meaningful for this kernel" and the rate is left empty.
struct Work {
    double flops = 0;       // floating-point operations
    double bytes = 0;       // bytes the kernel must move (STREAM counting: read + written)
    double items = 0;       // kernel items (numbers, chunks, matrices)
    std::string item_unit;  // what an item is, for reports: "number", "chunk", "matrix"
};

// What the harness hands one worker of a point besides the parameters: its share [begin, end)
// of the items, and how many worker processes the point runs (P: spawned workers or MPI
// ranks, this one included). Most kernels need only their own items; one that shares the
// machine with its sibling workers needs P (lesson 04 gives each worker P's part of the
// cores for its BLAS threads).
struct Share {
    std::uint64_t begin = 0, end = 0;
    int processes = 1;
    int worker = 0;   // this worker's index among them, 0 … P−1 (its rank under MPI)
    int threads = 1;  // T: the OpenMP / BLAS threads every worker of the point runs with
};

// Part `index` of `parts` over `items` items, [begin, end): contiguous, sizes differing by at
// most 1 (the first items % parts get one more), as OpenMP's schedule(static) splits a loop.
// The harness splits a point's items among its workers this way, and STREAM its arrays among
// its threads.
std::pair<std::uint64_t, std::uint64_t> share_of(std::uint64_t items, int parts, int index);

// One worker's share of one point. Created in the worker process after its OpenMP / BLAS
// environment is fixed; run() is the only timed call.
class KernelRun {
  public:
    virtual ~KernelRun() = default;
    // Untimed, just before run(begin, end): builds the batch's input when it is generated per
    // batch (invert's matrix k), so that the timed region holds only the work the kernel's
    // flops and bytes count. run() must still work when stage() was not called for its range.
    virtual void stage(std::uint64_t begin, std::uint64_t end) {
        (void)begin;
        (void)end;
    }
    // TIMED. Processes items [begin, end), a sub-range of the share given to prepare(),
    // using the threads of this process (omp_get_max_threads(), the BLAS's own threads).
    virtual void run(std::uint64_t begin, std::uint64_t end) = 0;
    // Untimed, just after run(): how much of the run() that just returned, from its start, was
    // the kernel setting up rather than doing its work — a command that printed
    // `parsweep-time: S` spent its wall time less S starting (kernels/command.cpp). The harness
    // moves the batch's start that much later, so that it counts as dispatch, not compute.
    virtual double setup_s() { return 0; }
    // Untimed. Proves what run() computed for [begin, end).
    virtual Verdict check(std::uint64_t begin, std::uint64_t end) = 0;
    // This share's contribution to the point's result, given to Kernel::merge.
    virtual json partial() const = 0;
};

class Kernel {
  public:
    virtual ~Kernel() = default;

    // lower_snake id, identical in the folder, JSON configs and CSV files.
    virtual std::string_view id() const = 0;
    // One line for `parsweep list`.
    virtual std::string_view summary() const = 0;
    // Kernels for testing parsweep itself, shown by `parsweep list --all` only.
    virtual bool hidden() const { return false; }
    virtual const std::vector<ParamSpec>& params() const = 0;
    // Whether the kernel calls the BLAS (kernels/blas.hpp): such kernels accept the `blas`
    // axis (harness/machine/blas_axis.hpp), the others reject it as an unknown parameter.
    virtual bool uses_blas() const { return false; }
    // Whether a config may give the kernel parameters and axes it does not declare: the user's
    // own variables (ParamType::Scalar), handed to it with the others. The command kernel's
    // placeholders name them; any other kernel rejects an unknown name as a typo.
    virtual bool takes_variables() const { return false; }
    // Whether a worker whose share is empty still runs, once, with run(begin, begin): the
    // command kernel starts the user's program in every worker, whatever its share.
    virtual bool runs_empty_shares() const { return false; }

    // Checks that need several parameters or the outside world (a file's size, a word list's
    // contents), after each parameter has been type- and range-checked against params().
    // `params` has every parameter, defaults filled in.
    virtual std::vector<ParamError> validate(const json& params) const {
        (void)params;
        return {};
    }

    // Number of items in the whole point; the harness splits [0, items) over the processes.
    virtual std::uint64_t items(const json& params) const = 0;
    // Items per timed batch inside a share; 0 means the whole share is one batch.
    virtual std::uint64_t batch_items(const json& params) const {
        (void)params;
        return 0;
    }
    // Peak memory one worker needs for a share of `share_items` items with `threads`
    // threads, in bytes (an estimate that must not be low by more than a few percent).
    virtual std::uint64_t memory_bytes(const json& params, std::uint64_t share_items,
                                       int threads) const = 0;
    // The work of the whole point, for throughput.
    virtual Work work(const json& params) const = 0;

    // In the worker: sets up its share [share.begin, share.end) (untimed).
    virtual std::unique_ptr<KernelRun> prepare(const json& params, const Share& share) const = 0;
    // The share [begin, end) of a lone worker (P = 1): for tests and benchmarks that drive a
    // kernel themselves.
    std::unique_ptr<KernelRun> prepare(const json& params, std::uint64_t begin,
                                       std::uint64_t end) const {
        return prepare(params, Share{begin, end});
    }
    // In the parent: combines the workers' partials (in worker order) into the point's result.
    virtual json merge(const json& params, const std::vector<json>& partials) const = 0;
    // In the parent: proves the merged result (exact counts, closed forms, residual bounds).
    virtual Verdict verify(const json& params, const json& result) const = 0;
};

// The kernel's work-size parameter (ParamSpec::work_size), or nullptr when it has none.
const ParamSpec* work_size_param(const Kernel& kernel);

// Every kernel, in registry order, then the registered ones.
const std::vector<const Kernel*>& kernels();
// Adds a kernel that lives outside kernels/ (a workshop exercise's, linked into its own
// binary): call it from a static initializer, before main —
//   static const bool registered = parsweep::register_kernel(my_kernel());
bool register_kernel(const Kernel& kernel);
// The kernel with this id, or nullptr.
const Kernel* find_kernel(std::string_view id);

// Throws std::out_of_range "<kernel>: share [begin, end) outside [0, items)" unless
// begin ≤ end ≤ items: what prepare() checks of the share the harness hands it.
void require_share(std::string_view kernel, std::uint64_t begin, std::uint64_t end,
                   std::uint64_t items);

// merge() of the kernels whose workers check items against a residual bound (invert, dgemm):
// {count_key: Σ the partials' count_key, "max_residual": the largest}. A residual that is not
// a number (NaN or Inf, written as null) counts as the worst, so it can never verify.
json merge_residual_checks(const std::vector<json>& partials, const char* count_key);

// ---------------------------------------------------------------------------------------
// Typed parameters, declared once.

// One parameter of a kernel whose parameters are the struct P: its ParamSpec (what `parsweep
// list`, the config loader and `parsweep schema` see) and how its value is read into P from
// the point's JSON params (every parameter present, defaults filled in). `read` throws
// std::invalid_argument naming the kernel and the parameter when the value is unusable.
template <class P>
struct Param {
    ParamSpec spec;
    std::function<void(P&, const json& params, std::string_view kernel)> read;
};

// The value of parameter `name` as a T: unsigned and int counts through count_param, double,
// bool, std::string and std::vector<std::string> as JSON gives them.
template <class T>
T read_param(const json& params, std::string_view kernel, const std::string& name) {
    if constexpr (std::same_as<T, bool> || std::floating_point<T>)
        return params.at(name).get<T>();
    else if constexpr (std::integral<T>)
        return static_cast<T>(count_param(params, kernel, name.c_str()));
    else
        return params.at(name).get<T>();
}

// A parameter stored as it is in member `member` of P.
template <class P, class T>
Param<P> field(T P::*member, ParamSpec spec) {
    std::string name = spec.name;
    return {std::move(spec), [member, name](P& p, const json& params, std::string_view kernel) {
                p.*member = read_param<T>(params, kernel, name);
            }};
}

// The ParamSpecs of a declaration, in its order.
template <class P>
std::vector<ParamSpec> specs_of(const std::vector<Param<P>>& declared) {
    std::vector<ParamSpec> specs;
    for (const auto& d : declared) specs.push_back(d.spec);
    return specs;
}

// A kernel written on its typed parameters. Impl is a plain class with
//   using Params = …;                                    the typed parameter struct
//   std::string_view id() const, summary() const;
//   const std::vector<Param<Params>>& declared() const;  every parameter, once
//   std::uint64_t items(const Params&) const;
//   std::uint64_t memory_bytes(const Params&, std::uint64_t share_items, int threads) const;
//   Work work(const Params&) const;
//   std::unique_ptr<KernelRun> prepare(const Params&, std::uint64_t b, std::uint64_t e) const;
//                                       (or prepare(const Params&, const Share&) for all of it)
//   json merge(const Params&, const std::vector<json>& partials) const;
//   Verdict verify(const Params&, const json& result) const;
// and, where the Kernel defaults do not fit, hidden(), uses_blas(), takes_variables(),
// runs_empty_shares(), batch_items(const Params&)
// and validate(const Params&) — or validate_json(const json&) for checks of values that would
// not parse. Each Kernel method parses the JSON once and calls Impl's.
template <class Impl>
class KernelOf final : public Kernel {
  public:
    using Params = typename Impl::Params;

    std::string_view id() const override { return impl_.id(); }
    std::string_view summary() const override { return impl_.summary(); }
    bool hidden() const override {
        if constexpr (requires { impl_.hidden(); }) return impl_.hidden();
        return false;
    }
    bool uses_blas() const override {
        if constexpr (requires { impl_.uses_blas(); }) return impl_.uses_blas();
        return false;
    }
    bool takes_variables() const override {
        if constexpr (requires { impl_.takes_variables(); }) return impl_.takes_variables();
        return false;
    }
    bool runs_empty_shares() const override {
        if constexpr (requires { impl_.runs_empty_shares(); }) return impl_.runs_empty_shares();
        return false;
    }
    const std::vector<ParamSpec>& params() const override { return specs_; }

    // The point's parameters as the kernel's struct.
    Params parse(const json& params) const {
        Params p;
        for (const auto& d : impl_.declared()) d.read(p, params, impl_.id());
        return p;
    }

    std::vector<ParamError> validate(const json& params) const override {
        if constexpr (requires(const Params& p) { impl_.validate(p); })
            return impl_.validate(parse(params));
        else if constexpr (requires { impl_.validate_json(params); })
            return impl_.validate_json(params);
        return {};
    }
    std::uint64_t items(const json& params) const override { return impl_.items(parse(params)); }
    std::uint64_t batch_items(const json& params) const override {
        if constexpr (requires(const Params& p) { impl_.batch_items(p); })
            return impl_.batch_items(parse(params));
        return 0;
    }
    std::uint64_t memory_bytes(const json& params, std::uint64_t share_items,
                               int threads) const override {
        return impl_.memory_bytes(parse(params), share_items, threads);
    }
    Work work(const json& params) const override { return impl_.work(parse(params)); }
    std::unique_ptr<KernelRun> prepare(const json& params, const Share& share) const override {
        if constexpr (requires(const Params& p) { impl_.prepare(p, share); })
            return impl_.prepare(parse(params), share);
        else
            return impl_.prepare(parse(params), share.begin, share.end);
    }
    json merge(const json& params, const std::vector<json>& partials) const override {
        return impl_.merge(parse(params), partials);
    }
    Verdict verify(const json& params, const json& result) const override {
        return impl_.verify(parse(params), result);
    }

  private:
    Impl impl_;
    std::vector<ParamSpec> specs_ = specs_of(impl_.declared());
};

}  // namespace parsweep
