#include "measure/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace parsweep {

double t95(std::size_t dof) {
    // Two-sided 97.5% quantiles of Student's t; beyond 30 degrees of freedom the normal
    // approximation is within 2%.
    static const double table[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                   2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                   2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                   2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
    if (dof == 0) return 0;
    if (dof < std::size(table)) return table[dof];
    return 1.960 + 2.4 / static_cast<double>(dof);  // tends to the normal quantile
}

Stats summarize(std::vector<double> values) {
    Stats s;
    s.count = values.size();
    if (values.empty()) return s;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    s.min = values.front();
    s.max = values.back();
    s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
    if (n > 1) {
        double ss = 0;
        for (double v : values) ss += (v - s.mean) * (v - s.mean);
        s.stddev = std::sqrt(ss / static_cast<double>(n - 1));
        s.ci95 = t95(n - 1) * s.stddev / std::sqrt(static_cast<double>(n));
    }
    return s;
}

Derived derive(int processes, int threads, double time_s, double base_time_s, int base_workers,
               int usable_cores, const Work& work, double compute_s, bool weak) {
    Derived d;
    const int workers = processes * threads;
    d.oversubscription = static_cast<double>(workers) / std::max(1, usable_cores);
    if (compute_s > 0) {
        if (work.flops > 0) d.gflops = work.flops / compute_s / 1e9;
        if (work.bytes > 0) d.bandwidth_gbs = work.bytes / compute_s / 1e9;
        if (work.items > 0) d.items_per_s = work.items / compute_s;
    }
    if (time_s <= 0 || base_time_s <= 0) return d;
    // Speedup relative to the baseline's own worker count, so a baseline of 2 workers makes
    // "ideal" mean 2x at 4 workers.
    const double p = static_cast<double>(workers) / std::max(1, base_workers);
    // Weak scaling: the point did p times the baseline's work, so the time one baseline
    // worker set would need for it is p·T_base (the work is linear in the work-size
    // parameter), and the scaled speedup is p·T_base / T_p. Efficiency is then T_base / T_p:
    // 1 when the time stays flat as the work grows with the workers.
    const double serial_s = weak ? p * base_time_s : base_time_s;
    d.speedup = serial_s / time_s;
    d.efficiency = *d.speedup / p;
    d.efficiency_cores =
        *d.speedup / (static_cast<double>(std::min(workers, std::max(1, usable_cores))) /
                      std::max(1, base_workers));
    d.overhead_s = p * time_s - serial_s;
    if (p > 1 && !weak) d.karp_flatt = (1.0 / *d.speedup - 1.0 / p) / (1.0 - 1.0 / p);
    // Gustafson's law S = p − f·(p − 1) solved for this point's serial fraction f.
    if (p > 1 && weak) d.gustafson_serial = (p - *d.speedup) / (p - 1.0);
    return d;
}

}  // namespace parsweep
