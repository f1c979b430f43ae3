#include "launch/protocol.hpp"

namespace parsweep {

json to_json(const Task& t) {
    return {{"kernel", t.kernel}, {"params", t.params}, {"begin", t.begin},
            {"end", t.end},       {"worker", t.worker}, {"threads", t.threads}};
}

Task task_from_json(const json& j) {
    Task t;
    t.kernel = j.at("kernel").get<std::string>();
    t.params = j.at("params");
    t.begin = j.at("begin").get<std::uint64_t>();
    t.end = j.at("end").get<std::uint64_t>();
    t.worker = j.at("worker").get<int>();
    t.threads = j.at("threads").get<int>();
    return t;
}

json to_json(const Ready& r) {
    return {{"ready", r.time},
            {"started", r.started},
            {"omp_threads", r.omp_threads},
            {"blas_threads", r.blas_threads},
            {"cpus", r.cpus},
            {"blas", r.blas}};
}

Ready ready_from_json(const json& j) {
    return {j.at("ready").get<double>(),          j.at("started").get<double>(),
            j.at("omp_threads").get<int>(),       j.at("blas_threads").get<int>(),
            j.at("cpus").get<std::vector<int>>(), j.value("blas", json())};
}

json to_json(const Report& r) {
    return {{"start", r.start},         {"end", r.end},
            {"busy_s", r.busy_s},       {"paused_s", r.paused_s},
            {"untimed_s", r.untimed_s}, {"tail_s", r.tail_s},
            {"ok", r.verdict.ok},       {"message", r.verdict.message},
            {"partial", r.partial}};
}

Report report_from_json(const json& j) {
    Report r;
    r.start = j.at("start").get<double>();
    r.end = j.at("end").get<double>();
    r.busy_s = j.at("busy_s").get<double>();
    r.paused_s = j.at("paused_s").get<double>();
    r.untimed_s = j.at("untimed_s").get<double>();
    r.tail_s = j.at("tail_s").get<double>();
    r.verdict = {j.at("ok").get<bool>(), j.at("message").get<std::string>()};
    r.partial = j.at("partial");
    return r;
}

json to_json(const RankReport& r) {
    json j = {{"rank", r.rank},
              {"host", r.host},
              {"node", r.node},
              {"released", r.released},
              {"ready", to_json(r.ready)},
              {"user_s", r.user_s},
              {"sys_s", r.sys_s},
              {"ctx_voluntary", r.ctx_voluntary},
              {"ctx_involuntary", r.ctx_involuntary},
              {"max_rss_kb", r.max_rss_kb}};
    if (r.error.empty())
        j["report"] = to_json(r.report);
    else
        j["error"] = r.error;
    return j;
}

RankReport rank_report_from_json(const json& j) {
    RankReport r;
    r.rank = j.at("rank").get<int>();
    r.host = j.at("host").get<std::string>();
    r.node = j.at("node").get<std::string>();
    r.released = j.at("released").get<double>();
    r.ready = ready_from_json(j.at("ready"));
    r.user_s = j.at("user_s").get<double>();
    r.sys_s = j.at("sys_s").get<double>();
    r.ctx_voluntary = j.at("ctx_voluntary").get<long>();
    r.ctx_involuntary = j.at("ctx_involuntary").get<long>();
    r.max_rss_kb = j.at("max_rss_kb").get<long>();
    if (j.contains("error"))
        r.error = j["error"].get<std::string>();
    else
        r.report = report_from_json(j.at("report"));
    return r;
}

json to_json(const MpiReport& r) {
    json ranks = json::array();
    for (const auto& rank : r.ranks) ranks.push_back(to_json(rank));
    return {{"release_s", r.release_s}, {"compute_s", r.compute_s}, {"ranks", ranks}};
}

MpiReport mpi_report_from_json(const json& j) {
    MpiReport r;
    r.release_s = j.at("release_s").get<double>();
    r.compute_s = j.at("compute_s").get<double>();
    for (const auto& rank : j.at("ranks")) r.ranks.push_back(rank_report_from_json(rank));
    return r;
}

}  // namespace parsweep
