#include "sweep/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "machine/blas_axis.hpp"
#include "machine/pinning.hpp"
#include "util/did_you_mean.hpp"
#include "util/json_enum.hpp"
#include "util/json_input.hpp"
#include "util/units.hpp"

namespace parsweep {

namespace fs = std::filesystem;

ConfigErrors::ConfigErrors(std::vector<ConfigError> errors)
    : std::runtime_error([&] {
          std::string all;
          for (const auto& e : errors) all += e.to_string() + "\n";
          return all;
      }()),
      errors_(std::move(errors)) {}

std::vector<int> auto_counts(int limit) {
    std::vector<int> out;
    for (int v = 1; v <= limit; v *= 2) out.push_back(v);
    if (limit >= 1 && out.back() != limit) out.push_back(limit);
    return out;
}

namespace {

constexpr int kMaxProcesses = 1024;
constexpr int kMaxThreads = 1024;
constexpr int kMaxNodes = 4096;
constexpr std::size_t kMaxPoints = 100000;

const std::vector<std::string> kTopKeys = {
    "$schema",     "name",     "description", "repetitions", "warmup",        "grid",
    "params",      "baseline", "env",         "runs",        "oversubscribe", "timeout_s",
    "time_metric", "launcher", "scaling",     "mpi_plugin",  "adaptive"};
const std::vector<std::string> kRunKeys = {
    "kernel",   "description", "params",      "grid",     "repetitions", "warmup",     "env",
    "baseline", "timeout_s",   "time_metric", "launcher", "scaling",     "mpi_plugin", "adaptive"};
const std::vector<std::string> kAdaptiveKeys = {"max_repetitions", "ci95_pct", "budget_s"};
const std::vector<std::string> kBaselineKeys = {"processes", "threads"};

std::string show(const json& v) {
    std::string s = v.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

std::string member(const std::string& base, const std::string& key) {
    static const std::regex plain("[A-Za-z_$][A-Za-z0-9_$]*");
    std::string k = std::regex_match(key, plain) ? key : "[" + json(key).dump() + "]";
    if (base.empty()) return k;
    return k[0] == '[' ? base + k : base + "." + k;
}

// Whether the environment variable `name` changes which programs and libraries a worker
// loads: the dynamic loader's (LD_*, macOS's DYLD_*), PATH, and the OpenMP tool interface's.
bool changes_loading(const std::string& name) {
    return name.rfind("LD_", 0) == 0 || name.rfind("DYLD_", 0) == 0 || name == "PATH" ||
           name == "OMP_TOOL_LIBRARIES" || name == "GCONV_PATH";
}

std::string element(const std::string& base, std::size_t i) {
    return base + "[" + std::to_string(i) + "]";
}

std::string type_name(const json& v) {
    if (v.is_number_integer()) return "an integer";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_array()) return "a list";
    if (v.is_object()) return "an object";
    return "null";
}

std::string fmt_bound(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        return fmt::format("{}", static_cast<long long>(v));
    return fmt::format("{}", v);
}

class Checker {
  public:
    std::vector<ConfigError> errors;
    std::vector<ConfigError> warnings;  // allowed, but said (Sweep::warnings)
    fs::path files_from;  // absolute: relative file values written in the config start here

    void error(const std::string& path, const std::string& message) {
        for (const auto& e : errors)
            if (e.path == path && e.message == message) return;
        errors.push_back({path, message});
    }

    // Reports keys of `obj` that are not in `allowed`, with a suggestion.
    void check_keys(const json& obj, const std::vector<std::string>& allowed,
                    const std::string& path) {
        for (const auto& [key, value] : obj.items()) {
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            error(member(path, key), "unknown key" + did_you_mean_clause(key, allowed));
        }
    }

    bool is_object(const json& v, const std::string& path) {
        if (v.is_object()) return true;
        error(path, "must be an object (got " + type_name(v) + ")");
        return false;
    }

    // An integer in [lo, hi]; floats with no fraction (1e8) are accepted.
    std::optional<long long> integer(const json& v, const std::string& path, double lo, double hi) {
        double d;
        if (v.is_number_integer()) {
            d = v.is_number_unsigned() ? static_cast<double>(v.get<std::uint64_t>())
                                       : static_cast<double>(v.get<std::int64_t>());
        } else if (v.is_number_float() && std::isfinite(v.get<double>()) &&
                   v.get<double>() == std::floor(v.get<double>())) {
            d = v.get<double>();
        } else {
            error(path, "must be an integer (got " + show(v) + ")");
            return std::nullopt;
        }
        if (d < lo) {
            error(path, "must be ≥ " + fmt_bound(lo) + " (got " + show(v) + ")");
            return std::nullopt;
        }
        if (d > hi) {
            error(path, "must be ≤ " + fmt_bound(hi) + " (got " + show(v) + ")");
            return std::nullopt;
        }
        return v.is_number_integer() && !v.is_number_unsigned()
                   ? v.get<std::int64_t>()
                   : static_cast<long long>(v.is_number_unsigned() ? v.get<std::uint64_t>()
                                                                   : static_cast<std::uint64_t>(d));
    }

    std::optional<double> number(const json& v, const std::string& path, double lo, double hi,
                                 bool lo_open = false) {
        if (!v.is_number() || !std::isfinite(v.get<double>())) {
            error(path, "must be a number (got " + show(v) + ")");
            return std::nullopt;
        }
        double d = v.get<double>();
        if (lo_open ? d <= lo : d < lo) {
            error(path, std::string("must be ") + (lo_open ? "> " : "≥ ") + fmt_bound(lo) +
                            " (got " + show(v) + ")");
            return std::nullopt;
        }
        if (d > hi) {
            error(path, "must be ≤ " + fmt_bound(hi) + " (got " + show(v) + ")");
            return std::nullopt;
        }
        return d;
    }

    // A kernel parameter's value, normalised (integers as integers), and passed by the
    // spec's own check when it has one; nullopt when invalid. `in_config`: the value is
    // written in the config (false: the kernel's default), for where a relative file is.
    std::optional<json> param(const ParamSpec& spec, const json& v, const std::string& path,
                              bool in_config = true) {
        auto value = typed_param(spec, v, path, in_config);
        if (value && spec.check)
            if (const std::string why = spec.check(*value); !why.empty()) {
                error(path, why);
                return std::nullopt;
            }
        return value;
    }

    std::optional<json> typed_param(const ParamSpec& spec, const json& v, const std::string& path,
                                    bool in_config) {
        switch (spec.type) {
            case ParamType::Integer: {
                auto i = integer(v, path, spec.min.value_or(-9.2e18), spec.max.value_or(9.2e18));
                if (!i) return std::nullopt;
                return *i >= 0 ? json(static_cast<std::uint64_t>(*i)) : json(*i);
            }
            case ParamType::Number: {
                auto d = number(v, path, spec.min.value_or(-1e308), spec.max.value_or(1e308));
                if (!d) return std::nullopt;
                return json(*d);
            }
            case ParamType::Boolean:
                if (v.is_boolean()) return v;
                error(path, "must be true or false (got " + show(v) + ")");
                return std::nullopt;
            case ParamType::String: {
                if (!v.is_string()) {
                    error(path, "must be a string (got " + show(v) + ")");
                    return std::nullopt;
                }
                if (!spec.choices.empty() && !choice(v, path, spec.choices)) return std::nullopt;
                return v;
            }
            case ParamType::StringList: {
                if (!in_config && v.is_array() && v.empty() && v == spec.default_value)
                    return v;  // an empty default: the parameter was not given
                if (!v.is_array() || v.empty()) {
                    error(path, "must be a non-empty list of strings (got " + show(v) + ")");
                    return std::nullopt;
                }
                bool ok = true;
                for (std::size_t i = 0; i < v.size(); ++i) {
                    if (!v[i].is_string() || v[i].get<std::string>().empty()) {
                        error(element(path, i),
                              "must be a non-empty string (got " + show(v[i]) + ")");
                        ok = false;
                    }
                }
                return ok ? std::optional<json>(v) : std::nullopt;
            }
            case ParamType::File:
            case ParamType::Directory:
                return path_param(spec.type, v, path, in_config);
            case ParamType::Scalar:
                if (v.is_number() || v.is_string() || v.is_boolean()) return v;
                error(path, "must be a number, a string or true/false (got " + show(v) + ")");
                return std::nullopt;
        }
        return std::nullopt;
    }

    // A File or Directory parameter's path, made absolute: a default (not written in the
    // config) is the kernel's documented path in the current directory; a value written in
    // the config starts at its directory.
    std::optional<json> path_param(ParamType type, const json& v, const std::string& path,
                                   bool in_config) {
        const bool dir = type == ParamType::Directory;
        if (!v.is_string() || v.get<std::string>().empty()) {
            error(path, std::string("must be a ") + (dir ? "directory" : "file") + " path (got " +
                            show(v) + ")");
            return std::nullopt;
        }
        const fs::path base = in_config ? files_from : fs::current_path();
        const fs::path p = (base / v.get<std::string>()).lexically_normal();
        std::error_code ec;
        auto st = fs::status(p, ec);
        if (!fs::exists(st)) {
            error(path, std::string(dir ? "directory" : "file") + " not found: " + p.string() +
                            (fs::path(v.get<std::string>()).is_relative()
                                 ? " (\"" + v.get<std::string>() + "\" is taken from " +
                                       (in_config ? "the config's directory, "
                                                  : "the current directory, ") +
                                       base.string() + ")"
                                 : ""));
            return std::nullopt;
        }
        if (dir) {
            if (!fs::is_directory(st)) {
                error(path, p.string() + " is not a directory");
                return std::nullopt;
            }
            std::string text = p.string();  // "dir/." normalises to "dir/": without the slash
            while (text.size() > 1 && text.back() == '/') text.pop_back();
            return json(text);
        }
        if (fs::is_directory(st)) {
            error(path, p.string() + " is a directory, not a file");
            return std::nullopt;
        }
        if (!fs::is_regular_file(st)) {
            error(path, p.string() + " is not a regular file");
            return std::nullopt;
        }
        if (access(p.c_str(), R_OK) != 0) {
            error(path, "cannot read " + p.string() + ": " + std::strerror(errno));
            return std::nullopt;
        }
        return json(p.string());
    }

    // One of `choices`, or an error listing them (with a suggestion for a typo).
    std::optional<std::string> choice(const json& v, const std::string& path,
                                      const std::vector<std::string>& choices) {
        if (v.is_string() &&
            std::find(choices.begin(), choices.end(), v.get<std::string>()) != choices.end())
            return v.get<std::string>();
        std::string all;
        for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c;
        error(path, "must be one of " + all + " (got " + show(v) + ")" +
                        (v.is_string() ? did_you_mean_clause(v.get<std::string>(), choices) : ""));
        return std::nullopt;
    }

    // One of the names of mode E (model.hpp's tables: Launcher, Scaling, TimeMetric), as
    // `choice` checks them.
    template <class E>
    std::optional<E> mode(const json& v, const std::string& path) {
        if (auto name = choice(v, path, enum_names<E>())) return enum_from_name<E>(*name);
        return std::nullopt;
    }

    // A processes/threads axis: a list of counts, or "auto".
    std::vector<int> counts(const json& v, const std::string& path, int auto_limit, int max) {
        if (v.is_string() && v.get<std::string>() == "auto") return auto_counts(auto_limit);
        if (!v.is_array() || v.empty()) {
            error(path, "must be a non-empty list of counts or \"auto\" (got " + show(v) + ")");
            return {};
        }
        std::vector<int> out;
        for (std::size_t i = 0; i < v.size(); ++i)
            if (auto n = integer(v[i], element(path, i), 1, max)) {
                if (std::find(out.begin(), out.end(), *n) != out.end())
                    error(element(path, i),
                          "repeats an earlier value of this axis (" + show(v[i]) + ")");
                out.push_back(static_cast<int>(*n));
            }
        return out;
    }

    std::map<std::string, std::string> env(const json& v, const std::string& path) {
        std::map<std::string, std::string> out;
        if (!is_object(v, path)) return out;
        static const std::regex name("[A-Za-z_][A-Za-z0-9_]*");
        for (const auto& [key, value] : v.items()) {
            const std::string p = member(path, key);
            if (!std::regex_match(key, name)) {
                error(p, "is not a valid environment variable name");
            } else if (std::find(thread_count_vars().begin(), thread_count_vars().end(), key) !=
                       thread_count_vars().end()) {
                error(p,
                      "is set in every worker from the \"threads\" axis; sweep threads with "
                      "grid.threads instead");
            } else if (value.is_string()) {
                out[key] = value.get<std::string>();
            } else if (value.is_number() || value.is_boolean()) {
                out[key] = value.dump();
            } else {
                error(p, "must be a string or a number (got " + show(value) + ")");
            }
            if (out.count(key) && changes_loading(key))
                warnings.push_back(
                    {p, fmt::format("sets {}={}: it changes which programs and libraries every "
                                    "worker of this run loads",
                                    key, json(out[key]).dump())});
        }
        return out;
    }
};

// "spawn" or "mpi"; "mpi" only where it can run (LoadOptions::mpi_unavailable).
std::optional<Launcher> parse_launcher(Checker& c, const json& v, const std::string& path,
                                       const LoadOptions& options) {
    auto launcher = c.mode<Launcher>(v, path);
    if (launcher == Launcher::mpi && !options.mpi_unavailable.empty()) {
        c.error(path, "\"mpi\" cannot run here: " + options.mpi_unavailable);
        return std::nullopt;
    }
    return launcher;
}

// srun's --mpi plugin: a name as `srun --mpi=list` prints it.
std::optional<std::string> parse_mpi_plugin(Checker& c, const json& v, const std::string& path) {
    static const std::regex name("[A-Za-z0-9_]{1,32}");
    if (v.is_string() && std::regex_match(v.get<std::string>(), name)) return v.get<std::string>();
    c.error(path,
            "must name one of srun's MPI plugins as `srun --mpi=list` shows them (pmix, "
            "pmi2, …; got " +
                show(v) + ")");
    return std::nullopt;
}

// The nodes axis of an mpi run: counts, each within the allocation when it is known.
std::vector<int> parse_nodes_axis(Checker& c, const json& v, const std::string& path,
                                  const LoadOptions& options) {
    std::vector<int> counts = c.counts(v, path, options.allocation_nodes.value_or(1), kMaxNodes);
    if (!options.allocation_nodes) return counts;
    const int have = *options.allocation_nodes;
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i] > have)
            c.error(v.is_array() ? element(path, i) : path,
                    options.allocation_cpus > 0
                        ? fmt::format("{} nodes: the Slurm allocation has {}", counts[i], have)
                        : fmt::format("{} nodes: outside a Slurm allocation the ranks run on this "
                                      "node only; submit the sweep with `parsweep slurm CONFIG "
                                      "--nodes {}` (or run it in an sbatch job of {} nodes)",
                                      counts[i], counts[i], counts[i]));
    return counts;
}

struct Baseline {
    int processes = 1;
    int threads = 1;
};

Baseline parse_baseline(Checker& c, const json& v, const std::string& path, Baseline fallback) {
    if (!c.is_object(v, path)) return fallback;
    c.check_keys(v, kBaselineKeys, path);
    Baseline b = fallback;
    if (v.contains("processes"))
        if (auto n = c.integer(v["processes"], member(path, "processes"), 1, kMaxProcesses))
            b.processes = static_cast<int>(*n);
    if (v.contains("threads"))
        if (auto n = c.integer(v["threads"], member(path, "threads"), 1, kMaxThreads))
            b.threads = static_cast<int>(*n);
    return b;
}

// "adaptive" at `path` over `fallback` (model.hpp: Adaptive). max_repetitions is required:
// it is what turns adaptive repetitions on.
Adaptive parse_adaptive(Checker& c, const json& v, const std::string& path, Adaptive fallback) {
    if (!c.is_object(v, path)) return fallback;
    c.check_keys(v, kAdaptiveKeys, path);
    Adaptive a = fallback;
    if (!v.contains("max_repetitions"))
        c.error(path, "needs max_repetitions: the most repetitions a point may take");
    else if (auto n = c.integer(v["max_repetitions"], member(path, "max_repetitions"), 1, 100000))
        a.max_repetitions = int(*n);
    if (v.contains("ci95_pct"))
        if (auto d = c.number(v["ci95_pct"], member(path, "ci95_pct"), 0, 100, true))
            a.ci95_pct = *d;
    if (v.contains("budget_s"))
        if (auto d = c.number(v["budget_s"], member(path, "budget_s"), 0, 7 * 86400.0, true))
            a.budget_s = *d;
    return a;
}

// A run's scaling and the JSON path that set it ("" = the default, strong).
struct ScalingSpec {
    Scaling mode = Scaling::strong;
    std::string path;
};

ScalingSpec parse_scaling(Checker& c, const json& v, const std::string& path,
                          ScalingSpec fallback) {
    if (auto mode = c.mode<Scaling>(v, path)) return {*mode, path};
    return fallback;
}

// The work-size parameter a weak-scaling run multiplies; nullptr for strong scaling, and
// for a kernel that has none, with an error naming the kernel and where weak was asked for.
const ParamSpec* weak_param(Checker& c, const Kernel& kernel, const ScalingSpec& scaling,
                            const std::string& rpath) {
    if (scaling.mode != Scaling::weak) return nullptr;
    if (const ParamSpec* spec = work_size_param(kernel)) return spec;
    std::string able;
    for (const Kernel* k : kernels())
        if (const ParamSpec* spec = work_size_param(*k); spec && !k->hidden())
            able += (able.empty() ? "" : ", ") + std::string(k->id()) + " (" + spec->name + ")";
    const bool inherited = scaling.path == "scaling" && !rpath.empty();
    c.error(inherited ? member(rpath, "kernel") : scaling.path,
            fmt::format("kernel {} cannot be swept with weak scaling{}: none of its parameters is "
                        "a work size that grows with P·T (its work is fixed by its input); the "
                        "kernels that can: {}. Give this run \"scaling\": \"strong\"",
                        kernel.id(), inherited ? " (asked for by the top level's \"scaling\")" : "",
                        able));
    return nullptr;
}

// Weak scaling: `params` with the work-size parameter `spec` × `workers` (P·T).
json weak_params(const ParamSpec& spec, const json& params, int workers) {
    json out = params;
    out[spec.name] = params.at(spec.name).get<std::uint64_t>() * std::uint64_t(workers);
    return out;
}

// Whether the work-size value of `params` × the largest P·T of the run stays within the
// parameter's maximum (and a 64-bit count); else an error at `path`.
bool weak_fits(Checker& c, const ParamSpec& spec, const json& params, int max_workers,
               const std::string& path) {
    const std::uint64_t given = params.at(spec.name).get<std::uint64_t>();
    const double limit = std::min(spec.max.value_or(1.8e19), 1.8e19);
    if (double(given) * max_workers <= limit) return true;
    c.error(path, fmt::format("weak scaling runs {} × P·T, and at P·T = {} that is {:.4g}, above "
                              "the maximum {}: lower {} or the largest processes × threads",
                              spec.name, max_workers, double(given) * max_workers, fmt_bound(limit),
                              spec.name));
    return false;
}

// Where a kernel parameter's value(s) come from in a run, after merging the levels.
struct Source {
    json values;  // a list when `axis`, else one value
    bool axis = false;
    std::string path;  // JSON path of the value (list) in the config; "" = default
};

// The settings a run inherits from the top level, each of which the run may set again.
struct Level {
    int repetitions = 3;
    int warmup = 1;
    Adaptive adaptive;
    double timeout_s = 3600;
    TimeMetric time_metric = TimeMetric::wall_s;
    Launcher launcher = Launcher::spawn;
    std::string mpi_plugin;
    ScalingSpec scaling;
    Baseline baseline;
    std::map<std::string, std::string> env;
};

// The top level of a config: what every run inherits, and its grid and params.
struct TopLevel {
    Level level;
    json grid = json::object();
    json params = json::object();
    int auto_limit = 1;  // what "auto" processes and threads expand up to
};

// One run after inheritance: its kernel and settings, its grid and params as written, and
// its processes, threads and nodes axes (node_counts empty: no nodes axis).
struct Run {
    std::size_t index = 0;
    std::string path;  // "runs[i]"
    const Kernel* kernel = nullptr;
    std::vector<ParamSpec> specs;  // the kernel's, then the pinning and blas axes
    Level level;
    const ParamSpec* weak = nullptr;  // the work-size parameter of a weak-scaling run
    json grid = json::object();
    json params = json::object();
    std::vector<int> procs{1}, threads{1}, node_counts;
};

// A run's kernel parameters after merging the levels: each one's values (one, or an axis'),
// the JSON path each came from, and which of them are axes.
struct RunValues {
    std::vector<std::pair<const ParamSpec*, std::vector<json>>> values;
    std::map<std::string, std::string> source_path;
    std::vector<std::string> axes;
};

// The settings `obj` (the top level, or a run at `path`) sets, over those of `level`.
void parse_settings(Checker& c, const json& obj, const std::string& path,
                    const LoadOptions& options, Level& level) {
    if (obj.contains("repetitions"))
        if (auto n = c.integer(obj["repetitions"], member(path, "repetitions"), 1, 100000))
            level.repetitions = int(*n);
    if (obj.contains("warmup"))
        if (auto n = c.integer(obj["warmup"], member(path, "warmup"), 0, 1000))
            level.warmup = int(*n);
    if (obj.contains("adaptive"))
        level.adaptive =
            parse_adaptive(c, obj["adaptive"], member(path, "adaptive"), level.adaptive);
    if ((obj.contains("adaptive") || obj.contains("repetitions")) &&
        level.adaptive.max_repetitions > 0 && level.adaptive.max_repetitions < level.repetitions)
        c.error(member(member(path, "adaptive"), "max_repetitions"),
                fmt::format("{} is fewer than the {} repetitions every point takes first",
                            level.adaptive.max_repetitions, level.repetitions));
    if (obj.contains("timeout_s"))
        if (auto d = c.number(obj["timeout_s"], member(path, "timeout_s"), 0, 7 * 86400.0, true))
            level.timeout_s = *d;
    if (obj.contains("time_metric"))
        if (auto m = c.mode<TimeMetric>(obj["time_metric"], member(path, "time_metric")))
            level.time_metric = *m;
    if (obj.contains("launcher"))
        if (auto l = parse_launcher(c, obj["launcher"], member(path, "launcher"), options))
            level.launcher = *l;
    if (obj.contains("mpi_plugin"))
        if (auto m = parse_mpi_plugin(c, obj["mpi_plugin"], member(path, "mpi_plugin")))
            level.mpi_plugin = *m;
    if (obj.contains("scaling"))
        level.scaling = parse_scaling(c, obj["scaling"], member(path, "scaling"), level.scaling);
}

// The baseline and environment `obj` (the top level, or a run at `path`) sets, over `level`'s.
void parse_placement(Checker& c, const json& obj, const std::string& path, Level& level) {
    if (obj.contains("baseline"))
        level.baseline =
            parse_baseline(c, obj["baseline"], member(path, "baseline"), level.baseline);
    if (obj.contains("env"))
        for (auto& [k, v] : c.env(obj["env"], member(path, "env"))) level.env[k] = v;
}

// `obj[key]` when it is an object (else an error, and an empty object).
json object_at(Checker& c, const json& obj, const char* key, const std::string& path) {
    return obj.contains(key) && c.is_object(obj[key], member(path, key)) ? obj[key]
                                                                         : json::object();
}

// Checks the top level and sets the sweep's name, description and oversubscription; throws
// ConfigErrors when the document is not an object or has no runs to expand.
TopLevel parse_top_level(Checker& c, const json& doc, const LoadOptions& options, Sweep& sweep) {
    if (!doc.is_object()) {
        c.error("", "the config must be a JSON object (got " + type_name(doc) + ")");
        throw ConfigErrors(c.errors);
    }
    c.check_keys(doc, kTopKeys, "");
    sweep.name = options.default_name;
    if (doc.contains("name")) {
        static const std::regex safe("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
        const json& v = doc["name"];
        if (!v.is_string() || !std::regex_match(v.get<std::string>(), safe))
            c.error("name",
                    "must be a name of letters, digits, '.', '_' or '-' (at most 64, "
                    "used in the results directory's name; got " +
                        show(v) + ")");
        else
            sweep.name = v.get<std::string>();
    }
    if (doc.contains("description")) {
        if (doc["description"].is_string())
            sweep.description = doc["description"].get<std::string>();
        else
            c.error("description", "must be a string");
    }
    if (doc.contains("oversubscribe"))
        if (auto d = c.number(doc["oversubscribe"], "oversubscribe", 1, 64))
            sweep.oversubscribe = *d;
    TopLevel top;
    top.auto_limit =
        std::max(1, static_cast<int>(std::floor(sweep.usable_cores * sweep.oversubscribe)));
    parse_settings(c, doc, "", options, top.level);
    parse_placement(c, doc, "", top.level);
    top.grid = object_at(c, doc, "grid", "");
    top.params = object_at(c, doc, "params", "");
    if (!doc.contains("runs")) {
        c.error("runs", "is required: a list of {\"kernel\": …} entries");
        throw ConfigErrors(c.errors);
    }
    const json& runs = doc["runs"];
    if (!runs.is_array() || runs.empty()) {
        c.error("runs", "must be a non-empty list of runs (got " + show(runs) + ")");
        throw ConfigErrors(c.errors);
    }
    return top;
}

// The kernel of the run at `rpath`, after checking the run's keys; nullptr (with an error)
// when the run is not an object or names no known kernel.
const Kernel* run_kernel(Checker& c, const json& run, const std::string& rpath,
                         const std::vector<std::string>& kernel_ids) {
    if (!c.is_object(run, rpath)) return nullptr;
    c.check_keys(run, kRunKeys, rpath);
    if (!run.contains("kernel")) {
        c.error(member(rpath, "kernel"),
                "is required (one of " + fmt::format("{}", fmt::join(kernel_ids, ", ")) + ")");
        return nullptr;
    }
    if (!run["kernel"].is_string()) {
        c.error(member(rpath, "kernel"), "must be a kernel id (got " + show(run["kernel"]) + ")");
        return nullptr;
    }
    const std::string id = run["kernel"].get<std::string>();
    const Kernel* kernel = find_kernel(id);
    if (!kernel)
        c.error(member(rpath, "kernel"), "unknown kernel \"" + id + "\"" +
                                             did_you_mean_clause(id, kernel_ids) +
                                             " (`parsweep list` shows them)");
    return kernel;
}

// The run's processes, threads and nodes axes: its grid's over the top level's. The ranks of
// an mpi run may use every CPU of the Slurm allocation, all its nodes together.
void parse_run_axes(Checker& c, Run& run, const TopLevel& top, const LoadOptions& options,
                    double oversubscribe) {
    const std::string& rpath = run.path;
    const bool mpi = run.level.launcher == Launcher::mpi;
    const int process_limit =
        mpi && options.allocation_cpus > 0
            ? std::max(1, static_cast<int>(std::floor(options.allocation_cpus * oversubscribe)))
            : top.auto_limit;
    for (auto [axis, out, max, limit] :
         {std::tuple{"processes", &run.procs, kMaxProcesses, process_limit},
          std::tuple{"threads", &run.threads, kMaxThreads, top.auto_limit}}) {
        if (run.grid.contains(axis))
            *out = c.counts(run.grid[axis], member(member(rpath, "grid"), axis), limit, max);
        else if (top.grid.contains(axis))
            *out = c.counts(top.grid[axis], member("grid", axis), limit, max);
    }
    for (const char* axis : {"processes", "threads", "nodes"})
        if (run.params.contains(axis))
            c.error(member(member(rpath, "params"), axis),
                    std::string("\"") + axis + "\" is a grid axis: put it under \"grid\"");
    // nodes: only mpi runs have it (a top-level nodes axis applies to them alone).
    if (run.grid.contains("nodes")) {
        const std::string path = member(member(rpath, "grid"), "nodes");
        if (!mpi)
            c.error(path,
                    "places MPI ranks on the nodes of a Slurm allocation: it needs "
                    "\"launcher\": \"mpi\"");
        else
            run.node_counts = parse_nodes_axis(c, run.grid["nodes"], path, options);
    } else if (top.grid.contains("nodes") && mpi) {
        run.node_counts = parse_nodes_axis(c, top.grid["nodes"], member("grid", "nodes"), options);
    }
}

// The user's own variables of a run whose kernel takes them (Kernel::takes_variables): every
// name in its params and grid, or the top level's, that is not a parameter or an axis of
// every run, as a parameter of any scalar type.
void add_variables(Run& run, const TopLevel& top) {
    std::set<std::string> names;
    for (const auto& s : run.specs) names.insert(s.name);
    for (const json* level :
         std::initializer_list<const json*>{&run.params, &run.grid, &top.params, &top.grid})
        for (const auto& [key, v] : level->items()) {
            if (names.count(key) || key == "processes" || key == "threads" || key == "nodes")
                continue;
            names.insert(key);
            run.specs.push_back({key,
                                 ParamType::Scalar,
                                 nullptr,
                                 "a variable of your own, for the kernel's placeholders",
                                 std::nullopt,
                                 std::nullopt,
                                 {}});
        }
}

// The run at `r` with the top level's settings, grid and params merged under its own.
Run inherit_run(Checker& c, const json& json_run, std::size_t r, const Kernel& kernel,
                const TopLevel& top, const LoadOptions& options, double oversubscribe) {
    Run run;
    run.index = r;
    run.path = element("runs", r);
    run.kernel = &kernel;
    // The kernel's parameters, then the pinning axes every kernel accepts (pinning.hpp),
    // and the blas axis of the kernels that use the BLAS (blas_axis.hpp).
    run.specs = kernel.params();
    run.specs.insert(run.specs.end(), pinning_params().begin(), pinning_params().end());
    if (kernel.uses_blas())
        run.specs.insert(run.specs.end(), blas_params().begin(), blas_params().end());
    run.level = top.level;
    parse_settings(c, json_run, run.path, options, run.level);
    // A kernel that cannot be weak-scaled is an error (reported with the run's others).
    run.weak = weak_param(c, kernel, run.level.scaling, run.path);
    parse_placement(c, json_run, run.path, run.level);
    run.grid = object_at(c, json_run, "grid", run.path);
    run.params = object_at(c, json_run, "params", run.path);
    if (kernel.takes_variables()) add_variables(run, top);
    parse_run_axes(c, run, top, options, oversubscribe);
    return run;
}

// Reports the run's params and grid keys that are not its kernel's parameters or axes.
void check_run_names(Checker& c, const Run& run) {
    const std::string id(run.kernel->id());
    std::vector<std::string> names;
    for (const auto& s : run.specs) names.push_back(s.name);
    std::vector<std::string> grid_names = names;
    grid_names.push_back("processes");
    grid_names.push_back("threads");
    grid_names.push_back("nodes");
    for (const auto& [key, v] : run.params.items())
        if (std::find(names.begin(), names.end(), key) == names.end())
            c.error(member(member(run.path, "params"), key), "unknown parameter of kernel " + id +
                                                                 did_you_mean_clause(key, names) +
                                                                 blas_not_applicable(key));
    for (const auto& [key, v] : run.grid.items())
        if (std::find(grid_names.begin(), grid_names.end(), key) == grid_names.end())
            c.error(member(member(run.path, "grid"), key),
                    "unknown axis for kernel " + id + did_you_mean_clause(key, grid_names) +
                        blas_not_applicable(key));
}

// Where the run's value(s) of `spec` come from: the most specific level that has it, else
// the kernel's default; nullopt when no level has it and there is no default.
std::optional<Source> find_source(Checker& c, const Run& run, const TopLevel& top,
                                  const ParamSpec& spec) {
    const std::string& rpath = run.path;
    if (run.grid.contains(spec.name) && run.params.contains(spec.name))
        c.error(member(member(rpath, "params"), spec.name),
                "is also a grid axis of this run (" + member(member(rpath, "grid"), spec.name) +
                    "); keep one");
    if (run.grid.contains(spec.name))
        return Source{run.grid[spec.name], true, member(member(rpath, "grid"), spec.name)};
    if (run.params.contains(spec.name))
        return Source{run.params[spec.name], false, member(member(rpath, "params"), spec.name)};
    if (top.grid.contains(spec.name))
        return Source{top.grid[spec.name], true, member("grid", spec.name)};
    if (top.params.contains(spec.name))
        return Source{top.params[spec.name], false, member("params", spec.name)};
    if (!spec.default_value.is_null()) return Source{spec.default_value, false, ""};
    return std::nullopt;
}

// The checked values of `spec` from `src` (one, or an axis' list) into `vals`; false when
// one of them is wrong (reported).
bool source_values(Checker& c, const ParamSpec& spec, const Source& src, const std::string& rpath,
                   std::vector<json>& vals) {
    if (!src.axis) {
        auto v = c.param(spec, src.values, src.path.empty() ? member(rpath, "params") : src.path,
                         !src.path.empty());
        if (v) vals.push_back(*v);
        return v.has_value();
    }
    if (!src.values.is_array() || src.values.empty()) {
        c.error(src.path,
                "a grid axis must be a non-empty list of values (got " + show(src.values) + ")");
        return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < src.values.size(); ++i) {
        auto v = c.param(spec, src.values[i], element(src.path, i));
        if (!v) {
            ok = false;
            continue;
        }
        // A repeated value would make two identical points.
        if (std::find(vals.begin(), vals.end(), *v) != vals.end())
            c.error(element(src.path, i),
                    "repeats an earlier value of this axis (" + show(*v) + ")");
        vals.push_back(*v);
    }
    return ok;
}

// Each kernel parameter's values in the run; nullopt when one is missing or wrong (reported).
std::optional<RunValues> merge_values(Checker& c, const Run& run, const TopLevel& top) {
    RunValues out;
    bool ok = true;
    for (const auto& spec : run.specs) {
        const std::optional<Source> src = find_source(c, run, top, spec);
        if (!src) {
            if (is_pinning_param(spec.name) || spec.name == blas_params()[0].name)
                continue;  // not given: the workers inherit the parent's placement and BLAS
            c.error(member(run.path, "params"), "kernel " + std::string(run.kernel->id()) +
                                                    " needs parameter \"" + spec.name + "\" (" +
                                                    spec.help + ")");
            ok = false;
            continue;
        }
        out.source_path[spec.name] = src->path.empty() ? run.path : src->path;
        std::vector<json> vals;
        if (!source_values(c, spec, *src, run.path, vals)) ok = false;
        if (src->axis) out.axes.push_back(spec.name);
        out.values.emplace_back(&spec, std::move(vals));
    }
    if (!ok) return std::nullopt;
    return out;
}

// The cartesian product of the parameters' values, the first parameter varying slowest.
std::vector<json> cartesian(const RunValues& values) {
    std::vector<json> combos{json::object()};
    for (const auto& [spec, vals] : values.values) {
        std::vector<json> next;
        for (const auto& combo : combos)
            for (const auto& v : vals) {
                json p = combo;
                p[spec->name] = v;
                next.push_back(std::move(p));
            }
        combos = std::move(next);
    }
    return combos;
}

// Whether one parameter combination of the run can be run at all (else reported): cpu_set
// with mpi, the kernel's own checks, a weak size that stays within its maximum.
bool combination_ok(Checker& c, const Run& run, const RunValues& values, const json& params) {
    bool ok = true;
    // cpu_set binds each spawned worker before it starts; mpirun and srun start ranks.
    if (run.level.launcher == Launcher::mpi && params.contains("cpu_set") &&
        params["cpu_set"] != "none") {
        c.error(values.source_path.at("cpu_set"),
                "cpu_set binds the spawn launcher's workers; with launcher \"mpi\" place "
                "threads with bind and places (OMP_PROC_BIND, OMP_PLACES)");
        ok = false;
    }
    for (const auto& e : run.kernel->validate(params)) {
        auto it = values.source_path.find(e.param);
        c.error(it != values.source_path.end() ? it->second : run.path, e.message);
        ok = false;
    }
    const Baseline& base = run.level.baseline;
    const int max_workers = std::max(*std::max_element(run.procs.begin(), run.procs.end()) *
                                         *std::max_element(run.threads.begin(), run.threads.end()),
                                     base.processes * base.threads);
    if (run.weak &&
        !weak_fits(c, *run.weak, params, max_workers, values.source_path.at(run.weak->name)))
        ok = false;
    return ok;
}

// The point of the run with parameters `params` at P × T on N nodes.
Point make_point(const Run& run, const RunValues& values, const json& params, int P, int T, int N,
                 bool baseline_only) {
    const Level& level = run.level;
    Point pt;
    pt.run = run.index;
    pt.kernel = run.kernel;
    pt.params = run.weak ? weak_params(*run.weak, params, P * T) : params;
    pt.scaling = level.scaling.mode;
    if (run.weak) pt.per_worker = {{run.weak->name, params.at(run.weak->name)}};
    pt.axes = values.axes;
    pt.processes = P;
    pt.threads = T;
    pt.repetitions = level.repetitions;
    pt.warmup = level.warmup;
    pt.adaptive = level.adaptive;
    pt.timeout_s = level.timeout_s;
    pt.time_metric = level.time_metric;
    pt.launcher = level.launcher;
    pt.nodes = N;
    if (level.launcher == Launcher::mpi) pt.mpi_plugin = level.mpi_plugin;
    pt.env = level.env;
    for (auto& [k, v] : pinning_env(params)) pt.env[k] = v;
    for (auto& [k, v] : blas_env(params)) pt.env[k] = v;
    pt.baseline_processes = level.baseline.processes;
    pt.baseline_threads = level.baseline.threads;
    pt.baseline_only = baseline_only;
    return pt;
}

// Whether the point fits in the memory available (when that is known); the first three
// points that do not are reported, and `memory_errors` counts them all.
bool fits_memory(Checker& c, const Run& run, const Point& pt, const LoadOptions& options,
                 int& memory_errors) {
    if (!options.memory_available) return true;
    const int P = pt.processes, T = pt.threads, N = pt.nodes;
    const std::uint64_t items = run.kernel->items(pt.params);
    const std::uint64_t share = (items + P - 1) / P;
    // The ranks of an mpi point share their nodes' memory, not this node's.
    const int spread =
        run.level.launcher == Launcher::mpi
            ? std::min(P, N > 0 ? N : std::max(1, options.allocation_nodes.value_or(1)))
            : 1;
    const int here = (P + spread - 1) / spread;
    const double need = double(here) * double(run.kernel->memory_bytes(pt.params, share, T));
    if (need <= double(options.memory_available)) return true;
    if (memory_errors++ < 3)
        c.error(run.path, fmt::format("point {} processes={} threads={} needs about {} of memory, "
                                      "more than the {} available",
                                      pt.label(), P, T, format_bytes(need),
                                      format_bytes(double(options.memory_available))));
    return false;
}

// Adds the run's points to the sweep: for each parameter combination, the baseline first
// (flagged baseline_only when it is not on the grid), then the grid's P × T (× nodes).
void add_points(Checker& c, const Run& run, const RunValues& values,
                const std::vector<json>& combos, const LoadOptions& options, Sweep& sweep) {
    const Baseline& base = run.level.baseline;
    const std::vector<int>& procs = run.procs;
    const std::vector<int>& threads = run.threads;
    const std::vector<int>& node_counts = run.node_counts;
    int memory_errors = 0;
    for (const auto& params : combos) {
        if (!combination_ok(c, run, values, params)) continue;
        auto add = [&](int P, int T, int N, bool baseline_only) {
            Point pt = make_point(run, values, params, P, T, N, baseline_only);
            if (!fits_memory(c, run, pt, options, memory_errors)) return;
            pt.index = sweep.points.size();
            sweep.points.push_back(std::move(pt));
        };
        // With a nodes axis the baseline runs on 1 node; points with more nodes than ranks
        // cannot be placed and are left out.
        const int base_nodes = node_counts.empty() ? 0 : 1;
        const bool on_grid =
            std::find(procs.begin(), procs.end(), base.processes) != procs.end() &&
            std::find(threads.begin(), threads.end(), base.threads) != threads.end() &&
            (node_counts.empty() ||
             std::find(node_counts.begin(), node_counts.end(), 1) != node_counts.end());
        // The baseline comes first so that every later point's speedup is known when it ends.
        add(base.processes, base.threads, base_nodes, !on_grid);
        for (int N : node_counts.empty() ? std::vector<int>{0} : node_counts)
            for (int P : procs)
                for (int T : threads)
                    if (N <= P && !(P == base.processes && T == base.threads && N == base_nodes))
                        add(P, T, N, false);
    }
    if (memory_errors > 3)
        c.error(run.path,
                fmt::format("… and {} more points over the available memory", memory_errors - 3));
}

// Expands one run into the sweep's points, or reports why it cannot be.
void expand_run(Checker& c, const Run& run, const TopLevel& top, const LoadOptions& options,
                Sweep& sweep) {
    check_run_names(c, run);
    const std::optional<RunValues> values = merge_values(c, run, top);
    if (!values || run.procs.empty() || run.threads.empty()) return;
    // Cartesian product of the kernel parameters; P and T vary fastest.
    const std::vector<json> combos = cartesian(*values);
    if (combos.size() * run.procs.size() * run.threads.size() *
                std::max<std::size_t>(1, run.node_counts.size()) +
            sweep.points.size() >
        kMaxPoints) {
        c.error(run.path, fmt::format("expands to more than {} points", kMaxPoints));
        return;
    }
    add_points(c, run, *values, combos, options, sweep);
}

// Top-level params and grid axes must mean something to at least one run's kernel, and a
// top-level nodes axis to at least one mpi run.
void check_top_level_names(Checker& c, const TopLevel& top,
                           const std::set<std::string>& params_of_used_kernels, bool any_mpi_run) {
    std::vector<std::string> known(params_of_used_kernels.begin(), params_of_used_kernels.end());
    for (const auto& [key, v] : top.params.items())
        if (!params_of_used_kernels.count(key))
            c.error(member("params", key),
                    "no run's kernel has this parameter" + did_you_mean_clause(key, known));
    known.push_back("processes");
    known.push_back("threads");
    if (top.grid.contains("nodes") && !any_mpi_run)
        c.error(member("grid", "nodes"),
                "places MPI ranks on the nodes of a Slurm allocation: no run has \"launcher\": "
                "\"mpi\"");
    for (const auto& [key, v] : top.grid.items())
        if (!params_of_used_kernels.count(key) && key != "processes" && key != "threads" &&
            key != "nodes")
            c.error(member("grid", key),
                    "no run's kernel has this parameter" + did_you_mean_clause(key, known));
}

}  // namespace

Sweep parse_sweep(const json& doc, const LoadOptions& options) {
    Checker c;
    Sweep sweep;
    sweep.given = doc;
    sweep.usable_cores = std::max(1, options.usable_cores);
    sweep.base_dir = fs::absolute(options.base_dir.empty() ? fs::current_path() : options.base_dir)
                         .lexically_normal();
    c.files_from = sweep.base_dir;
    const TopLevel top = parse_top_level(c, doc, options, sweep);

    std::vector<std::string> kernel_ids;
    for (const Kernel* k : kernels()) kernel_ids.emplace_back(k->id());
    std::set<std::string> params_of_used_kernels;
    bool any_mpi_run = false;
    const json& runs = doc["runs"];
    for (std::size_t r = 0; r < runs.size(); ++r) {
        const Kernel* kernel = run_kernel(c, runs[r], element("runs", r), kernel_ids);
        if (!kernel) continue;
        const Run run = inherit_run(c, runs[r], r, *kernel, top, options, sweep.oversubscribe);
        for (const auto& s : run.specs) params_of_used_kernels.insert(s.name);
        any_mpi_run = any_mpi_run || run.level.launcher == Launcher::mpi;
        expand_run(c, run, top, options, sweep);
    }
    check_top_level_names(c, top, params_of_used_kernels, any_mpi_run);
    if (!c.errors.empty()) throw ConfigErrors(c.errors);
    for (const auto& w : c.warnings) sweep.warnings.push_back(w.to_string());
    return sweep;
}

json with_absolute_files(const json& doc, const fs::path& base_dir) {
    std::set<std::string> file_params;
    for (const Kernel* k : kernels())
        for (const auto& spec : k->params())
            if (spec.type == ParamType::File || spec.type == ParamType::Directory)
                file_params.insert(spec.name);
    json out = doc;
    auto fix = [&](json& v) {
        if (v.is_string() && !v.get<std::string>().empty() &&
            fs::path(v.get<std::string>()).is_relative())
            v = (base_dir / v.get<std::string>()).lexically_normal().string();
    };
    auto fix_level = [&](json& level) {
        if (!level.is_object()) return;
        for (const char* where : {"params", "grid"}) {
            if (!level.contains(where) || !level[where].is_object()) continue;
            for (auto& [key, v] : level[where].items()) {
                if (!file_params.count(key)) continue;
                if (v.is_array())
                    for (auto& e : v) fix(e);
                else
                    fix(v);
            }
        }
    };
    fix_level(out);
    if (out.is_object() && out.contains("runs") && out["runs"].is_array())
        for (auto& run : out["runs"]) fix_level(run);
    return out;
}

Sweep load_sweep(const fs::path& file, const LoadOptions& options) {
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw ConfigErrors({{"", "config file not found: " + file.string()}});
    if (fs::is_directory(file, ec))
        throw ConfigErrors({{"", file.string() + " is a directory, not a config file"}});
    std::string text;
    try {
        text = read_json_text(file, max_json_bytes(JsonKind::config));
    } catch (const JsonInputError& e) {
        throw ConfigErrors({{"", std::string(e.what())}});
    } catch (const std::invalid_argument& e) {  // PARSWEEP_MAX_JSON_BYTES is not a size
        throw ConfigErrors({{"", std::string(e.what())}});
    }
    LoadOptions opts = options;
    if (opts.default_name == "sweep") opts.default_name = file.stem().string();
    if (opts.base_dir.empty()) opts.base_dir = fs::absolute(file).parent_path();
    Sweep sweep = parse_sweep_text(text, file.string(), opts);
    sweep.source = file;
    return sweep;
}

Sweep parse_sweep_text(std::string_view text, const std::string& origin,
                       const LoadOptions& options) {
    json doc;
    try {
        doc = parse_json_strict(text, origin);
    } catch (const JsonInputError& e) {
        // A strict rule broken inside the document is named by its path, as the config's
        // other errors are: runs[0].params: duplicate key "n".
        if (e.kind() != JsonInputError::Kind::structure || e.path().empty())
            throw ConfigErrors({{"", std::string(e.what())}});
        std::string path;
        for (const auto& step : e.path())
            path = std::holds_alternative<std::size_t>(step)
                       ? element(path, std::get<std::size_t>(step))
                       : member(path, std::get<std::string>(step));
        throw ConfigErrors({{path, e.problem()}});
    }
    return parse_sweep(doc, options);
}

}  // namespace parsweep
