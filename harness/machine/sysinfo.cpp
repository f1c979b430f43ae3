#include "machine/sysinfo.hpp"

#include <hwloc.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "blas.hpp"
#include "build_info.hpp"
#include "machine/openmp_runtime.hpp"
#include "machine/slurm_allocation.hpp"
#include "util/subprocess.hpp"

extern char** environ;

namespace parsweep {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_first_line(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    if (!in || !std::getline(in, line)) return std::nullopt;
    return line;
}

// The process's group in a cgroup hierarchy, from /proc/self/cgroup: the v2 line
// "0::/path" when `controller` is empty, else the v1 line whose controllers include it
// ("4:cpu,cpuacct:/path").
std::optional<std::string> own_cgroup(const fs::path& root, std::string_view controller) {
    std::ifstream in(root / "proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        if (controller.empty()) {
            if (line.rfind("0::", 0) == 0) return line.substr(3);
            continue;
        }
        const auto a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        std::istringstream controllers(line.substr(a + 1, b - a - 1));
        for (std::string c; std::getline(controllers, c, ',');)
            if (c == controller) return line.substr(b + 1);
    }
    return std::nullopt;
}

// The directory of `group` in the hierarchy mounted at `top`.
fs::path group_dir(const fs::path& top, const std::string& group) {
    const fs::path rel = fs::path(group).relative_path();
    return rel.empty() ? top : top / rel;
}

// The process's cgroup v2 directory, if any.
std::optional<fs::path> cgroup2_dir(const fs::path& root) {
    auto group = own_cgroup(root, "");
    if (!group) return std::nullopt;
    fs::path dir = group_dir(root / "sys/fs/cgroup", *group);
    if (!fs::exists(dir)) return std::nullopt;
    return dir;
}

// `dir` and its parents up to `top`, the hierarchy's mount point: a quota anywhere on that
// path limits the process.
std::vector<fs::path> up_to(const fs::path& top, fs::path dir) {
    std::vector<fs::path> dirs;
    for (;; dir = dir.parent_path()) {
        dirs.push_back(dir);
        if (dir.string().size() <= top.string().size() || dir == dir.parent_path()) break;
    }
    return dirs;
}

// The CPU quota in CPUs: the tightest one from the process's cgroup up to the root — cpu.max
// (v2), or cpu.cfs_quota_us / cpu.cfs_period_us of the cpu controller (v1; a Slurm job's
// /slurm/uid_N/job_M, say).
std::optional<double> cgroup_cpu_quota(const fs::path& root) {
    std::optional<double> best;
    auto keep_tightest = [&](double quota, double period) {
        if (quota > 0 && period > 0 && (!best || quota / period < *best)) best = quota / period;
    };
    if (auto dir = cgroup2_dir(root)) {
        for (const auto& d : up_to(root / "sys/fs/cgroup", *dir))
            if (auto line = read_first_line(d / "cpu.max")) {
                std::istringstream s(*line);
                std::string quota;
                double period = 0;
                if (s >> quota >> period && quota != "max")
                    keep_tightest(std::atof(quota.c_str()), period);
            }
        return best;
    }
    // cpu,cpuacct and cpu are the same v1 hierarchy when both exist.
    for (const char* mount : {"sys/fs/cgroup/cpu,cpuacct", "sys/fs/cgroup/cpu"}) {
        const fs::path top = root / mount;
        if (!fs::is_directory(top)) continue;
        for (const auto& d : up_to(top, group_dir(top, own_cgroup(root, "cpu").value_or("/")))) {
            auto q = read_first_line(d / "cpu.cfs_quota_us");
            auto p = read_first_line(d / "cpu.cfs_period_us");
            if (q && p) keep_tightest(std::atof(q->c_str()), std::atof(p->c_str()));
        }
        break;
    }
    return best;
}

std::optional<int> env_int(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (*end || n < 1) return std::nullopt;
    return static_cast<int>(n);
}

}  // namespace

UsableCores detect_usable_cores(std::optional<int> explicit_cores, const fs::path& root) {
    UsableCores u;
    u.online = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
    cpu_set_t set;
    CPU_ZERO(&set);
    u.affinity = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : u.online;
    u.cgroup_cpus = cgroup_cpu_quota(root);
    // Inside a Slurm job: CPUs per task when the job asked for them (srun's own copy after
    // it), else every CPU the job holds on this node.
    for (const char* var : {"SLURM_CPUS_PER_TASK", "SRUN_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"})
        if (auto n = env_int(var)) {
            u.slurm_cpus = n;
            u.slurm_variable = var;
            break;
        }
    u.explicit_cores = explicit_cores;

    // Every limit that applies, and the smallest of them.
    std::vector<std::string> why;
    u.count = u.affinity;
    why.push_back(fmt::format("affinity mask {} of {} online CPUs", u.affinity, u.online));
    if (u.cgroup_cpus) {
        why.push_back(fmt::format("cgroup CPU quota {:.2f} CPUs", *u.cgroup_cpus));
        u.count =
            std::min(u.count, std::max(1, static_cast<int>(std::ceil(*u.cgroup_cpus - 1e-9))));
    } else {
        why.push_back("no cgroup CPU quota");
    }
    if (u.slurm_cpus) {
        why.push_back(fmt::format("{}={}", u.slurm_variable, *u.slurm_cpus));
        u.count = std::min(u.count, *u.slurm_cpus);
    }
    u.reason = fmt::format("{} (the smallest of: {})", u.count, fmt::join(why, "; "));
    if (explicit_cores) {
        u.count = *explicit_cores;
        u.reason = fmt::format("{} (--cores {}; detected {})", u.count, u.count, u.reason);
    }
    return u;
}

std::uint64_t available_memory_bytes(const fs::path& root) {
    std::uint64_t avail = 0;
    std::ifstream in(root / "proc/meminfo");
    std::string key;
    std::uint64_t kb;
    std::string unit;
    while (in >> key >> kb) {
        std::getline(in, unit);
        if (key == "MemAvailable:") avail = kb * 1024;
    }
    if (auto dir = cgroup2_dir(root)) {
        auto max = read_first_line(*dir / "memory.max");
        auto cur = read_first_line(*dir / "memory.current");
        if (max && *max != "max") {
            std::uint64_t limit = std::stoull(*max);
            std::uint64_t used = cur ? std::stoull(*cur) : 0;
            std::uint64_t left = limit > used ? limit - used : 0;
            if (avail == 0 || left < avail) avail = left;
        }
    }
    return avail;
}

json topology_info() {
    json t;
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0) {
        t["error"] = "hwloc could not load the topology";
        return t;
    }
    t["packages"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    t["cores"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    t["pus"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    t["numa_nodes"] = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char* model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : nullptr;
    t["cpu_model"] = model ? model : "unknown";
    json caches = json::object();
    for (auto [type, name] : {std::pair{HWLOC_OBJ_L1CACHE, "l1d"},
                              {HWLOC_OBJ_L2CACHE, "l2"},
                              {HWLOC_OBJ_L3CACHE, "l3"}}) {
        int n = hwloc_get_nbobjs_by_type(topo, type);
        hwloc_obj_t c = hwloc_get_obj_by_type(topo, type, 0);
        if (c && c->attr)
            caches[name] = {{"size_kib", c->attr->cache.size / 1024},
                            {"count", n},
                            {"line_bytes", c->attr->cache.linesize}};
    }
    t["caches"] = caches;
    hwloc_obj_t numa = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 0);
    std::uint64_t total = 0;
    for (int i = 0; i < hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE); ++i)
        total += hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i)->attr->numanode.local_memory;
    if (numa) t["memory_bytes"] = total;
    hwloc_topology_destroy(topo);
    return t;
}

int cache_line_bytes() {
    static const int line_bytes = [] {
        const json l1d =
            topology_info().value("caches", json::object()).value("l1d", json::object());
        return l1d.value("line_bytes", 0);
    }();
    return line_bytes;
}

json blas_info() {
    return blas::info();
}

json build_info() {
    return {{"parsweep_version", PARSWEEP_VERSION}, {"git_commit", PARSWEEP_GIT_COMMIT},
            {"build_type", PARSWEEP_BUILD_TYPE},    {"compiler", PARSWEEP_CXX_COMPILER},
            {"compiler_version", __VERSION__},      {"flags", PARSWEEP_CXX_FLAGS}};
}

json relevant_env() {
    // The threading libraries' settings, the batch system's, and what says which MPI and
    // software stack a cluster run used: its MPI's (Open MPI, PMIx, UCX, Intel MPI) variables,
    // the environment modules and Spack environment loaded, and the library path.
    static const char* prefixes[] = {"OMP_",  "OPENBLAS_", "GOMP_",  "KMP_",  "MKL_",
                                     "BLIS_", "GOTO_",     "SLURM_", "SRUN_", "OMPI_",
                                     "PMIX_", "UCX_",      "I_MPI_"};
    static const char* names[] = {"LOADEDMODULES", "SPACK_ENV", "LD_LIBRARY_PATH"};
    json env = json::object();
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        const auto eq = kv.find('=');
        const std::string_view name = kv.substr(0, eq);
        const bool wanted = std::any_of(std::begin(prefixes), std::end(prefixes),
                                        [&](const char* p) { return name.rfind(p, 0) == 0; }) ||
                            std::any_of(std::begin(names), std::end(names),
                                        [&](const char* n) { return name == n; });
        if (wanted)
            env[std::string(name)] =
                eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    }
    return env;
}

std::string host_name() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return host;
}

std::string now_iso() {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S%z}", fmt::localtime(std::time(nullptr)));
}

json run_context(const UsableCores& cores) {
    utsname u{};
    uname(&u);
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t total_kb = 0;
    meminfo >> key >> total_kb;
    json context = {
        {"date", now_iso()},
        {"host", host_name()},
        {"os", fmt::format("{} {} {}", u.sysname, u.release, u.machine)},
        {"topology", topology_info()},
        {"usable_cores",
         {{"count", cores.count},
          {"reason", cores.reason},
          {"online", cores.online},
          {"affinity", cores.affinity},
          {"cgroup_cpus", cores.cgroup_cpus ? json(*cores.cgroup_cpus) : json()},
          {"slurm_cpus", cores.slurm_cpus ? json(*cores.slurm_cpus) : json()},
          {"slurm_variable", cores.slurm_cpus ? json(cores.slurm_variable) : json()}}},
        {"memory",
         {{"total_bytes", total_kb * 1024}, {"available_bytes", available_memory_bytes()}}},
        {"build", build_info()},
        {"openmp", openmp_info()},
        {"blas", blas_info()},
        {"env", relevant_env()}};
    // In a Slurm job: its nodes and CPUs (what launcher "mpi" points may use), and which Slurm.
    if (const auto allocation = detect_allocation()) {
        context["allocation"] = to_json(*allocation);
        if (const std::string version = first_line_of({"srun", "--version"}); !version.empty())
            context["allocation"]["slurm_version"] = version;
    }
    return context;
}

}  // namespace parsweep
