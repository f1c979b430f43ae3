#include "measure/roofline.hpp"

namespace parsweep {

std::optional<double> limit_at(const json& points, const char* field, double threads) {
    if (!points.is_array() || points.empty()) return std::nullopt;
    const json* below = nullptr;
    for (const auto& p : points) {
        const double t = p.at("threads").get<double>();
        if (t == threads) return p.at(field).get<double>();
        if (t > threads) {
            if (!below) return p.at(field).get<double>();
            const double t0 = below->at("threads").get<double>();
            const double v0 = below->at(field).get<double>(), v1 = p.at(field).get<double>();
            return v0 + (v1 - v0) * (threads - t0) / (t - t0);
        }
        below = &p;
    }
    return below->at(field).get<double>();  // beyond the calibrated counts: the machine's top
}

void apply_roofline(Derived& d, const Work& work, int workers, const json& calibration) {
    if (!calibration.is_object() || !calibration.contains("stream") ||
        !calibration.contains("dgemm"))
        return;
    const auto bandwidth = limit_at(calibration["stream"]["points"], "triad_gbs", workers);
    const auto flops = limit_at(calibration["dgemm"]["points"], "gflops", workers);
    if (!bandwidth || !flops || *bandwidth <= 0 || *flops <= 0) return;
    // The roofline: a kernel doing `work.flops` per `work.bytes` moved can reach at most
    // min(DGEMM, intensity × triad). Below the ridge point (intensity < DGEMM / triad) memory
    // bandwidth is the binding limit and the point is judged in GB/s; above it (or when no
    // bytes are counted, as for invert: its matrices live in cache-blocked BLAS-3 calls)
    // arithmetic is, and it is judged in GFLOP/s against the BLAS's best.
    const bool memory_bound =
        work.bytes > 0 && (work.flops <= 0 || work.flops / work.bytes < *flops / *bandwidth);
    if (memory_bound && d.bandwidth_gbs) {
        d.roofline_fraction = *d.bandwidth_gbs / *bandwidth;
        d.roofline_bound = "memory";
    } else if (!memory_bound && work.flops > 0 && d.gflops) {
        d.roofline_fraction = *d.gflops / *flops;
        d.roofline_bound = "compute";
    }
}

}  // namespace parsweep
