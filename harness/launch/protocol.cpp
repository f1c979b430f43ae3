#include "launch/protocol.hpp"

#include "util/json_fields.hpp"

namespace parsweep {

namespace {

using fields::custom;
using fields::member;

const auto kReadyFields = std::make_tuple(
    member("ready", &Ready::time), member("started", &Ready::started),
    member("omp_threads", &Ready::omp_threads), member("blas_threads", &Ready::blas_threads),
    member("cpus", &Ready::cpus), member("blas", &Ready::blas, fields::Read::optional));

const auto kReportFields = std::make_tuple(
    member("start", &Report::start), member("end", &Report::end), member("busy_s", &Report::busy_s),
    member("paused_s", &Report::paused_s), member("untimed_s", &Report::untimed_s),
    member("tail_s", &Report::tail_s), member("setup_s", &Report::setup_s),
    custom<Report>(
        "ok",  // and "message": the verdict
        [](json& j, const Report& r) {
            j["ok"] = r.verdict.ok;
            j["message"] = r.verdict.message;
        },
        [](const json& j, Report& r) {
            r.verdict = {j.at("ok").get<bool>(), j.at("message").get<std::string>()};
        }),
    member("partial", &Report::partial));

const auto kRankFields = std::make_tuple(
    member("rank", &RankReport::rank), member("host", &RankReport::host),
    member("node", &RankReport::node), member("released", &RankReport::released),
    member("ready", &RankReport::ready), member("user_s", &RankReport::user_s),
    member("sys_s", &RankReport::sys_s), member("ctx_voluntary", &RankReport::ctx_voluntary),
    member("ctx_involuntary", &RankReport::ctx_involuntary),
    member("max_rss_kb", &RankReport::max_rss_kb),
    custom<RankReport>(
        "report",  // or "error" when the rank could not compute its share
        [](json& j, const RankReport& r) {
            if (r.error.empty())
                j["report"] = r.report;
            else
                j["error"] = r.error;
        },
        [](const json& j, RankReport& r) {
            if (j.contains("error"))
                r.error = j["error"].get<std::string>();
            else
                r.report = j.at("report").get<Report>();
        }));

}  // namespace

PARSWEEP_JSON_FROM_FIELDS(Ready, kReadyFields)
PARSWEEP_JSON_FROM_FIELDS(Report, kReportFields)
PARSWEEP_JSON_FROM_FIELDS(RankReport, kRankFields)

}  // namespace parsweep
