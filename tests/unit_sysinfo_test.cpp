// Usable cores: every limit detect_usable_cores() honours, each on its own and together —
// cgroup v2 and v1 quotas in fake /proc + /sys trees, the Slurm variables, --cores, and a
// real affinity mask set on the calling thread; and the CPU sets of the pinning axes.
#include <sched.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "machine/openmp_runtime.hpp"
#include "machine/pinning.hpp"
#include "machine/slurm_allocation.hpp"
#include "machine/sysinfo.hpp"
#include "test_support.hpp"
#include "util/subprocess.hpp"

namespace parsweep {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_file;

constexpr const char* kSlurmVars[] = {
    "SLURM_CPUS_PER_TASK", "SRUN_CPUS_PER_TASK",      "SLURM_CPUS_ON_NODE",   "SLURM_JOB_ID",
    "SLURM_JOB_NODELIST",  "SLURM_JOB_CPUS_PER_NODE", "SLURM_TASKS_PER_NODE", "SLURM_NODELIST"};

// Clears the Slurm variables for a test (they may be set when the tests run in a job) and
// puts back what was there.
class SysinfoTest : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const char* v : kSlurmVars) {
            const char* old = std::getenv(v);
            saved_.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
            unsetenv(v);
        }
    }
    void TearDown() override {
        for (const auto& [name, value] : saved_) {
            if (value)
                setenv(name.c_str(), value->c_str(), 1);
            else
                unsetenv(name.c_str());
        }
    }
    // The affinity count of this thread: the most any detection can answer.
    static int affinity() {
        cpu_set_t set;
        CPU_ZERO(&set);
        EXPECT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
        return CPU_COUNT(&set);
    }
    TempDir root_;

  private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(SysinfoTest, NoCgroupNoSlurmIsTheAffinityMask) {
    auto u = detect_usable_cores(std::nullopt, root_.path());
    EXPECT_FALSE(u.cgroup_cpus);
    EXPECT_FALSE(u.slurm_cpus);
    EXPECT_EQ(u.count, affinity());
    EXPECT_NE(u.reason.find("affinity mask"), std::string::npos) << u.reason;
    EXPECT_NE(u.reason.find("no cgroup CPU quota"), std::string::npos) << u.reason;
}

TEST_F(SysinfoTest, CgroupV2TightestQuotaFromOwnGroupUpToTheRoot) {
    write_file(root_ / "proc/self/cgroup", "0::/user.slice/job.scope\n");
    fs::create_directories(root_ / "sys/fs/cgroup/user.slice/job.scope");
    write_file(root_ / "sys/fs/cgroup/cpu.max", "max 100000\n");
    // The parent's quota is tighter than the group's own: the parent's applies.
    write_file(root_ / "sys/fs/cgroup/user.slice/cpu.max", "50000 100000\n");
    write_file(root_ / "sys/fs/cgroup/user.slice/job.scope/cpu.max", "300000 100000\n");
    auto u = detect_usable_cores(std::nullopt, root_.path());
    ASSERT_TRUE(u.cgroup_cpus);
    EXPECT_DOUBLE_EQ(*u.cgroup_cpus, 0.5);
    EXPECT_EQ(u.count, 1);  // a fraction of a CPU still keeps one busy
    EXPECT_NE(u.reason.find("cgroup CPU quota 0.50 CPUs"), std::string::npos) << u.reason;
}

TEST_F(SysinfoTest, CgroupV2WithoutQuotaIsNoLimit) {
    write_file(root_ / "proc/self/cgroup", "0::/\n");
    write_file(root_ / "sys/fs/cgroup/cpu.max", "max 100000\n");
    auto u = detect_usable_cores(std::nullopt, root_.path());
    EXPECT_FALSE(u.cgroup_cpus);
    EXPECT_EQ(u.count, affinity());
}

TEST_F(SysinfoTest, CgroupV1QuotaOfTheProcessOwnGroup) {
    // A Slurm job on a cgroup v1 node: the quota is on the job's group, not on the mount.
    write_file(root_ / "proc/self/cgroup",
               "5:memory:/slurm/uid_0/job_7\n4:cpu,cpuacct:/slurm/uid_0/job_7\n");
    const fs::path mount = root_ / "sys/fs/cgroup/cpu,cpuacct";
    write_file(mount / "cpu.cfs_quota_us", "-1\n");
    write_file(mount / "cpu.cfs_period_us", "100000\n");
    write_file(mount / "slurm/uid_0/job_7/cpu.cfs_quota_us", "100000\n");
    write_file(mount / "slurm/uid_0/job_7/cpu.cfs_period_us", "100000\n");
    auto u = detect_usable_cores(std::nullopt, root_.path());
    ASSERT_TRUE(u.cgroup_cpus);
    EXPECT_DOUBLE_EQ(*u.cgroup_cpus, 1.0);
    EXPECT_EQ(u.count, 1);
}

TEST_F(SysinfoTest, CgroupV1QuotaAtTheMountPoint) {
    write_file(root_ / "proc/self/cgroup", "3:cpu:/\n");
    write_file(root_ / "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "250000\n");
    write_file(root_ / "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    auto u = detect_usable_cores(std::nullopt, root_.path());
    ASSERT_TRUE(u.cgroup_cpus);
    EXPECT_DOUBLE_EQ(*u.cgroup_cpus, 2.5);
    EXPECT_EQ(u.count, std::min(affinity(), 3));
}

TEST_F(SysinfoTest, SlurmVariablesInOrderOfPrecedence) {
    setenv("SLURM_CPUS_ON_NODE", "3", 1);
    auto u = detect_usable_cores(std::nullopt, root_.path());
    ASSERT_TRUE(u.slurm_cpus);
    EXPECT_EQ(*u.slurm_cpus, 3);
    EXPECT_EQ(u.slurm_variable, "SLURM_CPUS_ON_NODE");

    setenv("SRUN_CPUS_PER_TASK", "2", 1);
    u = detect_usable_cores(std::nullopt, root_.path());
    EXPECT_EQ(u.slurm_variable, "SRUN_CPUS_PER_TASK");

    setenv("SLURM_CPUS_PER_TASK", "1", 1);
    u = detect_usable_cores(std::nullopt, root_.path());
    EXPECT_EQ(*u.slurm_cpus, 1);
    EXPECT_EQ(u.count, 1);
    EXPECT_NE(u.reason.find("SLURM_CPUS_PER_TASK=1"), std::string::npos) << u.reason;
}

TEST_F(SysinfoTest, SlurmLargerThanTheMaskDoesNotRaiseIt) {
    setenv("SLURM_CPUS_PER_TASK", "4096", 1);
    EXPECT_EQ(detect_usable_cores(std::nullopt, root_.path()).count, affinity());
}

TEST_F(SysinfoTest, MalformedSlurmValueIsIgnored) {
    setenv("SLURM_CPUS_PER_TASK", "two", 1);
    auto u = detect_usable_cores(std::nullopt, root_.path());
    EXPECT_FALSE(u.slurm_cpus);
    EXPECT_EQ(u.count, affinity());
}

TEST_F(SysinfoTest, ExplicitCoresWinAndKeepTheDetectedReason) {
    setenv("SLURM_CPUS_PER_TASK", "1", 1);
    auto u = detect_usable_cores(7, root_.path());
    EXPECT_EQ(u.count, 7);
    EXPECT_NE(u.reason.find("--cores 7"), std::string::npos) << u.reason;
    EXPECT_NE(u.reason.find("SLURM_CPUS_PER_TASK=1"), std::string::npos) << u.reason;
}

TEST_F(SysinfoTest, AffinityMaskOfTheCallingThread) {
    if (affinity() < 2) GTEST_SKIP() << "needs 2 CPUs in the affinity mask to narrow it";
    cpu_set_t mine;
    CPU_ZERO(&mine);
    ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
    int first = 0;
    while (!CPU_ISSET(first, &mine)) ++first;
    UsableCores seen;
    // A thread of its own, so that narrowing its mask leaves the test runner's alone.
    std::thread([&] {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        if (sched_setaffinity(0, sizeof one, &one) == 0)
            seen = detect_usable_cores(std::nullopt, root_.path());
    }).join();
    EXPECT_EQ(seen.affinity, 1);
    EXPECT_EQ(seen.count, 1);
    EXPECT_NE(seen.reason.find("affinity mask 1 of"), std::string::npos) << seen.reason;
}

namespace parsweep {
namespace {

// The cache line lesson 10 judges layouts by: hwloc's L1 data cache line, which on Linux is
// the one the kernel lists in sysfs (cpu0's level-1 Data cache), and topology_info records.
TEST(CacheLine, IsTheL1DataCacheLineLinuxReports) {
    const int line = cache_line_bytes();
    EXPECT_EQ(line, topology_info()["caches"]["l1d"].value("line_bytes", 0));
    EXPECT_EQ(line, cache_line_bytes());  // read once, the same every time
    std::optional<int> sysfs;
    const fs::path caches = "/sys/devices/system/cpu/cpu0/cache";
    for (int i = 0; fs::exists(caches / ("index" + std::to_string(i))); ++i) {
        const fs::path dir = caches / ("index" + std::to_string(i));
        std::ifstream level(dir / "level"), type(dir / "type"), size(dir / "coherency_line_size");
        int lv = 0, bytes = 0;
        std::string kind;
        if (level >> lv && type >> kind && size >> bytes && lv == 1 && kind == "Data")
            sysfs = bytes;
    }
    if (!sysfs) GTEST_SKIP() << "sysfs lists no L1 data cache line size here (line " << line << ")";
    EXPECT_EQ(line, *sysfs);
    EXPECT_GE(line, 16);
    EXPECT_EQ(line & (line - 1), 0) << line << " is not a power of two";
}

// Pinning: the CPU sets handed to workers. The machine's topology is whatever it is, so
// these check the properties that hold on any: sets within the allowed CPUs, sizes, wrap-around.
TEST(Pinning, CompactGivesEachWorkerItsThreadsInTopologyOrder) {
    const std::vector<int> allowed = affinity_cpus();
    ASSERT_FALSE(allowed.empty());
    const int n = static_cast<int>(allowed.size());
    auto sets = worker_cpu_sets({{"cpu_set", "compact"}}, n, 1, allowed);
    ASSERT_EQ(sets.size(), std::size_t(n));
    std::vector<int> all;
    for (const auto& s : sets) {
        ASSERT_EQ(s.size(), 1u);
        all.push_back(s[0]);
    }
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, allowed) << "one worker per CPU covers every CPU once";
    // More workers × threads than CPUs: the sets wrap around, each still of allowed CPUs.
    sets = worker_cpu_sets({{"cpu_set", "compact"}}, n + 1, 2, allowed);
    ASSERT_EQ(sets.size(), std::size_t(n + 1));
    for (const auto& s : sets) {
        EXPECT_EQ(s.size(), std::size_t(std::min(2, n)));
        for (int c : s) EXPECT_TRUE(std::count(allowed.begin(), allowed.end(), c)) << c;
    }
}

TEST(Pinning, ScatterSpreadsWorkersOverDisjointCpus) {
    const std::vector<int> allowed = affinity_cpus();
    const int n = static_cast<int>(allowed.size());
    for (int workers = 1; workers <= n; ++workers) {
        auto sets = worker_cpu_sets({{"cpu_set", "scatter"}}, workers, 1, allowed);
        ASSERT_EQ(sets.size(), std::size_t(workers));
        std::vector<int> all;
        for (const auto& s : sets) {
            EXPECT_FALSE(s.empty());
            all.insert(all.end(), s.begin(), s.end());
        }
        std::sort(all.begin(), all.end());
        EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end())
            << workers << " workers share a CPU";
        for (int c : all) EXPECT_TRUE(std::count(allowed.begin(), allowed.end(), c)) << c;
    }
}

TEST(Pinning, NoneOrAbsentBindsNothing) {
    const std::vector<int> allowed = affinity_cpus();
    EXPECT_TRUE(worker_cpu_sets(json::object(), 2, 1, allowed).empty());
    EXPECT_TRUE(worker_cpu_sets({{"cpu_set", "none"}}, 2, 1, allowed).empty());
    EXPECT_EQ(
        pinning_env({{"bind", "close"}, {"places", "cores"}}),
        (std::map<std::string, std::string>{{"OMP_PLACES", "cores"}, {"OMP_PROC_BIND", "close"}}));
    EXPECT_TRUE(pinning_env({{"n", 5}}).empty());
}

TEST(Pinning, CpuListText) {
    EXPECT_EQ(cpu_list_text({}), "");
    EXPECT_EQ(cpu_list_text({3}), "3");
    EXPECT_EQ(cpu_list_text({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
}

}  // namespace
}  // namespace parsweep

namespace parsweep {
namespace {

// A variable set for one scope, restored after it.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

// The runtime this test binary was linked with: GCC's libgomp, or LLVM's libomp under clang.
TEST(OpenmpRuntime, NamesTheRuntimeOfTheCompilerThatBuiltIt) {
    ScopedEnv policy("OMP_WAIT_POLICY", nullptr), spin("GOMP_SPINCOUNT", nullptr),
        block("KMP_BLOCKTIME", nullptr);
    const auto info = openmp_info();
#if defined(__clang__)
    EXPECT_EQ(info["runtime_name"], "libomp") << info.dump();
    EXPECT_EQ(info["runtime_version"].get<std::string>().rfind("LLVM ", 0), 0u) << info.dump();
    EXPECT_NE(info["wait_policy"]["effect"].get<std::string>().find("200 ms"), std::string::npos);
#else
    EXPECT_EQ(info["runtime_name"], "libgomp") << info.dump();
    EXPECT_NE(info["runtime_version"], "unknown") << info.dump();
    EXPECT_NE(info["wait_policy"]["effect"].get<std::string>().find("300,000"), std::string::npos);
#endif
    EXPECT_TRUE(std::filesystem::exists(info["runtime"].get<std::string>())) << info.dump();
    EXPECT_TRUE(info["wait_policy"]["OMP_WAIT_POLICY"].is_null());
}

TEST(OpenmpRuntime, RecordsTheWaitPolicySettings) {
    {
        ScopedEnv policy("OMP_WAIT_POLICY", "PASSIVE"), spin("GOMP_SPINCOUNT", nullptr),
            block("KMP_BLOCKTIME", nullptr);
        const auto w = openmp_info()["wait_policy"];
        EXPECT_EQ(w["OMP_WAIT_POLICY"], "PASSIVE");
        EXPECT_NE(w["effect"].get<std::string>().find("sleep at once"), std::string::npos) << w;
    }
    ScopedEnv policy("OMP_WAIT_POLICY", nullptr), spin("GOMP_SPINCOUNT", "1000"),
        block("KMP_BLOCKTIME", "5");
    const auto w = openmp_info()["wait_policy"];
    EXPECT_EQ(w["GOMP_SPINCOUNT"], "1000");
    EXPECT_EQ(w["KMP_BLOCKTIME"], "5");
#if defined(__clang__)
    EXPECT_NE(w["effect"].get<std::string>().find("5 ms"), std::string::npos) << w;
#else
    EXPECT_NE(w["effect"].get<std::string>().find("1000 iterations"), std::string::npos) << w;
#endif
}

}  // namespace
}  // namespace parsweep

namespace parsweep {
namespace {

// What a cluster run must record of its software stack, and nothing unrelated.
TEST(RelevantEnv, RecordsTheThreadingMpiAndSoftwareStackVariables) {
    ScopedEnv modules("LOADEDMODULES", "gcc/12:openmpi/4.1"), spack("SPACK_ENV", "/opt/env"),
        ld("LD_LIBRARY_PATH", "/opt/lib"), ompi("OMPI_MCA_btl", "self,vader"),
        pmix("PMIX_RANK", "0"), ucx("UCX_TLS", "rc"), impi("I_MPI_PIN", "1"),
        omp("OMP_WAIT_POLICY", "passive"), other("PARSWEEP_UNRELATED", "x"),
        near("LOADEDMODULES_modshare", "gcc/12:1");
    const auto env = relevant_env();
    for (const char* name : {"LOADEDMODULES", "SPACK_ENV", "LD_LIBRARY_PATH", "OMPI_MCA_btl",
                             "PMIX_RANK", "UCX_TLS", "I_MPI_PIN", "OMP_WAIT_POLICY"})
        EXPECT_TRUE(env.contains(name)) << name << " in " << env.dump();
    EXPECT_EQ(env["LOADEDMODULES"], "gcc/12:openmpi/4.1");
    EXPECT_EQ(env["OMPI_MCA_btl"], "self,vader");
    EXPECT_FALSE(env.contains("PARSWEEP_UNRELATED"));
    EXPECT_FALSE(env.contains("LOADEDMODULES_modshare"));  // a whole name, not a prefix
}

}  // namespace
}  // namespace parsweep

// Slurm's compressed lists, as SLURM_JOB_NODELIST and SLURM_JOB_CPUS_PER_NODE write them.
TEST(SlurmAllocation, ExpandsHostListsAndPerNodeCounts) {
    EXPECT_EQ(expand_hostlist("n[1-3,5],gpu[08-10]"),
              (std::vector<std::string>{"n1", "n2", "n3", "n5", "gpu08", "gpu09", "gpu10"}));
    EXPECT_EQ(expand_hostlist("vm"), (std::vector<std::string>{"vm"}));
    EXPECT_EQ(expand_hostlist("rack[1-2]-n[1-2]"),
              (std::vector<std::string>{"rack1-n1", "rack1-n2", "rack2-n1", "rack2-n2"}));
    EXPECT_THROW(expand_hostlist("n[1-"), std::invalid_argument);
    EXPECT_THROW(expand_hostlist("n[3-1]"), std::invalid_argument);
    EXPECT_EQ(expand_counts("2(x3),4"), (std::vector<int>{2, 2, 2, 4}));
    EXPECT_EQ(expand_counts("16"), (std::vector<int>{16}));
    EXPECT_THROW(expand_counts("2(x"), std::invalid_argument);
}

TEST_F(SysinfoTest, SlurmAllocationIsTheJobsNodesAndCpus) {
    EXPECT_FALSE(detect_allocation());  // not in a job
    setenv("SLURM_JOB_ID", "42", 1);
    setenv("SLURM_JOB_NODELIST", "n[1-2]", 1);
    setenv("SLURM_JOB_CPUS_PER_NODE", "4,2", 1);
    setenv("SLURM_TASKS_PER_NODE", "1(x2)", 1);
    const auto a = detect_allocation();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->nodes, (std::vector<std::string>{"n1", "n2"}));
    EXPECT_EQ(a->total_cpus(), 6);
    EXPECT_EQ(a->cpus_of("n2"), 2);
    EXPECT_EQ(a->cpus_of(std::vector<std::string>{"n1", "n2", "n1"}), 6);
    EXPECT_EQ(a->cpus_of("elsewhere"), 0);
    EXPECT_EQ(allocation_from_json(to_json(*a)).cpus, a->cpus);
    // A node list and a CPU list that disagree describe no allocation.
    setenv("SLURM_JOB_CPUS_PER_NODE", "4", 1);
    EXPECT_FALSE(detect_allocation());
}

// The versions of srun, mpirun and the MPI worker are probed with first_line_of: the first
// line of a tool that succeeds, nothing from one that fails or cannot be started.
TEST(Subprocess, FirstLineOfAToolThatSucceedsElseNothing) {
    EXPECT_EQ(first_line_of({"sh", "-c", "echo 'slurm 22.05.8'; echo more"}), "slurm 22.05.8");
    EXPECT_EQ(first_line_of({"sh", "-c", "echo half; exit 3"}), "");
    EXPECT_EQ(first_line_of({"/no/such/parsweep-probe", "--version"}), "");
}

// A probe that hangs (a broken srun, an MPI that waits for a daemon) is killed at its
// deadline instead of hanging parsweep; what it printed before is kept.
TEST(Subprocess, AProgramPastItsDeadlineIsKilled) {
    std::string out;
    EXPECT_EQ(run_program({"sh", "-c", "echo started; exec sleep 600"}, Output::capture, &out, 0.5),
              128 + SIGKILL);
    EXPECT_EQ(out, "started\n");
    EXPECT_EQ(run_program({"sleep", "600"}, Output::discard, nullptr, 0.5), 128 + SIGKILL);
    EXPECT_EQ(first_line_of({"sleep", "600"}, 0.5), "");
    // Without a deadline, and within one, the program's own status.
    EXPECT_EQ(run_program({"sh", "-c", "exit 4"}, Output::discard), 4);
    EXPECT_EQ(run_program({"sh", "-c", "exit 5"}, Output::discard, nullptr, 600), 5);
}

}  // namespace
}  // namespace parsweep
