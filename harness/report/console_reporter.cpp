// The console: a live progress line on a terminal (one line per point otherwise), and at the
// end a summary table and where the results are.
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <fmt/format.h>

#include "machine/slurm_allocation.hpp"
#include "measure/clock.hpp"
#include "report/reporter.hpp"
#include "report/summary_table.hpp"
#include "util/term_style.hpp"
#include "util/units.hpp"

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

class ConsoleReporter : public Reporter {
  public:
    ConsoleReporter(std::FILE* out, std::FILE* progress)
        : out_(out), progress_(progress), live_(progress && isatty(fileno(progress))) {}

    void run_started(const RunInfo& run) override {
        start_ = monotonic_s();
        const auto todo = run.sweep->points_to_run();
        for (const Point* p : todo) reps_total_ += p->warmup + p->repetitions;
        if (!progress_) return;
        std::string where = fmt::format("usable cores {}", run.sweep->usable_cores);
        const bool mpi = std::any_of(todo.begin(), todo.end(),
                                     [](const Point* p) { return p->launcher == Launcher::mpi; });
        if (const auto a = allocation_of(run.context); a && mpi)
            where += fmt::format(" (MPI ranks: {} CPUs on the allocation's {} node{})",
                                 a->total_cpus(), a->nodes.size(), a->nodes.size() == 1 ? "" : "s");
        fmt::print(progress_, "parsweep: {} points{}, {} repetitions with warmups; {}\n",
                   todo.size(), part_text(*run.sweep), reps_total_, where);
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
        const bool compute = p.point->time_metric == TimeMetric::compute_s;
        fmt::print(progress_, "[{}/{}] {} P={} T={}: {}\n", index_ + 1, count_, p.point->label(),
                   p.point->processes, p.point->threads,
                   p.verified ? fmt::format(
                                    "median {} {}, {}speedup {}", compute ? "compute" : "wall",
                                    format_seconds(p.timed().median),
                                    p.point->weak() ? "scaled " : "", ratio_text(p.derived.speedup))
                              : "FAILED: " + p.error);
        std::fflush(progress_);
    }

    void run_finished(const RunInfo& run, const std::vector<PointResult>& done) override {
        if (live_) fmt::print(progress_, "\r\033[K");
        // Stopped before a point by a file it could not write: the error says it all.
        if (done.empty() && !run.write_error.empty()) return;
        // The columns are the summary table's (summary_table.hpp), each as wide as its
        // widest cell; the verdict, last, is coloured on a terminal.
        const auto cols = summary_columns(done);
        std::vector<std::size_t> width;
        for (const auto& c : cols) {
            std::size_t w = std::max(c.min_width, display_width(c.header));
            if (!c.verdict)
                for (const auto& p : done) w = std::max(w, display_width(c.cell(p)));
            width.push_back(w);
        }
        auto row = [&](auto&& text_of, const PointResult* p) {
            std::string line;
            for (std::size_t i = 0; i < cols.size(); ++i) {
                const std::string text = text_of(cols[i]);
                if (cols[i].verdict && p) {
                    line +=
                        cols[i].gap + (p->verified ? good_text(out_, text) : bad_text(out_, text));
                    continue;
                }
                const std::string pad(width[i] - std::min(width[i], display_width(text)), ' ');
                line += cols[i].gap + (cols[i].right ? pad + text : text + pad);
            }
            while (!line.empty() && line.back() == ' ') line.pop_back();
            fmt::print(out_, "{}\n", line);
        };
        fmt::print(out_, "\n");
        row([](const SummaryColumn& c) { return c.header; }, nullptr);
        int failed = 0;
        for (const auto& p : done) {
            if (!p.verified) ++failed;
            row([&](const SummaryColumn& c) { return c.cell(p); }, &p);
        }
        if (const std::string note = summary_note(done); !note.empty())
            fmt::print(out_, "{}\n", note);
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
        if (!run.write_error.empty())
            fmt::print(out_,
                       "\nstopped: a result file could not be written; {} of {} points done, "
                       "those journaled kept; once it can be written again, the rest with\n"
                       "  parsweep run --resume {}\n",
                       done.size(), run.sweep->points_to_run().size(), run.dir.string());
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
