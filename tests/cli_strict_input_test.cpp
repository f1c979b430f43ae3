// Hostile JSON and CSV end to end, with the real binary and real files: configs and sweep.json
// files nested 200,000 deep, FIFOs where a file should be, files too big to read, duplicate
// keys, NUL characters, a learner label that a spreadsheet would run as a formula, and an env
// that changes what workers load. Each gets a clear answer naming the file and the place,
// exit 2 when nothing was run, and never a crash or a hang.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// "[[[…]]]" nested `depth` deep: 400 KB at 200,000, which crashed recursive code.
std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// A FIFO where a file should be: opening it to read blocks until a writer comes, so a reader
// that does not refuse it by its type hangs. 60 s is the deadline for that hang: far more
// than a refusal takes on a loaded machine. SIGKILL 10 s later: a parsweep blocked in open()
// records SIGTERM and goes on waiting.
const std::string kDeadline = "timeout -k 10 60";
constexpr int kTimedOut = 124;

class StrictInput : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path config(const std::string& name, const std::string& body) {
        return write_file(dir / name, body);
    }
    Output parsweep(const std::string& args, const std::string& prefix = kDeadline) {
        return run_parsweep(args, dir.path(), prefix);
    }
    // A finished run of two small points at DIR/name.
    fs::path small_run(const std::string& name) {
        const auto cfg = config("tiny.json", R"({"name": "tiny", "repetitions": 2, "warmup": 0,
            "runs": [{"kernel": "pi", "params": {"samples": 100000},
                      "grid": {"threads": [1, 2]}}]})");
        const Output o = parsweep("run -q --no-calibrate '" + cfg.string() + "' --out " + name);
        EXPECT_EQ(o.status, 0) << o.err;
        return dir / name;
    }
    // `run`'s sweep.json with `value` put at `ptr` (the text of any JSON, even invalid).
    void plant(const fs::path& run, const std::string& ptr, const std::string& value) {
        json doc = json::parse(read_file(run / "sweep.json"));
        doc[json::json_pointer(ptr)] = "@@PLANTED@@";
        std::string text = doc.dump();
        text.replace(text.find("\"@@PLANTED@@\""), 13, value);
        write_file(run / "sweep.json", text);
    }
    void expect_refused(const Output& o, const std::string& what) {
        EXPECT_EQ(o.status, 2) << o.err;
        EXPECT_TRUE(has(o.err, what)) << o.err;
    }
};

TEST_F(StrictInput, DeepConfigIsRefusedByValidateAndRun) {
    config("deep.json", R"({"runs": )" + nested(200000) + "}");
    for (const std::string command : {"validate deep.json", "run -q deep.json --out out"}) {
        const Output o = parsweep(command);
        expect_refused(o,
                       "deep.json: runs[0][0][0][0][0][0][0]: lists and objects nest more "
                       "than 64 deep");
        EXPECT_TRUE(has(o.err, "nothing was run")) << o.err;
    }
    EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(StrictInput, DeepSweepJsonToMergeClassIsRefused) {
    small_run("alice");
    const fs::path bob = small_run("bob");
    plant(bob, "/context/deep", nested(200000));
    const Output o = parsweep("merge --class alice bob --out class");
    expect_refused(o, (fs::path("bob") / "sweep.json").string() +
                          ": /context/deep/0/0/0/0/0/0: lists and objects nest more than 64 deep");
    EXPECT_FALSE(fs::exists(dir / "class"));
}

TEST_F(StrictInput, FifoAsConfigEndsWithAnError) {
    ASSERT_EQ(mkfifo((dir / "fifo.json").c_str(), 0600), 0);
    for (const std::string command : {"validate fifo.json", "run -q fifo.json --out out"}) {
        const Output o = parsweep(command);
        EXPECT_NE(o.status, kTimedOut) << command << ": still waiting for the FIFO after 60 s";
        expect_refused(o, "fifo.json: is a FIFO (named pipe), not a regular file");
    }
}

TEST_F(StrictInput, FifoAsSweepJsonEndsMergeAndResume) {
    small_run("a");
    const fs::path b = small_run("b");
    fs::remove(b / "sweep.json");
    ASSERT_EQ(mkfifo((b / "sweep.json").c_str(), 0600), 0);
    Output o = parsweep("merge a b --out merged");
    EXPECT_NE(o.status, kTimedOut) << "merge still waiting for the FIFO after 60 s";
    expect_refused(o, (fs::path("b") / "sweep.json").string() + ": is a FIFO");
    o = parsweep("run -q --resume b");
    EXPECT_NE(o.status, kTimedOut) << "--resume still waiting for the FIFO after 60 s";
    expect_refused(
        o, "is a FIFO (named pipe), not a regular file");  // The same with the journal --resume
                                                           // reads after sweep.json.
    const fs::path c = small_run("c");
    json doc = json::parse(read_file(c / "sweep.json"));
    doc["status"] = "incomplete";
    write_file(c / "sweep.json", doc.dump());
    fs::remove(c / "checkpoint.jsonl");
    ASSERT_EQ(mkfifo((c / "checkpoint.jsonl").c_str(), 0600), 0);
    o = parsweep("run -q --resume c");
    EXPECT_NE(o.status, kTimedOut) << "--resume still waiting for the FIFO after 60 s";
    expect_refused(o, (fs::path("c") / "checkpoint.jsonl").string() +
                          ": is a FIFO (named pipe), not a regular file");
}

// A sparse file: 200 MB on paper, nothing on disk. It is refused by its size, before it is
// read (the old loader took 6.9 GB of memory to refuse it as invalid JSON).
TEST_F(StrictInput, TooBigFilesAreRefusedBeforeReading) {
    const fs::path big = config("big.json", "");
    fs::resize_file(big, 200u << 20);
    Output o = parsweep("validate big.json");
    expect_refused(o,
                   "big.json: is 200.0 MiB, more than the 16.0 MiB it may be "
                   "(PARSWEEP_MAX_JSON_BYTES=209715200 raises the limit)");
    // The limit is the variable's, for configs and sweep.json alike.
    config("small.json", R"({"runs": [{"kernel": "pi", "params": {"samples": 1000}}]})");
    o = parsweep("validate small.json", kDeadline + " env PARSWEEP_MAX_JSON_BYTES=20");
    expect_refused(o, "small.json: is 57.0 B, more than the 20.0 B it may be");
    EXPECT_EQ(parsweep("validate small.json", kDeadline + " env PARSWEEP_MAX_JSON_BYTES=1k").status,
              0);
    o = parsweep("validate small.json", kDeadline + " env PARSWEEP_MAX_JSON_BYTES=lots");
    expect_refused(o, "PARSWEEP_MAX_JSON_BYTES=lots: must be a size in bytes");
    small_run("a");
    const fs::path b = small_run("b");
    fs::resize_file(b / "sweep.json", 300u << 20);
    o = parsweep("merge a b --out merged");
    expect_refused(o, (fs::path("b") / "sweep.json").string() +
                          ": is 300.0 MiB, more than the "
                          "256.0 MiB it may be");
}

TEST_F(StrictInput, DuplicateKeysAreNamedWithTheirPath) {
    config("dup.json", R"({"runs": [{"kernel": "pi",
        "params": {"samples": 1000, "samples": 2000}}]})");
    expect_refused(parsweep("validate dup.json"),
                   "dup.json: runs[0].params: duplicate key \"samples\"");
    // A second "runs" used to drop the first list without a word.
    config("runs.json", R"({"runs": [{"kernel": "pi", "params": {"samples": 1000}}],
                            "runs": [{"kernel": "square"}]})");
    const Output o = parsweep("run -q runs.json --out out");
    expect_refused(o, "runs.json: at the top level: duplicate key \"runs\"");
    EXPECT_TRUE(has(o.err, "nothing was run")) << o.err;
    EXPECT_FALSE(fs::exists(dir / "out"));
    // The same in a sweep.json given to merge.
    small_run("a");
    const fs::path b = small_run("b");
    std::string text = read_file(b / "sweep.json");
    text.replace(text.find("\n  \"points\""), 11, "\n  \"points\": [], \"points\"");
    write_file(b / "sweep.json", text);
    expect_refused(
        parsweep("merge a b --out merged"),
        (fs::path("b") / "sweep.json").string() + ": at the top level: duplicate key \"points\"");
}

TEST_F(StrictInput, NulInAStringIsRefused) {
    config("nul.json", R"({"runs": [{"kernel": "pi", "env": {"GREETING": "hi\u0000there"}}]})");
    expect_refused(parsweep("validate nul.json"),
                   "nul.json: runs[0].env.GREETING: NUL character (\\u0000) in a string: "
                   "\"hi\\u0000there\"");
    config("nulfile.json", R"({"runs": [{"kernel": "wordcount",
        "params": {"file": "/etc/hostname\u0000.txt"}}]})");
    expect_refused(parsweep("run -q nulfile.json --out out"),
                   "nulfile.json: runs[0].params.file: NUL character (\\u0000) in a string");
    EXPECT_FALSE(fs::exists(dir / "out"));
}

// A learner label a spreadsheet would run as a formula is written as text (OWASP: a leading
// ' inside a quoted cell); numbers, negative ones too, stay numbers.
TEST_F(StrictInput, FormulaLikeCsvCellsAreQuotedAsText) {
    small_run("a");
    small_run("b");
    const Output o = parsweep(
        R"(merge --class a b --label '=HYPERLINK("http://x","y")' --label '-2+3' --out class)");
    ASSERT_EQ(o.status, 0) << o.err;
    for (const char* file : {"points.csv", "reps.csv"}) {
        const std::string csv = read_file(dir / "class" / file);
        EXPECT_TRUE(has(csv, "\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",pi,1,1,")) << csv;
        EXPECT_TRUE(has(csv, "\n\"'-2+3\",pi,1,1,")) << csv;
        EXPECT_FALSE(has(csv, "\n=")) << csv;
    }
    // The merged sweep.json keeps the labels as given: the quoting is the CSV's only.
    const json merged = json::parse(read_file(dir / "class" / "sweep.json"));
    EXPECT_EQ(merged["points"][0]["learner"], "=HYPERLINK(\"http://x\",\"y\")");
}

TEST_F(StrictInput, LoaderEnvironmentIsWarnedAboutAndRecorded) {
    config("ld.json", R"({"name": "ld", "repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "pi", "params": {"samples": 1000},
                  "env": {"LD_LIBRARY_PATH": "/nonexistent/lib"}}]})");
    const std::string warning =
        "warning: ld.json: runs[0].env.LD_LIBRARY_PATH: sets "
        "LD_LIBRARY_PATH=\"/nonexistent/lib\": it changes which programs and libraries every "
        "worker of this run loads";
    Output o = parsweep("validate ld.json");
    EXPECT_EQ(o.status, 0) << o.err;
    EXPECT_TRUE(has(o.err, warning)) << o.err;
    o = parsweep("run -q --no-calibrate ld.json --out out");
    EXPECT_EQ(o.status, 0) << o.err;
    EXPECT_TRUE(has(o.err, warning)) << o.err;
    const json doc = json::parse(read_file(dir / "out" / "sweep.json"));
    ASSERT_TRUE(doc["config"].contains("warnings")) << doc["config"].dump();
    EXPECT_EQ(doc["config"]["warnings"][0],
              "runs[0].env.LD_LIBRARY_PATH: sets LD_LIBRARY_PATH=\"/nonexistent/lib\": it "
              "changes which programs and libraries every worker of this run loads");
    // A top-level env is named at the top level; PATH too.
    config("path.json", R"({"env": {"PATH": "/usr/bin"},
        "runs": [{"kernel": "pi", "params": {"samples": 1000}}]})");
    o = parsweep("validate path.json");
    EXPECT_TRUE(has(o.err, "warning: path.json: env.PATH: sets PATH=\"/usr/bin\"")) << o.err;
}

}  // namespace
}  // namespace parsweep::test
