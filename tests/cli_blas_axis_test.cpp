// The blas axis end to end (harness/machine/blas_axis.hpp): real sweeps whose workers load
// OpenBLAS's pthreads and OpenMP builds and BLIS (installed by scripts/install-deps.sh), each point
// verified and recording the library its workers really loaded.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace parsweep::test {
namespace {

using json = nlohmann::json;

class BlasAxis : public ::testing::Test {
  protected:
    TempDir dir;

    // Runs the sweep in `body`; its sweep.json.
    json run(const std::string& name, const std::string& body) {
        const fs::path cfg = write_file(dir / (name + ".json"), body);
        const fs::path out = dir / ("run-" + name);
        Output o = run_parsweep("run -q --no-calibrate '" + cfg.string() + "' --out '" +
                                out.string() + "'");
        EXPECT_EQ(o.status, 0) << o.err << o.out;
        return json::parse(read_file(out / "sweep.json"));
    }
};

// What a point's `blas` must have loaded: the library's name, file and threading.
void expect_loaded(const json& point, const json& loaded) {
    const std::string blas = point["params"]["blas"];
    const std::string at = point["label"].get<std::string>() + " T=" + point["threads"].dump();
    ASSERT_TRUE(loaded.is_object()) << at << ": " << loaded.dump();
    const std::string file = loaded.value("blas_library", "");
    const std::string config = loaded.value("config", "");
    if (blas == "blis") {
        EXPECT_EQ(loaded["name"], "BLIS") << at;
        EXPECT_NE(file.find("blis-openmp/libblis.so"), std::string::npos) << at << ": " << file;
        EXPECT_EQ(loaded["threading"], "openmp") << at;
        const std::string version = loaded.value("version", "");
        ASSERT_FALSE(version.empty()) << at;
        EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(version[0]))) << at << ": " << version;
        // BLIS has no LAPACK: the reference LAPACK's calls into the BLAS resolve to BLIS.
        EXPECT_NE(loaded.value("lapack_library", "").find("lapack/liblapack.so"), std::string::npos)
            << at << ": " << loaded.dump();
        EXPECT_EQ(loaded["lapack_blas_library"], file) << at;
        return;
    }
    EXPECT_EQ(loaded["name"], "OpenBLAS") << at;
    EXPECT_EQ(loaded["lapack_library"], file) << at << ": OpenBLAS's own LAPACK";
    if (blas == "openblas-openmp") {
        EXPECT_NE(file.find("/openblas-openmp/"), std::string::npos) << at << ": " << file;
        EXPECT_NE(config.find("USE_OPENMP"), std::string::npos) << at << ": " << config;
        EXPECT_EQ(loaded["threading"], "openmp") << at;
    } else {
        EXPECT_NE(file.find("/openblas-pthread/"), std::string::npos) << at << ": " << file;
        EXPECT_EQ(config.find("USE_OPENMP"), std::string::npos) << at << ": " << config;
        EXPECT_EQ(loaded["threading"], "pthreads") << at;
    }
}

TEST_F(BlasAxis, EachPointRunsOnItsLibraryAndRecordsIt) {
    json sweep = run("libraries", R"({"repetitions": 2, "warmup": 0,
        "runs": [{"kernel": "invert", "params": {"n": 200, "count": 2},
                  "grid": {"blas": ["openblas-pthread", "openblas-openmp", "blis"],
                           "method": ["getri", "gje"], "threads": [1, 2]}}]})");
    ASSERT_EQ(sweep["points"].size(), 12u);
    for (const json& p : sweep["points"]) {
        const std::string at = p["label"].get<std::string>() + " T=" + p["threads"].dump();
        EXPECT_TRUE(p["verified"].get<bool>()) << at << ": " << p["error"];
        expect_loaded(p, p["blas"]);
        ASSERT_EQ(p["reps"].size(), 2u) << at;
        for (const json& r : p["reps"]) {
            EXPECT_EQ(r["blas"], p["blas"]) << at;
            // getri runs on the BLAS's threads (T of them, or fewer where the BLAS caps them
            // at the CPUs it has); gje gives each of its own threads a one-thread BLAS.
            const int blas_threads = r["blas_threads"].get<int>();
            if (p["params"]["method"] == "gje")
                EXPECT_EQ(blas_threads, 1) << at;
            else
                EXPECT_TRUE(blas_threads >= 1 && blas_threads <= p["threads"].get<int>())
                    << at << ": " << blas_threads;
        }
        // Each library has its own baseline: speedups compare a library with itself.
        if (p["threads"] == 2) {
            EXPECT_FALSE(p["derived"]["speedup"].is_null()) << at;
        }
    }
    const std::string reps = read_file(dir / "run-libraries" / "reps.csv");
    EXPECT_NE(reps.find(",param_blas,"), std::string::npos);
    EXPECT_NE(reps.find(",blas_loaded,"), std::string::npos);
    EXPECT_NE(reps.find(",blis,"), std::string::npos);
    EXPECT_NE(reps.find(",BLIS "), std::string::npos);
    const std::string points = read_file(dir / "run-libraries" / "points.csv");
    EXPECT_NE(points.find(",openblas-openmp,"), std::string::npos);
    EXPECT_NE(points.find(",OpenBLAS "), std::string::npos);
}

TEST_F(BlasAxis, ALibraryFileIsLoadedAsGiven) {
    json first = run("named", R"({"repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "dgemm", "params": {"n": 64, "count": 1, "blas": "openblas-openmp"}}]})");
    ASSERT_EQ(first["points"].size(), 1u);
    const std::string file = first["points"][0]["blas"].value("blas_library", "");
    ASSERT_FALSE(file.empty()) << first["points"][0].dump();
    json sweep = run("file", R"({"repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "dgemm", "params": {"n": 64, "count": 1, "blas": )" +
                                 json(file).dump() + R"(}}]})");
    const json& p = sweep["points"][0];
    EXPECT_TRUE(p["verified"].get<bool>()) << p["error"];
    EXPECT_EQ(p["blas"]["blas_library"], file);
    EXPECT_EQ(p["blas"]["threading"], "openmp");
}

TEST_F(BlasAxis, BadLibrariesAreConfigErrorsAndNothingRuns) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"runs": [{"kernel": "square"}, {"kernel": "invert", "params": {"n": 20, "count": 1},
             "grid": {"blas": ["blis", "openblas-pthreads"]}}]})",
         "runs[1].grid.blas[1]: unknown BLAS \"openblas-pthreads\""},
        {R"({"runs": [{"kernel": "invert", "params": {"n": 20, "count": 1,
             "blas": "/nonexistent/libopenblas.so.0"}}]})",
         "runs[0].params.blas: BLAS library file not found: /nonexistent/libopenblas.so.0"},
        {R"({"runs": [{"kernel": "square", "grid": {"blas": ["blis"]}}]})",
         "runs[0].grid.blas: unknown axis for kernel square"},
    };
    int i = 0;
    for (const auto& [body, expected] : cases) {
        const fs::path cfg = write_file(dir / "bad.json", body);
        const fs::path results = dir / ("results" + std::to_string(i++));
        for (const std::string cmd : {"run", "validate"}) {
            const std::string extra = cmd == "run" ? " --results '" + results.string() + "'" : "";
            Output o = run_parsweep(cmd + " '" + cfg.string() + "'" + extra);
            EXPECT_EQ(o.status, 2) << cmd << " " << body << "\n" << o.err;
            EXPECT_NE(o.err.find(expected), std::string::npos)
                << cmd << ": expected \"" << expected << "\" in:\n"
                << o.err;
            EXPECT_NE(o.err.find("nothing was run"), std::string::npos) << o.err;
            EXPECT_FALSE(fs::exists(results)) << body;
        }
    }
}

#ifdef PARSWEEP_TEST_MPI
// The mpi launcher exports the axis's variables to its ranks like the spawn launcher's.
TEST_F(BlasAxis, MpiRanksLoadThePointsLibrary) {
    json sweep = run("mpi", R"({"launcher": "mpi", "repetitions": 1, "warmup": 0,
        "runs": [{"kernel": "invert", "params": {"n": 100, "count": 2, "method": "getri"},
                  "grid": {"blas": ["openblas-openmp", "blis"], "processes": [2]}}]})");
    ASSERT_EQ(sweep["points"].size(), 4u);  // with the baselines at P=1
    for (const json& p : sweep["points"]) {
        EXPECT_TRUE(p["verified"].get<bool>()) << p["label"] << ": " << p["error"];
        expect_loaded(p, p["blas"]);
    }
}
#endif

}  // namespace
}  // namespace parsweep::test
