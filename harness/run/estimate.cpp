#include "run/estimate.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "calibration/calibrate.hpp"
#include "calibration/calibration_cache.hpp"
#include "measure/roofline.hpp"
#include "util/units.hpp"

namespace parsweep {

json cached_calibration(const UsableCores& cores) {
    const auto dir = calibration_cache_dir();
    if (dir.empty()) return nullptr;
    const json key = calibration_key(cores);
    auto cached = read_cached_calibration(calibration_cache_file(dir, key), key, true);
    return cached ? *cached : json();
}

namespace {

// The kernel time of one repetition of `p` by the roofline, or nullopt (why in `why`).
std::optional<double> repetition_time_s(const Point& p, const json& calibration, std::string& why) {
    if (!calibration.is_object() || !calibration.contains("stream") ||
        !calibration.contains("dgemm")) {
        why = "no calibration of this machine is cached (parsweep calibrate --quick measures one)";
        return std::nullopt;
    }
    Work work;
    try {
        work = p.kernel->work(p.params);
    } catch (const std::exception&) {
        why = fmt::format("kernel {} cannot tell its work before it runs", p.kernel->id());
        return std::nullopt;
    }
    const double threads = double(p.processes) * p.threads;
    const auto triad = limit_at(calibration["stream"]["points"], "triad_gbs", threads);
    const auto gflops = limit_at(calibration["dgemm"]["points"], "gflops", threads);
    if (work.bytes <= 0 && work.flops <= 0) {
        why = fmt::format("kernel {} counts neither bytes nor flops", p.kernel->id());
        return std::nullopt;
    }
    if (!triad || !gflops || *triad <= 0 || *gflops <= 0) {
        why = "the cached calibration has no STREAM or DGEMM rate";
        return std::nullopt;
    }
    return std::max(work.bytes / (*triad * 1e9), work.flops / (*gflops * 1e9));
}

}  // namespace

SweepEstimate estimate_sweep(const Sweep& sweep, const json& calibration) {
    SweepEstimate e;
    for (const Point* p : sweep.points_to_run()) {
        const int reps = p->warmup + p->repetitions;
        e.repetitions += reps;
        if (auto t = repetition_time_s(*p, calibration, e.unknown_why))
            e.kernel_time_s = e.kernel_time_s.value_or(0) + reps * *t;
        else
            ++e.points_unknown;
        const std::uint64_t items = p->kernel->items(p->params);
        const std::uint64_t share = (items + p->processes - 1) / p->processes;
        const double bytes =
            double(p->processes) * double(p->kernel->memory_bytes(p->params, share, p->threads));
        if (!e.peak_point || bytes > e.peak_memory_bytes)
            e.peak_memory_bytes = bytes, e.peak_point = p;
    }
    return e;
}

std::vector<std::string> estimate_lines(const SweepEstimate& e, std::uint64_t memory_available) {
    std::vector<std::string> lines;
    lines.push_back(fmt::format(
        "estimate (rough, nothing was measured), {} repetitions with warmups:", e.repetitions));
    std::string time;
    if (!e.kernel_time_s)
        time = "time: unknown: " + e.unknown_why;
    else
        time = fmt::format(
            "time: about {} in the kernels if they ran at this machine's calibrated limits (the "
            "roofline of their bytes and flops against STREAM triad and DGEMM; a kernel below "
            "them takes longer), plus process start, set-up and checks{}",
            format_seconds(*e.kernel_time_s),
            e.points_unknown ? fmt::format("; unknown for {} point{}: {}", e.points_unknown,
                                           e.points_unknown == 1 ? "" : "s", e.unknown_why)
                             : "");
    lines.push_back("  " + time);
    if (e.peak_point)
        lines.push_back(fmt::format(
            "  memory: about {} at the peak ({} P={} T={}: {} workers' estimates){}",
            format_bytes(e.peak_memory_bytes), e.peak_point->label(), e.peak_point->processes,
            e.peak_point->threads, e.peak_point->processes,
            memory_available
                ? fmt::format(", of {} available", format_bytes(double(memory_available)))
                : ""));
    return lines;
}

}  // namespace parsweep
