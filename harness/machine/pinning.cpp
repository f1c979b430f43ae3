#include "machine/pinning.hpp"

#include <hwloc.h>

#include <algorithm>
#include <climits>
#include <memory>

#include <fmt/format.h>

namespace parsweep {

const std::vector<ParamSpec>& pinning_params() {
    static const std::vector<ParamSpec> specs = {
        {"bind",
         ParamType::String,
         json(),
         "OMP_PROC_BIND of the workers' threads (pinning)",
         std::nullopt,
         std::nullopt,
         {"false", "true", "close", "spread", "primary"}},
        {"places",
         ParamType::String,
         json(),
         "OMP_PLACES of the workers' threads (pinning)",
         std::nullopt,
         std::nullopt,
         {"threads", "cores", "sockets", "ll_caches", "numa_domains"}},
        {"cpu_set",
         ParamType::String,
         json(),
         "CPUs each worker process may use: none, compact (consecutive), scatter (spread out)",
         std::nullopt,
         std::nullopt,
         {"none", "compact", "scatter"}},
    };
    return specs;
}

bool is_pinning_param(std::string_view name) {
    const auto& s = pinning_params();
    return std::any_of(s.begin(), s.end(), [&](const ParamSpec& p) { return p.name == name; });
}

std::map<std::string, std::string> pinning_env(const json& params) {
    std::map<std::string, std::string> env;
    if (params.contains("bind")) env["OMP_PROC_BIND"] = params["bind"].get<std::string>();
    if (params.contains("places")) env["OMP_PLACES"] = params["places"].get<std::string>();
    return env;
}

namespace {

struct Topology {
    hwloc_topology_t t = nullptr;
    Topology() {
        hwloc_topology_init(&t);
        hwloc_topology_load(t);
    }
    ~Topology() { hwloc_topology_destroy(t); }
};

using Bitmap = std::unique_ptr<hwloc_bitmap_s, decltype(&hwloc_bitmap_free)>;

Bitmap bitmap_of(const std::vector<int>& cpus) {
    Bitmap b(hwloc_bitmap_alloc(), &hwloc_bitmap_free);
    for (int c : cpus) hwloc_bitmap_set(b.get(), static_cast<unsigned>(c));
    return b;
}

std::vector<int> cpus_of(hwloc_const_bitmap_t b) {
    std::vector<int> out;
    for (int c = hwloc_bitmap_first(b); c >= 0; c = hwloc_bitmap_next(b, c)) out.push_back(c);
    return out;
}

std::vector<std::vector<int>> compute_cpu_sets(const std::string& policy, int processes,
                                               int threads, const std::vector<int>& allowed) {
    // The topology restricted to the CPUs the parent may use: its PUs in logical order
    // (siblings of a core next to each other, cores of a package next to each other), which
    // OS numbering does not promise.
    Topology topo;
    Bitmap mask = bitmap_of(allowed);
    if (hwloc_topology_restrict(topo.t, mask.get(), 0) != 0) return {};
    std::vector<std::vector<int>> sets(static_cast<std::size_t>(processes));
    if (policy == "compact") {
        const int n = hwloc_get_nbobjs_by_type(topo.t, HWLOC_OBJ_PU);
        if (n <= 0) return {};
        for (int w = 0; w < processes; ++w) {
            auto& set = sets[static_cast<std::size_t>(w)];
            for (int k = 0; k < std::max(1, threads); ++k) {
                auto* pu = hwloc_get_obj_by_type(topo.t, HWLOC_OBJ_PU,
                                                 static_cast<unsigned>((w * threads + k) % n));
                set.push_back(static_cast<int>(pu->os_index));
            }
            std::sort(set.begin(), set.end());
            set.erase(std::unique(set.begin(), set.end()), set.end());
        }
        return sets;
    }
    // scatter: hwloc divides the machine's tree among the workers, a subtree each (a package,
    // then cores, then PUs), so that workers share as little as the machine allows.
    // hwloc_distrib fills the array with sets it allocates (hwloc_bitmap_dup): ours to free.
    std::vector<hwloc_bitmap_t> raw(static_cast<std::size_t>(processes), nullptr);
    hwloc_obj_t root = hwloc_get_root_obj(topo.t);
    hwloc_distrib(topo.t, &root, 1, raw.data(), static_cast<unsigned>(processes), INT_MAX, 0);
    for (std::size_t w = 0; w < raw.size(); ++w) {
        if (raw[w]) {
            hwloc_bitmap_and(raw[w], raw[w], mask.get());
            sets[w] = cpus_of(raw[w]);
            hwloc_bitmap_free(raw[w]);
        }
        if (sets[w].empty()) sets[w] = allowed;  // never bind a worker to nothing
    }
    return sets;
}

}  // namespace

std::vector<std::vector<int>> worker_cpu_sets(const json& params, int processes, int threads,
                                              const std::vector<int>& allowed) {
    const std::string policy = params.value("cpu_set", std::string("none"));
    if (policy == "none" || allowed.empty() || processes < 1) return {};
    // Loading the topology takes milliseconds: once per point shape, not per repetition.
    static std::map<std::string, std::vector<std::vector<int>>> cache;
    const std::string key =
        fmt::format("{} {} {} {}", policy, processes, threads, cpu_list_text(allowed));
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    auto sets = compute_cpu_sets(policy, processes, threads, allowed);
    cache.emplace(key, sets);
    return sets;
}

}  // namespace parsweep
