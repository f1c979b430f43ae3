#include "sweep/overrides.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "sweep/config.hpp"
#include "util/did_you_mean.hpp"

namespace parsweep {

json RunOverrides::to_json() const {
    if (empty()) return nullptr;
    json j = json::object();
    if (repetitions) j["repetitions"] = *repetitions;
    if (warmup) j["warmup"] = *warmup;
    if (!only.empty()) j["only"] = only;
    return j;
}

RunOverrides RunOverrides::from_json(const json& j) {
    RunOverrides o;
    if (j.is_null()) return o;
    try {
        if (j.contains("repetitions")) o.repetitions = j["repetitions"].get<int>();
        if (j.contains("warmup")) o.warmup = j["warmup"].get<int>();
        if (j.contains("only")) o.only = j["only"].get<std::vector<std::string>>();
    } catch (const json::exception& e) {
        throw std::runtime_error("config.overrides: " + std::string(e.what()));
    }
    return o;
}

namespace {

using Filter = std::vector<std::pair<std::string, std::string>>;  // key, value: all must match

// The value of `key` at `p` as text, or nullopt when the point has no such key.
std::optional<std::string> value_of(const Point& p, const std::string& key) {
    if (key == "kernel") return std::string(p.kernel->id());
    if (key == "P" || key == "processes") return std::to_string(p.processes);
    if (key == "T" || key == "threads") return std::to_string(p.threads);
    if (p.params.contains(key)) return param_text(p.params[key]);
    return std::nullopt;
}

std::optional<double> number(const std::string& text) {
    try {
        std::size_t used = 0;
        const double d = std::stod(text, &used);
        if (used == text.size()) return d;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

bool matches(const Point& p, const Filter& filter) {
    for (const auto& [key, want] : filter) {
        const auto have = value_of(p, key);
        if (!have) return false;
        if (*have == want) continue;
        const auto a = number(*have), b = number(want);
        if (!(a && b && *a == *b)) return false;
    }
    return true;
}

// Every key a filter may name, with the values the sweep has for it (in first-seen order).
std::vector<std::pair<std::string, std::vector<std::string>>> keys_and_values(const Sweep& s) {
    std::vector<std::pair<std::string, std::vector<std::string>>> out = {
        {"kernel", {}}, {"P", {}}, {"T", {}}};
    auto add = [&](const std::string& key, const std::string& value) {
        auto it =
            std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == key; });
        if (it == out.end()) it = out.insert(out.end(), {key, {}});
        if (std::find(it->second.begin(), it->second.end(), value) == it->second.end())
            it->second.push_back(value);
    };
    for (const auto& p : s.points) {
        add("kernel", std::string(p.kernel->id()));
        add("P", std::to_string(p.processes));
        add("T", std::to_string(p.threads));
        for (const auto& [name, v] : p.params.items()) add(name, param_text(v));
    }
    return out;
}

Filter parse_filter(const std::string& text, const Sweep& sweep) {
    const auto known = keys_and_values(sweep);
    std::vector<std::string> names = {"processes", "threads"};
    for (const auto& [k, v] : known) names.push_back(k);
    Filter filter;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string pair = text.substr(start, comma - start);
        const std::size_t eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw OverrideError(fmt::format(
                "--only '{}': \"{}\" is not key=value (e.g. --only 'kernel=invert,P=2')", text,
                pair));
        const std::string key = pair.substr(0, eq);
        if (std::find(names.begin(), names.end(), key) == names.end()) {
            throw OverrideError(fmt::format("--only '{}': unknown key \"{}\"{}; the keys are {}",
                                            text, key, did_you_mean_clause(key, names),
                                            fmt::join(names.begin() + 2, names.end(), ", ")));
        }
        filter.emplace_back(key, pair.substr(eq + 1));
        start = comma + 1;
    }
    return filter;
}

}  // namespace

void apply_overrides(Sweep& sweep, const RunOverrides& o) {
    if (o.empty()) return;
    for (auto& p : sweep.points) {
        if (o.repetitions) {  // exactly that many: adaptive repetitions off
            p.repetitions = *o.repetitions;
            p.adaptive.max_repetitions = 0;
        }
        if (o.warmup) p.warmup = *o.warmup;
    }
    if (!o.only.empty()) {
        std::vector<bool> keep(sweep.points.size(), false);
        for (const auto& text : o.only) {
            const Filter filter = parse_filter(text, sweep);
            bool any = false;
            for (std::size_t i = 0; i < sweep.points.size(); ++i)
                if (matches(sweep.points[i], filter)) keep[i] = any = true;
            if (!any) {
                std::string have;
                for (const auto& [k, values] : keys_and_values(sweep))
                    have += fmt::format("\n  {}: {}", k, fmt::join(values, ", "));
                throw OverrideError(
                    fmt::format("--only '{}' matches no point of the sweep; its keys and values:{}",
                                text, have));
            }
        }
        // The baselines of the kept points: their speedups are against them.
        std::set<std::string> groups;
        for (std::size_t i = 0; i < keep.size(); ++i)
            if (keep[i]) groups.insert(sweep.points[i].group_key());
        std::vector<Point> kept;
        for (std::size_t i = 0; i < keep.size(); ++i) {
            const Point& p = sweep.points[i];
            if (keep[i] || (p.is_baseline() && groups.count(p.group_key()))) {
                kept.push_back(p);
                kept.back().index = kept.size() - 1;
            }
        }
        sweep.points = std::move(kept);
    }
    sweep.overrides = o.to_json();
}

}  // namespace parsweep
