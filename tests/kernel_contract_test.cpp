// Every registered kernel against the Kernel contract (kernels/kernel.hpp), in-process at a
// small size: its parameters are declared with defaults in range, a point prepared and run over
// one share (P = 1) and over two uneven shares (P = 2) with 1 and 2 OpenMP threads checks and
// verifies, and verify() rejects a corrupted result, an empty one and one that lost a share.
// A new kernel is tested here without a test file of its own; the kernel_<id>_test files test
// what is particular to each one.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel.hpp"
#include "kernel_support.hpp"
#include "test_support.hpp"

namespace {

using parsweep::json;
using parsweep::Kernel;
using u64 = std::uint64_t;

// Work-size parameters this small run in milliseconds.
constexpr u64 kSmallWork = 3000;

// Parameters whose defaults are too big for a unit test (matrix orders), or point at a file
// that only `make data` fetches. Every other parameter keeps its default.
json small_overrides(std::string_view kernel) {
    static const std::map<std::string, json, std::less<>> overrides = {
        {"invert", {{"n", 40}, {"count", 3}}},
        {"dgemm", {{"n", 40}, {"count", 3}}},
        {"wordcount", {{"file", parsweep::test::workshop_text().string()}, {"chunk_bytes", 65536}}},
        // Each worker prints the size of its share; the check adds them up.
        {"command",
         {{"cmd", "echo $((PARSWEEP_END - PARSWEEP_BEGIN))"},
          {"check",
           "s=0; for f in $PARSWEEP_OUTPUTS; do s=$((s + $(cat $f))); done; "
           "test $s -eq {items}"}}},
    };
    const auto it = overrides.find(kernel);
    return it == overrides.end() ? json::object() : it->second;
}

// Every parameter at its default, the work-size one at kSmallWork (within its range), then
// the kernel's small overrides.
json small_params(const Kernel& kernel) {
    json params = json::object();
    for (const auto& spec : kernel.params()) {
        params[spec.name] = spec.default_value;
        if (spec.work_size) {
            double small = static_cast<double>(kSmallWork);
            if (spec.max) small = std::min(small, *spec.max);
            if (spec.min) small = std::max(small, *spec.min);
            params[spec.name] = static_cast<u64>(small);
        }
    }
    params.update(small_overrides(kernel.id()));
    return params;
}

// Adds 1 to every integer in `v`: counts, sums and checksums all change.
json corrupted(json v) {
    if (v.is_number_unsigned()) return v.get<u64>() + 1;
    if (v.is_number_integer()) return v.get<std::int64_t>() + 1;
    if (v.is_structured())
        for (auto& child : v) child = corrupted(child);
    return v;
}

// Whether verify() accepts `result`; a verify that throws on a malformed result rejects it
// (the harness reports the exception as the point's failure).
bool accepts(const Kernel& k, const json& params, const json& result) {
    try {
        return k.verify(params, result).ok;
    } catch (const std::exception&) {
        return false;
    }
}

class KernelContract : public testing::TestWithParam<const Kernel*> {};

TEST_P(KernelContract, DeclaresEveryParameterWithADefaultInRange) {
    const Kernel& k = *GetParam();
    EXPECT_FALSE(k.summary().empty());
    for (const auto& spec : k.params()) {
        EXPECT_FALSE(spec.help.empty()) << k.id() << "." << spec.name;
        const json& d = spec.default_value;
        ASSERT_FALSE(d.is_null()) << k.id() << "." << spec.name;
        if (d.is_number()) {
            if (spec.min) {
                EXPECT_GE(d.get<double>(), *spec.min) << k.id() << "." << spec.name;
            }
            if (spec.max) {
                EXPECT_LE(d.get<double>(), *spec.max) << k.id() << "." << spec.name;
            }
        }
        if (!spec.choices.empty()) {
            ASSERT_TRUE(d.is_string()) << k.id() << "." << spec.name;
            EXPECT_NE(std::find(spec.choices.begin(), spec.choices.end(), d.get<std::string>()),
                      spec.choices.end())
                << k.id() << "." << spec.name;
        }
    }
    EXPECT_TRUE(k.validate(small_params(k)).empty()) << k.id();
}

TEST_P(KernelContract, RunsAndVerifiesOverOneAndTwoShares) {
    const Kernel& k = *GetParam();
    const json params = small_params(k);
    const u64 items = k.items(params);
    ASSERT_GT(items, 0u) << k.id();
    // The command kernel cannot know its program's memory, and says 0 rather than guess.
    if (k.id() != "command") EXPECT_GT(k.memory_bytes(params, items, 2), 0u) << k.id();
    const parsweep::Work work = k.work(params);
    EXPECT_FALSE(work.item_unit.empty()) << k.id();
    for (int threads : {1, 2}) {
        const parsweep::test::OmpThreads guard(threads);
        for (int shares : {1, 2}) {
            const auto o =
                parsweep::test::run_point(k, params, parsweep::test::uneven_shares(items, shares));
            EXPECT_TRUE(o.checks.ok)
                << k.id() << " P=" << shares << " T=" << threads << ": " << o.checks.message;
            EXPECT_TRUE(o.verdict.ok)
                << k.id() << " P=" << shares << " T=" << threads << ": " << o.verdict.message;
        }
    }
}

TEST_P(KernelContract, VerifyCatchesACorruptedResult) {
    const Kernel& k = *GetParam();
    const json params = small_params(k);
    const auto o =
        parsweep::test::run_point(k, params, parsweep::test::uneven_shares(k.items(params), 2));
    ASSERT_TRUE(o.verdict.ok) << k.id() << ": " << o.verdict.message;

    const parsweep::Verdict wrong = k.verify(params, corrupted(o.result));
    EXPECT_FALSE(wrong.ok) << k.id() << " accepted " << corrupted(o.result).dump();
    EXPECT_FALSE(wrong.message.empty()) << k.id();
    EXPECT_FALSE(accepts(k, params, json::object())) << k.id() << " accepted {}";
    // The second share's partial lost on the way: items are missing.
    const json lost = k.merge(params, {o.partials.front()});
    EXPECT_FALSE(accepts(k, params, lost)) << k.id() << " accepted " << lost.dump();
}

std::string kernel_name(const testing::TestParamInfo<const Kernel*>& info) {
    return std::string(info.param->id());
}

INSTANTIATE_TEST_SUITE_P(Registered, KernelContract, testing::ValuesIn(parsweep::kernels()),
                         kernel_name);

}  // namespace
