// Weak scaling end to end: `"scaling": "weak"` runs each point with the work per worker fixed
// (the work size × P·T), verifies every point at its real size, and reports the scaled
// speedup in sweep.json, points.csv, the summary, and again after `parsweep merge`.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

json read_json(const fs::path& p) {
    return json::parse(read_file(p));
}

// points.csv as rows of column → cell (no cell of these sweeps is quoted).
std::vector<std::map<std::string, std::string>> read_points_csv(const fs::path& path) {
    std::istringstream in(read_file(path));
    auto split = [](const std::string& line) {
        std::vector<std::string> cells;
        std::stringstream s(line);
        for (std::string cell; std::getline(s, cell, ',');) cells.push_back(cell);
        if (!line.empty() && line.back() == ',') cells.emplace_back();
        return cells;
    };
    std::string line;
    std::getline(in, line);
    const auto header = split(line);
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
        const auto cells = split(line);
        EXPECT_EQ(cells.size(), header.size()) << line;
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i)
            row[header[i]] = cells[i];
        rows.push_back(row);
    }
    return rows;
}

// The work size each kernel of the sweep is given per worker, and what its result counts.
const std::map<std::string, std::pair<std::string, std::uint64_t>> kPerWorker = {
    {"square", {"n", 20000}}, {"pi", {"samples", 30000}}};
const std::map<std::string, std::string> kResultCount = {{"square", "numbers"},
                                                         {"pi", "samples"}};

class WeakScaling : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path cfg;
    void SetUp() override {
        cfg = write_file(dir / "weak.json", R"({"name": "weak", "scaling": "weak",
            "repetitions": 2, "warmup": 0, "grid": {"processes": [1, 2], "threads": [1, 2]},
            "runs": [{"kernel": "square", "params": {"n": 20000}},
                     {"kernel": "pi", "params": {"samples": 30000}}]})");
    }
    // No calibration: the roofline has nothing to do with how the work scales.
    Output run(const fs::path& out, const std::string& extra = "") {
        return run_parsweep("run --no-calibrate '" + cfg.string() + "' --out '" + out.string() +
                            "' " + extra);
    }
};

// The scaled speedup and weak efficiency of every point, from its own and its baseline's
// medians: what derive() must give, in a measured run and in a merged one alike.
void expect_weak_metrics(const json& sweep) {
    std::map<std::string, const json*> baseline;  // kernel → its 1×1 point
    for (const auto& p : sweep["points"])
        if (p["processes"] == 1 && p["threads"] == 1) baseline[p["kernel"]] = &p;
    ASSERT_EQ(baseline.size(), 2u);
    for (const auto& p : sweep["points"]) {
        const std::string kernel = p["kernel"];
        const int workers = p["processes"].get<int>() * p["threads"].get<int>();
        const double t = p["stats"]["wall_s"]["median"];
        const double t_base = (*baseline[kernel])["stats"]["wall_s"]["median"];
        const json& d = p["derived"];
        ASSERT_TRUE(d["speedup"].is_number()) << p["label"];
        EXPECT_DOUBLE_EQ(d["speedup"].get<double>(), workers * t_base / t) << p["label"];
        EXPECT_DOUBLE_EQ(d["efficiency"].get<double>(), workers * t_base / t / workers);
        EXPECT_TRUE(d["karp_flatt"].is_null()) << p["label"];
        if (workers > 1)
            EXPECT_NEAR(d["gustafson_serial"].get<double>(),
                        (workers - workers * t_base / t) / (workers - 1.0), 1e-12);
        else
            EXPECT_TRUE(d["gustafson_serial"].is_null());
    }
}

TEST_F(WeakScaling, EveryPointRunsAndVerifiesItsRealSize) {
    const auto out = dir / "run";
    Output o = run(out);
    ASSERT_EQ(o.status, 0) << o.err << o.out;
    EXPECT_NE(o.out.find("8 of 8 points verified"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("scaled speedup"), std::string::npos) << o.out;

    const json sweep = read_json(out / "sweep.json");
    ASSERT_EQ(sweep["points"].size(), 8u);
    for (const auto& p : sweep["points"]) {
        const std::string kernel = p["kernel"];
        const auto& [param, given] = kPerWorker.at(kernel);
        const std::uint64_t workers = p["processes"].get<std::uint64_t>() * p["threads"].get<int>();
        EXPECT_TRUE(p["verified"].get<bool>()) << p.dump();
        EXPECT_EQ(p["scaling"], "weak");
        EXPECT_EQ(p["label"], kernel + " (weak)");
        EXPECT_EQ(p["per_worker"], json({{param, given}}));
        EXPECT_EQ(p["params"][param].get<std::uint64_t>(), given * workers) << p["label"];
        // The kernel counted (and verified) the real size, not the given one.
        EXPECT_EQ(p["result"][kResultCount.at(kernel)].get<std::uint64_t>(), given * workers);
    }
    for (const auto& e : sweep["config"]["expanded"]["points"]) {
        EXPECT_EQ(e["scaling"], "weak");
        EXPECT_TRUE(e.contains("per_worker"));
    }
    expect_weak_metrics(sweep);

    const auto rows = read_points_csv(out / "points.csv");
    ASSERT_EQ(rows.size(), 8u);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        const json& p = sweep["points"][i];
        EXPECT_EQ(row.at("scaling"), "weak");
        EXPECT_EQ(row.at("verified"), "true");
        const std::string param = kPerWorker.at(row.at("kernel")).first;
        EXPECT_EQ(row.at("param_" + param), p["params"][param].dump());  // the real size
        EXPECT_NEAR(std::stod(row.at("speedup")), p["derived"]["speedup"].get<double>(), 1e-6);
        EXPECT_EQ(row.at("karp_flatt"), "");
        EXPECT_EQ(row.at("gustafson_serial").empty(), p["derived"]["gustafson_serial"].is_null());
    }
}

TEST_F(WeakScaling, MergedPartsGiveTheSameScaledSpeedups) {
    for (int k = 1; k <= 2; ++k) {
        Output o = run(dir / ("part-" + std::to_string(k)), "--part " + std::to_string(k) + "/2");
        ASSERT_EQ(o.status, 0) << o.err << o.out;
    }
    const auto out = dir / "merged";
    Output m = run_parsweep("merge '" + (dir / "part-1").string() + "' '" +
                            (dir / "part-2").string() + "' --out '" + out.string() + "'");
    ASSERT_EQ(m.status, 0) << m.err << m.out;
    EXPECT_NE(m.out.find("8 of 8 points verified"), std::string::npos) << m.out;
    const json merged = read_json(out / "sweep.json");
    ASSERT_EQ(merged["points"].size(), 8u);
    for (const auto& p : merged["points"]) {
        EXPECT_EQ(p["scaling"], "weak");
        const auto& [param, given] = kPerWorker.at(p["kernel"]);
        EXPECT_EQ(p["per_worker"], json({{param, given}}));
    }
    // Round robin: most baselines were measured by the other part, and merge finds them
    // across the weak points' different real sizes.
    expect_weak_metrics(merged);
}

TEST_F(WeakScaling, AKernelThatCannotScaleIsAConfigError) {
    const auto text = write_file(dir / "words.txt", "the dog and the cat\n");
    const auto bad = write_file(dir / "bad.json", R"({"scaling": "weak", "runs": [
        {"kernel": "wordcount", "params": {"file": ")" + text.string() + R"("}}]})");
    Output o = run_parsweep("run '" + bad.string() + "' --out '" + (dir / "no").string() + "'");
    EXPECT_EQ(o.status, 2) << o.out;
    EXPECT_NE(o.err.find("runs[0].kernel: kernel wordcount cannot be swept with weak scaling"),
              std::string::npos)
        << o.err;
    EXPECT_FALSE(fs::exists(dir / "no"));
}

}  // namespace
}  // namespace parsweep::test
