// parsweep: parse the command line, then hand over to one subcommand (commands.hpp).
#include <csignal>
#include <cstring>

#include <CLI/CLI.hpp>

#include "build_info.hpp"
#include "cli/cli_help.hpp"
#include "cli/commands.hpp"
#include "cli/plot_command.hpp"
#include "cli/schema.hpp"
#include "cluster/slurm.hpp"
#include "launch/worker.hpp"
#include "machine/calibrate.hpp"

int main(int argc, char** argv) {
    // The workers of a copy of parsweep without parsweep-worker beside it (launcher.hpp
    // worker_command): started thousands of times per sweep, so straight to it.
    if (argc == 2 && std::strcmp(argv[1], "worker") == 0) return parsweep::worker_main();
    // A worker that dies must not take the parent with it through a write to its pipe.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"parsweep: sweep processes × threads × parameters over verified kernels",
                 "parsweep"};
    app.set_version_flag("--version", std::string("parsweep ") + PARSWEEP_VERSION + " (" +
                                          PARSWEEP_GIT_COMMIT + ")");
    app.require_subcommand(1);

    parsweep::RunOptions run;
    std::optional<int> cores;
    auto* run_cmd = app.add_subcommand("run", "run a sweep and write its results");
    run_cmd->add_option("config", run.config, "the sweep's JSON config (optional with --resume)");
    run_cmd->add_option("--resume", run.resume,
                        "complete an interrupted run in this directory: only its missing points");
    run_cmd->add_option("--out", run.out, "results directory (default results/<date>-<name>)");
    run_cmd->add_option("--results", run.results_root, "where default results directories go")
        ->capture_default_str();
    run_cmd->add_option("--cores", cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));
    run_cmd->add_flag("-q,--quiet", run.quiet,
                      "no progress output; a calibration's start and end are still said (-qq: "
                      "not those either)");
    run_cmd->add_flag("--no-calibrate", run.no_calibrate,
                      "do not measure or record the machine's limits (parsweep calibrate); "
                      "also PARSWEEP_NO_CALIBRATE=1");
    run_cmd->footer(
        "The first run on a machine (host, usable cores, BLAS and OpenMP settings) measures a "
        "quick calibration before its first point, once (often a minute or more; longer in a "
        "busy batch job), and caches it in $PARSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/parsweep, "
        "else ~/.cache/parsweep. Its start and end are said on stderr.\n\n"
        "Environment:\n"
        "  PARSWEEP_NO_CALIBRATE=1   as --no-calibrate (1, true, yes; 0, false, no or unset: "
        "calibrate); any other value is an error\n"
        "  PARSWEEP_CACHE_DIR=DIR    where calibrations are cached");
    run_cmd->add_option("--part", run.part,
                        "K/N: run only the K-th of N disjoint shares of the points (job arrays; "
                        "join them with parsweep merge)");
    run_cmd
        ->add_option("--repetitions", run.overrides.repetitions,
                     "repetitions of every point, instead of the config's")
        ->check(CLI::Range(1, 100000));
    run_cmd
        ->add_option("--warmup", run.overrides.warmup,
                     "unrecorded warm-up repetitions of every point, instead of the config's")
        ->check(CLI::Range(0, 1000));
    run_cmd->add_option("--only", run.overrides.only,
                        "only the points matching key=value[,key=value…] (keys: kernel, P, T and "
                        "the kernels' parameters; comma = and, several --only = or), and their "
                        "baselines");
    run_cmd->add_option("--export-markdown", run.markdown,
                        "also write the summary table to this file as a Markdown table");

    std::string config;
    auto* validate_cmd = app.add_subcommand("validate", "check a config and list its points");
    validate_cmd->add_option("config", config, "the sweep's JSON config")->required();
    validate_cmd->add_option("--cores", cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));

    bool as_json = false, list_all = false;
    auto* list_cmd = app.add_subcommand("list", "the kernels and their parameters");
    list_cmd->add_flag("--json", as_json, "as JSON");
    list_cmd->add_flag("--all", list_all, "also the kernels for testing parsweep itself (fault)");

    auto* schema_cmd = app.add_subcommand(
        "schema",
        "the JSON Schema of a config, from the kernels' parameters (configs/schema.json)");
    auto* info_cmd = app.add_subcommand("info", "what the machine and libraries look like");
    info_cmd->add_flag("--json", as_json, "as JSON (the context recorded in sweep.json)");
    info_cmd->add_option("--cores", cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));

    parsweep::CorpusOptions corpus;
    auto* corpus_cmd = app.add_subcommand(
        "corpus",
        "a text to count words in: copies of one you have (--from), or generated "
        "English-like text (the workshop text's stand-in offline)");
    corpus_cmd->add_option("--size", corpus.size,
                           "size of the text, e.g. 1G, 512M (default: the workshop text's)");
    corpus_cmd->add_option("--from", corpus.from, "the text to copy (default: generate one)");
    corpus_cmd->add_option("--seed", corpus.seed, "the generated text's seed")
        ->capture_default_str();
    corpus_cmd->add_option("--out", corpus.out, "the file to write")->required();

    parsweep::SlurmOptions slurm;
    auto* slurm_cmd = app.add_subcommand(
        "slurm", "write (and --submit) a Slurm job array that runs a sweep in parts");
    slurm_cmd->add_option("config", slurm.config, "the sweep's JSON config")->required();
    slurm_cmd
        ->add_option("--parts", slurm.parts,
                     "array tasks, each a share of the points (default 4, at most the points)")
        ->check(CLI::Range(1, 1 << 20));
    slurm_cmd->add_option("--nodes", slurm.nodes,
                          "nodes per task, for launcher \"mpi\" ranks (default: the largest of "
                          "the config's nodes axis, else 1)");
    slurm_cmd
        ->add_option("--cpus-per-task", slurm.cpus_per_task,
                     "CPUs per task on each node (default: the usable cores here)")
        ->check(CLI::Range(1, 1 << 20));
    slurm_cmd->add_option("--time", slurm.time, "time limit per task, e.g. 1:00:00");
    slurm_cmd->add_option("--partition", slurm.partition, "Slurm partition");
    slurm_cmd->add_option("--account", slurm.account, "Slurm account");
    slurm_cmd->add_option("--out", slurm.out,
                          "directory for the scripts, parts and merged run (default "
                          "results/<date>-<name>-slurm)");
    slurm_cmd->add_option("--results", slurm.results_root, "where default directories go")
        ->capture_default_str();
    slurm_cmd->add_flag("--submit", slurm.submit,
                        "submit with sbatch, and a merge job that waits for the array");

    parsweep::MergeOptions merge;
    auto* merge_cmd = app.add_subcommand(
        "merge", "join runs into one: the parts of a job array, or learners' runs (--class)");
    merge_cmd->add_option("runs", merge.dirs, "the run directories to join")->required();
    merge_cmd->add_option("--out", merge.out, "the merged run's directory")->required();
    merge_cmd->add_flag("--replace", merge.replace,
                        "replace --out when it is an earlier merge of these same runs (merging "
                        "again after a part was finished); refuse anything else. The earlier "
                        "merge stays until the new one is written whole");
    merge_cmd->add_flag("--force", merge.force,
                        "replace --out when it is not empty, whatever it holds");
    merge_cmd->add_flag("--dedupe", merge.dedupe,
                        "a point measured by two runs: keep one (the verified one, else the one "
                        "with more repetitions, else the first given) instead of refusing");
    merge_cmd->add_flag("--class", merge.class_mode,
                        "learners' runs side by side, told apart by a learner label (the runs may "
                        "come from different configs)");
    merge_cmd->add_option("--label", merge.labels,
                          "with --class: the learner of each run, in the order of the runs "
                          "(default: each run directory's name)");
    merge_cmd->add_flag("-q,--quiet", merge.quiet, "no summary table");
    merge_cmd->add_option("--export-markdown", merge.markdown,
                          "also write the summary table to this file as a Markdown table");

    parsweep::CalibrateOptions calibrate;
    auto* calibrate_cmd = app.add_subcommand(
        "calibrate", "the machine's limits: STREAM, DGEMM, OpenMP overheads (cached per host)");
    calibrate_cmd
        ->add_option("--cores", calibrate.cores, "usable cores, overriding what is detected")
        ->check(CLI::Range(1, 1 << 20));
    calibrate_cmd->add_flag("--json", calibrate.as_json, "as JSON");
    calibrate_cmd->add_option("--out", calibrate.out, "also write the calibration's JSON here");
    calibrate_cmd->add_flag("--quick", calibrate.quick,
                            "thread counts 1, 2, 4, …, a smaller DGEMM: what run measures");
    calibrate_cmd->add_flag("--force", calibrate.force, "measure again even when one is cached");

    parsweep::PlotCommands plot(app);  // plot RUN, compare A B

    app.add_subcommand("worker", "(internal) one worker process of a sweep")->group("");

    std::string help_for;
    auto* help_cmd = app.add_subcommand("help", "this help, or a command's (parsweep help run)");
    help_cmd->add_option("command", help_for, "the command");

    run_cmd->callback([&] {
        if (run.config.empty() && run.resume.empty())
            throw CLI::RequiredError("config (or --resume DIR)");
        if (!run.resume.empty() && !run.out.empty())
            throw CLI::ValidationError("--out", "a resumed run stays in its own directory");
    });
    if (auto status = parsweep::check_command(app, argc, argv)) return *status;
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);
        if (status != 0) parsweep::suggest_options(app, argc, argv);
        return status == 0 ? 0 : 2;  // usage errors are bad input, like a bad config
    }
    if (*help_cmd) return parsweep::print_help(app, help_for);
    run.cores = cores;
    if (*run_cmd) return parsweep::cmd_run(run);
    if (*merge_cmd) return parsweep::cmd_merge(merge);
    if (*validate_cmd) return parsweep::cmd_validate(config, cores);
    if (*list_cmd) return parsweep::cmd_list(as_json, list_all);
    if (*schema_cmd) return parsweep::cmd_schema();
    if (*info_cmd) return parsweep::cmd_info(as_json, cores);
    if (*corpus_cmd) return parsweep::cmd_corpus(corpus);
    if (*slurm_cmd) return parsweep::cmd_slurm(slurm);
    if (*calibrate_cmd) return parsweep::cmd_calibrate(calibrate);
    if (plot.chosen()) return plot.run();
    return parsweep::worker_main();
}
