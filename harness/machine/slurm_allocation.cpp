#include "machine/slurm_allocation.hpp"

#include <cstdlib>
#include <numeric>
#include <regex>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace parsweep {

namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// Splits at the commas that are outside brackets.
std::vector<std::string> top_level_items(const std::string& text) {
    std::vector<std::string> items;
    std::string item;
    int depth = 0;
    for (char c : text) {
        if (c == '[') ++depth;
        if (c == ']') --depth;
        if (depth < 0) throw std::invalid_argument("host list " + text + ": unbalanced ']'");
        if (c == ',' && depth == 0) {
            items.push_back(item);
            item.clear();
        } else {
            item += c;
        }
    }
    if (depth != 0) throw std::invalid_argument("host list " + text + ": unbalanced '['");
    items.push_back(item);
    return items;
}

// "prefix[1-3,07]suffix" with one bracket → its hosts; recursion handles more brackets.
void expand_item(const std::string& item, const std::string& whole, std::vector<std::string>& out) {
    const auto open = item.find('[');
    if (open == std::string::npos) {
        if (item.empty()) throw std::invalid_argument("host list " + whole + ": empty name");
        out.push_back(item);
        return;
    }
    const auto close = item.find(']', open);
    const std::string prefix = item.substr(0, open), suffix = item.substr(close + 1);
    static const std::regex range(R"((\d+)(?:-(\d+))?)");
    std::size_t from = open + 1;
    while (from <= close) {
        auto comma = item.find(',', from);
        if (comma == std::string::npos || comma > close) comma = close;
        const std::string part = item.substr(from, comma - from);
        std::smatch m;
        if (!std::regex_match(part, m, range))
            throw std::invalid_argument("host list " + whole + ": bad range \"" + part + "\"");
        const std::string lo = m[1].str(), hi = m[2].matched ? m[2].str() : lo;
        const long a = std::stol(lo), b = std::stol(hi);
        if (b < a || b - a > 100000)
            throw std::invalid_argument("host list " + whole + ": bad range \"" + part + "\"");
        for (long v = a; v <= b; ++v)
            expand_item(fmt::format("{}{:0{}}{}", prefix, v, lo.size(), suffix), whole, out);
        from = comma + 1;
    }
}

}  // namespace

std::vector<std::string> expand_hostlist(const std::string& text) {
    std::vector<std::string> hosts;
    if (text.empty()) return hosts;
    for (const auto& item : top_level_items(text)) expand_item(item, text, hosts);
    return hosts;
}

std::vector<int> expand_counts(const std::string& text) {
    static const std::regex count(R"((\d+)(?:\(x(\d+)\))?)");
    std::vector<int> out;
    std::size_t from = 0;
    while (from <= text.size() && !text.empty()) {
        auto comma = text.find(',', from);
        if (comma == std::string::npos) comma = text.size();
        const std::string part = text.substr(from, comma - from);
        std::smatch m;
        if (!std::regex_match(part, m, count) || part.size() > 18)
            throw std::invalid_argument("per-node counts " + text + ": bad item \"" + part + "\"");
        const int n = std::stoi(m[1].str());
        const long times = m[2].matched ? std::stol(m[2].str()) : 1;
        if (times > 100000)
            throw std::invalid_argument("per-node counts " + text + ": too many nodes");
        out.insert(out.end(), static_cast<std::size_t>(times), n);
        from = comma + 1;
    }
    return out;
}

int Allocation::total_cpus() const {
    return std::accumulate(cpus.begin(), cpus.end(), 0);
}

int Allocation::cpus_of(const std::string& node) const {
    for (std::size_t i = 0; i < nodes.size() && i < cpus.size(); ++i)
        if (nodes[i] == node) return cpus[i];
    return 0;
}

int Allocation::cpus_of(const std::vector<std::string>& used) const {
    int sum = 0;
    for (const auto& node : std::set<std::string>(used.begin(), used.end())) sum += cpus_of(node);
    return sum;
}

std::optional<Allocation> detect_allocation() {
    Allocation a;
    a.job_id = env_or_empty("SLURM_JOB_ID");
    if (a.job_id.empty()) return std::nullopt;
    try {
        std::string list = env_or_empty("SLURM_JOB_NODELIST");
        if (list.empty()) list = env_or_empty("SLURM_NODELIST");
        a.nodes = expand_hostlist(list);
        a.cpus = expand_counts(env_or_empty("SLURM_JOB_CPUS_PER_NODE"));
        a.tasks = expand_counts(env_or_empty("SLURM_TASKS_PER_NODE"));
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
    if (a.nodes.empty() || a.nodes.size() != a.cpus.size()) return std::nullopt;
    if (a.tasks.size() != a.nodes.size()) a.tasks.clear();
    return a;
}

json to_json(const Allocation& a) {
    json nodes = json::array();
    for (std::size_t i = 0; i < a.nodes.size(); ++i) {
        json n = {{"name", a.nodes[i]}, {"cpus", a.cpus[i]}};
        if (!a.tasks.empty()) n["tasks"] = a.tasks[i];
        nodes.push_back(std::move(n));
    }
    return {{"job_id", a.job_id}, {"nodes", nodes}, {"cpus", a.total_cpus()}};
}

Allocation allocation_from_json(const json& j) {
    Allocation a;
    a.job_id = j.value("job_id", "");
    for (const auto& n : j.at("nodes")) {
        a.nodes.push_back(n.at("name").get<std::string>());
        a.cpus.push_back(n.at("cpus").get<int>());
        if (n.contains("tasks")) a.tasks.push_back(n["tasks"].get<int>());
    }
    if (a.tasks.size() != a.nodes.size()) a.tasks.clear();
    return a;
}

std::optional<Allocation> allocation_of(const json& context) {
    const json* found = nullptr;
    if (context.contains("allocation")) found = &context["allocation"];
    if (context.contains("resumed") && context["resumed"].is_array())
        for (const auto& r : context["resumed"])
            if (r.contains("allocation")) found = &r["allocation"];
    if (!found || !found->is_object()) return std::nullopt;
    try {
        return allocation_from_json(*found);
    } catch (const json::exception&) {
        return std::nullopt;  // a record parsweep did not write: this node's cores then
    }
}

}  // namespace parsweep
