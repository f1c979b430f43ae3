#include "cli/schema.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "kernel.hpp"

namespace parsweep {

namespace {

using ojson = nlohmann::ordered_json;

// A bound as JSON: whole numbers as integers ("maximum": 3, not 3.0).
ojson bound(double v) {
    if (std::floor(v) == v && std::abs(v) < 0x1p53) return static_cast<std::int64_t>(v);
    return v;
}

// The schema of one value of parameter `spec`.
ojson value_schema(const ParamSpec& spec) {
    ojson s = ojson::object();
    switch (spec.type) {
        case ParamType::Integer:
            s["type"] = "integer";
            break;
        case ParamType::Number:
            s["type"] = "number";
            break;
        case ParamType::String:
            if (spec.choices.empty())
                s["type"] = "string";
            else
                s["enum"] = spec.choices;
            break;
        case ParamType::Boolean:
            s["type"] = "boolean";
            break;
        case ParamType::StringList:
            s = {{"type", "array"},
                 {"minItems", 1},
                 {"items", {{"type", "string"}, {"minLength", 1}}}};
            break;
        case ParamType::File:
        case ParamType::Directory:
            s = {{"type", "string"}, {"minLength", 1}};
            break;
        case ParamType::Scalar:
            s["type"] = {"number", "string", "boolean"};
            break;
    }
    if (spec.min) s["minimum"] = bound(*spec.min);
    if (spec.max) s["maximum"] = bound(*spec.max);
    s["description"] = spec.help;
    return s;
}

// A grid axis: a non-empty list of values.
ojson axis(ojson item) {
    return {{"type", "array"}, {"minItems", 1}, {"items", std::move(item)}};
}

// The rule "when kernel is `k`: its params and grid", the grid's process, thread and node
// axes copied from the template's top-level grid.
ojson kernel_rule(const Kernel& k, const ojson& top_grid) {
    ojson params = ojson::object(), grid = ojson::object();
    for (const char* common : {"processes", "threads", "nodes"})
        grid[common] = top_grid.at("properties").at(common);
    for (const auto& spec : k.params()) {
        params[spec.name] = value_schema(spec);
        grid[spec.name] = axis(params[spec.name]);
    }
    std::vector<std::string> refs = {"pinning/bind", "pinning/places", "pinning/cpu_set"};
    if (k.uses_blas()) refs.push_back("blas");
    for (const auto& ref : refs) {
        const std::string name = ref.substr(ref.rfind('/') + 1);
        params[name] = {{"$ref", "#/$defs/" + ref}};
        grid[name] = axis(params[name]);
    }
    // A kernel that takes the user's own variables (the command kernel's placeholders) allows
    // any other name with a scalar value, or a list of them on the grid.
    const ParamSpec variable{"",           ParamType::Scalar, nullptr, "a variable of your own",
                             std::nullopt, std::nullopt,      {}};
    auto object = [&](ojson properties, bool on_grid) {
        ojson extra = false;
        if (k.takes_variables())
            extra = on_grid ? axis(value_schema(variable)) : value_schema(variable);
        return ojson{{"type", "object"},
                     {"additionalProperties", std::move(extra)},
                     {"properties", std::move(properties)}};
    };
    return {{"if", {{"properties", {{"kernel", {{"const", k.id()}}}}}, {"required", {"kernel"}}}},
            {"then",
             {{"properties",
               {{"params", object(std::move(params), false)}, {"grid", object(grid, true)}}}}}};
}

}  // namespace

ojson config_schema() {
    ojson schema = ojson::parse(schema_template());
    ojson& run = schema["$defs"]["run"];
    for (const Kernel* k : kernels()) {
        if (k->hidden()) continue;
        run["properties"]["kernel"]["enum"].push_back(k->id());
        run["allOf"].push_back(kernel_rule(*k, schema["properties"]["grid"]));
    }
    return schema;
}

int cmd_schema() {
    fmt::print("{}\n", config_schema().dump(2));
    return 0;
}

Command add_schema_command(CLI::App& parsweep) {
    auto* cmd = parsweep.add_subcommand(
        "schema",
        "the JSON Schema of a config, from the kernels' parameters (configs/schema.json)");
    return {cmd, [] { return cmd_schema(); }};
}

}  // namespace parsweep
