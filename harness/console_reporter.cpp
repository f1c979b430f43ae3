// The console: a live progress line on a terminal (one line per point otherwise), and at the
// end a summary table and where the results are.
#include <unistd.h>

#include <csignal>

#include <fmt/format.h>

#include "protocol.hpp"
#include "reporter.hpp"
#include "units.hpp"

namespace parsweep {

namespace {

// " (part 2/3 of 45)" for a part of a sweep, "" for a whole one.
std::string part_text(const Sweep& sweep) {
    if (sweep.part.whole()) return "";
    return fmt::format(" (part {}/{} of {})", sweep.part.index, sweep.part.count,
                       sweep.points.size());
}

// "time: 53 s wall, 28.8 s in kernels, 45.7% outside: the kernels' untimed set-up, checks and
// exit 21 s, parsweep's own 2.1 s (4.0%) (start 607 ms, …, other 26 ms)": the parts by their
// JSON names without "_s"; failed only when some repetition failed.
std::string time_line(const TimeAccounting& t) {
    std::string parts;
    auto part = [&](std::string_view name, double s) {
        parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", name,
                             s > 0 ? format_seconds(s) : "0 s");
    };
    for (const auto& [name, s] : t.parts())
        if (name != "failed_s" || s > 0) part(name.substr(0, name.size() - 2), s);
    part("other", t.other_s);
    return fmt::format(
        "time: {} wall, {} in kernels, {:.1f}% outside: the kernels' untimed set-up, checks and "
        "exit {}, parsweep's own {} ({:.1f}%) ({})",
        format_seconds(t.wall_s), format_seconds(t.kernels_s), 100 * t.outside_fraction(),
        format_seconds(t.kernel_untimed_s()), format_seconds(t.harness_s()),
        100 * t.harness_fraction(), parts);
}

std::string ratio(const std::optional<double>& v) {
    return v ? fmt::format("{:.2f}", *v) : "-";
}

// The point's rate as a share of the machine's limit and which limit: "84% triad" (memory
// bound: GB/s over STREAM triad), "0.4% dgemm" (compute bound: GFLOP/s over DGEMM); "" when
// the run has no calibration or the point no rate. A decimal below 10% so that small work
// does not read as 0%.
std::string roof_text(const Derived& d) {
    if (!d.roofline_fraction) return "";
    const double percent = *d.roofline_fraction * 100;
    const char* limit = d.roofline_bound == "memory" ? "triad" : "dgemm";
    if (percent >= 9.95) return fmt::format("{:.0f}% {}", percent, limit);
    if (percent >= 0.05) return fmt::format("{:.1f}% {}", percent, limit);
    return fmt::format("<0.1% {}", limit);
}

class ConsoleReporter : public Reporter {
  public:
    ConsoleReporter(std::FILE* out, std::FILE* progress)
        : out_(out), progress_(progress), live_(progress && isatty(fileno(progress))) {}

    void run_started(const RunInfo& run) override {
        start_ = monotonic_s();
        const auto todo = run.sweep->points_to_run();
        for (const Point* p : todo) reps_total_ += p->warmup + p->repetitions;
        if (progress_)
            fmt::print(progress_,
                       "parsweep: {} points{}, {} repetitions with warmups; usable cores {}\n",
                       todo.size(), part_text(*run.sweep), reps_total_, run.sweep->usable_cores);
    }

    void point_started(const RunInfo&, const Point& point, std::size_t i, std::size_t n) override {
        index_ = i;
        count_ = n;
        rep_in_point_ = 0;
        show(point);
    }

    void repetition_done(const RunInfo&, const Point& point, const RepRecord&) override {
        ++reps_done_;
        ++rep_in_point_;
        show(point);
    }

    void point_done(const RunInfo&, const std::vector<PointResult>& done) override {
        if (!progress_ || live_) return;
        const PointResult& p = done.back();
        fmt::print(progress_, "[{}/{}] {} P={} T={}: {}\n", index_ + 1, count_, p.point->label(),
                   p.point->processes, p.point->threads,
                   p.verified ? fmt::format("median {}, speedup {}", format_seconds(p.wall.median),
                                            ratio(p.derived.speedup))
                              : "FAILED: " + p.error);
        std::fflush(progress_);
    }

    void run_finished(const RunInfo& run, const std::vector<PointResult>& done) override {
        if (live_) fmt::print(progress_, "\r\033[K");
        std::size_t w = 5;
        for (const auto& p : done) w = std::max(w, p.point->label().size());
        // The roof column only when some point has a limit to be held to (a calibrated run),
        // so that a run without one keeps the narrower table.
        std::size_t roof_w = 0;
        for (const auto& p : done) roof_w = std::max(roof_w, roof_text(p.derived).size());
        const auto roof_cell = [&](const std::string& text) {
            return roof_w ? fmt::format("  {:<{}}", text, std::max<std::size_t>(roof_w, 4)) : "";
        };
        fmt::print(out_, "\n{:<{}}  {:>4} {:>4}  {:>10} {:>9}  {:>7} {:>6}{}  {}\n", "point", w,
                   "P", "T", "median", "±95%", "speedup", "effic.", roof_cell("roof"), "verified");
        int failed = 0;
        for (const auto& p : done) {
            const Point& pt = *p.point;
            if (!p.verified) ++failed;
            fmt::print(out_, "{:<{}}  {:>4} {:>4}  {:>10} {:>9}  {:>7} {:>6}{}  {}\n", pt.label(),
                       w, pt.processes, pt.threads,
                       p.verified ? format_seconds(p.wall.median) : "-",
                       p.verified ? format_seconds(p.wall.ci95) : "-", ratio(p.derived.speedup),
                       ratio(p.derived.efficiency), roof_cell(roof_text(p.derived)),
                       p.verified ? "yes" : "NO: " + p.error.substr(0, 60));
        }
        if (failed) {
            fmt::print(out_, "\nfailed points:\n");
            for (const auto& p : done)
                if (!p.verified)
                    fmt::print(out_, "  [{}] {} P={} T={}: {}\n", p.point->index, p.point->label(),
                               p.point->processes, p.point->threads, p.error);
        }
        if (run.interrupted_by)
            fmt::print(out_,
                       "\ninterrupted ({}): {} of {} points done and written; the rest with\n"
                       "  parsweep run --resume {}\n",
                       run.interrupted_by == SIGTERM ? "SIGTERM" : "SIGINT", done.size(),
                       run.sweep->points_to_run().size(), run.dir.string());
        fmt::print(out_, "\n{} of {} points{} verified in {}{}\n", done.size() - failed,
                   run.sweep->points_to_run().size(), part_text(*run.sweep),
                   format_duration(run.elapsed_s),
                   failed ? fmt::format("; {} FAILED", failed) : "");
        if (run.time) fmt::print(out_, "{}\n", time_line(*run.time));
        fmt::print(out_, "results: {}\n", run.dir.string());
        std::fflush(out_);
    }

  private:
    void show(const Point& point) {
        if (!live_) return;
        const double elapsed = monotonic_s() - start_;
        const std::string eta =
            reps_done_ ? format_duration(elapsed / reps_done_ * (reps_total_ - reps_done_)) : "?";
        fmt::print(progress_, "\r\033[K[{}/{}] {} P={} T={} rep {}/{}  elapsed {}  ETA {}",
                   index_ + 1, count_, point.label(), point.processes, point.threads, rep_in_point_,
                   point.warmup + point.repetitions, format_duration(elapsed), eta);
        std::fflush(progress_);
    }

    std::FILE* out_;
    std::FILE* progress_;
    bool live_;
    double start_ = 0;
    std::size_t index_ = 0, count_ = 0;
    long reps_total_ = 0, reps_done_ = 0;
    int rep_in_point_ = 0;
};

}  // namespace

std::unique_ptr<Reporter> make_console_reporter(std::FILE* out, std::FILE* progress) {
    return std::make_unique<ConsoleReporter>(out, progress);
}

}  // namespace parsweep
