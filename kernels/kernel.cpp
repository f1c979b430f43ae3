// Helpers of the Kernel interface shared by every kernel.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "kernel.hpp"

namespace parsweep {

std::string_view to_string(ParamType type) {
    switch (type) {
        case ParamType::Integer:
            return "integer";
        case ParamType::Number:
            return "number";
        case ParamType::String:
            return "string";
        case ParamType::Boolean:
            return "boolean";
        case ParamType::StringList:
            return "list of strings";
        case ParamType::File:
            return "file";
        case ParamType::Directory:
            return "directory";
        case ParamType::Scalar:
            return "number, string or boolean";
    }
    return "?";
}

std::uint64_t count_param(const json& params, std::string_view kernel, const char* name) {
    const json& v = params.at(name);
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer()) {
        const auto i = v.get<std::int64_t>();
        if (i >= 0) return static_cast<std::uint64_t>(i);
    } else if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d >= 0 && d < 0x1p64 && d == std::floor(d)) return static_cast<std::uint64_t>(d);
    }
    throw std::invalid_argument(fmt::format(
        "{}: parameter {} must be a non-negative integer, got {}", kernel, name, v.dump()));
}

void require_share(std::string_view kernel, std::uint64_t begin, std::uint64_t end,
                   std::uint64_t items) {
    if (begin > end || end > items)
        throw std::out_of_range(
            fmt::format("{}: share [{}, {}) outside [0, {})", kernel, begin, end, items));
}

json merge_residual_checks(const std::vector<json>& partials, const char* count_key) {
    std::uint64_t count = 0;
    double worst = 0;
    for (const json& part : partials) {
        count += part.at(count_key).get<std::uint64_t>();
        const json& r = part.at("max_residual");
        worst = std::max(worst, r.is_number() ? r.get<double>() : DBL_MAX);
    }
    return {{count_key, count}, {"max_residual", worst}};
}

const ParamSpec* work_size_param(const Kernel& kernel) {
    for (const auto& spec : kernel.params())
        if (spec.work_size) return &spec;
    return nullptr;
}

std::pair<std::uint64_t, std::uint64_t> share_of(std::uint64_t items, int parts, int index) {
    const std::uint64_t p = static_cast<std::uint64_t>(parts),
                        i = static_cast<std::uint64_t>(index);
    const std::uint64_t base = items / p, extra = items % p;
    const std::uint64_t begin = i * base + std::min(i, extra);
    return {begin, begin + base + (i < extra ? 1 : 0)};
}

}  // namespace parsweep
