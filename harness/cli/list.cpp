// `parsweep list`: the kernels and their parameters, as text or JSON.
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "kernel.hpp"
#include "machine/blas_axis.hpp"
#include "machine/pinning.hpp"
#include "report/reporter.hpp"
#include "sweep/config.hpp"

namespace parsweep {

namespace {

struct ListOptions {
    bool as_json = false;  // --json
    bool all = false;      // --all: also the hidden test kernels
};

int cmd_list(bool as_json, bool include_hidden) {
    auto specs_json = [](const std::vector<ParamSpec>& specs) {
        json params = json::array();
        for (const auto& s : specs) {
            json p = {{"name", s.name},
                      {"type", to_string(s.type)},
                      {"default", s.default_value},
                      {"help", s.help}};
            if (s.min) p["min"] = *s.min;
            if (s.max) p["max"] = *s.max;
            if (!s.choices.empty()) p["choices"] = s.choices;
            if (s.work_size) p["work_size"] = true;  // what "scaling": "weak" multiplies by P·T
            params.push_back(p);
        }
        return params;
    };
    json all = json::array();
    for (const Kernel* k : kernels()) {
        if (k->hidden() && !include_hidden) continue;
        all.push_back(
            {{"kernel", k->id()}, {"summary", k->summary()}, {"params", specs_json(k->params())}});
        all.back()["uses_blas"] = k->uses_blas();  // takes the blas axis (blas_axis.hpp)
    }
    if (as_json) {
        fmt::print("{}\n", all.dump(2));
        return 0;
    }
    auto print_params = [](const json& params, const char* absent) {
        for (const auto& p : params) {
            std::string range;
            if (p.contains("choices")) range = "one of " + param_text(p["choices"]);
            if (p.contains("min") || p.contains("max"))
                range = fmt::format(
                    "{} … {}",
                    p.contains("min") ? fmt::format("{:.15g}", p["min"].get<double>()) : "",
                    p.contains("max") ? fmt::format("{:.15g}", p["max"].get<double>()) : "");
            fmt::print(
                "    {:<12} {:<15} default {:<28} {}\n", p["name"].get<std::string>(),
                p["type"].get<std::string>(), p["default"].is_null() ? absent : p["default"].dump(),
                p["help"].get<std::string>() + (range.empty() ? "" : " [" + range + "]") +
                    (p.value("work_size", false) ? " (work size: × P·T in weak scaling)" : ""));
        }
    };
    for (const auto& k : all) {
        fmt::print("{}\n  {}\n", k["kernel"].get<std::string>(), k["summary"].get<std::string>());
        print_params(k["params"], "(required)");
        fmt::print("\n");
    }
    fmt::print("every kernel\n  pinning axes, under params or grid like a kernel parameter\n");
    print_params(specs_json(pinning_params()), "(unset)");
    fmt::print("\nkernels that use the BLAS (uses_blas in --json)\n");
    print_params(specs_json(blas_params()), "(unset)");
    return 0;
}

}  // namespace

Command add_list_command(CLI::App& parsweep) {
    auto o = std::make_shared<ListOptions>();
    auto* cmd = parsweep.add_subcommand("list", "the kernels and their parameters");
    cmd->add_flag("--json", o->as_json, "as JSON");
    cmd->add_flag("--all", o->all, "also the kernels for testing parsweep itself (fault)");

    return {cmd, [o] { return cmd_list(o->as_json, o->all); }};
}

}  // namespace parsweep
