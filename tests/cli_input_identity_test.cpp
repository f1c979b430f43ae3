// Input identity end to end: the text wordcount reads replaced, deleted or rewritten between
// points or before a --resume, with real files and real processes. A run holds still at a
// known moment on a `fault` point that hangs until the test kills its worker: the test changes
// the file there, after the baseline was measured and before the points that follow.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

json read_json(const fs::path& p) {
    return json::parse(read_file(p));
}

class InputIdentity : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path text = dir / "text.txt";
    fs::path out = dir / "run";

    void SetUp() override { fs::copy_file(workshop_text(), text); }

    // The baseline, then a point that hangs until its worker is killed, then wordcount at
    // P = 1 and 2 (another chunk size: a curve of its own) on the same text.
    fs::path held_config() {
        return write_file(dir / "held.json", fmt::format(R"({{
            "name": "held", "repetitions": 1, "warmup": 0,
            "runs": [{{"kernel": "wordcount", "params": {{"file": "{0}"}}}},
                     {{"kernel": "fault", "params": {{"mode": "hang", "count": 1}},
                       "timeout_s": 3600}},
                     {{"kernel": "wordcount", "params": {{"file": "{0}", "chunk_bytes": 65536}},
                       "grid": {{"processes": [1, 2]}}}}]}})",
                                                         text.string()));
    }

    // Runs held_config(); once the baseline is journaled and the hanging worker is up, calls
    // `change` and kills that worker, so the points after it run on the changed file. Returns
    // the run's exit status.
    int run_changing_input_midway(const std::function<void()>& change) {
        const std::string tag =
            "input-" + std::to_string(getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
        const pid_t parent = start_parsweep(
            {"run", "-q", "--no-calibrate", held_config().string(), "--out", out.string()},
            dir / "log.txt", tag);
        EXPECT_TRUE(wait_for_lines(out / "checkpoint.jsonl", 1)) << "the baseline never ended";
        pid_t worker = 0;
        for (int i = 0; i < 6000 && !worker; ++i) {  // up to 60 s on a loaded machine
            for (pid_t p : pids_tagged(tag))
                if (p != parent) worker = p;
            if (!worker) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        EXPECT_NE(worker, 0) << "the hanging point's worker never started";
        change();
        // Without its worker found, the run would hang for its timeout_s: end it instead.
        kill(worker ? worker : parent, SIGKILL);
        return wait_for(parent);
    }

    // The wordcount points after the held one: failed, for `reason`, never verified.
    void expect_points_after_the_change_failed(const std::string& reason) {
        const json sweep = read_json(out / "sweep.json");
        EXPECT_EQ(sweep["status"], "complete");
        ASSERT_EQ(sweep["points"].size(), 4u);
        EXPECT_TRUE(sweep["points"][0]["verified"].get<bool>()) << "the baseline, before";
        for (std::size_t i = 2; i < 4; ++i) {
            const json& p = sweep["points"][i];
            EXPECT_EQ(p["kernel"], "wordcount");
            EXPECT_FALSE(p["verified"].get<bool>()) << "point " << i << " " << p["result"];
            EXPECT_NE(p.value("error", "").find(reason), std::string::npos) << p["error"];
            EXPECT_EQ(p["status"], "failed");
            EXPECT_EQ(p["derived"]["speedup"], nullptr) << "no speedup from a wrong measurement";
        }
        const std::string log = read_file(dir / "log.txt");
        EXPECT_EQ(log.find("terminate called"), std::string::npos) << log;
        const json inputs = sweep["context"].value("inputs", json::array());
        ASSERT_EQ(inputs.size(), 1u) << sweep["context"].dump();
        EXPECT_EQ(inputs[0]["path"], text.string());
        EXPECT_EQ(inputs[0]["size_bytes"], fs::file_size(workshop_text()));
        EXPECT_EQ(inputs[0]["hash"].get<std::string>().rfind("xxh3-64:", 0), 0u);
    }
};

TEST_F(InputIdentity, TextReplacedAfterTheBaselineFailsThePointsAfterIt) {
    const auto size = fs::file_size(text);
    const int status = run_changing_input_midway([&] {
        // What `head -c 1000000 text > new && mv new text` does.
        write_file(dir / "new", read_file(text).substr(0, 1000000));
        fs::rename(dir / "new", text);
    });
    EXPECT_EQ(status, 1) << read_file(dir / "log.txt");
    expect_points_after_the_change_failed(fmt::format(
        "input changed since the run started: {} (size {} → 1000000 bytes)", text.string(), size));
}

TEST_F(InputIdentity, TextDeletedMidRunIsAFailedPointNotAnAbort) {
    const int status = run_changing_input_midway([&] { fs::remove(text); });
    EXPECT_EQ(status, 1) << read_file(dir / "log.txt");
    expect_points_after_the_change_failed(fmt::format(
        "input changed since the run started: {} (cannot stat it: No such file or directory)",
        text.string()));
}

// A finished run cut back to its first point: what SIGKILL after that point leaves.
fs::path run_with_one_point_journaled(const fs::path& dir, const fs::path& text) {
    const auto config = write_file(dir / "two.json", fmt::format(R"({{
        "name": "two", "repetitions": 1, "warmup": 0, "grid": {{"processes": [1, 2]}},
        "runs": [{{"kernel": "wordcount", "params": {{"file": "{}"}}}}]}})",
                                                                 text.string()));
    const fs::path run = dir / "run";
    const Output o = run_parsweep("run -q --no-calibrate '" + config.string() + "' --out '" +
                                  run.string() + "'");
    EXPECT_EQ(o.status, 0) << o.err;
    const std::string journal = read_file(run / "checkpoint.jsonl");
    write_file(run / "checkpoint.jsonl", journal.substr(0, journal.find('\n') + 1));
    return run;
}

TEST_F(InputIdentity, ResumeRefusesAChangedInputUnlessAllowed) {
    const fs::path run = run_with_one_point_journaled(dir.path(), text);
    const std::string before = read_file(run / "sweep.json");
    // Same size, same mtime, one byte changed in place: only the content hash sees it.
    struct stat st {};
    ASSERT_EQ(::stat(text.c_str(), &st), 0);
    std::string content = read_file(text);
    content[100] = content[100] == 'x' ? 'y' : 'x';
    write_file(text, content);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, text.c_str(), times, 0), 0);

    Output o = run_parsweep("run -q --resume '" + run.string() + "'");
    EXPECT_EQ(o.status, 2) << o.err << o.out;
    EXPECT_NE(o.err.find("input " + text.string() + " changed since the run started (content hash"),
              std::string::npos)
        << o.err;
    EXPECT_NE(o.err.find("--allow-changed-inputs"), std::string::npos) << o.err;
    EXPECT_EQ(read_file(run / "sweep.json"), before) << "nothing was touched";

    // A changed size is named as such.
    write_file(text, content.substr(0, 5000));
    o = run_parsweep("run -q --resume '" + run.string() + "'");
    EXPECT_EQ(o.status, 2) << o.err << o.out;
    EXPECT_NE(o.err.find("(size " + std::to_string(content.size()) + " → 5000 bytes)"),
              std::string::npos)
        << o.err;

    // Told to, it goes on with the text as it is now, and the record says what changed.
    o = run_parsweep("run -q --resume '" + run.string() + "' --allow-changed-inputs");
    EXPECT_EQ(o.status, 0) << o.err << o.out;
    json sweep = read_json(run / "sweep.json");
    EXPECT_EQ(sweep["status"], "complete");
    ASSERT_EQ(sweep["points"].size(), 2u);
    EXPECT_TRUE(sweep["points"][1]["verified"].get<bool>());
    EXPECT_EQ(sweep["points"][1]["result"]["bytes"], 5000);
    EXPECT_EQ(sweep["context"]["inputs"][0]["size_bytes"], 5000);
    const json& changed = sweep["context"]["resumed"].back()["changed_inputs"];
    ASSERT_EQ(changed.size(), 1u) << sweep["context"]["resumed"].dump();
    EXPECT_EQ(changed[0]["path"], text.string());
    EXPECT_EQ(changed[0]["before"]["size_bytes"], content.size());
}

}  // namespace
}  // namespace parsweep::test
