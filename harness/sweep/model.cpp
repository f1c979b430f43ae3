#include "sweep/model.hpp"

#include <regex>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/json_enum.hpp"

namespace parsweep {

const std::vector<std::string>& thread_count_vars() {
    // NUMEXPR_NUM_THREADS and VECLIB_MAXIMUM_THREADS for the Python a command kernel runs
    // (numexpr, numpy on macOS' Accelerate), as the workshop's scripts set them.
    static const std::vector<std::string> vars = {
        "OMP_NUM_THREADS",  "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",       "BLIS_NUM_THREADS",
        "GOTO_NUM_THREADS", "NUMEXPR_NUM_THREADS",  "VECLIB_MAXIMUM_THREADS"};
    return vars;
}

std::string hash_text(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
    return fmt::format("{:016x}", h);
}

std::string Point::key() const {
    json id = {{"kernel", kernel->id()},
               {"params", params},
               {"processes", processes},
               {"threads", threads}};
    if (!learner.empty()) id["learner"] = learner;  // keys of other runs stay as they were
    if (launcher != Launcher::spawn) id["launcher"] = launcher;  // as do the keys of spawn points
    if (nodes != 0) id["nodes"] = nodes;  // and of points without a nodes axis
    if (weak()) id["scaling"] = scaling;  // and of strong scaling: its baseline differs
    return hash_text(id.dump());
}

Part parse_part(const std::string& text) {
    static const std::regex form(R"(([0-9]{1,9})/([0-9]{1,9}))");
    std::smatch m;
    if (!std::regex_match(text, m, form))
        throw std::invalid_argument("--part " + text + ": expected K/N, e.g. 2/3 (part K of N)");
    Part part{std::stoi(m[1]), std::stoi(m[2])};
    if (part.count < 1 || part.index < 1 || part.index > part.count)
        throw std::invalid_argument(fmt::format(
            "--part {}: K must be between 1 and N (got K={}, N={})", text, part.index, part.count));
    return part;
}

std::vector<const Point*> Sweep::points_to_run() const {
    std::vector<const Point*> out;
    for (const auto& p : points)
        if (part.holds(p)) out.push_back(&p);
    return out;
}

std::string config_hash(const json& given, const json& overrides) {
    if (overrides.is_null()) return hash_text(given.dump());
    return hash_text(given.dump() + "\n" + overrides.dump());
}

std::string Sweep::hash() const {
    return config_hash(given, overrides);
}

json Point::given_params() const {
    json given = params;
    for (const auto& [name, value] : per_worker.items()) given[name] = value;
    return given;
}

std::string Point::group_key() const {
    // Per run: two runs of the same kernel and parameters (with a different env, say) each
    // have their own baseline. The given parameters: a weak curve's points each run another
    // size, and they are still one curve against one baseline.
    return learner + " " + std::to_string(run) + " " + std::string(kernel->id()) + " " +
           given_params().dump();
}

namespace {

// How an entry of sweep.json's config.expanded.points holds a field of its point.
enum class Presence {
    Required,  // always written, and read
    Added,     // always written; read when present (files written before it lack it)
    IfSet,     // written when not empty, and read when present
};

// The plain fields of a Point in sweep.json, as `f(name, member, presence)`: the one list
// Sweep::expanded writes and point_from_json reads, in the order it reads them. The kernel,
// params, key and per_worker are written and read beside them, and the baseline between
// point_fields and later_point_fields.
template <class P, class F>
void point_fields(P& p, F&& f) {
    f("index", p.index, Presence::Required);
    f("run", p.run, Presence::Required);
    f("axes", p.axes, Presence::Required);
    f("processes", p.processes, Presence::Required);
    f("threads", p.threads, Presence::Required);
    f("repetitions", p.repetitions, Presence::Required);
    f("warmup", p.warmup, Presence::Required);
    f("timeout_s", p.timeout_s, Presence::Required);
    f("time_metric", p.time_metric, Presence::Required);
    f("env", p.env, Presence::Required);
    f("baseline_only", p.baseline_only, Presence::Required);
}

template <class P, class F>
void later_point_fields(P& p, F&& f) {
    f("learner", p.learner, Presence::IfSet);
    f("launcher", p.launcher, Presence::Added);  // absent: written before "mpi"
    f("nodes", p.nodes, Presence::Added);        // absent: before the nodes axis
    f("mpi_plugin", p.mpi_plugin, Presence::Added);
    f("scaling", p.scaling, Presence::Added);    // absent: before weak scaling
    f("adaptive", p.adaptive, Presence::Added);  // absent: before adaptive repetitions
}

}  // namespace

Point point_from_json(const json& e) {
    auto field = [&](const char* name) -> const json& {
        if (!e.is_object() || !e.contains(name))
            throw std::runtime_error(fmt::format("{}: missing", name));
        return e[name];
    };
    auto get = [&](const char* name, auto& out, Presence presence) {
        using T = std::remove_reference_t<decltype(out)>;
        if (presence != Presence::Required && !e.contains(name)) return;
        // A mode (Launcher, Scaling, …) is read as its name and must be one of its table's:
        // from_json would take any other for the first.
        using Read = std::conditional_t<std::is_enum_v<T>, std::string, T>;
        Read value;
        try {
            value = field(name).get<Read>();
        } catch (const json::exception& x) {
            throw std::runtime_error(
                fmt::format("{}: {} (got {})", name, x.what(), field(name).dump()));
        }
        if constexpr (std::is_enum_v<T>) {
            const auto mode = enum_from_name<T>(value);
            if (!mode)
                throw std::runtime_error(fmt::format("{}: must be \"{}\" (got \"{}\")", name,
                                                     fmt::join(enum_names<T>(), "\" or \""),
                                                     value));
            out = *mode;
        } else {
            out = std::move(value);
        }
    };
    Point p;
    std::string id;
    get("kernel", id, Presence::Required);
    p.kernel = find_kernel(id);
    if (!p.kernel)
        throw std::runtime_error(fmt::format(
            "kernel: unknown kernel \"{}\" (a workshop lesson's kernel is only in that lesson's "
            "binary: use build/exercises/parsweep-lessonNN-solution)",
            id));
    p.params = field("params");
    if (!p.params.is_object()) throw std::runtime_error("params: must be an object");
    point_fields(p, get);
    const json& base = field("baseline");
    try {
        p.baseline_processes = base.at("processes").get<int>();
        p.baseline_threads = base.at("threads").get<int>();
    } catch (const json::exception& x) {
        throw std::runtime_error(fmt::format("baseline: {} (got {})", x.what(), base.dump()));
    }
    later_point_fields(p, get);
    if (p.weak()) {
        p.per_worker = field("per_worker");
        if (!p.per_worker.is_object()) throw std::runtime_error("per_worker: must be an object");
    }
    if (p.processes < 1 || p.threads < 1)
        throw std::runtime_error(fmt::format("processes and threads must be ≥ 1 (got {} and {})",
                                             p.processes, p.threads));
    return p;
}

std::string Point::label() const {
    std::string s = learner.empty() ? "" : learner + ": ";
    s += kernel->id();
    const json given = given_params();
    for (const auto& a : axes) {
        const json& v = given.at(a);
        s += " " + a + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (nodes != 0) s += fmt::format(" nodes={}", nodes);
    std::vector<std::string> modes;  // the modes that are not the default, as "(mpi, weak)"
    if (launcher != Launcher::spawn) modes.push_back(enum_name(launcher));
    if (weak()) modes.push_back(enum_name(scaling));
    if (!modes.empty()) s += fmt::format(" ({})", fmt::join(modes, ", "));
    return s;
}

json Sweep::expanded() const {
    json pts = json::array();
    for (const auto& p : points) {
        json entry = {
            {"key", p.key()},
            {"kernel", p.kernel->id()},
            {"params", p.params},
            {"baseline", {{"processes", p.baseline_processes}, {"threads", p.baseline_threads}}}};
        auto put = [&](const char* name, const auto& value, Presence presence) {
            using T = std::decay_t<decltype(value)>;
            if (presence != Presence::IfSet || value != T{}) entry[name] = value;
        };
        point_fields(p, put);
        later_point_fields(p, put);
        if (!part.whole()) entry["part"] = p.index % std::size_t(part.count) + 1;
        if (p.weak()) entry["per_worker"] = p.per_worker;
        pts.push_back(std::move(entry));
    }
    return {{"name", name},
            {"usable_cores", usable_cores},
            {"oversubscribe", oversubscribe},
            {"points", pts}};
}

std::string param_text(const json& value) {
    if (value.is_null()) return "";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array()) {
        std::string s;
        for (const auto& v : value) {
            if (!s.empty()) s += ' ';
            s += param_text(v);
        }
        return s;
    }
    return value.dump();
}

}  // namespace parsweep
