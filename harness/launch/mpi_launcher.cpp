#include "launch/mpi_launcher.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "launch/executor.hpp"
#include "launch/process.hpp"
#include "launch/protocol.hpp"
#include "machine/slurm_allocation.hpp"
#include "measure/clock.hpp"
#include "util/subprocess.hpp"

extern char** environ;

namespace parsweep {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kOutputTail = 16384;  // bytes of the launcher's output kept
constexpr double kStopGrace_s = 3;          // SIGTERM → SIGKILL

std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
    }
    return "";
}

// The launcher process (mpirun or srun) as the parent sees it.
struct Launched {
    Process proc;
    int out = -1, err = -1;  // its stdout (the ranks' messages, and their output) and stderr
    std::string line;        // stdout bytes that are not yet a whole line
    std::string err_line;    // the same for stderr (where ranks other than 0 say "done")
    std::string output;      // the tail of everything it printed that was not a message

    void keep(std::string_view text) { keep_tail(output, text, kOutputTail); }
};

// Starts the launcher `argv` with `env` in a process group of its own, dying with parsweep
// (start_in_group). Returns "" or why it could not.
std::string start(Launched& l, const std::vector<std::string>& argv,
                  const std::vector<std::string>& env) {
    return start_in_group(l.proc, argv, env, l.out, l.err);
}

// Stops the launcher and everything in its process group: SIGTERM first, so that mpirun
// (srun) stops its ranks, wherever they run; SIGKILL when it has not gone after the grace.
// Ranks that outlive a SIGKILLed mpirun die of their own PR_SET_PDEATHSIG.
void stop(Launched& l) {
    stop_group(l.proc, kStopGrace_s);
}

// What the ranks said, and when the parent heard it (CLOCK_MONOTONIC).
struct Heard {
    bool ready = false, reported = false;
    double t_ready = 0, t_report = 0;
    MpiReport report;
    std::set<int> done;  // ranks that finished their share
    std::string error;   // an Error message from rank 0
};

// Handles one line of the launcher's stdout: a rank's message, or output to keep.
// Returns false when the line ends the conversation (an error, an unreadable message).
bool handle_line(Launched& l, Heard& h, const std::string& line, std::string& failure) {
    if (line.rfind(kMpiLinePrefix, 0) != 0) {
        l.keep(line + "\n");
        return true;
    }
    const std::string body = line.substr(kMpiLinePrefix.size());
    try {
        const json message = json::parse(body);
        if (is_error(message)) {
            h.error = message["error"].get<std::string>();
            failure = h.error;
            return false;
        }
        if (message.contains("done")) {
            h.done.insert(message["done"].get<int>());
        } else if (!h.ready) {
            message.get<Ready>();
            h.ready = true;
            h.t_ready = monotonic_s();
        } else {
            h.report = message.get<MpiReport>();
            h.reported = true;
            h.t_report = monotonic_s();
        }
    } catch (const std::exception& e) {
        failure = fmt::format("rank 0 sent an unreadable message ({}): {:.80}", e.what(), body);
        return false;
    }
    return true;
}

// Reads the launcher's stdout and stderr until both are closed (it exited), a rank sends an
// error, the deadline passes or parsweep is interrupted. Returns "" or why it stopped early:
// "interrupted", "timed out", or the message. A watched pipe's source is 0 for stdout, 1 for
// stderr.
std::string listen(Launched& l, Heard& h, double deadline) {
    auto watch = [&](std::vector<Watched>& fds) {
        if (l.out >= 0) fds.push_back({l.out, 0});
        if (l.err >= 0) fds.push_back({l.err, 1});
        return !fds.empty();
    };
    auto on_read = [&](const Watched& p, std::string_view bytes, bool eof) -> std::string {
        const bool is_err = p.source == 1;
        std::string& pending = is_err ? l.err_line : l.line;
        if (eof) {
            if (!pending.empty()) l.keep(pending);
            pending.clear();
            close_fd(is_err ? l.err : l.out);
            return "";
        }
        pending.append(bytes);
        std::size_t nl;
        std::string failure;
        while ((nl = pending.find('\n')) != std::string::npos) {
            const std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            if (!handle_line(l, h, line, failure)) return failure;
        }
        return "";
    };
    return poll_pipes(watch, on_read, deadline);
}

// Whatever is left in the pipes once the launcher is gone (a second at most: a descendant
// may still hold them).
void drain(Launched& l) {
    const double until = monotonic_s() + 1;
    Heard ignored;
    while ((l.out >= 0 || l.err >= 0) && monotonic_s() < until)
        if (!listen(l, ignored, until).empty()) break;  // interrupted, timed out, or garbage
    close_fd(l.out);
    close_fd(l.err);
}
std::string exit_text(int status) {
    if (WIFSIGNALED(status)) return "killed by " + signal_name(WTERMSIG(status));
    return fmt::format("exited with status {}", WEXITSTATUS(status));
}

}  // namespace

std::vector<std::string> parse_mpi_plugin_list(const std::string& output) {
    // Slurm 22.05: "MPI plugin types are...\n\tpmix\n\tnone\n…\nspecific pmix plugin versions
    // available: pmix_v4"; older ones "srun: MPI types are...\nsrun: pmix_v3\n…".
    std::vector<std::string> names;
    std::istringstream in(output);
    static const std::regex name(R"(^(?:srun:\s*)?\s*([A-Za-z0-9_]+)\s*$)");
    static const std::regex versions(R"(versions available:\s*(.*)$)");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, versions)) {
            std::istringstream list(m[1].str());
            for (std::string v; std::getline(list, v, ',');) {
                v.erase(0, v.find_first_not_of(" \t"));
                v.erase(v.find_last_not_of(" \t") + 1);
                if (!v.empty()) names.push_back(v);
            }
        } else if (std::regex_match(line, m, name)) {
            names.push_back(m[1].str());
        }
    }
    return names;
}

std::string preferred_mpi_plugin(const std::vector<std::string>& available) {
    auto has = [&](const std::string& n) {
        return std::find(available.begin(), available.end(), n) != available.end();
    };
    if (has("pmix")) return "pmix";
    // Only versioned names (older Slurm): the newest.
    std::string newest;
    for (const auto& n : available)
        if (n.rfind("pmix_v", 0) == 0 && n > newest) newest = n;
    if (!newest.empty()) return newest;
    if (has("pmi2")) return "pmi2";
    return "none";
}

namespace {

// What Slurm says about its MPI plugins, asked once: (the cluster's MpiDefault, the plugins).
struct SlurmMpi {
    std::string mpi_default;
    std::vector<std::string> plugins;
};
const SlurmMpi& slurm_mpi() {
    static const SlurmMpi info = [] {
        SlurmMpi i;
        std::string out;
        if (run_program({"srun", "--mpi=list"}, Output::capture, &out) == 0)
            i.plugins = parse_mpi_plugin_list(out);
        out.clear();
        if (run_program({"scontrol", "show", "config"}, Output::capture, &out) == 0) {
            static const std::regex line(R"(\nMpiDefault\s*=\s*(\S+))");
            std::smatch m;
            if (std::regex_search(out, m, line)) i.mpi_default = m[1].str();
        }
        return i;
    }();
    return info;
}

}  // namespace

MpiLaunch mpi_launch_here() {
    MpiLaunch how;
    const char* job = std::getenv("SLURM_JOB_ID");
    how.slurm = job && *job;
    how.program = find_on_path(how.slurm ? "srun" : "mpirun");
    how.as_root = geteuid() == 0;
    how.user_btl = std::getenv("OMPI_MCA_btl") != nullptr;
    return how;
}

void choose_mpi_plugin(MpiLaunch& how, const std::string& configured) {
    if (!how.slurm || how.program.empty()) return;
    const char* type = std::getenv("SLURM_MPI_TYPE");
    if (!configured.empty()) {
        how.plugin = configured, how.plugin_source = "config";
    } else if (type && *type) {
        how.plugin = type, how.plugin_source = "SLURM_MPI_TYPE";
    } else if (const auto& slurm = slurm_mpi();
               !slurm.mpi_default.empty() && slurm.mpi_default != "none") {
        how.plugin = slurm.mpi_default, how.plugin_source = "MpiDefault";
    } else {
        how.plugin = preferred_mpi_plugin(slurm.plugins), how.plugin_source = "srun --mpi=list";
    }
}

int placement_nodes(const RankPlacement& placement, int allocation_nodes) {
    const int nodes = placement.nodes > 0 ? placement.nodes : std::max(1, allocation_nodes);
    return std::max(1, std::min(nodes, placement.ranks));
}

std::vector<std::string> mpi_command(const MpiLaunch& how, const RankPlacement& placement,
                                     int allocation_nodes, const std::vector<std::string>& exported,
                                     const std::string& worker, const std::string& task) {
    const int ranks = placement.ranks;
    std::vector<std::string> cmd = {how.program};
    if (how.slurm) {
        const int nodes = placement_nodes(placement, allocation_nodes);
        if (!how.plugin.empty()) cmd.push_back("--mpi=" + how.plugin);
        // The ranks spread evenly over the nodes (block by block), each with its threads' CPUs.
        // --export=ALL: the whole environment reaches the ranks (the thread counts, the
        // point's env), even in a job submitted with --export=NONE. --overcommit: more ranks
        // × threads than the allocation's CPUs is allowed (oversubscription is a lesson;
        // parsweep labels it). --overlap: the step may share CPUs with the step parsweep runs
        // in. --cpu-bind=none: a rank's OpenMP threads may use every CPU it was given on its
        // node, not one (OMP_PROC_BIND / OMP_PLACES in the point's env pin them).
        // --kill-on-bad-exit: a rank that dies ends the step, as mpirun does by default.
        cmd.insert(cmd.end(),
                   {fmt::format("--nodes={}", nodes), fmt::format("--ntasks={}", ranks),
                    fmt::format("--ntasks-per-node={}", (ranks + nodes - 1) / nodes),
                    fmt::format("--cpus-per-task={}", placement.threads), "--export=ALL",
                    "--overcommit", "--overlap", "--cpu-bind=none", "--kill-on-bad-exit=1"});
    } else {
        cmd.insert(cmd.end(), {"-np", std::to_string(ranks),
                               // More ranks than cores is allowed: it is one of the lessons,
                               // and parsweep labels such points with their factor.
                               "--oversubscribe",
                               // By default Open MPI binds each rank to one core (to a socket
                               // beyond 2 ranks), which would put all T OpenMP threads of a
                               // rank on one core: the spawn launcher does not bind either.
                               "--bind-to", "none"});
        // mpirun refuses to run as root (CI's containers do) unless told it is meant.
        if (how.as_root) cmd.push_back("--allow-run-as-root");
        // mpirun starts the ranks on this node only: shared memory (vader) and self are the
        // transports it needs, and not probing networks keeps start-up quick and quiet
        // (containers warn about missing InfiniBand devices). Unless the user chose.
        if (!how.user_btl) cmd.insert(cmd.end(), {"--mca", "btl", "self,vader"});
        // mpirun's own environment reaches the ranks on this node; -x also takes these to any
        // other node a hostfile may add.
        for (const auto& v : exported) cmd.insert(cmd.end(), {"-x", v});
    }
    cmd.push_back(worker);
    cmd.push_back(task);
    return cmd;
}

std::string mpi_unavailable(const std::string& executable) {
    const std::string worker = mpi_worker_executable(executable);
    if (access(worker.c_str(), X_OK) != 0)
        return fmt::format(
            "this parsweep was built without MPI (no {} beside {} or in its prefix's libexec); "
            "install Open MPI (Debian: openmpi-bin libopenmpi-dev, or scripts/install-deps.sh) "
            "and build again",
            kMpiWorkerName, executable);
    const MpiLaunch how = mpi_launch_here();
    if (how.program.empty())
        return how.slurm ? "srun not found on PATH (SLURM_JOB_ID is set: inside a Slurm "
                           "allocation the ranks are started with srun)"
                         : "mpirun not found on PATH (Debian: openmpi-bin)";
    return "";
}

json mpi_info(const std::string& executable) {
    MpiLaunch how = mpi_launch_here();
    choose_mpi_plugin(how, "");
    const std::string worker = mpi_worker_executable(executable);
    const std::string problem = mpi_unavailable(executable);
    json info = {{"launcher", how.slurm ? "srun" : "mpirun"}, {"launcher_path", how.program}};
    if (!problem.empty()) info["unavailable"] = problem;
    if (!how.program.empty()) info["launcher_version"] = first_line_of({how.program, "--version"});
    if (how.slurm) {
        // What a point's mpi_plugin would override; the plugins Slurm offers.
        info["plugin"] = how.plugin;
        info["plugin_source"] = how.plugin_source;
        info["plugins_available"] = slurm_mpi().plugins;
        info["slurm_mpi_default"] = slurm_mpi().mpi_default;
    }
    if (access(worker.c_str(), X_OK) == 0) {
        info["worker"] = worker;
        info["library"] = first_line_of({worker, "--version"});
    }
    std::vector<std::string> exported = thread_count_vars();
    const auto allocation = detect_allocation();
    info["command"] = fmt::format(
        "{}", fmt::join(mpi_command(how, {2, 1, 0}, allocation ? int(allocation->nodes.size()) : 1,
                                    exported, worker, "TASK"),
                        " "));
    return info;
}

std::string rank_failure(const std::string& output) {
    std::smatch m;
    // Open MPI: "mpirun noticed that process rank 1 with PID 123 on node vm exited on signal 11
    // (Segmentation fault)."
    static const std::regex ompi_signal(
        R"(process rank (\d+) with PID \d+ on node (\S+) exited on signal (\d+))");
    if (std::regex_search(output, m, ompi_signal))
        return fmt::format("rank {} (on {}) killed by {}", m[1].str(), m[2].str(),
                           signal_name(std::stoi(m[3].str())));
    // Open MPI: "The first process to do so was:\n\n  Process name: [[3344,1],1]\n  Exit code: 3"
    static const std::regex ompi_exit(
        R"(Process name:\s*\[\[\d+,\d+\],(\d+)\]\s*Exit code:\s*(\d+))");
    if (std::regex_search(output, m, ompi_exit))
        return fmt::format("rank {} exited with status {}", m[1].str(), m[2].str());
    static const std::regex ompi_abort(R"(MPI_ABORT was invoked on rank (\d+))");
    if (std::regex_search(output, m, ompi_abort))
        return fmt::format("rank {} called MPI_Abort", m[1].str());
    // Slurm: "srun: error: node7: task 1: Segmentation fault", "…: task 2: Exited with exit
    // code 3", "…: tasks 0-2: Killed".
    static const std::regex slurm(R"(srun: error: (\S+): tasks? ([0-9,-]+): ([^\n]+))");
    if (std::regex_search(output, m, slurm))
        return fmt::format("{} {} (on {}): {}",
                           m[2].str().find_first_of(",-") == std::string::npos ? "rank" : "ranks",
                           m[2].str(), m[1].str(), m[3].str());
    return "";
}

std::string launch_message(const std::string& output) {
    auto squeeze = [](std::string text) {
        static const std::regex space(R"(\s+)");
        text = std::regex_replace(text, space, " ");
        text.erase(0, text.find_first_not_of(' '));
        while (!text.empty() && text.back() == ' ') text.pop_back();
        if (text.size() > 400) text = text.substr(0, 400) + "…";
        return text;
    };
    // Open MPI's help messages stand between lines of dashes.
    static const std::regex banner(R"(\n-{20,}\n([\s\S]*?)\n-{20,})");
    std::smatch m;
    if (std::regex_search(output, m, banner)) {
        // The first sentence says what went wrong; the rest is how to build MPI differently.
        std::string text = squeeze(m[1].str());
        static const std::regex sentence(R"(^[\s\S]*?[.!](?= |$))");
        if (std::smatch first; std::regex_search(text, first, sentence)) text = first.str();
        return "Open MPI: " + text;
    }
    static const std::regex srun_error(R"((?:^|\n)srun: error: ([^\n]+))");
    static const std::regex about_tasks(R"(^\S+: tasks? [0-9,-]+: |^Timed out|StepId|_step_)");
    std::string last;
    for (auto it = std::sregex_iterator(output.begin(), output.end(), srun_error);
         it != std::sregex_iterator(); ++it)
        if (!std::regex_search((*it)[1].str(), about_tasks)) last = (*it)[1].str();
    if (!last.empty()) return "srun: " + squeeze(last);
    static const std::regex library_error(
        R"((?:^|\n)([^\n]*(?:PMIX ERROR|PMI2? ?ERROR|OPAL ERROR|MPI_Init)[^\n]*))");
    if (std::regex_search(output, m, library_error)) return squeeze(m[1].str());
    return "";
}

namespace {

// A repetition's launcher run, as the parent saw it.
struct MpiRun {
    MpiLaunch how;
    std::vector<std::string> argv;  // the launcher's command
    Launched l;
    Heard h;
    double t0 = 0;        // the launcher started
    double t_end = 0;     // rank 0's report received (or the failure seen)
    std::string failure;  // "" or why the conversation ended early

    std::string launcher() const { return fs::path(how.program).filename().string(); }
};

// How the ranks of `point` start (run.how, run.argv), worked out before the clock starts.
// Returns "" or why launcher mpi cannot run here.
std::string plan_launch(MpiRun& run, const Point& point, const std::string& executable,
                        std::uint64_t items) {
    run.how = mpi_launch_here();
    if (std::string problem = mpi_unavailable(executable); !problem.empty()) return problem;
    choose_mpi_plugin(run.how, point.mpi_plugin);
    std::vector<std::string> exported = thread_count_vars();
    exported.push_back(kProcessesVar);
    for (const auto& [name, value] : point.env) exported.push_back(name);
    const Task task{
        std::string(point.kernel->id()), point.params, 0, items, 0, point.threads, point.processes};
    const auto allocation = detect_allocation();
    run.argv = mpi_command(run.how, {point.processes, point.threads, point.nodes},
                           allocation ? int(allocation->nodes.size()) : 1, exported,
                           mpi_worker_executable(executable), json(task).dump());
    return "";
}

// Starts the launcher and listens to the ranks until rank 0 reported and the launcher ended,
// or the conversation failed: then stops the launcher's group. Either way reaps it and drains
// its pipes.
void launch(MpiRun& run, const Point& point, RepRecord& rec) {
    Launched& l = run.l;
    run.t0 = monotonic_s();
    const double deadline = run.t0 + point.timeout_s;
    run.failure = start(l, run.argv, worker_environment(point.threads, point.env, point.processes));
    if (run.failure.empty()) run.failure = listen(l, run.h, deadline);
    run.t_end = run.h.reported ? run.h.t_report : monotonic_s();
    if (run.failure.empty() && !reap_until(l.proc, deadline)) run.failure = "timed out";
    if (!run.failure.empty()) stop(l);
    drain(l);
    note_interrupt(rec, run.failure);
}

// The ranks' times on the parent's clock. A rank on this node shares its CLOCK_MONOTONIC;
// a rank elsewhere is placed by its distance from the moment it left the release barrier,
// which rank 0 reports from its Ready message (late by the forwarding of that message).
class ParentClock {
  public:
    explicit ParentClock(const Heard& h) {
        char here[256] = {};
        gethostname(here, sizeof here - 1);
        here_ = here;
        const auto rank0 = std::find_if(h.report.ranks.begin(), h.report.ranks.end(),
                                        [](const RankReport& r) { return r.rank == 0; });
        release_ = rank0 != h.report.ranks.end() && local(*rank0) ? rank0->released
                                                                  : h.t_ready + h.report.release_s;
    }
    bool local(const RankReport& r) const { return r.host == here_; }
    // Rank `r`'s time `t` on the parent's clock.
    double operator()(const RankReport& r, double t) const {
        return local(r) ? t : release_ + (t - r.released);
    }

  private:
    std::string here_;
    double release_ = 0;
};

// Rank `w`'s record (times from t0 on the parent's clock): its share and what it reported.
// Adds its times to `span` (and its release to `first_release`) and its partial result to
// `partials`.
WorkerRecord collect_rank(const MpiRun& run, int w, std::uint64_t items, int P,
                          const ParentClock& clock, Span& span, double& first_release,
                          std::vector<json>& partials) {
    WorkerRecord wr;
    wr.worker = w;
    std::tie(wr.items_begin, wr.items_end) = share_of(items, P, w);
    const auto& ranks = run.h.report.ranks;
    const auto it =
        std::find_if(ranks.begin(), ranks.end(), [&](const RankReport& r) { return r.rank == w; });
    if (it == ranks.end()) {
        wr.error = fmt::format("rank {} did not report", w);
        wr.ok = false;
        return wr;
    }
    const RankReport& r = *it;
    const double t0 = run.t0;
    wr.host = r.host;
    wr.node = r.node.empty() ? r.host : r.node;
    wr.main_s = clock(r, r.ready.started) - t0;
    wr.ready_s = clock(r, r.ready.time) - t0;
    span.last_ready = std::max(span.last_ready, clock(r, r.ready.time));
    first_release = std::min(first_release, clock(r, r.released));
    wr.omp_threads = r.ready.omp_threads;
    wr.blas_threads = r.ready.blas_threads;
    wr.blas = r.ready.blas;
    wr.cpus = r.ready.cpus;
    wr.user_s = r.user_s;
    wr.sys_s = r.sys_s;
    wr.ctx_voluntary = r.ctx_voluntary;
    wr.ctx_involuntary = r.ctx_involuntary;
    wr.max_rss_kb = r.max_rss_kb;
    if (!r.error.empty()) {
        wr.error = fmt::format("rank {}: {}", w, r.error);
    } else {
        wr.start_s = clock(r, r.report.start) - t0;
        wr.end_s = clock(r, r.report.end) - t0;
        wr.busy_s = r.report.busy_s;
        // As with spawned workers: a rank without items only marks its release.
        span.add(wr.items_end > wr.items_begin, clock(r, r.report.start), clock(r, r.report.end),
                 r.report.paused_s, r.report.tail_s, r.report.busy_s, r.report.setup_s);
        if (!r.report.verdict.ok)
            wr.error = fmt::format("rank {}: {}", w, r.report.verdict.message);
        partials.push_back(r.report.partial);
    }
    wr.ok = wr.error.empty();
    return wr;
}

// The repetition in which every rank reported: where its time went, its verification, and
// the launcher's own exit, which must have been a good one too.
void judge_reported(RepRecord& rec, const Point& point, const MpiRun& run, const Span& span,
                    double first_release, const std::vector<json>& partials) {
    rec.spawn_s = span.last_ready - run.t0;
    rec.dispatch_s = std::max(0.0, span.last_start - first_release);
    rec.program_setup_s = std::min(span.last_start_setup, rec.dispatch_s);
    rec.compute_s = run.h.report.compute_s;
    rec.gather_s = std::max(0.0, run.t_end - span.last_end);
    rec.imbalance_s = span.max_busy - span.min_busy;
    verify_repetition(point, partials, rec);
    const int status = run.l.proc.status;
    if (rec.verified && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        rec.verified = false;
        rec.error = with_output(
            fmt::format("{} {} after the ranks reported", run.launcher(), exit_text(status)),
            run.l.output);
    }
}

// A timed-out repetition's error: which ranks had not finished their share, or that they
// were not set up, or that the launcher did not exit.
std::string timeout_error(const MpiRun& run, const Point& point) {
    std::vector<int> busy;
    for (int w = 0; w < point.processes; ++w)
        if (!run.h.done.count(w)) busy.push_back(w);
    std::string error = fmt::format("timed out after {:.3g} s (timeout_s); ", point.timeout_s);
    if (!run.h.ready)
        error += "the ranks were not all set up";
    else if (!busy.empty())
        error += fmt::format("rank {} had not finished {} share", fmt::join(busy, ", "),
                             busy.size() == 1 ? "its" : "their");
    else
        error += fmt::format("{} did not exit after the ranks reported", run.launcher());
    return error;
}

// The launcher ended before rank 0 reported: a rank died (the launcher's message names it,
// and says all its output would), or the launcher itself failed. Either way the MPI library's
// or srun's own words say why, when it said anything.
std::string ended_error(const MpiRun& run) {
    const Launched& l = run.l;
    const std::string rank = rank_failure(l.output);
    const std::string said = launch_message(l.output);
    const std::string plugin = run.how.plugin.empty() ? "" : " (srun --mpi=" + run.how.plugin + ")";
    if (!rank.empty()) return said.empty() ? rank + plugin : rank + plugin + ": " + said;
    const std::string how_it_ended =
        l.proc.reaped ? exit_text(l.proc.status) : std::string("stopped");
    if (!said.empty())
        return fmt::format("{} {} before the ranks reported{}: {}", run.launcher(), how_it_ended,
                           plugin, said);
    return with_output(
        fmt::format("{} {} before the ranks reported{}", run.launcher(), how_it_ended, plugin),
        l.output);
}

// The error of a repetition that did not end with every rank's report: a rank's own error
// first, then the interruption or rank 0's message, the timeout, the parent's failure, and
// last what the launcher said when it ended.
std::string failure_error(const MpiRun& run, const RepRecord& rec, const std::string& rank_error,
                          const Point& point) {
    if (!rank_error.empty()) return rank_error;
    if (rec.interrupted || !run.h.error.empty()) return run.failure;
    if (run.failure == "timed out") return timeout_error(run, point);
    if (!run.failure.empty()) return with_output(run.failure, run.l.output);
    return ended_error(run);
}

}  // namespace

RepRecord MpiExecutor::run_repetition(const Point& point) {
    RepRecord rec;
    const int P = point.processes;
    const auto counted = point_items(point, rec.error);
    if (!counted) return rec;
    const std::uint64_t items = *counted;
    MpiRun run;
    if (const std::string problem = plan_launch(run, point, executable_, items); !problem.empty()) {
        rec.error = "launcher mpi: " + problem;
        return rec;
    }
    launch(run, point, rec);
    if (!run.failure.empty()) end_all_children();  // what the stopped ranks' programs started

    // A record per rank: its share, and what it reported.
    const ParentClock clock(run.h);
    Span span(run.t0, point, items);
    double first_release = std::numeric_limits<double>::max();
    std::vector<json> partials;
    std::string rank_error;
    for (int w = 0; w < P; ++w) {
        WorkerRecord wr = collect_rank(run, w, items, P, clock, span, first_release, partials);
        if (!wr.ok && rank_error.empty() && run.h.reported) rank_error = wr.error;
        add_worker(rec, std::move(wr));
    }
    close_times(rec, run.t0, run.t_end);
    if (run.failure.empty() && run.h.reported && rank_error.empty())
        judge_reported(rec, point, run, span, first_release, partials);
    else
        rec.error = failure_error(run, rec, rank_error, point);
    return rec;
}

}  // namespace parsweep
