// sweep.json (the complete record of a run) and checkpoint.jsonl (one line per finished
// point, appended and fsynced: what a later --resume rebuilds from).
#include "measure/clock.hpp"
#include "report/reporter.hpp"
#include "util/files.hpp"

namespace parsweep {

namespace {

constexpr int kSchemaVersion = 1;

class JsonReporter : public RewritingReporter {
  public:
    // Unpaced: the first point still rewrites it at once.
    void run_started(const RunInfo& run) override { write(run, {}); }

    void point_done(const RunInfo& run, const std::vector<PointResult>& done) override {
        // A resumed point's line is in the journal already.
        if (!done.back().resumed)
            append_line(run.dir / "checkpoint.jsonl", to_json(done.back()).dump());
        RewritingReporter::point_done(run, done);
    }

  private:
    void write(const RunInfo& run, const std::vector<PointResult>& done) override {
        json points = json::array();
        for (const auto& p : done) points.push_back(to_json(p));
        json doc = {{"schema_version", kSchemaVersion},
                    {"tool", "parsweep"},
                    {"name", run.sweep->name},
                    {"description", run.sweep->description},
                    {"status", run.status},
                    {"interrupted_by", run.interrupted_by ? json(run.interrupted_by) : json()},
                    {"write_error", run.write_error.empty() ? json() : json(run.write_error)},
                    {"started_at", run.started_at},
                    {"finished_at", run.finished_at},
                    {"elapsed_s", run.elapsed_s},
                    {"points_total", run.sweep->points_to_run().size()},
                    {"points_done", done.size()},
                    {"points_failed", run.points_failed},
                    {"context", run.context},
                    {"config",
                     {{"source", run.sweep->source.string()},
                      {"base_dir", run.sweep->base_dir.string()},
                      {"hash", run.sweep->hash()},
                      {"overrides", run.sweep->overrides},
                      {"given", run.sweep->given},
                      {"expanded", run.sweep->expanded()}}},
                    {"points", points}};
        // A part of a sweep (--part K/N): config.hash is the whole sweep's, and
        // config.expanded lists every point of the sweep with the part that measures it.
        // Loader variables a config's env sets (Sweep::warnings), recorded where they apply.
        if (!run.sweep->warnings.empty()) doc["config"]["warnings"] = run.sweep->warnings;
        if (!run.merge.is_null()) doc["merge"] = run.merge;
        if (run.time) doc["time_accounting"] = to_json(*run.time);
        if (!run.sweep->part.whole())
            doc["part"] = {{"index", run.sweep->part.index},
                           {"count", run.sweep->part.count},
                           {"sweep_points_total", run.sweep->points.size()}};
        write_atomic(run.dir / "sweep.json", doc.dump(2) + "\n");
    }
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter() {
    return std::make_unique<JsonReporter>();
}

}  // namespace parsweep
