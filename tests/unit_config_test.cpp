// Config loading: expansion of grids, overrides, and every class of error with its JSON path.
#include <gtest/gtest.h>

#include "blas.hpp"
#include "machine/blas_axis.hpp"
#include "sweep/config.hpp"
#include "test_support.hpp"
#include "util/did_you_mean.hpp"
#include "util/json_enum.hpp"
#include "util/json_input.hpp"

#include <sys/stat.h>

namespace parsweep {
namespace {

using test::TempDir;
using test::write_file;

LoadOptions opts(int cores = 2) {
    return {cores, 0, "test"};
}

Sweep parse(const std::string& text, int cores = 2) {
    return parse_sweep(json::parse(text), opts(cores));
}

// The errors a config produces, as "path: message" strings.
std::vector<std::string> errors_of(const std::string& text, LoadOptions o = opts()) {
    try {
        parse_sweep(json::parse(text), o);
    } catch (const ConfigErrors& e) {
        std::vector<std::string> out;
        for (const auto& err : e.errors()) out.push_back(err.to_string());
        return out;
    }
    return {};
}

// True when some error starts with `path` and contains `fragment`.
::testing::AssertionResult has_error(const std::vector<std::string>& errors,
                                     const std::string& path, const std::string& fragment) {
    for (const auto& e : errors)
        if (e.rfind(path + ": ", 0) == 0 && e.find(fragment) != std::string::npos)
            return ::testing::AssertionSuccess();
    std::string all;
    for (const auto& e : errors) all += "\n  " + e;
    return ::testing::AssertionFailure() << "no error at " << path << " containing \"" << fragment
                                         << "\"; got:" << (all.empty() ? " none" : all);
}

TEST(AutoCounts, PowersOfTwoThenTheLimit) {
    EXPECT_EQ(auto_counts(1), (std::vector<int>{1}));
    EXPECT_EQ(auto_counts(2), (std::vector<int>{1, 2}));
    EXPECT_EQ(auto_counts(6), (std::vector<int>{1, 2, 4, 6}));
    EXPECT_EQ(auto_counts(8), (std::vector<int>{1, 2, 4, 8}));
}

TEST(DidYouMean, SuggestsCloseKeysOnly) {
    EXPECT_EQ(did_you_mean("repetitons", {"repetitions", "warmup"}), "repetitions");
    EXPECT_EQ(did_you_mean("chunk_byte", {"chunk_bytes", "file"}), "chunk_bytes");
    EXPECT_EQ(did_you_mean("zzzzzz", {"repetitions", "warmup"}), "");
}

TEST(Expand, CartesianProductWithThreadsFastest) {
    Sweep s = parse(R"({"grid": {"processes": [1, 2], "threads": [1, 2]},
        "runs": [{"kernel": "square", "grid": {"n": [10, 20]}}]})");
    ASSERT_EQ(s.points.size(), 8u);
    EXPECT_EQ(s.points[0].params["n"], 10);
    EXPECT_EQ(s.points[0].processes, 1);
    EXPECT_EQ(s.points[0].threads, 1);
    EXPECT_EQ(s.points[1].threads, 2);
    EXPECT_EQ(s.points[2].processes, 2);
    EXPECT_EQ(s.points[4].params["n"], 20);
    EXPECT_EQ(s.points[4].label(), "square n=20");
    for (std::size_t i = 0; i < s.points.size(); ++i) EXPECT_EQ(s.points[i].index, i);
}

TEST(Expand, DefaultsFilledAndIntegersNormalised) {
    Sweep s = parse(R"({"runs": [{"kernel": "square", "params": {"n": 1e3}}]})");
    ASSERT_EQ(s.points.size(), 1u);
    const json& p = s.points[0].params;
    EXPECT_TRUE(p["n"].is_number_unsigned());
    EXPECT_EQ(p["n"].get<std::uint64_t>(), 1000u);
    EXPECT_EQ(p["p"], 2);
    EXPECT_EQ(p["mode"], "omp");
    EXPECT_EQ(s.points[0].repetitions, 3);
    EXPECT_EQ(s.points[0].warmup, 1);
}

TEST(Expand, AutoUsesUsableCoresAndOversubscribe) {
    Sweep s = parse(R"({"grid": {"processes": "auto", "threads": [1]},
        "runs": [{"kernel": "square", "params": {"n": 10}}]})",
                    6);
    std::vector<int> procs;
    for (const auto& p : s.points) procs.push_back(p.processes);
    EXPECT_EQ(procs, (std::vector<int>{1, 2, 4, 6}));
    Sweep o = parse(R"({"oversubscribe": 2, "grid": {"processes": [1], "threads": "auto"},
        "runs": [{"kernel": "square", "params": {"n": 10}}]})",
                    2);
    std::vector<int> threads;
    for (const auto& p : o.points) threads.push_back(p.threads);
    EXPECT_EQ(threads, (std::vector<int>{1, 2, 4}));
}

TEST(Expand, RunLevelOverridesTopLevel) {
    Sweep s = parse(R"({"repetitions": 5, "warmup": 2, "env": {"OMP_PROC_BIND": "false", "A": 1},
        "grid": {"processes": [1, 2], "threads": [1]}, "params": {"seed": 7},
        "runs": [
          {"kernel": "invert", "params": {"n": 4, "count": 2}},
          {"kernel": "square", "repetitions": 1, "warmup": 0, "env": {"A": "run"},
           "grid": {"processes": [3]}, "params": {"n": 10}}
        ]})");
    ASSERT_EQ(s.points.size(), 4u);  // invert 1×1, 2×1; square baseline 1×1 added, 3×1
    EXPECT_EQ(s.points[0].repetitions, 5);
    EXPECT_EQ(s.points[0].warmup, 2);
    EXPECT_EQ(s.points[0].params["seed"], 7);  // top-level params reach kernels that have them
    EXPECT_EQ(s.points[0].env.at("A"), "1");
    EXPECT_EQ(s.points[2].kernel->id(), "square");
    EXPECT_TRUE(s.points[2].baseline_only);
    EXPECT_EQ(s.points[2].processes, 1);
    EXPECT_EQ(s.points[3].processes, 3);
    EXPECT_EQ(s.points[3].repetitions, 1);
    EXPECT_EQ(s.points[3].warmup, 0);
    EXPECT_EQ(s.points[3].env.at("A"), "run");
    EXPECT_EQ(s.points[3].env.at("OMP_PROC_BIND"), "false");
}

TEST(Expand, AdaptiveRepetitionsInheritedAndOverridden) {
    Sweep s = parse(R"({"repetitions": 3, "adaptive": {"max_repetitions": 40, "budget_s": 2},
        "runs": [{"kernel": "square", "params": {"n": 10}},
                 {"kernel": "pi", "params": {"samples": 100},
                  "adaptive": {"max_repetitions": 9, "ci95_pct": 5}}]})");
    ASSERT_EQ(s.points.size(), 2u);
    EXPECT_EQ(s.points[0].adaptive, (Adaptive{40, 3, 2}));
    EXPECT_EQ(s.points[1].adaptive, (Adaptive{9, 5, 2}));  // budget_s from the top level
    Sweep fixed = parse(R"({"runs": [{"kernel": "square"}]})");
    EXPECT_EQ(fixed.points[0].adaptive.max_repetitions, 0);  // off unless asked for
}

TEST(Expand, BaselineComesFirstInEachGroup) {
    Sweep s = parse(R"({"baseline": {"processes": 2, "threads": 1},
        "grid": {"processes": [1, 2], "threads": [1, 2]},
        "runs": [{"kernel": "square", "grid": {"n": [10, 20]}}]})");
    ASSERT_EQ(s.points.size(), 8u);
    EXPECT_TRUE(s.points[0].is_baseline());
    EXPECT_FALSE(s.points[0].baseline_only);
    EXPECT_TRUE(s.points[4].is_baseline());
    EXPECT_EQ(s.points[0].group_key(), s.points[3].group_key());
    EXPECT_NE(s.points[0].group_key(), s.points[4].group_key());
}

TEST(Errors, RootMustBeAnObject) {
    auto e = errors_of("[1, 2]");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].find("must be a JSON object"), std::string::npos);
}

TEST(Errors, RunsMissingOrEmpty) {
    EXPECT_TRUE(has_error(errors_of(R"({"name": "x"})"), "runs", "is required"));
    EXPECT_TRUE(has_error(errors_of(R"({"runs": []})"), "runs", "non-empty list"));
}

TEST(Errors, UnknownKeysWithSuggestions) {
    auto e = errors_of(R"({"repetitons": 3, "runs": [{"kernel": "square", "parms": {}}]})");
    EXPECT_TRUE(has_error(e, "repetitons", "did you mean \"repetitions\""));
    EXPECT_TRUE(has_error(e, "runs[0].parms", "did you mean \"params\""));
}

TEST(Errors, UnknownKernelParameterAndAxis) {
    auto e = errors_of(R"({"runs": [{"kernel": "wordcount",
        "params": {"file": "/etc/hostname", "chunk_byte": 4}, "grid": {"thread": [1]}}]})");
    EXPECT_TRUE(has_error(e, "runs[0].params.chunk_byte", "did you mean \"chunk_bytes\""));
    EXPECT_TRUE(has_error(e, "runs[0].grid.thread", "did you mean \"threads\""));
}

TEST(Errors, UnknownKernel) {
    auto e = errors_of(R"({"runs": [{"kernel": "sqaure"}]})");
    EXPECT_TRUE(
        has_error(e, "runs[0].kernel", "unknown kernel \"sqaure\"; did you mean \"square\""));
}

TEST(Errors, WrongTypes) {
    auto e = errors_of(R"({"repetitions": "5", "env": [], "grid": {"processes": 2},
        "runs": [{"kernel": "square", "params": {"n": "big", "mode": 3}}]})");
    EXPECT_TRUE(has_error(e, "repetitions", "must be an integer"));
    EXPECT_TRUE(has_error(e, "env", "must be an object"));
    EXPECT_TRUE(has_error(e, "grid.processes", "non-empty list of counts or \"auto\""));
    EXPECT_TRUE(has_error(e, "runs[0].params.n", "must be an integer"));
    EXPECT_TRUE(has_error(e, "runs[0].params.mode", "must be a string"));
}

TEST(Errors, OutOfRangeAndNonIntegers) {
    auto e = errors_of(R"({"repetitions": 0, "warmup": -1, "timeout_s": 0,
        "grid": {"processes": [0, 2.5, 5000], "threads": []},
        "runs": [{"kernel": "wordcount", "params": {"file": "/etc/hostname"},
                  "grid": {"chunk_bytes": [0, 4096]}}]})");
    EXPECT_TRUE(has_error(e, "repetitions", "must be ≥ 1 (got 0)"));
    EXPECT_TRUE(has_error(e, "warmup", "must be ≥ 0"));
    EXPECT_TRUE(has_error(e, "timeout_s", "must be > 0"));
    EXPECT_TRUE(has_error(e, "grid.processes[0]", "must be ≥ 1"));
    EXPECT_TRUE(has_error(e, "grid.processes[1]", "must be an integer (got 2.5)"));
    EXPECT_TRUE(has_error(e, "grid.processes[2]", "must be ≤ 1024"));
    EXPECT_TRUE(has_error(e, "grid.threads", "non-empty list"));
    EXPECT_TRUE(has_error(e, "runs[0].grid.chunk_bytes[0]", "must be ≥ 1 (got 0)"));
}

TEST(Errors, ChoicesWithSuggestion) {
    auto e = errors_of(
        R"({"runs": [{"kernel": "square", "params": {"mode": "openmp", "schedule": "dynamc"}}]})");
    EXPECT_TRUE(has_error(e, "runs[0].params.mode", "must be one of serial, omp"));
    EXPECT_TRUE(has_error(e, "runs[0].params.schedule", "did you mean \"dynamic\""));
}

TEST(Errors, FilesMissingDirectoryUnreadable) {
    TempDir dir;
    auto unreadable = write_file(dir / "secret.txt", "dog");
    std::filesystem::permissions(unreadable, std::filesystem::perms::none);
    const std::string doc = R"({"runs": [
        {"kernel": "wordcount", "params": {"file": ")" +
                            (dir / "nope.txt").string() + R"("}},
        {"kernel": "wordcount", "params": {"file": ")" +
                            dir.path().string() + R"("}},
        {"kernel": "wordcount", "params": {"file": ")" +
                            unreadable.string() + R"("}}]})";
    auto e = errors_of(doc);
    EXPECT_TRUE(has_error(e, "runs[0].params.file", "file not found"));
    EXPECT_TRUE(has_error(e, "runs[1].params.file", "is a directory"));
    // root reads anything: only check the unreadable case where permissions apply.
    if (geteuid() != 0) {
        EXPECT_TRUE(has_error(e, "runs[2].params.file", "cannot read"));
    }
}

TEST(Errors, ThreadVariablesBelongToTheThreadsAxis) {
    auto e = errors_of(R"({"env": {"OMP_NUM_THREADS": "4", "bad name": "x"},
        "runs": [{"kernel": "square", "env": {"OPENBLAS_NUM_THREADS": 2}}]})");
    EXPECT_TRUE(has_error(e, "env.OMP_NUM_THREADS", "threads"));
    EXPECT_TRUE(has_error(e, "env[\"bad name\"]", "not a valid environment variable name"));
    EXPECT_TRUE(has_error(e, "runs[0].env.OPENBLAS_NUM_THREADS", "threads"));
}

TEST(Errors, TopLevelParamsMustFitSomeKernel) {
    auto e = errors_of(R"({"params": {"chunk_byte": 4}, "grid": {"nn": [1]},
        "runs": [{"kernel": "square"}]})");
    EXPECT_TRUE(has_error(e, "params.chunk_byte", "no run's kernel has this parameter"));
    EXPECT_TRUE(has_error(e, "grid.nn", "did you mean \"n\""));
}

TEST(Errors, KernelValidationNamesTheParameter) {
    auto e = errors_of(R"({"runs": [{"kernel": "wordcount",
        "params": {"file": "/etc/hostname", "words": ["dog", "dog cat"]}}]})");
    EXPECT_TRUE(has_error(e, "runs[0].params.words", "dog cat"));
}

TEST(Errors, MemoryEstimateOverAvailable) {
    LoadOptions o = opts();
    o.memory_available = 1 << 20;  // 1 MiB
    auto e = errors_of(R"({"grid": {"processes": [1, 2]},
        "runs": [{"kernel": "square", "params": {"n": 1000000}}]})",
                       o);
    EXPECT_TRUE(has_error(e, "runs[0]", "more than the 1.0 MiB available"));
}

TEST(Errors, AllReportedAtOnce) {
    auto e = errors_of(
        R"({"repetitions": 0, "warmup": "x", "runs": [{"kernel": "nope"}, {"kernel": "square", "params": {"n": 0}}]})");
    EXPECT_GE(e.size(), 4u);
}

TEST(Expand, TimeMetricDefaultsToWallAndRunsOverride) {
    Sweep s = parse(R"({"time_metric": "compute_s", "runs": [
        {"kernel": "square", "params": {"n": 5}},
        {"kernel": "square", "params": {"n": 6}, "time_metric": "wall_s"}]})");
    EXPECT_EQ(s.points[0].time_metric, TimeMetric::compute_s);
    EXPECT_EQ(s.points[1].time_metric, TimeMetric::wall_s);
    EXPECT_EQ(parse(R"({"runs": [{"kernel": "square"}]})").points[0].time_metric,
              TimeMetric::wall_s);
    EXPECT_TRUE(
        has_error(errors_of(R"({"time_metric": "compute", "runs": [{"kernel": "square"}]})"),
                  "time_metric", "did you mean \"compute_s\""));
}

TEST(Expand, LauncherDefaultsToSpawnAndRunsOverride) {
    Sweep s = parse(R"({"launcher": "mpi", "runs": [
        {"kernel": "square", "params": {"n": 5}},
        {"kernel": "square", "params": {"n": 5}, "launcher": "spawn"}]})");
    EXPECT_EQ(s.points[0].launcher, Launcher::mpi);
    EXPECT_EQ(s.points[1].launcher, Launcher::spawn);
    EXPECT_EQ(parse(R"({"runs": [{"kernel": "square"}]})").points[0].launcher, Launcher::spawn);
    // The same kernel, parameters, P and T under two launchers are two points.
    EXPECT_NE(s.points[0].key(), s.points[1].key());
    EXPECT_EQ(s.points[0].label(), "square (mpi)");
    EXPECT_EQ(s.points[1].label(), "square");
    EXPECT_EQ(s.expanded()["points"][0]["launcher"], "mpi");
}

// Each mode's names come from its one table (model.hpp), in the order of its values: the
// config's choices and their error messages list them in that order.
TEST(Expand, ModeNamesComeFromTheirTable) {
    EXPECT_EQ(enum_names<Launcher>(), (std::vector<std::string>{"spawn", "mpi"}));
    EXPECT_EQ(enum_names<Scaling>(), (std::vector<std::string>{"strong", "weak"}));
    EXPECT_EQ(enum_names<TimeMetric>(), (std::vector<std::string>{"wall_s", "compute_s"}));
    EXPECT_EQ(enum_name(Launcher::mpi), "mpi");
    EXPECT_EQ(enum_name(TimeMetric::compute_s), "compute_s");
    EXPECT_EQ(enum_from_name<Scaling>("weak"), std::optional(Scaling::weak));
    EXPECT_EQ(enum_from_name<Scaling>("Weak"), std::nullopt);
}

// A point read back from sweep.json: a mode's name that is not in its table is refused by
// name (from_json alone would take it for the table's first).
TEST(Expand, PointFromJsonRefusesAnUnknownModeName) {
    const json entry =
        parse(R"({"runs": [{"kernel": "square", "params": {"n": 5}}]})").expanded()["points"][0];
    for (const auto& [field, message] :
         {std::pair{"launcher", R"(launcher: must be "spawn" or "mpi" (got "foo"))"},
          std::pair{"scaling", R"(scaling: must be "strong" or "weak" (got "foo"))"},
          std::pair{"time_metric",
                    R"(time_metric: must be "wall_s" or "compute_s" (got "foo"))"}}) {
        json bad = entry;
        bad[field] = "foo";
        try {
            point_from_json(bad);
            ADD_FAILURE() << field << " \"foo\" was accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string(e.what()), message);
        }
    }
}

TEST(Expand, NodesAxisPlacesMpiRanksAndKeepsTheBaselineOnOneNode) {
    LoadOptions in_job = opts();
    in_job.allocation_nodes = 2;
    in_job.allocation_cpus = 4;
    Sweep s = parse_sweep(json::parse(R"({"launcher": "mpi", "mpi_plugin": "pmi2",
        "grid": {"nodes": [1, 2], "processes": [1, 2, 4]},
        "runs": [{"kernel": "square", "params": {"n": 5}},
                 {"kernel": "pi", "launcher": "spawn", "params": {"samples": 10}}]})"),
                          in_job);
    std::vector<std::tuple<int, int, std::string>> mpi;  // (nodes, processes, label)
    for (const auto& p : s.points)
        if (p.launcher == Launcher::mpi) mpi.emplace_back(p.nodes, p.processes, p.label());
    // nodes=2 with 1 process cannot be placed: left out; the baseline runs on 1 node.
    const std::vector<std::tuple<int, int, std::string>> expected = {
        {1, 1, "square nodes=1 (mpi)"},
        {1, 2, "square nodes=1 (mpi)"},
        {1, 4, "square nodes=1 (mpi)"},
        {2, 2, "square nodes=2 (mpi)"},
        {2, 4, "square nodes=2 (mpi)"}};
    EXPECT_EQ(mpi, expected);
    EXPECT_TRUE(s.points[0].is_baseline());
    EXPECT_FALSE(s.points[3].is_baseline());
    EXPECT_NE(s.points[1].key(), s.points[3].key());  // 2 ranks on 1 node, and on 2 nodes
    EXPECT_EQ(s.points[1].group_key(), s.points[3].group_key());  // one baseline for both
    EXPECT_EQ(s.points[3].mpi_plugin, "pmi2");
    // The top-level nodes axis is the mpi runs' alone; the spawn run has none.
    for (const auto& p : s.points)
        if (p.launcher == Launcher::spawn) {
            EXPECT_EQ(p.nodes, 0);
        }
    EXPECT_EQ(s.expanded()["points"][3]["nodes"], 2);
    EXPECT_EQ(point_from_json(s.expanded()["points"][3]).key(), s.points[3].key());
    // "auto" processes of an mpi run go up to the allocation's CPUs, all nodes together.
    Sweep a = parse_sweep(json::parse(R"({"launcher": "mpi", "grid": {"processes": "auto"},
        "runs": [{"kernel": "square", "params": {"n": 5}}]})"),
                          in_job);
    EXPECT_EQ(a.points.back().processes, 4);
    // Without a nodes axis a point's key is what it always was.
    EXPECT_EQ(parse(R"({"runs": [{"kernel": "square", "params": {"n": 5}}]})").points[0].nodes, 0);
}

TEST(Errors, NodesAxisNeedsMpiAndTheNodes) {
    // Outside a Slurm allocation (the default: 1 node) more nodes cannot be had.
    EXPECT_TRUE(has_error(errors_of(R"({"launcher": "mpi", "grid": {"nodes": [1, 2]},
        "runs": [{"kernel": "square"}]})"),
                          "grid.nodes[1]", "outside a Slurm allocation"));
    LoadOptions in_job = opts();
    in_job.allocation_nodes = 2;
    in_job.allocation_cpus = 4;
    EXPECT_TRUE(has_error(errors_of(R"({"launcher": "mpi", "runs": [
        {"kernel": "square", "grid": {"nodes": [3]}}]})",
                                    in_job),
                          "runs[0].grid.nodes[0]", "3 nodes: the Slurm allocation has 2"));
    EXPECT_TRUE(
        has_error(errors_of(R"({"runs": [{"kernel": "square", "grid": {"nodes": [1]}}]})", in_job),
                  "runs[0].grid.nodes", "needs \"launcher\": \"mpi\""));
    EXPECT_TRUE(
        has_error(errors_of(R"({"grid": {"nodes": [1]}, "runs": [{"kernel": "square"}]})", in_job),
                  "grid.nodes", "no run has \"launcher\": \"mpi\""));
    EXPECT_TRUE(has_error(errors_of(R"({"launcher": "mpi", "runs": [
        {"kernel": "square", "params": {"nodes": 2}}]})",
                                    in_job),
                          "runs[0].params.nodes", "is a grid axis"));
    EXPECT_TRUE(has_error(errors_of(R"({"launcher": "mpi", "mpi_plugin": "pm ix",
        "runs": [{"kernel": "square"}]})"),
                          "mpi_plugin", "srun --mpi=list"));
    // `parsweep slurm` leaves the nodes to the job it writes.
    LoadOptions for_job = opts();
    for_job.allocation_nodes = std::nullopt;
    EXPECT_TRUE(errors_of(R"({"launcher": "mpi", "grid": {"nodes": [4]},
        "runs": [{"kernel": "square"}]})",
                          for_job)
                    .empty());
}

TEST(Errors, LauncherChoicesAndWhereMpiCannotRun) {
    const auto bogus = errors_of(R"({"launcher": "bogus", "runs": [
        {"kernel": "square", "launcher": "mpii"}]})");
    EXPECT_TRUE(has_error(bogus, "launcher", "must be one of spawn, mpi (got \"bogus\")"));
    EXPECT_TRUE(has_error(bogus, "runs[0].launcher", "did you mean \"mpi\""));
    // Where MPI is missing, asking for it is an error with the reason; spawn is still fine.
    LoadOptions no_mpi = opts();
    no_mpi.mpi_unavailable = "mpirun not found on PATH";
    const auto errors = errors_of(R"({"launcher": "mpi", "runs": [
        {"kernel": "square"}, {"kernel": "pi", "launcher": "mpi"},
        {"kernel": "square", "launcher": "spawn"}]})",
                                  no_mpi);
    EXPECT_EQ(errors.size(), 2u);
    EXPECT_TRUE(has_error(errors, "launcher", "\"mpi\" cannot run here: mpirun not found"));
    EXPECT_TRUE(has_error(errors, "runs[1].launcher", "cannot run here"));
    EXPECT_TRUE(errors_of(R"({"runs": [{"kernel": "square"}]})", no_mpi).empty());
    // Ranks are placed by OMP_PROC_BIND / OMP_PLACES, not by the spawn launcher's cpu_set.
    EXPECT_TRUE(has_error(errors_of(R"({"launcher": "mpi", "grid": {"cpu_set": ["none", "compact"]},
        "runs": [{"kernel": "square"}]})"),
                          "grid.cpu_set", "with launcher \"mpi\" place threads with bind"));
    EXPECT_TRUE(errors_of(R"({"launcher": "mpi", "grid": {"bind": ["close", "spread"]},
        "runs": [{"kernel": "square"}]})")
                    .empty());
}

TEST(Errors, AdaptiveRepetitionsNeedALimitAtOrAboveRepetitions) {
    auto e = errors_of(R"({"repetitions": 5, "adaptive": {"max_repetitions": 3},
        "runs": [{"kernel": "square", "adaptive": {"ci95_pct": 0, "budget": 4}},
                 {"kernel": "pi", "adaptive": 7}]})");
    EXPECT_TRUE(has_error(e, "adaptive.max_repetitions", "3 is fewer than the 5 repetitions"));
    EXPECT_TRUE(has_error(e, "runs[0].adaptive", "needs max_repetitions"));
    EXPECT_TRUE(has_error(e, "runs[0].adaptive.ci95_pct", ""));
    EXPECT_TRUE(has_error(e, "runs[0].adaptive.budget", "did you mean \"budget_s\""));
    EXPECT_TRUE(has_error(e, "runs[1].adaptive", "must be an object"));
}

TEST(Errors, RepeatedAxisValuesWouldMakeIdenticalPoints) {
    auto e = errors_of(R"({"grid": {"processes": [1, 2, 1]},
        "runs": [{"kernel": "square", "grid": {"n": [10, 20, 10.0]}}]})");
    EXPECT_TRUE(has_error(e, "grid.processes[2]", "repeats an earlier value"));
    EXPECT_TRUE(has_error(e, "runs[0].grid.n[2]", "repeats an earlier value"));
}

TEST(Errors, NameMustBeSafeForADirectory) {
    EXPECT_TRUE(has_error(errors_of(R"({"name": "../x", "runs": [{"kernel": "square"}]})"), "name",
                          "letters, digits"));
}

TEST(LoadFile, SyntaxErrorHasLineAndColumn) {
    TempDir dir;
    auto f =
        write_file(dir / "bad.json", "{\n  \"runs\": [\n    {\"kernel\": \"square\",}\n  ]\n}\n");
    try {
        load_sweep(f, opts());
        FAIL() << "expected a syntax error";
    } catch (const ConfigErrors& e) {
        ASSERT_EQ(e.errors().size(), 1u);
        EXPECT_NE(e.errors()[0].message.find("bad.json:3:"), std::string::npos)
            << e.errors()[0].message;
        EXPECT_NE(e.errors()[0].message.find("invalid JSON"), std::string::npos);
    }
}

TEST(LoadFile, NumberTooLargeIsASyntaxErrorWithItsPlace) {
    // Found by the fuzzer: nlohmann throws out_of_range, not parse_error, for this.
    try {
        parse_sweep_text("{\n  \"repetitions\": 55e55555\n}", "big.json", opts());
        FAIL() << "expected an error";
    } catch (const ConfigErrors& e) {
        ASSERT_EQ(e.errors().size(), 1u);
        EXPECT_EQ(e.errors()[0].message.rfind("big.json:2:18: invalid JSON: number overflow", 0),
                  0u)
            << e.errors()[0].message;
    }
}

// The strict reader (util/json_input.hpp): 64 levels are read, the 65th is refused with
// the path to it; duplicate keys and NUL characters are named by their JSON pointer.
TEST(StrictJson, DepthLimitIsSixtyFourLevels) {
    const auto nested = [](int depth) {
        return std::string(std::size_t(depth), '[') + std::string(std::size_t(depth), ']');
    };
    EXPECT_NO_THROW(parse_json_strict(nested(kMaxJsonDepth), "ok.json"));
    try {
        parse_json_strict("{\"a\": [" + nested(kMaxJsonDepth - 1) + "]}", "deep.json");
        FAIL() << "expected the depth to be refused";
    } catch (const JsonInputError& e) {
        EXPECT_EQ(e.kind(), JsonInputError::Kind::structure);
        EXPECT_EQ(e.pointer(), "/a/0/0/0/0/0/0/0");  // cut after 8 levels
        EXPECT_NE(std::string(e.what()).find("deep.json: /a/0/"), std::string::npos) << e.what();
    }
}

TEST(StrictJson, DuplicateKeysAndNulAreNamedByTheirPointer) {
    const auto problem = [](const std::string& text) -> std::string {
        try {
            parse_json_strict(text, "f.json");
        } catch (const JsonInputError& e) {
            return e.what();
        }
        return "accepted";
    };
    EXPECT_EQ(problem(R"({"runs": [{}, {"params": {"n": 1, "m/x": {"n": 2, "n": 3}}}]})"),
              "f.json: /runs/1/params/m~1x: duplicate key \"n\"");
    EXPECT_EQ(problem(R"({"a": 1, "a": 1})"), "f.json: at the top level: duplicate key \"a\"");
    EXPECT_EQ(problem(R"({"a": ["x", "y\u0000"]})"),
              "f.json: /a/1: NUL character (\\u0000) in a string: \"y\\u0000\"");
    EXPECT_EQ(problem(R"({"a": {"k\u0000": 1}})"),
              "f.json: /a: NUL character (\\u0000) in the key \"k\\u0000\"");
    EXPECT_EQ(problem(R"({"a": [1, {"b": "\u0001"}]})"), "accepted");  // other controls are text
}

TEST(StrictJson, SpecialFilesAreRefusedByType) {
    TempDir dir;
    ASSERT_EQ(mkfifo((dir / "fifo.json").c_str(), 0600), 0);
    try {
        read_json_file(dir / "fifo.json", JsonKind::config);  // would block if it were opened
        FAIL() << "expected the FIFO to be refused";
    } catch (const JsonInputError& e) {
        EXPECT_NE(std::string(e.what()).find("is a FIFO (named pipe), not a regular file"),
                  std::string::npos);
    }
    EXPECT_THROW(read_json_file(dir.path(), JsonKind::config), JsonInputError);
    EXPECT_THROW(read_json_file("/dev/null", JsonKind::config), JsonInputError);
}

TEST(LoadFile, MissingFileAndDirectory) {
    TempDir dir;
    EXPECT_THROW(load_sweep(dir / "none.json", opts()), ConfigErrors);
    EXPECT_THROW(load_sweep(dir.path(), opts()), ConfigErrors);
}

TEST(LoadFile, NameDefaultsToTheFileStem) {
    TempDir dir;
    auto f = write_file(dir / "my-sweep.json",
                        R"({"runs": [{"kernel": "square", "params": {"n": 5}}]})");
    EXPECT_EQ(load_sweep(f, {2, 0, "sweep"}).name, "my-sweep");
}

TEST(LoadFile, ShippedConfigsAreValid) {
    // Every shipped config must load from any directory: its relative paths are taken from
    // its own directory (configs/ → ../data/). A copy of configs/ beside a data/ that holds
    // the workshop text stands in for the checkout, loaded from an unrelated directory.
    TempDir dir;
    std::filesystem::create_directories(dir / "data");
    std::filesystem::create_directories(dir / "elsewhere");
    std::filesystem::create_symlink(test::workshop_text(), dir / "data/t8.shakespeare.txt");
    std::filesystem::copy(std::filesystem::path(PARSWEEP_SOURCE_DIR) / "configs", dir / "configs",
                          std::filesystem::copy_options::recursive);
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir / "elsewhere");
    int n = 0;
    // configs/lessons/ use the lessons' own kernels: the lessons test runs those.
    for (const auto& entry : std::filesystem::directory_iterator(dir / "configs")) {
        if (entry.path().extension() != ".json" || entry.path().filename() == "schema.json")
            continue;
        ++n;
        LoadOptions options{2, 0, "sweep"};
        // A sweep for a job of 2 nodes is checked as `parsweep slurm` checks it: the nodes
        // are the job's.
        if (entry.path().filename() == "mpi-nodes.json") options.allocation_nodes = std::nullopt;
        try {
            Sweep s = load_sweep(entry.path(), options);
            EXPECT_FALSE(s.points.empty()) << entry.path();
            for (const auto& p : s.points) {
                if (p.params.contains("file")) {  // recorded absolute, resolved from configs/
                    EXPECT_EQ(p.params["file"], (dir / "data/t8.shakespeare.txt").string());
                }
            }
        } catch (const ConfigErrors& e) {
            ADD_FAILURE() << entry.path() << ":\n" << e.what();
        }
    }
    std::filesystem::current_path(cwd);
    EXPECT_GE(n, 1);
}

// A relative file parameter written in a config is taken from the config's directory, not
// the current one, and recorded as an absolute path; a kernel's default file (not written)
// stays relative to the current directory. A missing one names where it was looked for.
TEST(LoadFile, RelativeFilesAreTakenFromTheConfigsDirectory) {
    TempDir dir;
    write_file(dir / "cfg/texts/a.txt", "the dog\n");
    auto f =
        write_file(dir / "cfg/sweep.json",
                   R"({"runs": [{"kernel": "wordcount", "params": {"file": "texts/a.txt"}}]})");
    std::filesystem::create_directories(dir / "other");
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir / "other");
    Sweep s = load_sweep(f, {2, 0, "sweep"});
    EXPECT_EQ(s.points.at(0).params["file"], (dir / "cfg/texts/a.txt").string());
    EXPECT_EQ(s.base_dir, dir / "cfg");
    auto missing =
        write_file(dir / "cfg/missing.json",
                   R"({"runs": [{"kernel": "wordcount", "params": {"file": "b.txt"}}]})");
    try {
        load_sweep(missing, {2, 0, "sweep"});
        ADD_FAILURE() << "expected an error";
    } catch (const ConfigErrors& e) {
        EXPECT_NE(std::string(e.what()).find("file not found: " + (dir / "cfg/b.txt").string()),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("the config's directory"), std::string::npos)
            << e.what();
    }
    // The default (data/t8.shakespeare.txt) is looked for in the current directory.
    write_file(dir / "other/data/t8.shakespeare.txt", "the cat\n");
    auto dflt = write_file(dir / "cfg/default-file.json", R"({"runs": [{"kernel": "wordcount"}]})");
    Sweep d = load_sweep(dflt, {2, 0, "sweep"});
    EXPECT_EQ(d.points.at(0).params["file"], (dir / "other/data/t8.shakespeare.txt").string());
    std::filesystem::current_path(cwd);
}

// The blas axis (blas_axis.hpp). These use the libraries installed on this machine
// (scripts/install-deps.sh installs libopenblas0-openmp and libblis4-openmp for them).
TEST(BlasAxis, IsAnAxisOfTheBlasKernelsAndPartOfEachPointsIdentity) {
    Sweep s = parse(R"({"runs": [{"kernel": "invert", "params": {"n": 20, "count": 1},
        "grid": {"blas": ["openblas-pthread", "blis"], "threads": [1, 2]}}]})");
    ASSERT_EQ(s.points.size(), 4u);
    EXPECT_EQ(s.points[0].params["blas"], "openblas-pthread");
    EXPECT_EQ(s.points[2].params["blas"], "blis");
    EXPECT_EQ(s.points[0].label(), "invert blas=openblas-pthread");
    // Each library has its own baseline (T=1 at the same blas) and its own key.
    EXPECT_TRUE(s.points[2].is_baseline());
    EXPECT_NE(s.points[0].group_key(), s.points[2].group_key());
    EXPECT_NE(s.points[0].key(), s.points[2].key());
    // The workers are told which library to load.
    EXPECT_NE(s.points[0].env.at("PARSWEEP_BLAS_LIBRARY").find("openblas-pthread/libopenblas.so"),
              std::string::npos);
    EXPECT_EQ(s.points[0].env.at("PARSWEEP_LAPACK_LIBRARY"), "");
    EXPECT_NE(s.points[2].env.at("PARSWEEP_BLAS_LIBRARY").find("/libblis.so"), std::string::npos);
    EXPECT_NE(s.points[2].env.at("PARSWEEP_LAPACK_LIBRARY").find("lapack/liblapack.so.3"),
              std::string::npos);
}

TEST(BlasAxis, AbsentOrDefaultLeavesThePointsAsBefore) {
    const char* plain = R"({"runs": [{"kernel": "invert", "params": {"n": 20, "count": 1}}]})";
    Sweep a = parse(plain);
    ASSERT_EQ(a.points.size(), 1u);
    EXPECT_FALSE(a.points[0].params.contains("blas"));
    EXPECT_TRUE(a.points[0].env.empty());
    Sweep d = parse(R"({"runs": [{"kernel": "invert", "params": {"n": 20, "count": 1,
        "blas": "default"}}]})");
    EXPECT_TRUE(d.points[0].env.empty());
}

TEST(BlasAxis, TopLevelAppliesToTheBlasKernelsOnly) {
    Sweep s = parse(R"({"grid": {"blas": ["openblas-openmp"]},
        "runs": [{"kernel": "square", "params": {"n": 10}},
                 {"kernel": "invert", "params": {"n": 20, "count": 1}}]})");
    ASSERT_EQ(s.points.size(), 2u);
    EXPECT_FALSE(s.points[0].params.contains("blas"));
    EXPECT_EQ(s.points[1].params["blas"], "openblas-openmp");
    EXPECT_TRUE(has_error(errors_of(R"({"grid": {"blas": ["blis"]},
        "runs": [{"kernel": "square"}]})"),
                          "grid.blas", "no run's kernel has this parameter"));
}

TEST(BlasAxis, AKernelWithoutTheBlasRejectsIt) {
    EXPECT_TRUE(
        has_error(errors_of(R"({"runs": [{"kernel": "square", "grid": {"blas": ["blis"]}}]})"),
                  "runs[0].grid.blas", "the blas axis is for the kernels that use the BLAS: "));
    EXPECT_TRUE(has_error(errors_of(R"({"runs": [{"kernel": "pi", "params": {"blas": "blis"}}]})"),
                          "runs[0].params.blas", "invert"));
}

TEST(BlasAxis, BadValuesNameTheirPath) {
    TempDir dir;
    const auto text = write_file(dir.path() / "libnotes.so", "not a library\n");
    const auto errors = errors_of(R"({"runs": [{"kernel": "square"},
        {"kernel": "dgemm"},
        {"kernel": "invert", "params": {"n": 20, "count": 1},
         "grid": {"blas": ["openblas-openmp", "blsi", "/nonexistent/libblas.so", )" +
                                  json(text.string()).dump() + R"(,
                           "/usr/lib/x86_64-linux-gnu/libm.so.6", 3]}}]})");
    EXPECT_TRUE(has_error(errors, "runs[2].grid.blas[1]", "unknown BLAS \"blsi\""));
    EXPECT_TRUE(has_error(errors, "runs[2].grid.blas[1]", "did you mean \"blis\"?"));
    EXPECT_TRUE(has_error(errors, "runs[2].grid.blas[2]",
                          "BLAS library file not found: /nonexistent/libblas.so"));
    EXPECT_TRUE(has_error(errors, "runs[2].grid.blas[3]",
                          "cannot use " + text.string() + " as the BLAS: "));
    if (std::filesystem::exists("/usr/lib/x86_64-linux-gnu/libm.so.6")) {
        EXPECT_TRUE(has_error(errors, "runs[2].grid.blas[4]", "has no cblas_dgemm"));
    }
    EXPECT_TRUE(has_error(errors, "runs[2].grid.blas[5]", "must be a string"));
}

TEST(BlasAxis, ALibraryThatIsNotInstalledNamesItsPackage) {
    TempDir empty;  // a multiarch directory with no BLAS in it
    std::string problem;
    resolve_blas("blis", problem, empty.path().string());
    EXPECT_EQ(problem, "\"blis\" is not installed (apt-get install libblis4-openmp)");
    resolve_blas("openblas-serial", problem, empty.path().string());
    EXPECT_EQ(problem,
              "\"openblas-serial\" is not installed (apt-get install libopenblas0-serial)");
    // BLIS without the reference LAPACK: the package of that is named.
    std::filesystem::create_directories(empty.path() / "blis-openmp");
    write_file(empty.path() / "blis-openmp" / "libblis.so.4", "");
    resolve_blas("blis", problem, empty.path().string());
    EXPECT_NE(problem.find("apt-get install liblapack3"), std::string::npos) << problem;
    resolve_blas("default", problem, empty.path().string());
    EXPECT_EQ(problem, "");
}

TEST(BlasAxis, ALibraryFileIsUsedAsGiven) {
    // The OpenBLAS parsweep was built against, as a file.
    const std::string file = blas::info().at("blas_library").get<std::string>();
    std::string problem;
    const BlasChoice openblas = resolve_blas(file, problem);
    EXPECT_EQ(problem, "");
    EXPECT_EQ(openblas.blas, file);
    EXPECT_EQ(openblas.lapack, "");  // OpenBLAS has its own LAPACK
}

TEST(WeakScaling, StrongIsTheDefaultAndKeepsTheGivenSize) {
    Sweep s = parse(R"({"grid": {"processes": [1, 2]}, "runs": [
        {"kernel": "square", "params": {"n": 1000}}]})");
    for (const auto& p : s.points) {
        EXPECT_EQ(p.scaling, Scaling::strong);
        EXPECT_EQ(p.params["n"], 1000u);
        EXPECT_TRUE(p.per_worker.empty());
    }
    EXPECT_EQ(s.expanded()["points"][1]["scaling"], "strong");
}

TEST(WeakScaling, TheWorkSizeGrowsWithProcessesTimesThreads) {
    Sweep s = parse(R"({"scaling": "weak", "grid": {"processes": [1, 2], "threads": [1, 2]},
        "runs": [{"kernel": "square", "params": {"n": 1000}},
                 {"kernel": "pi", "params": {"samples": 5000}, "scaling": "strong"},
                 {"kernel": "invert", "params": {"n": 8, "count": 3}}]})");
    ASSERT_EQ(s.points.size(), 12u);
    for (const auto& p : s.points) {
        const std::uint64_t workers = std::uint64_t(p.processes * p.threads);
        const std::string id(p.kernel->id());
        if (id == "square") {
            EXPECT_EQ(p.scaling, Scaling::weak);
            EXPECT_EQ(p.params["n"], 1000 * workers) << p.processes << "x" << p.threads;
            EXPECT_EQ(p.per_worker, json({{"n", 1000}}));
            EXPECT_EQ(p.given_params()["n"], 1000u);
            EXPECT_EQ(p.label(), "square (weak)");
        } else if (id == "pi") {  // the run's own "strong" wins over the top level's
            EXPECT_EQ(p.scaling, Scaling::strong);
            EXPECT_EQ(p.params["samples"], 5000u);
        } else {  // invert scales its count of matrices, not their order
            EXPECT_EQ(p.params["count"], 3 * workers);
            EXPECT_EQ(p.params["n"], 8u);
        }
    }
    // One curve: every weak point of a run shares its baseline's group, and the keys differ
    // from a strong point of the same real size.
    EXPECT_EQ(s.points[0].group_key(), s.points[3].group_key());
    Sweep strong = parse(R"({"grid": {"processes": [2], "threads": [2]},
        "runs": [{"kernel": "square", "params": {"n": 4000}}]})");
    const Point& weak4 = s.points[3];
    const auto same = std::find_if(strong.points.begin(), strong.points.end(),
                                   [](const Point& p) { return p.processes * p.threads == 4; });
    ASSERT_NE(same, strong.points.end());
    EXPECT_EQ(weak4.params, same->params);
    EXPECT_NE(weak4.key(), same->key());
    // The expanded config records the mode and the per-worker size, and reads back.
    const json entry = s.expanded()["points"][3];
    EXPECT_EQ(entry["scaling"], "weak");
    EXPECT_EQ(entry["per_worker"], json({{"n", 1000}}));
    EXPECT_EQ(entry["params"]["n"], 4000u);
    const Point back = point_from_json(entry);
    EXPECT_TRUE(back.weak());
    EXPECT_EQ(back.key(), weak4.key());
    EXPECT_EQ(back.group_key(), weak4.group_key());
}

TEST(WeakScaling, ASweptWorkSizeIsOneCurvePerGivenValue) {
    Sweep s = parse(R"({"scaling": "weak", "grid": {"processes": [1, 2]},
        "runs": [{"kernel": "pi", "grid": {"samples": [1000, 3000]}}]})");
    ASSERT_EQ(s.points.size(), 4u);
    EXPECT_EQ(s.points[1].params["samples"], 2000u);
    EXPECT_EQ(s.points[1].label(), "pi samples=1000 (weak)");
    EXPECT_EQ(s.points[3].params["samples"], 6000u);
    EXPECT_EQ(s.points[3].label(), "pi samples=3000 (weak)");
    EXPECT_EQ(s.points[0].group_key(), s.points[1].group_key());
    EXPECT_NE(s.points[1].group_key(), s.points[3].group_key());
}

TEST(WeakScaling, ABaselineOfSeveralWorkersRunsItsOwnMultiple) {
    // The given size is per worker at every baseline: a 2-worker baseline runs twice it.
    Sweep s = parse(R"({"scaling": "weak", "baseline": {"processes": 2},
        "grid": {"processes": [2, 4]}, "runs": [{"kernel": "square", "params": {"n": 100}}]})");
    ASSERT_EQ(s.points.size(), 2u);
    EXPECT_TRUE(s.points[0].is_baseline());
    EXPECT_EQ(s.points[0].params["n"], 200u);
    EXPECT_EQ(s.points[1].params["n"], 400u);
}

TEST(WeakScaling, AKernelWithoutAWorkSizeIsRefusedNamingItAndThePath) {
    TempDir dir;
    const auto text = write_file(dir.path() / "t.txt", "the dog and the cat\n");
    const std::string file = json(text.string()).dump();
    const auto inherited = errors_of(R"({"scaling": "weak", "runs": [{"kernel": "square"},
        {"kernel": "wordcount", "params": {"file": )" +
                                     file + "}}]}");
    EXPECT_EQ(inherited.size(), 1u);
    EXPECT_TRUE(has_error(inherited, "runs[1].kernel",
                          "kernel wordcount cannot be swept with weak scaling (asked for by the "
                          "top level's \"scaling\")"));
    EXPECT_TRUE(has_error(inherited, "runs[1].kernel", "square (n)"));
    EXPECT_TRUE(has_error(inherited, "runs[1].kernel", "pi (samples)"));
    const auto own = errors_of(R"({"runs": [{"kernel": "wordcount", "scaling": "weak",
        "params": {"file": )" + file +
                               "}}]}");
    EXPECT_TRUE(has_error(own, "runs[0].scaling", "kernel wordcount cannot be swept with weak"));
    // A wordcount run that says "strong" under a weak top level is fine.
    EXPECT_TRUE(errors_of(R"({"scaling": "weak", "runs": [{"kernel": "wordcount",
        "scaling": "strong", "params": {"file": )" +
                          file + "}}]}")
                    .empty());
}

TEST(WeakScaling, BadValuesAndSizesOverTheMaximumNameTheirPath) {
    const auto bad = errors_of(R"({"scaling": "wek", "runs": [
        {"kernel": "square", "scaling": "Strong"}, {"kernel": "pi", "scaling": 1}]})");
    EXPECT_TRUE(has_error(bad, "scaling",
                          "must be one of strong, weak (got \"wek\"); did you "
                          "mean \"weak\"?"));
    EXPECT_TRUE(has_error(bad, "runs[0].scaling", "did you mean \"strong\""));
    EXPECT_TRUE(has_error(bad, "runs[1].scaling", "must be one of strong, weak (got 1)"));
    EXPECT_TRUE(has_error(errors_of(R"({"runs": [{"kernel": "square", "scalling": "weak"}]})"),
                          "runs[0].scalling", "did you mean \"scaling\""));
    // square's n is capped at 4e10: 3e10 per worker is fine at 1 worker, not at 2.
    EXPECT_TRUE(errors_of(R"({"scaling": "weak", "runs": [{"kernel": "square", "params":
        {"n": 30000000000}}]})")
                    .empty());
    const auto big = errors_of(R"({"scaling": "weak", "grid": {"processes": [1, 2]},
        "runs": [{"kernel": "square", "params": {"n": 30000000000}}]})");
    EXPECT_TRUE(has_error(big, "runs[0].params.n", "weak scaling runs n × P·T, and at P·T = 2"));
}

}  // namespace
}  // namespace parsweep
