// `parsweep validate CONFIG`: a config checked, its points listed and its cost estimated.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "calibration/calibration_cache.hpp"
#include "cli/commands.hpp"
#include "machine/sysinfo.hpp"
#include "run/estimate.hpp"
#include "run/load.hpp"
#include "util/json_input.hpp"

namespace parsweep {

namespace {

constexpr int kBadInput = 2;

struct ValidateOptions {
    std::string config;
    std::optional<int> cores;  // --cores: overrides the detected usable cores
};

int cmd_validate(const std::string& config, std::optional<int> cores_opt) {
    const UsableCores cores = detect_usable_cores(cores_opt);
    auto sweep = load_or_report(config, cores);
    if (!sweep) return kBadInput;
    long reps = 0;
    std::size_t runs = 0;
    for (const auto& p : sweep->points) {
        reps += p.warmup + p.repetitions;
        runs = std::max(runs, p.run + 1);
    }
    fmt::print("{}: ok — {} points from {} runs, {} repetitions with warmups; usable cores {}\n",
               config, sweep->points.size(), runs, reps, cores.reason);
    for (const auto& p : sweep->points) {
        // A weak-scaling point's label shows its size per worker; here also what it runs.
        std::string weak;
        for (const auto& [name, v] : p.per_worker.items())
            weak += fmt::format("  {}={}", name, p.params[name].dump());
        fmt::print("  {:>4}  {}  P={} T={}{}{}\n", p.index, p.label(), p.processes, p.threads, weak,
                   p.baseline_only ? "  (baseline only)" : "");
    }
    for (const auto& line : estimate_lines(estimate_sweep(*sweep, cached_calibration(cores)),
                                           available_memory_bytes()))
        fmt::print("{}\n", line);
    return 0;
}

}  // namespace

Command add_validate_command(CLI::App& parsweep) {
    auto o = std::make_shared<ValidateOptions>();
    auto* cmd = parsweep.add_subcommand("validate", "check a config and list its points");
    cmd->add_option("config", o->config, "the sweep's JSON config")->required();
    cmd->add_option("--cores", o->cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));
    cmd->footer(std::string("Environment:\n") + kMaxJsonBytesHelp);

    return {cmd, [o] { return cmd_validate(o->config, o->cores); }};
}

}  // namespace parsweep
