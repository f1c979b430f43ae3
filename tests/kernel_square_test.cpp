// The square kernel in-process: every mode / exponent / schedule, several sizes, the numbers
// split over 1-3 simulated worker processes (prepare on slices, merge the partials), with 1,
// 2 and 4 OpenMP threads; exact sums against brute force; tampered results must fail.
#include <omp.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel.hpp"
#include "kernel_support.hpp"
#include "large_array.hpp"

namespace parsweep {
const Kernel& square_kernel();
}

namespace {

using parsweep::json;
using parsweep::Kernel;
using parsweep::Verdict;
using u64 = std::uint64_t;

const Kernel& K() {
    return parsweep::square_kernel();
}

json make_params(u64 n, unsigned p = 2, const std::string& mode = "omp",
                 const std::string& schedule = "static", u64 chunk = 0) {
    return {{"n", n}, {"p", p}, {"mode", mode}, {"schedule", schedule}, {"chunk", chunk}};
}

using parsweep::test::Outcome;

// A point run in-process over 1, 2 or 3 uneven shares (tests/kernel_support.hpp).
Outcome run_point(const json& params, int shares) {
    return parsweep::test::run_point(K(), params,
                                     parsweep::test::uneven_shares(params["n"].get<u64>(), shares));
}

u64 brute_sum(u64 b, u64 e, unsigned p) {
    u64 s = 0;
    for (u64 i = b; i < e; ++i) {
        u64 v = i;
        for (unsigned k = 1; k < p; ++k) v *= i;
        s += v;
    }
    return s;
}

using ThreadsGuard = parsweep::test::OmpThreads;

TEST(Square, Metadata) {
    EXPECT_EQ(K().id(), "square");
    const json params = make_params(1000, 3);
    EXPECT_EQ(K().items(params), 1000u);
    EXPECT_EQ(K().batch_items(params), 0u);
    const auto w = K().work(params);
    EXPECT_DOUBLE_EQ(w.bytes, 16000.0);
    EXPECT_DOUBLE_EQ(w.flops, 2000.0);
    EXPECT_DOUBLE_EQ(w.items, 1000.0);
    EXPECT_EQ(w.item_unit, "number");
    EXPECT_GE(K().memory_bytes(params, 500, 4), 16u * 500);
    EXPECT_LT(K().memory_bytes(params, 500, 4), 16u * 500 + 64 * 1024);
    EXPECT_TRUE(K().validate(params).empty());
    // Every parameter is documented, with its default.
    for (const auto& spec : K().params()) {
        EXPECT_FALSE(spec.help.empty()) << spec.name;
        EXPECT_FALSE(spec.default_value.is_null()) << spec.name;
    }
}

TEST(Square, EveryModeExponentScheduleSizeSplitAndThreadCount) {
    const std::vector<u64> sizes = {1, 2, 3, 1000, 1u << 20};
    for (const std::string mode : {"serial", "omp"})
        for (unsigned p = 1; p <= 3; ++p)
            for (const std::string sched : {"static", "dynamic", "guided", "auto"}) {
                if (mode == "serial" && sched != "static") continue;  // schedule unused
                for (const u64 chunk : {u64{0}, u64{7}})
                    for (const u64 n : sizes)
                        for (int shares = 1; shares <= 3; ++shares)
                            for (int threads : {1, 2, 4}) {
                                if (mode == "serial" && threads != 1 && n < 1000) continue;
                                ThreadsGuard guard(threads);
                                const json params = make_params(n, p, mode, sched, chunk);
                                SCOPED_TRACE(params.dump() + " shares=" + std::to_string(shares) +
                                             " threads=" + std::to_string(threads));
                                const Outcome o = run_point(params, shares);
                                ASSERT_TRUE(o.checks.ok) << o.checks.message;
                                ASSERT_TRUE(o.verdict.ok) << o.verdict.message;
                                ASSERT_EQ(o.result["numbers"].get<u64>(), n);
                                ASSERT_EQ(o.result["p"].get<unsigned>(), p);
                                if (n <= 1000) {
                                    ASSERT_EQ(o.result["sum_y"].get<u64>(), brute_sum(0, n, p));
                                }
                            }
            }
}

TEST(Square, ClosedFormMatchesBruteForceForSmallN) {
    // verify() holds the closed form over [0, n): a brute-force sum must pass, one off fail.
    for (unsigned p = 1; p <= 3; ++p)
        for (u64 n = 1; n <= 2000; n += (n < 50 ? 1 : 97)) {
            const json params = make_params(n, p);
            const u64 s = brute_sum(0, n, p);
            EXPECT_TRUE(K().verify(params, {{"sum_y", s}, {"numbers", n}}).ok)
                << "n=" << n << " p=" << p;
            EXPECT_FALSE(K().verify(params, {{"sum_y", s + 1}, {"numbers", n}}).ok);
        }
}

TEST(Square, WrapsExactlyNearTheLargestN) {
    // i^3 and i^2 overflow 64 bits here: check() compares the wrapped sum of what run()
    // computed with the closed form over a slice near n = 4e10, and the test with brute force.
    const u64 n = 40000000000ULL;
    for (unsigned p = 1; p <= 3; ++p) {
        const json params = make_params(n, p);
        const u64 b = n - 5000, e = n;
        auto run = K().prepare(params, b, e);
        run->run(b, e);
        const Verdict v = run->check(b, e);
        ASSERT_TRUE(v.ok) << v.message;
        EXPECT_EQ(run->partial()["sum_y"].get<u64>(), brute_sum(b, e, p)) << "p=" << p;
        EXPECT_EQ(run->partial()["numbers"].get<u64>(), 5000u);
    }
}

TEST(Square, SubBatchesOfAShareAreCheckedSeparately) {
    const json params = make_params(10000, 3, "omp", "dynamic", 3);
    auto run = K().prepare(params, 100, 9000);
    for (u64 b = 100; b < 9000; b += 1000) {
        const u64 e = std::min<u64>(b + 1000, 9000);
        run->run(b, e);
        const Verdict v = run->check(b, e);
        ASSERT_TRUE(v.ok) << v.message;
    }
    EXPECT_EQ(run->partial()["sum_y"].get<u64>(), brute_sum(100, 9000, 3));
    EXPECT_THROW(run->run(0, 200), std::out_of_range);
}

TEST(Square, CheckFailsWhenRunWasSkipped) {
    const json params = make_params(1000, 2);
    auto run = K().prepare(params, 0, 1000);
    const Verdict v = run->check(0, 1000);  // y is still all zeros
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("expected"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("[0, 1000)"), std::string::npos) << v.message;
}

TEST(Square, TamperedPartialsFailVerify) {
    const json params = make_params(100000, 2);
    Outcome o = run_point(params, 3);
    ASSERT_TRUE(o.verdict.ok) << o.verdict.message;

    std::vector<json> bad = o.partials;
    bad[1]["sum_y"] = bad[1]["sum_y"].get<u64>() + 1;
    Verdict v = K().verify(params, K().merge(params, bad));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("sum of y"), std::string::npos) << v.message;

    bad = o.partials;
    bad.pop_back();  // a worker's share lost
    v = K().verify(params, K().merge(params, bad));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("numbers"), std::string::npos) << v.message;

    bad = o.partials;
    bad.push_back(bad[0]);  // a share counted twice
    EXPECT_FALSE(K().verify(params, K().merge(params, bad)).ok);

    EXPECT_FALSE(K().verify(params, json{{"sum_y", "x"}}).ok);
}

TEST(Square, MergeWrapsModulo2To64) {
    const json params = make_params(10, 2);
    const u64 big = ~u64{0};
    const json r =
        K().merge(params, {{{"sum_y", big}, {"numbers", 5}}, {{"sum_y", u64{3}}, {"numbers", 5}}});
    EXPECT_EQ(r["sum_y"].get<u64>(), u64{2});
    EXPECT_EQ(r["numbers"].get<u64>(), 10u);
    EXPECT_EQ(r["note"], "sum of y mod 2^64");
}

TEST(Square, EmptyShareIsHarmless) {
    const json params = make_params(5);
    auto run = K().prepare(params, 5, 5);
    run->run(5, 5);
    EXPECT_TRUE(run->check(5, 5).ok);
    EXPECT_EQ(run->partial()["numbers"].get<u64>(), 0u);
    EXPECT_THROW(K().prepare(params, 3, 9), std::out_of_range);
}

TEST(Square, IntegralFloatsAreAcceptedForIntegers) {
    json params = make_params(1000);
    params["n"] = 1e3;  // what a config's "1e3" arrives as
    EXPECT_EQ(K().items(params), 1000u);
    EXPECT_TRUE(run_point(params, 2).verdict.ok);
}

// square's (and STREAM's) arrays: page-aligned, huge-page-aligned from 2 MiB up, usable to
// their last byte, and an impossible size is a clear error naming the kernel.
TEST(LargeArray, AlignmentSizeAndFailure) {
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{1000},
                              std::size_t{(2 << 20) / 8}, std::size_t{3 << 20}}) {
        auto a = parsweep::allocate_large<u64>(count, "square");
        ASSERT_NE(a.get(), nullptr) << count;
        const auto address = reinterpret_cast<std::uintptr_t>(a.get());
        EXPECT_EQ(address % (count * 8 >= (2u << 20) ? (2u << 20) : 4096u), 0u) << count;
        for (std::size_t i = 0; i < count; ++i) a[i] = i;  // every element is writable
        if (count > 0) {
            EXPECT_EQ(a[count - 1], count - 1);
        }
    }
    for (std::size_t count : {std::size_t{1} << 60, SIZE_MAX / 4, SIZE_MAX}) {  // 8 EiB and more
        try {
            parsweep::allocate_large<u64>(count, "square");
            ADD_FAILURE() << count << " numbers were allocated";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("square: cannot allocate an array of"),
                      std::string::npos)
                << e.what();
        }
    }
}

}  // namespace
