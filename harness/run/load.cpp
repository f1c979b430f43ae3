#include "run/load.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "launch/mpi_launcher.hpp"
#include "machine/slurm_allocation.hpp"
#include "sweep/lesson_hint.hpp"
#include "util/install_paths.hpp"
#include "util/term_style.hpp"

namespace parsweep {

std::optional<Sweep> load_or_report(const std::string& config, const UsableCores& cores,
                                    bool for_job) {
    try {
        LoadOptions options{cores.count, available_memory_bytes(), "sweep",
                            mpi_unavailable(self_executable())};
        if (for_job) {
            options.allocation_nodes = std::nullopt;
        } else if (const auto allocation = detect_allocation()) {
            options.allocation_nodes = int(allocation->nodes.size());
            options.allocation_cpus = allocation->total_cpus();
        }
        Sweep sweep = load_sweep(config, options);
        for (const auto& w : sweep.warnings) fmt::print(stderr, "warning: {}: {}\n", config, w);
        return sweep;
    } catch (const ConfigErrors& e) {
        for (const auto& err : e.errors()) {
            if (err.path.empty())
                fmt::print(stderr, "{} {}\n", error_label(stderr), err.message);
            else
                fmt::print(stderr, "{} {}: {}: {}\n", error_label(stderr), config, err.path,
                           err.message);
        }
        if (auto hint = lesson_hint(config, self_executable())) fmt::print(stderr, "{}\n", *hint);
        fmt::print(stderr, "{} problem{} in {}; nothing was run\n", e.errors().size(),
                   e.errors().size() == 1 ? "" : "s", config);
        return std::nullopt;
    }
}

}  // namespace parsweep
