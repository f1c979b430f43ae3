#include "machine/affinity.hpp"

#include <omp.h>
#include <sched.h>

#include <algorithm>

#include <fmt/format.h>

namespace parsweep {

std::vector<int> affinity_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> out;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) out.push_back(c);
    return out;
}

std::vector<int> cpus_in_use() {
    std::vector<int> seen(static_cast<std::size_t>(omp_get_max_threads()), -1);
#pragma omp parallel
    {
        const int t = omp_get_thread_num();
        if (t < static_cast<int>(seen.size())) seen[static_cast<std::size_t>(t)] = sched_getcpu();
    }
    seen.erase(std::remove(seen.begin(), seen.end(), -1), seen.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    return seen;
}

std::string cpu_list_text(const std::vector<int>& cpus) {
    std::string out;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
        if (!out.empty()) out += ",";
        out += j == i ? std::to_string(cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
        i = j + 1;
    }
    return out;
}

}  // namespace parsweep
