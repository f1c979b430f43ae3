// The command line a hyperfine or Google Benchmark user expects, end to end with the real
// binary: help and suggestions, config-relative paths, validate's estimate, run's
// --repetitions/--warmup/--only and --export-markdown, colour on a terminal only, the
// results/latest pointer, and a lesson's config given to the main binary.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "util/units.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

std::string quote(const fs::path& p) {
    return "'" + p.string() + "'";
}

// Runs `command` through sh, in `cwd`; stdout and stderr together.
Output shell(const std::string& command, const fs::path& cwd) {
    Output o;
    const std::string cmd = "cd " + quote(cwd) + " && " + command + " 2>&1 </dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
    const int st = pclose(p);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return o;
}

// parsweep `args` on a pseudo-terminal (util-linux script), as a user at a terminal runs it:
// everything it wrote, and its exit status.
Output on_terminal(const std::string& args, const fs::path& cwd, const std::string& env = "") {
    const std::string inner = env + " '" + std::string(PARSWEEP_BINARY) + "' " + args;
    return shell("script -qec \"" + inner + "\" /dev/null", cwd);
}

class Options : public ::testing::Test {
  protected:
    TempDir dir;
    // Two kernels, P 1 and 2, so that --only has something to choose from; fast.
    fs::path small_config() {
        return write_file(dir / "small.json", R"({"name": "small", "repetitions": 2, "warmup": 1,
          "grid": {"processes": [1, 2], "threads": [1]},
          "runs": [{"kernel": "square", "grid": {"n": [1000, 2000]}},
                   {"kernel": "pi", "params": {"samples": 10000}}]})");
    }
    Output run(const std::string& args, const fs::path& cwd = fs::path()) {
        return run_parsweep("run -q --no-calibrate " + args, cwd.empty() ? dir.path() : cwd);
    }
};

TEST_F(Options, HelpAndSuggestionsForMistypedCommandsAndOptions) {
    Output h = run_parsweep("help", dir.path());
    EXPECT_EQ(h.status, 0) << h.err;
    EXPECT_NE(h.out.find("validate"), std::string::npos) << h.out;
    EXPECT_NE(h.out.find("run a sweep"), std::string::npos) << h.out;
    Output hr = run_parsweep("help run", dir.path());
    EXPECT_EQ(hr.status, 0) << hr.err;
    EXPECT_NE(hr.out.find("--export-markdown"), std::string::npos) << hr.out;
    EXPECT_EQ(hr.out, run_parsweep("run --help", dir.path()).out);

    Output typo = run_parsweep("runn x.json", dir.path());
    EXPECT_EQ(typo.status, 2);
    EXPECT_NE(typo.err.find("parsweep: unknown command \"runn\"; did you mean \"run\"?"),
              std::string::npos)
        << typo.err;
    Output help_typo = run_parsweep("help valdiate", dir.path());
    EXPECT_EQ(help_typo.status, 2);
    EXPECT_NE(help_typo.err.find("did you mean \"validate\"?"), std::string::npos) << help_typo.err;
    Output far = run_parsweep("frobnicate", dir.path());
    EXPECT_EQ(far.status, 2);
    EXPECT_NE(far.err.find("the commands are run, validate"), std::string::npos) << far.err;

    Output opt = run_parsweep("run x.json --repetiton 3", dir.path());
    EXPECT_EQ(opt.status, 2);
    EXPECT_NE(
        opt.err.find("unknown option \"--repetiton\" for run; did you mean \"--repetitions\"?"),
        std::string::npos)
        << opt.err;
}

// A relative file in a config is taken from the config's directory, whatever the current
// one, and sweep.json records it as an absolute path; the shipped default config validates
// from anywhere (here: a copy of configs/ beside a data/ with the text).
TEST_F(Options, RelativeFilesAreTakenFromTheConfigsDirectory) {
    write_file(dir / "project/texts/words.txt", generated_text(20000, 3));
    auto cfg = write_file(dir / "project/sweep.json", R"({"repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "wordcount", "params": {"file": "texts/words.txt"}}]})");
    fs::create_directories(dir / "elsewhere");
    Output o = run(quote(cfg) + " --out " + quote(dir / "out"), dir / "elsewhere");
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    json sweep = json::parse(read_file(dir / "out/sweep.json"));
    EXPECT_EQ(sweep["points"][0]["params"]["file"], (dir / "project/texts/words.txt").string());
    EXPECT_EQ(sweep["config"]["base_dir"], (dir / "project").string());

    fs::create_directories(dir / "checkout/data");
    fs::create_symlink(workshop_text(), dir / "checkout/data/t8.shakespeare.txt");
    fs::create_directories(dir / "checkout/configs");
    fs::copy(fs::path(PARSWEEP_SOURCE_DIR) / "configs/default.json",
             dir / "checkout/configs/default.json");
    Output v =
        run_parsweep("validate " + quote(dir / "checkout/configs/default.json"), dir / "elsewhere");
    EXPECT_EQ(v.status, 0) << v.err << v.out;
}

TEST_F(Options, ValidateEstimatesTimeAndMemoryAndSaysSo) {
    auto cfg = small_config();
    // No calibration cached (an empty cache directory): the time is unknown, and said so.
    fs::create_directories(dir / "cache");
    Output v = run_parsweep("validate " + quote(cfg), dir.path(),
                            "env PARSWEEP_CACHE_DIR=" + quote(dir / "cache"));
    ASSERT_EQ(v.status, 0) << v.err;
    EXPECT_NE(v.out.find("6 points"), std::string::npos) << v.out;
    EXPECT_NE(v.out.find("estimate (rough, nothing was measured), 18 repetitions with warmups"),
              std::string::npos)
        << v.out;
    EXPECT_NE(v.out.find("time: unknown: no calibration of this machine is cached"),
              std::string::npos)
        << v.out;
    EXPECT_NE(v.out.find("memory: about"), std::string::npos) << v.out;
    // With a calibration (measured once for this build's tests): a time in the kernels.
    Output c = run_parsweep("calibrate --quick --cores 2 --json", dir.path());
    ASSERT_EQ(c.status, 0) << c.err;
    Output e = run_parsweep("validate --cores 2 " + quote(cfg), dir.path());
    ASSERT_EQ(e.status, 0) << e.err;
    EXPECT_NE(e.out.find("time: about "), std::string::npos) << e.out;
    EXPECT_NE(e.out.find("calibrated limits"), std::string::npos) << e.out;
}

TEST_F(Options, RepetitionsAndWarmupOverrideTheConfigAndResumeKeepsThem) {
    auto cfg = small_config();
    Output o = run(quote(cfg) + " --repetitions 1 --warmup 0 --out " + quote(dir / "r"));
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    json sweep = json::parse(read_file(dir / "r/sweep.json"));
    for (const auto& p : sweep["points"]) EXPECT_EQ(p["reps"].size(), 1u) << p["label"];
    for (const auto& p : sweep["config"]["expanded"]["points"]) {
        EXPECT_EQ(p["repetitions"], 1);
        EXPECT_EQ(p["warmup"], 0);
    }
    EXPECT_EQ(sweep["config"]["overrides"], json({{"repetitions", 1}, {"warmup", 0}}));
    // Part of the config's identity: another hash than the config run as written.
    Output plain = run(quote(cfg) + " --repetitions 2 --out " + quote(dir / "plain"));
    ASSERT_EQ(plain.status, 0) << plain.err;
    EXPECT_NE(json::parse(read_file(dir / "plain/sweep.json"))["config"]["hash"],
              sweep["config"]["hash"]);
    // --resume goes on with them; other counts are refused, naming what the run used.
    Output again = run("--resume " + quote(dir / "r"));
    EXPECT_EQ(again.status, 0) << again.err;
    Output other = run("--resume " + quote(dir / "r") + " --repetitions 5");
    EXPECT_EQ(other.status, 2);
    EXPECT_NE(other.err.find("it was started with {\"repetitions\":1,\"warmup\":0}"),
              std::string::npos)
        << other.err;
}

// Adaptive repetitions stop at each limit: an interval that is never narrow enough runs to
// max_repetitions; one narrow enough stops the point with its recorded interval that narrow;
// a spent budget stops at repetitions; and --repetitions means exactly that many.
TEST_F(Options, AdaptiveRepetitionsStopAtTheirLimits) {
    auto reps_of = [&](const std::string& adaptive, const std::string& args) {
        const fs::path cfg =
            write_file(dir / "adaptive.json",
                       R"({"repetitions": 3, "warmup": 0,
          "adaptive": )" + adaptive +
                           R"(, "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
        const fs::path out = dir / "adaptive";
        fs::remove_all(out);
        Output o = run(quote(cfg) + " " + args + " --out " + quote(out));
        EXPECT_EQ(o.status, 0) << o.err << o.out;
        return json::parse(read_file(out / "sweep.json"))["points"][0]["reps"].size();
    };
    // A 95% interval of 10⁻⁹ % of the mean is never reached: the point takes all 12.
    EXPECT_EQ(reps_of(R"({"max_repetitions": 12, "ci95_pct": 1e-9, "budget_s": 3600})", ""), 12u);
    // Stopped before max_repetitions by the interval: the recorded interval is that narrow.
    const std::size_t wide = reps_of(R"({"max_repetitions": 200, "ci95_pct": 30})", "");
    const json wall =
        json::parse(read_file(dir / "adaptive/sweep.json"))["points"][0]["stats"]["wall_s"];
    EXPECT_GE(wide, 3u);
    if (wide < 200) EXPECT_LE(wall["ci95"].get<double>(), 0.3 * wall["mean"].get<double>());
    EXPECT_EQ(reps_of(R"({"max_repetitions": 12, "ci95_pct": 1e-9, "budget_s": 1e-9})", ""), 3u);
    EXPECT_EQ(reps_of(R"({"max_repetitions": 12, "ci95_pct": 1e-9})", "--repetitions 2"), 2u);
}

TEST_F(Options, OnlySelectsPointsAndKeepsTheirBaselines) {
    auto cfg = small_config();
    Output o = run(quote(cfg) + " --only 'kernel=square,n=2000,P=2' --only kernel=pi --out " +
                   quote(dir / "o"));
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    json sweep = json::parse(read_file(dir / "o/sweep.json"));
    std::vector<std::string> got;
    for (const auto& p : sweep["points"]) {
        got.push_back(p["label"].get<std::string>() + " P=" + p["processes"].dump());
        EXPECT_TRUE(p["derived"]["speedup"].is_number()) << p["label"];  // baseline kept
    }
    // square n=2000 at P=2 and its baseline (P=1), and both pi points.
    EXPECT_EQ(got, (std::vector<std::string>{"square n=2000 P=1", "square n=2000 P=2", "pi P=1",
                                             "pi P=2"}));
    EXPECT_EQ(sweep["config"]["overrides"]["only"].size(), 2u);
    // Numbers compare as numbers: n=2e3 is n=2000 (P=1 and 2; pi has no n).
    Output num = run(quote(cfg) + " --only n=2e3 --out " + quote(dir / "num"));
    ASSERT_EQ(num.status, 0) << num.err;
    EXPECT_EQ(json::parse(read_file(dir / "num/sweep.json"))["points"].size(), 2u);

    Output none = run(quote(cfg) + " --only 'kernel=invert' --out " + quote(dir / "none"));
    EXPECT_EQ(none.status, 2);
    EXPECT_NE(none.err.find("--only 'kernel=invert' matches no point"), std::string::npos)
        << none.err;
    EXPECT_NE(none.err.find("kernel: square, pi"), std::string::npos) << none.err;
    EXPECT_NE(none.err.find("n: 1000, 2000"), std::string::npos) << none.err;
    EXPECT_FALSE(fs::exists(dir / "none" / "sweep.json"));
    Output typo = run(quote(cfg) + " --only 'kernal=pi' --out " + quote(dir / "typo"));
    EXPECT_EQ(typo.status, 2);
    EXPECT_NE(typo.err.find("unknown key \"kernal\"; did you mean \"kernel\"?"), std::string::npos)
        << typo.err;
    Output bad = run(quote(cfg) + " --only 'kernel' --out " + quote(dir / "bad"));
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.err.find("is not key=value"), std::string::npos) << bad.err;
}

// The Markdown table has the console table's columns (one field list) and a row per point.
TEST_F(Options, ExportMarkdownWritesTheSummaryTable) {
    auto cfg = small_config();
    Output o = run_parsweep("run --no-calibrate " + quote(cfg) + " --repetitions 1 --out " +
                                quote(dir / "m") + " --export-markdown " + quote(dir / "t.md"),
                            dir.path());
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    const std::string md = read_file(dir / "t.md");
    EXPECT_EQ(md.rfind("| point | P | T | median wall | ±95% | speedup | effic. | verified |\n"
                       "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | :--- |\n",
                       0),
              0u)
        << md;
    EXPECT_EQ(std::count(md.begin(), md.end(), '\n'), 2 + 6) << md;
    EXPECT_NE(md.find("| square n=1000 | 2 | 1 |"), std::string::npos) << md;
    // The console's header has the same columns.
    EXPECT_NE(o.out.find("speedup effic.  verified"), std::string::npos) << o.out;
    // merge writes the same table for the same points.
    Output m = run_parsweep("merge -q " + quote(dir / "m") + " --out " + quote(dir / "merged") +
                                " --export-markdown " + quote(dir / "merged.md"),
                            dir.path());
    ASSERT_EQ(m.status, 0) << m.err;
    EXPECT_EQ(read_file(dir / "merged.md"), md);
    // A file that cannot be written is bad input: nothing runs.
    Output bad = run(quote(cfg) + " --out " + quote(dir / "b") + " --export-markdown " +
                     quote(dir / "no/such/dir/t.md"));
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.err.find("--export-markdown"), std::string::npos) << bad.err;
    EXPECT_FALSE(fs::exists(dir / "b" / "sweep.json"));
}

// The table's times are those each point's speedup compares: a run that times the kernel
// alone (time_metric compute_s) shows its compute time, not its wall time, and the header —
// or, when the points differ, a line under the table — says which time it shows.
TEST_F(Options, SummaryTableShowsTheTimeTheSpeedupCompares) {
    auto cfg = write_file(dir / "metrics.json", R"({"name": "metrics", "repetitions": 2,
      "warmup": 0, "grid": {"processes": [1], "threads": [1, 2]},
      "runs": [{"kernel": "square", "params": {"n": 100000}},
               {"kernel": "pi", "params": {"samples": 200000}, "time_metric": "compute_s"}]})");
    Output o = run_parsweep("run --no-calibrate " + quote(cfg) + " --out " + quote(dir / "m") +
                                " --export-markdown " + quote(dir / "m.md"),
                            dir.path());
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    EXPECT_NE(o.out.find("median time"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("\n* compute time (compute_s: the kernel's timed work alone), the time "
                         "those points' speedups compare; the other times are wall time"),
              std::string::npos)
        << o.out;
    const json sweep = json::parse(read_file(dir / "m" / "sweep.json"));
    int compute_rows = 0;
    for (const auto& p : sweep["points"]) {
        const std::string metric = p["time_metric"];
        const std::string label = p["label"];
        const std::string cell = format_seconds(p["stats"][metric]["median"].get<double>()) +
                                 (metric == "compute_s" ? "*" : "");
        // The point's row: its label, P and T, then its time.
        std::istringstream lines(o.out);
        std::string line;
        bool found = false;
        while (std::getline(lines, line)) {
            std::istringstream words(line.substr(std::min(line.size(), label.size())));
            int P = 0, T = 0;
            if (line.rfind(label + " ", 0) == 0 && words >> P >> T && P == p["processes"] &&
                T == p["threads"]) {
                found = true;
                EXPECT_NE(line.find(cell), std::string::npos) << cell << " not in: " << line;
            }
        }
        EXPECT_TRUE(found) << label << " has no row in:\n" << o.out;
        compute_rows += metric == "compute_s";
    }
    EXPECT_EQ(compute_rows, 2);
    const std::string md = read_file(dir / "m.md");
    EXPECT_NE(md.find("| median time |"), std::string::npos) << md;
    EXPECT_NE(md.find("\n\\* compute time"), std::string::npos) << md;
    // Every point timing the kernel alone: the header says so, and needs no note.
    Output c = run_parsweep(
        "run --no-calibrate " + quote(cfg) + " --only kernel=pi --out " + quote(dir / "c"),
        dir.path());
    ASSERT_EQ(c.status, 0) << c.err << c.out;
    EXPECT_NE(c.out.find("median compute"), std::string::npos) << c.out;
    EXPECT_EQ(c.out.find("* compute time"), std::string::npos) << c.out;
}

// Colour on a terminal only: the verdicts and "error:"; NO_COLOR (any value) and pipes get
// plain text.
TEST_F(Options, ColourOnlyOnATerminalWithoutNoColor) {
    auto cfg = write_file(dir / "one.json", R"({"repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "square", "params": {"n": 1000}}]})");
    const std::string green_yes = "\x1b[32myes";
    Output tty = on_terminal(
        "run -q --no-calibrate " + cfg.string() + " --out " + (dir / "tty").string(), dir.path());
    EXPECT_EQ(tty.status, 0) << tty.out;
    EXPECT_NE(tty.out.find(green_yes), std::string::npos) << tty.out;
    Output no_color =
        on_terminal("run -q --no-calibrate " + cfg.string() + " --out " + (dir / "nc").string(),
                    dir.path(), "NO_COLOR=");
    EXPECT_EQ(no_color.status, 0) << no_color.out;
    EXPECT_EQ(no_color.out.find('\x1b'), std::string::npos) << no_color.out;
    Output piped = run(quote(cfg) + " --out " + quote(dir / "piped"));
    EXPECT_EQ(piped.out.find('\x1b'), std::string::npos) << piped.out;
    EXPECT_NE(piped.out.find("yes"), std::string::npos) << piped.out;

    Output err = on_terminal("validate missing.json", dir.path());
    EXPECT_EQ(err.status, 2) << err.out;
    EXPECT_NE(err.out.find("\x1b[1m\x1b[31merror:"), std::string::npos) << err.out;
    Output plain = run_parsweep("validate missing.json", dir.path());
    EXPECT_NE(plain.err.find("error: config file not found"), std::string::npos) << plain.err;
}

// `run --out DIR` points results/latest at DIR (when the results directory is there), so
// that `make plots` draws it; a missing or stale pointer gets the list of runs.
TEST_F(Options, RunOutPointsResultsLatestAndMakePlotsSaysWhichRunsExist) {
    auto cfg = small_config();
    fs::create_directories(dir / "results");
    Output o = run(quote(cfg) + " --only kernel=pi --out elsewhere/mine");
    ASSERT_EQ(o.status, 0) << o.err;
    ASSERT_TRUE(fs::is_symlink(dir / "results/latest"));
    EXPECT_TRUE(fs::equivalent(dir / "results/latest", dir / "elsewhere/mine"));
    Output in_results = run(quote(cfg) + " --only kernel=pi --out results/two");
    ASSERT_EQ(in_results.status, 0) << in_results.err;
    EXPECT_EQ(fs::read_symlink(dir / "results/latest"), "two");  // relative inside results/

    fs::remove_all(dir / "results/two");  // the pointer is now stale
    const std::string make =
        "make -s -f " + quote(fs::path(PARSWEEP_SOURCE_DIR) / "Makefile") + " plots";
    fs::create_directories(dir / "results/20260101-000000-old");
    Output stale = shell(make, dir.path());
    EXPECT_EQ(stale.status, 2) << stale.out;
    EXPECT_NE(stale.out.find("plots: no run at results/latest (it points at two"),
              std::string::npos)
        << stale.out;
    EXPECT_NE(stale.out.find("results/20260101-000000-old"), std::string::npos) << stale.out;
    EXPECT_NE(stale.out.find("make plots RUN=results/<run>"), std::string::npos) << stale.out;
}

TEST_F(Options, ALessonsConfigNamesTheLessonBinary) {
    auto cfg = write_file(dir / "02-square.json", R"({"name": "lesson02-square",
        "runs": [{"kernel": "square", "params": {"n": 1000}},
                 {"kernel": "sum_cubes", "params": {"n": 2000}}]})");
    Output o = run_parsweep("run " + quote(cfg), dir.path());
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find(cfg.string() + " is lesson 02's config: its kernel \"sum_cubes\" is "
                                        "built with the lesson; run make exercise N=02 (or "),
              std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find("exercises/parsweep-lesson02-starter run " + cfg.string()),
              std::string::npos)
        << o.err;
    // Not a lesson's config: no such line.
    auto other = write_file(dir / "x.json", R"({"runs": [{"kernel": "sum_cubes"}]})");
    Output x = run_parsweep("validate " + quote(other), dir.path());
    EXPECT_EQ(x.status, 2);
    EXPECT_EQ(x.err.find("lesson"), std::string::npos) << x.err;
}

}  // namespace
}  // namespace parsweep::test
