/*
 * fault — a kernel that fails on purpose, for testing parsweep's handling of failures.
 * Hidden from `parsweep list` (shown by `list --all`).
 *
 * What it does
 *   `count` items; each takes `item_s` seconds (sleeping, so it costs no CPU). The worker
 *   whose share holds item `at` misbehaves there according to `mode`:
 *     ok      nothing: a verified run (with item_s > 0, a slow one: for interruption tests)
 *     crash   the worker raises SIGSEGV
 *     hang    the worker sleeps forever (the point's timeout_s must end it)
 *     exit    the worker exits with status `exit_code` without reporting
 *     wrong   the worker reports a wrong result: the parent's verify() fails
 *     check   the worker's own check() fails for that item
 *     setup   prepare() throws: the worker reports a set-up failure
 *
 * Verification
 *   The result is the sum of the item indices, Σ k for k < count = count(count−1)/2, and the
 *   number of items; "wrong" adds one to its sum.
 */
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "kernel.hpp"

namespace parsweep {
namespace {

using u64 = std::uint64_t;

struct FaultParams {
    std::string mode;
    u64 count = 4;
    u64 at = 0;
    double item_s = 0;
    int exit_code = 3;
};

const std::vector<Param<FaultParams>>& fault_params() {
    using P = FaultParams;
    static const std::vector<Param<P>> declared = {
        field(&P::mode, {"mode",
                         ParamType::String,
                         "ok",
                         "how the worker holding item `at` misbehaves",
                         std::nullopt,
                         std::nullopt,
                         {"ok", "crash", "hang", "exit", "wrong", "check", "setup"}}),
        field(&P::count, {"count", ParamType::Integer, 4, "items", 1.0, 1e9, {}}),
        field(&P::at,
              {"at", ParamType::Integer, 0, "the item at which the fault happens", 0.0, 1e9, {}}),
        field(&P::item_s, {"item_s",
                           ParamType::Number,
                           0.0,
                           "seconds each item takes (sleeping)",
                           0.0,
                           3600.0,
                           {}}),
        field(&P::exit_code,
              {"exit_code", ParamType::Integer, 3, "exit status for mode exit", 1.0, 255.0, {}}),
    };
    return declared;
}

class FaultRun final : public KernelRun {
  public:
    FaultRun(FaultParams p, u64 begin, u64 end) : p_(std::move(p)), begin_(begin), end_(end) {}

    void run(u64 b, u64 e) override {
        for (u64 k = b; k < e; ++k) {
            if (p_.item_s > 0)
                std::this_thread::sleep_for(std::chrono::duration<double>(p_.item_s));
            if (k == p_.at) misbehave();
            sum_ += k;
            ++items_;
        }
    }

    Verdict check(u64 b, u64 e) override {
        if (p_.mode == "check" && p_.at >= b && p_.at < e)
            return Verdict::fail(fmt::format("fault: check failed at item {} (mode check)", p_.at));
        return Verdict::pass();
    }

    json partial() const override {
        const bool mine = p_.at >= begin_ && p_.at < end_;
        return {{"sum", sum_ + (p_.mode == "wrong" && mine ? 1 : 0)}, {"items", items_}};
    }

  private:
    void misbehave() const {
        if (p_.mode == "crash") raise(SIGSEGV);
        if (p_.mode == "exit") std::_Exit(p_.exit_code);
        if (p_.mode == "hang")
            for (;;) pause();
    }

    FaultParams p_;
    u64 begin_, end_;
    u64 sum_ = 0, items_ = 0;
};

class FaultKernel {
  public:
    using Params = FaultParams;

    std::string_view id() const { return "fault"; }
    std::string_view summary() const {
        return "fails on purpose (crash, hang, exit, wrong result, failed check or set-up) to "
               "test parsweep's failure handling";
    }
    bool hidden() const { return true; }

    const std::vector<Param<FaultParams>>& declared() const { return fault_params(); }

    std::vector<ParamError> validate(const FaultParams& f) const {
        if (f.at >= f.count)
            return {{"at", fmt::format("must be below count ({}), got {}", f.count, f.at)}};
        return {};
    }

    u64 items(const FaultParams& f) const { return f.count; }
    u64 batch_items(const FaultParams&) const { return 1; }
    u64 memory_bytes(const FaultParams&, u64, int) const { return 1 << 20; }
    Work work(const FaultParams& f) const { return {0, 0, static_cast<double>(f.count), "item"}; }

    std::unique_ptr<KernelRun> prepare(FaultParams f, u64 begin, u64 end) const {
        if (f.mode == "setup" && f.at >= begin && f.at < end)
            throw std::runtime_error(
                fmt::format("fault: set-up failed for item {} (mode setup)", f.at));
        return std::make_unique<FaultRun>(std::move(f), begin, end);
    }

    json merge(const FaultParams&, const std::vector<json>& partials) const {
        u64 sum = 0, items = 0;
        for (const auto& p : partials)
            sum += p.at("sum").get<u64>(), items += p.at("items").get<u64>();
        return {{"sum", sum}, {"items", items}};
    }

    Verdict verify(const FaultParams& f, const json& result) const {
        const u64 want = f.count * (f.count - 1) / 2;
        if (result.at("items").get<u64>() != f.count || result.at("sum").get<u64>() != want)
            return Verdict::fail(fmt::format("fault: sum of items is {}, expected {} (mode {})",
                                             result.at("sum").get<u64>(), want, f.mode));
        return Verdict::pass();
    }
};

}  // namespace

const Kernel& fault_kernel() {
    static const KernelOf<FaultKernel> kernel;
    return kernel;
}

}  // namespace parsweep
