// The field lists of the records a run writes (util/json_fields.hpp): a worker's and a
// repetition's JSON in sweep.json and checkpoint.jsonl, read back by --resume and merge, and
// the columns of reps.csv. A field added here is written, read and (when it is a column)
// put in the CSV.
#pragma once

#include <tuple>

#include "measure/results.hpp"
#include "report/reporter.hpp"
#include "util/json_fields.hpp"

namespace parsweep {

// A worker's record. Read in this order; "main_s", "cpu_set" and "cpus" are not in the
// records of older versions, nor "host" and "node", written for MPI ranks only (where each
// ran; a record without "node" is on its host).
inline const auto kWorkerFields = std::make_tuple(
    fields::member("worker", &WorkerRecord::worker),
    fields::custom<WorkerRecord>(
        "items",  // [begin, end)
        [](json& j, const WorkerRecord& w) {
            j["items"] = {w.items_begin, w.items_end};
        },
        [](const json& j, WorkerRecord& w) {
            w.items_begin = j.at("items").at(0).get<std::uint64_t>();
            w.items_end = j.at("items").at(1).get<std::uint64_t>();
        }),
    fields::member("ready_s", &WorkerRecord::ready_s),
    fields::member("start_s", &WorkerRecord::start_s),
    fields::member("end_s", &WorkerRecord::end_s), fields::member("busy_s", &WorkerRecord::busy_s),
    fields::member("user_s", &WorkerRecord::user_s), fields::member("sys_s", &WorkerRecord::sys_s),
    fields::member("ctx_voluntary", &WorkerRecord::ctx_voluntary),
    fields::member("ctx_involuntary", &WorkerRecord::ctx_involuntary),
    fields::member("max_rss_kb", &WorkerRecord::max_rss_kb),
    fields::member("omp_threads", &WorkerRecord::omp_threads),
    fields::member("blas_threads", &WorkerRecord::blas_threads),
    fields::member("main_s", &WorkerRecord::main_s, fields::Read::optional),
    fields::member("cpu_set", &WorkerRecord::cpu_set, fields::Read::optional),
    fields::member("cpus", &WorkerRecord::cpus, fields::Read::optional),
    fields::member("ok", &WorkerRecord::ok), fields::member("error", &WorkerRecord::error),
    fields::custom<WorkerRecord>(
        "host",  // and "node"
        [](json& j, const WorkerRecord& w) {
            if (w.host.empty()) return;
            j["host"] = w.host;
            j["node"] = w.node;
        },
        [](const json& j, WorkerRecord& w) {
            w.host = j.value("host", "");
            w.node = j.value("node", w.host);
        }));

void to_json(json& j, const WorkerRecord& w);
void from_json(const json& j, WorkerRecord& w);

// A repetition's record, and reps.csv's columns after the point's (in this order). "blas" is
// not in the records of older versions; checks_s, reap_s and verify_s are not recorded.
inline const auto kRepFields = std::make_tuple(
    fields::column("rep", &RepRecord::rep), fields::column("wall_s", &RepRecord::wall_s),
    fields::column("spawn_s", &RepRecord::spawn_s),
    fields::column("dispatch_s", &RepRecord::dispatch_s),
    fields::column("compute_s", &RepRecord::compute_s),
    fields::column("gather_s", &RepRecord::gather_s),
    fields::column("imbalance_s", &RepRecord::imbalance_s),
    fields::column("user_s", &RepRecord::user_s), fields::column("sys_s", &RepRecord::sys_s),
    fields::column("cpu_util", &RepRecord::cpu_util),
    fields::column("ctx_voluntary", &RepRecord::ctx_voluntary),
    fields::column("ctx_involuntary", &RepRecord::ctx_involuntary),
    fields::column("max_rss_kb", &RepRecord::max_rss_kb),
    fields::column("omp_threads", &RepRecord::omp_threads),
    fields::column("blas_threads", &RepRecord::blas_threads),
    fields::column("blas", &RepRecord::blas, fields::Read::optional, "blas_loaded", &blas_text),
    fields::column("verified", &RepRecord::verified), fields::column("error", &RepRecord::error),
    fields::member("result", &RepRecord::result), fields::member("workers", &RepRecord::workers));

void to_json(json& j, const RepRecord& r);
void from_json(const json& j, RepRecord& r);

}  // namespace parsweep
