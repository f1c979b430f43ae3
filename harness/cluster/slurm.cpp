#include "cluster/slurm.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "launch/launcher.hpp"
#include "machine/sysinfo.hpp"
#include "run/load.hpp"
#include "sweep/config.hpp"
#include "util/files.hpp"
#include "util/json_input.hpp"
#include "util/subprocess.hpp"
#include "util/term_style.hpp"

namespace parsweep {

namespace fs = std::filesystem;

namespace {

constexpr int kBadInput = 2;
constexpr int kDefaultParts = 4;

// Characters #SBATCH lines can carry without quoting; '%' is excluded because --output
// expands it (%j, %a, …).
bool sbatch_safe(const std::string& text) {
    static const std::regex safe("[A-Za-z0-9_./+@:,=~-]+");
    return std::regex_match(text, safe);
}

std::string part_dir(const SlurmJob& job, int k) {
    return fmt::format("{}/part-{}", job.dir, k);
}

// The #SBATCH lines both scripts share: where they start, the account and partition.
std::string common_directives(const SlurmJob& job) {
    std::string s = fmt::format("#SBATCH --chdir={}\n", job.workdir);
    if (!job.partition.empty()) s += fmt::format("#SBATCH --partition={}\n", job.partition);
    if (!job.account.empty()) s += fmt::format("#SBATCH --account={}\n", job.account);
    return s;
}

// `sbatch --parsable ARGS… SCRIPT`: the job id, or "" after printing why not.
std::string sbatch(std::vector<std::string> args, const std::string& script) {
    args.insert(args.begin(), {"sbatch", "--parsable"});
    args.push_back(script);
    std::string out;
    const int status = run_program(args, Output::capture, &out);
    if (status < 0) {
        fmt::print(stderr,
                   "{} cannot run sbatch ({}): is this a Slurm login node? Submit {} from "
                   "one yourself\n",
                   error_label(stderr), out, script);
        return "";
    }
    // --parsable prints "jobid" or "jobid;cluster".
    const std::string id = out.substr(0, out.find_first_of(";\n"));
    if (status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
        fmt::print(stderr, "{} sbatch {} failed (exit status {}){}\n", error_label(stderr), script,
                   status, out.empty() ? "" : ": " + out);
        return "";
    }
    return id;
}

}  // namespace

bool is_slurm_time(const std::string& text) {
    static const std::regex time(
        R"(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|UNLIMITED|INFINITE|unlimited|infinite)");
    return std::regex_match(text, time);
}

std::string shell_quote(const std::string& text) {
    static const std::regex plain("[A-Za-z0-9_./+@:,=%-]+");
    if (std::regex_match(text, plain)) return text;
    std::string q = "'";
    for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::vector<std::string> slurm_option_problems(const SlurmOptions& o) {
    std::vector<std::string> problems;
    if (o.parts && *o.parts < 1)
        problems.push_back(fmt::format("--parts {}: must be ≥ 1", *o.parts));
    if (o.nodes && *o.nodes < 1)
        problems.push_back(fmt::format("--nodes {}: must be ≥ 1", *o.nodes));
    if (o.cpus_per_task && *o.cpus_per_task < 1)
        problems.push_back(fmt::format("--cpus-per-task {}: must be ≥ 1", *o.cpus_per_task));
    if (!o.time.empty() && !is_slurm_time(o.time))
        problems.push_back(fmt::format(
            "--time {}: not a Slurm time limit (minutes, HH:MM:SS, D-HH:MM:SS or UNLIMITED)",
            shell_quote(o.time)));
    for (const auto& [option, value] :
         {std::pair{"--partition", &o.partition}, std::pair{"--account", &o.account}})
        if (!value->empty() && !sbatch_safe(*value))
            problems.push_back(
                fmt::format("{} {}: must be a Slurm name (letters, digits and _ . , - + @ : = ~)",
                            option, shell_quote(*value)));
    return problems;
}

std::string array_script(const SlurmJob& job) {
    return fmt::format(
        "#!/bin/bash\n"
        "# parsweep as a Slurm job array, written by `parsweep slurm`: task K of {parts} runs\n"
        "# the K-th of {parts} disjoint shares of the {points} points of sweep \"{name}\"\n"
        "# into {dir}/part-K. When every task has ended, join the parts into one run with\n"
        "#   {merge}\n"
        "# (or submit merge.sbatch with --dependency=afterany:<this job's id>).\n"
        "#SBATCH --job-name=parsweep-{name}\n"
        "#SBATCH --array=1-{parts}\n"
        "# {cpus} CPU(s) on each of {nodes} node(s): parsweep runs on the first, launcher \"mpi\"\n"
        "# ranks spread over all of them.\n"
        "#SBATCH --nodes={nodes}\n"
        "#SBATCH --ntasks-per-node=1\n"
        "#SBATCH --cpus-per-task={cpus}\n"
        "{time}"
        "#SBATCH --output={dir}/logs/part-%a.out\n"
        "{common}"
        "set -euo pipefail\n"
        "# Since Slurm 22.05 srun no longer inherits --cpus-per-task; without this the step\n"
        "# would get 1 CPU. Thread counts are left to parsweep (the grid's threads axis).\n"
        "export SRUN_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK\n"
        "part={dir}/part-$SLURM_ARRAY_TASK_ID\n"
        "# parsweep's own step holds one node's CPUs; the ranks' steps overlap it (srun "
        "--overlap).\n"
        "if [[ -f $part/sweep.json ]]; then\n"
        "    # This task ran before (requeued, or submitted again with --array=K after its\n"
        "    # time limit): only the points its part is missing.\n"
        "    srun --nodes=1 --ntasks=1 {parsweep} run --resume \"$part\"\n"
        "else\n"
        "    srun --nodes=1 --ntasks=1 {parsweep} run {config} --part "
        "\"$SLURM_ARRAY_TASK_ID/{parts}\" --out \"$part\"\n"
        "fi\n",
        fmt::arg("parts", job.parts), fmt::arg("points", job.points), fmt::arg("name", job.name),
        fmt::arg("dir", job.dir), fmt::arg("merge", merge_command(job)),
        fmt::arg("nodes", job.nodes), fmt::arg("cpus", job.cpus_per_task),
        fmt::arg("time", job.time.empty() ? "" : "#SBATCH --time=" + job.time + "\n"),
        fmt::arg("common", common_directives(job)), fmt::arg("parsweep", shell_quote(job.parsweep)),
        fmt::arg("config", shell_quote(job.dir + "/config.json")));
}

std::string merge_command(const SlurmJob& job) {
    std::string cmd = shell_quote(job.parsweep) + " merge";
    for (int k = 1; k <= job.parts; ++k) cmd += fmt::format(" {}", shell_quote(part_dir(job, k)));
    return fmt::format("{} --out {} --replace", cmd, shell_quote(job.dir + "/merged"));
}

std::string merge_script(const SlurmJob& job) {
    return fmt::format(
        "#!/bin/bash\n"
        "# Joins the {parts} parts of parsweep-{name} (array.sbatch) into one run, {dir}/merged.\n"
        "# Submit it with --dependency=afterany:<the array's job id>: afterany rather than\n"
        "# afterok, because a part whose points partly failed ends with status 1 and is still\n"
        "# merged (its failures are reported); a part that did not finish makes the merge end\n"
        "# non-zero, naming the part or the points it is missing.\n"
        "#SBATCH --job-name=parsweep-{name}-merge\n"
        "#SBATCH --nodes=1\n"
        "#SBATCH --ntasks=1\n"
        "#SBATCH --cpus-per-task=1\n"
        "#SBATCH --time=0:15:00\n"
        "#SBATCH --output={dir}/logs/merge.out\n"
        "{common}"
        "set -euo pipefail\n"
        "{merge}\n",
        fmt::arg("parts", job.parts), fmt::arg("name", job.name), fmt::arg("dir", job.dir),
        fmt::arg("common", common_directives(job)), fmt::arg("merge", merge_command(job)));
}

namespace {

// The job the options and the sweep make, and what is wrong with the options given the sweep
// (added to `problems`): more nodes than --nodes, more parts than points.
SlurmJob plan_job(const SlurmOptions& options, const Sweep& sweep, const UsableCores& cores,
                  std::vector<std::string>& problems) {
    int axis_nodes = 1;
    for (const auto& p : sweep.points) axis_nodes = std::max(axis_nodes, p.nodes);
    SlurmJob job;
    job.name = sweep.name;
    job.parsweep = self_executable();
    job.workdir = fs::current_path().string();
    job.points = sweep.points.size();
    job.parts = options.parts.value_or(std::min<int>(kDefaultParts, int(job.points)));
    job.nodes = options.nodes.value_or(axis_nodes);
    if (options.nodes && *options.nodes < axis_nodes)
        problems.push_back(fmt::format("--nodes {}: {}'s nodes axis goes up to {}", *options.nodes,
                                       options.config, axis_nodes));
    job.cpus_per_task = options.cpus_per_task.value_or(cores.count);
    job.time = options.time;
    job.partition = options.partition;
    job.account = options.account;
    if (options.parts && *options.parts > int(job.points))
        problems.push_back(fmt::format("--parts {}: {} has only {} points", *options.parts,
                                       options.config, job.points));
    return job;
}

// --out as an absolute path ("" without it), after adding to `problems` what is wrong with it
// or with any path the #SBATCH lines would carry (the default --out, the current directory,
// the binary).
fs::path check_paths(const SlurmOptions& options, const Sweep& sweep, const SlurmJob& job,
                     std::vector<std::string>& problems) {
    fs::path dir;
    if (!options.out.empty()) {
        dir = fs::absolute(options.out).lexically_normal();
        if (fs::exists(dir) && !(fs::is_directory(dir) && fs::is_empty(dir)))
            problems.push_back(fmt::format(
                "--out {}: exists and is not an empty directory; choose another", dir.string()));
    }
    // Without --out: results/<date>-<name>-slurm, whose name and root must fit too.
    const std::string default_dir =
        (fs::absolute(options.results_root) / ("date-" + sweep.name + "-slurm")).string();
    for (const auto& [what, path] : {std::pair{"--out", dir.string()},
                                     std::pair{"the default --out", dir.empty() ? default_dir : ""},
                                     std::pair{"the current directory", job.workdir},
                                     std::pair{"the parsweep binary", job.parsweep}})
        if (!path.empty() && !sbatch_safe(path))
            problems.push_back(fmt::format(
                "{} {}: #SBATCH lines cannot carry this path (spaces, quotes or %); use one "
                "without them",
                what, shell_quote(path)));
    return dir;
}

// Prints every problem and how many; true when there were any (nothing is then written).
bool report_problems(const std::vector<std::string>& problems) {
    if (problems.empty()) return false;
    for (const auto& p : problems) fmt::print(stderr, "{} {}\n", error_label(stderr), p);
    fmt::print(stderr, "{} problem{}; nothing was written\n", problems.size(),
               problems.size() == 1 ? "" : "s");
    return true;
}

// Makes the job's directory (`dir`, else a new results/<date>-<name>-slurm) with its config
// copy, scripts and logs/, and sets job.dir. False after saying why not; a directory it made
// is then removed, so that nothing is left half-written.
bool write_job(SlurmJob& job, fs::path dir, const SlurmOptions& options, const Sweep& sweep) {
    const bool made = dir.empty() || !fs::exists(dir);
    try {
        if (dir.empty())
            dir = fs::absolute(make_run_dir(options.results_root, sweep.name + "-slurm"));
        job.dir = dir.string();
        fs::create_directories(dir / "logs");
        // Read as load_sweep read it (a FIFO or a file grown too big is refused, not copied).
        const std::string text = read_json_text(options.config, max_json_bytes(JsonKind::config));
        // The copy sits in another directory: its relative files are made absolute.
        const json absolute = with_absolute_files(sweep.given, sweep.base_dir);
        write_atomic(dir / "config.json", absolute == sweep.given ? text : absolute.dump(2) + "\n");
        for (const auto& [file, script] : {std::pair{"array.sbatch", array_script(job)},
                                           std::pair{"merge.sbatch", merge_script(job)}}) {
            write_atomic(dir / file, script);
            fs::permissions(dir / file, fs::perms::owner_exec, fs::perm_options::add);
        }
        return true;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{} cannot write the scripts into {}: {}\n", error_label(stderr),
                   dir.string(), e.what());
        std::error_code ignored;
        if (made && !dir.empty()) fs::remove_all(dir, ignored);  // nothing half-written
        return false;
    }
}

// Submits the array, then the merge to run after it; prints the job ids. The exit status:
// 0, or 2 when sbatch refused either (said, with what to do instead).
int submit(const SlurmJob& job) {
    const std::string array_id = sbatch({}, job.dir + "/array.sbatch");
    if (array_id.empty()) return kBadInput;
    fmt::print("submitted job array {} ({} tasks); logs in {}/logs\n", array_id, job.parts,
               job.dir);
    const std::string merge_id =
        sbatch({"--dependency=afterany:" + array_id}, job.dir + "/merge.sbatch");
    if (merge_id.empty()) {
        fmt::print(stderr, "the array runs; merge its parts when every task has ended:\n  {}\n",
                   merge_command(job));
        return kBadInput;
    }
    fmt::print(
        "submitted merge job {}, to run when the array has ended: {}/merged\n"
        "  {}\n"
        "follow them with: squeue -j {},{}\n",
        merge_id, job.dir, merge_command(job), array_id, merge_id);
    return 0;
}

}  // namespace

int cmd_slurm(const SlurmOptions& options) {
    auto problems = slurm_option_problems(options);
    // The tasks expand "auto" grids with their own usable cores, the CPUs per task.
    const UsableCores cores = detect_usable_cores(options.cpus_per_task);
    const auto sweep = load_or_report(options.config, cores, /*for_job=*/true);
    if (!sweep) return kBadInput;
    SlurmJob job = plan_job(options, *sweep, cores, problems);
    const fs::path dir = check_paths(options, *sweep, job, problems);
    if (report_problems(problems)) return kBadInput;
    if (!write_job(job, dir, options, *sweep)) return kBadInput;

    fmt::print(
        "{}/array.sbatch: a job array of {} tasks over the {} points of {} ({} CPU{} per "
        "task, {} node{} each)\n",
        job.dir, job.parts, job.points, options.config, job.cpus_per_task,
        job.cpus_per_task == 1 ? "" : "s", job.nodes, job.nodes == 1 ? "" : "s");
    const bool mpi = std::any_of(sweep->points.begin(), sweep->points.end(),
                                 [](const Point& p) { return p.launcher == Launcher::mpi; });
    if (job.nodes > 1 && !mpi)
        fmt::print(
            "note: a part's workers all run on the first node of its allocation; more "
            "nodes help only the mpi launcher\n");
    if (options.submit) return submit(job);
    fmt::print(
        "submit it:     sbatch {0}/array.sbatch\n"
        "then merge:    sbatch --dependency=afterany:<job id> {0}/merge.sbatch\n"
        "or, when every task has ended:\n  {1}\n",
        job.dir, merge_command(job));
    return 0;
}

}  // namespace parsweep
