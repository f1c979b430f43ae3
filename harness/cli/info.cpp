// `parsweep info`: what the machine and libraries look like, as text or as the context JSON.
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "launch/mpi_launcher.hpp"
#include "machine/slurm_allocation.hpp"
#include "machine/sysinfo.hpp"
#include "util/install_paths.hpp"
#include "util/units.hpp"

namespace parsweep {

namespace {

struct InfoOptions {
    bool as_json = false;      // --json: the context recorded in sweep.json
    std::optional<int> cores;  // --cores: overrides the detected usable cores
};

int cmd_info(bool as_json, std::optional<int> cores_opt) {
    const UsableCores cores = detect_usable_cores(cores_opt);
    json ctx = run_context(cores);
    ctx["mpi"] = mpi_info(self_executable());
    if (as_json) {
        fmt::print("{}\n", ctx.dump(2));
        return 0;
    }
    const json& t = ctx["topology"];
    const json& b = ctx["blas"];
    const json& o = ctx["openmp"];
    fmt::print("host          {} ({})\n", ctx["host"].get<std::string>(),
               ctx["os"].get<std::string>());
    fmt::print("cpu           {}\n", t.value("cpu_model", "unknown"));
    fmt::print(
        "topology      {} package(s), {} physical cores, {} logical CPUs (PUs), {} NUMA node(s)\n",
        t.value("packages", 0), t.value("cores", 0), t.value("pus", 0), t.value("numa_nodes", 0));
    if (t.contains("caches"))
        for (const auto& [name, c] : t["caches"].items()) {
            const int line_bytes = c.value("line_bytes", 0);  // 0: hwloc does not say
            fmt::print("cache {:<7} {} KiB × {}{}\n", name, c["size_kib"].get<long>(),
                       c["count"].get<int>(),
                       line_bytes > 0 ? fmt::format(", {}-byte lines", line_bytes) : "");
        }
    fmt::print("usable cores  {}\n", cores.reason);
    if (const auto a = allocation_of(ctx)) {
        std::string nodes;
        for (std::size_t i = 0; i < a->nodes.size(); ++i)
            nodes += fmt::format("{}{} ({} CPUs)", i ? ", " : "", a->nodes[i], a->cpus[i]);
        fmt::print("slurm job     {}: {} CPUs on {} node{} for MPI ranks: {}\n", a->job_id,
                   a->total_cpus(), a->nodes.size(), a->nodes.size() == 1 ? "" : "s", nodes);
    }
    fmt::print("memory        {} total, {} available\n",
               format_bytes(ctx["memory"]["total_bytes"].get<double>()),
               format_bytes(ctx["memory"]["available_bytes"].get<double>()));
    fmt::print("openmp        {} {} ({}), OpenMP {}, {} threads by default here\n",
               o["runtime_name"].get<std::string>(), o["runtime_version"].get<std::string>(),
               o["runtime"].get<std::string>(), o["version"].get<std::string>(),
               o["max_threads"].get<int>());
    fmt::print("              {}\n", o["wait_policy"]["effect"].get<std::string>());
    if (b.contains("error")) {
        fmt::print("blas          unavailable: {}\n", b["error"].get<std::string>());
    } else {
        fmt::print(
            "blas          {} {} ({}, core {}); threads: set per point by the threads axis\n",
            b["name"].get<std::string>(), b["version"].get<std::string>(),
            b["threading"].get<std::string>(), b["core"].get<std::string>());
        fmt::print("              config: {}\n", b["config"].get<std::string>());
        fmt::print(
            "              BLAS from {}\n              LAPACK from {}\n              LAPACKE from "
            "{}\n",
            b["blas_library"].get<std::string>(), b["lapack_library"].get<std::string>(),
            b["lapacke_library"].get<std::string>());
    }
    const json& mpi = ctx["mpi"];
    if (mpi.contains("unavailable"))
        fmt::print("mpi           launcher \"mpi\" unavailable: {}\n",
                   mpi["unavailable"].get<std::string>());
    else
        fmt::print("mpi           {}\n              ranks started by {} ({})\n",
                   mpi["library"].get<std::string>(), mpi["launcher_path"].get<std::string>(),
                   mpi["launcher_version"].get<std::string>());
    const json& build = ctx["build"];
    fmt::print("parsweep      {} ({}), {} build, {} {}\n",
               build["parsweep_version"].get<std::string>(), build["git_commit"].get<std::string>(),
               build["build_type"].get<std::string>(), build["compiler"].get<std::string>(),
               build["flags"].get<std::string>());
    if (!ctx["env"].empty()) {
        fmt::print("environment  ");
        for (const auto& [k, v] : ctx["env"].items()) fmt::print(" {}={}", k, v.get<std::string>());
        fmt::print("\n");
    }
    return 0;
}

}  // namespace

Command add_info_command(CLI::App& parsweep) {
    auto o = std::make_shared<InfoOptions>();
    auto* cmd = parsweep.add_subcommand("info", "what the machine and libraries look like");
    cmd->add_flag("--json", o->as_json, "as JSON (the context recorded in sweep.json)");
    cmd->add_option("--cores", o->cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));

    return {cmd, [o] { return cmd_info(o->as_json, o->cores); }};
}

}  // namespace parsweep
