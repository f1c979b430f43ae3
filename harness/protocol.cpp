#include "protocol.hpp"

#include <ctime>

namespace parsweep {

double monotonic_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

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
            {"omp_threads", r.omp_threads},
            {"blas_threads", r.blas_threads},
            {"cpus", r.cpus}};
}

Ready ready_from_json(const json& j) {
    return {j.at("ready").get<double>(), j.at("omp_threads").get<int>(),
            j.at("blas_threads").get<int>(), j.at("cpus").get<std::vector<int>>()};
}

json to_json(const Report& r) {
    return {{"start", r.start},
            {"end", r.end},
            {"busy_s", r.busy_s},
            {"ok", r.verdict.ok},
            {"message", r.verdict.message},
            {"partial", r.partial}};
}

Report report_from_json(const json& j) {
    Report r;
    r.start = j.at("start").get<double>();
    r.end = j.at("end").get<double>();
    r.busy_s = j.at("busy_s").get<double>();
    r.verdict = {j.at("ok").get<bool>(), j.at("message").get<std::string>()};
    r.partial = j.at("partial");
    return r;
}

}  // namespace parsweep
