#include "launch/mpi_launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
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
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cluster/slurm_allocation.hpp"
#include "launch/interrupt.hpp"
#include "launch/launcher.hpp"
#include "launch/protocol.hpp"
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
    pid_t pid = -1;
    int out = -1, err = -1;  // its stdout (the ranks' messages, and their output) and stderr
    std::string line;        // stdout bytes that are not yet a whole line
    std::string err_line;    // the same for stderr (where ranks other than 0 say "done")
    std::string output;      // the tail of everything it printed that was not a message
    bool reaped = false;
    int status = 0;

    void keep(std::string_view text) {
        output.append(text);
        if (output.size() > kOutputTail) output.erase(0, output.size() - kOutputTail);
    }
};

void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
}

// Starts argv[0] (a path) with `env`: stdin /dev/null, stdout and stderr on pipes, in a
// process group of its own (so that it can be stopped with everything it started) and dying
// with parsweep. fork rather than posix_spawn for PR_SET_PDEATHSIG; the child calls only
// async-signal-safe functions before execve.
std::string start(Launched& l, const std::vector<std::string>& argv,
                  const std::vector<std::string>& env) {
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return std::string("cannot create pipes: ") + strerror(errno);
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]), close(out[1]);
        return std::string("cannot create pipes: ") + strerror(errno);
    }
    const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);  // parsweep died before prctl
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
            _exit(127);
        execve(args[0], args.data(), envp.data());
        _exit(127);
    }
    const int fork_errno = errno;
    if (devnull >= 0) close(devnull);
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
        close(out[0]), close(err[0]);
        return fmt::format("cannot start {}: {}", argv[0], strerror(fork_errno));
    }
    setpgid(pid, pid);  // also here: no signal may reach the group before the child set it
    l.pid = pid;
    l.out = out[0];
    l.err = err[0];
    return "";
}

// Waits until `l` exits or `until` (CLOCK_MONOTONIC) passes. True when it was reaped.
bool reap_until(Launched& l, double until) {
    while (!l.reaped) {
        const pid_t r = waitpid(l.pid, &l.status, WNOHANG);
        if (r == l.pid || (r < 0 && errno == ECHILD)) {
            l.reaped = true;
            break;
        }
        if (monotonic_s() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// Stops the launcher and everything in its process group: SIGTERM first, so that mpirun
// (srun) stops its ranks, wherever they run; SIGKILL when it has not gone after the grace.
// Ranks that outlive a SIGKILLed mpirun die of their own PR_SET_PDEATHSIG.
void stop(Launched& l) {
    if (l.pid <= 0 || l.reaped) return;
    kill(-l.pid, SIGTERM);
    if (reap_until(l, monotonic_s() + kStopGrace_s)) return;
    kill(-l.pid, SIGKILL);
    reap_until(l, std::numeric_limits<double>::max());
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
            ready_from_json(message);
            h.ready = true;
            h.t_ready = monotonic_s();
        } else {
            h.report = mpi_report_from_json(message);
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
// "interrupted", "timed out", or the message.
std::string listen(Launched& l, Heard& h, double deadline) {
    std::string failure;
    while (l.out >= 0 || l.err >= 0) {
        if (interrupted()) return "interrupted";
        const double left = deadline - monotonic_s();
        if (left <= 0) return "timed out";
        std::vector<pollfd> fds;
        if (l.out >= 0) fds.push_back({l.out, POLLIN, 0});
        if (l.err >= 0) fds.push_back({l.err, POLLIN, 0});
        const int n =
            poll(fds.data(), fds.size(), static_cast<int>(std::min(left * 1000 + 1, 1000.0)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::string("poll failed: ") + strerror(errno);
        for (const auto& p : fds) {
            if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            const ssize_t got = read(p.fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            const bool is_err = p.fd == l.err;
            std::string& pending = is_err ? l.err_line : l.line;
            if (got <= 0) {
                if (!pending.empty()) l.keep(pending);
                pending.clear();
                close_fd(is_err ? l.err : l.out);
                continue;
            }
            pending.append(buf, static_cast<std::size_t>(got));
            std::size_t nl;
            while ((nl = pending.find('\n')) != std::string::npos) {
                const std::string line = pending.substr(0, nl);
                pending.erase(0, nl + 1);
                if (!handle_line(l, h, line, failure)) return failure;
            }
        }
    }
    return "";
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

namespace {

// The first line a command prints on stdout (its version), or "" when it cannot be run.
std::string first_line_of(const std::vector<std::string>& argv) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    Launched l;
    if (!start(l, argv, env).empty()) return "";
    Heard ignored;
    if (!listen(l, ignored, monotonic_s() + 10).empty()) stop(l);
    drain(l);
    reap_until(l, std::numeric_limits<double>::max());
    std::string text = l.output;
    text = text.substr(0, text.find('\n'));
    return text;
}

}  // namespace

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

RepRecord run_mpi_repetition(const Point& point, const std::string& executable) {
    RepRecord rec;
    const int P = point.processes;
    const std::uint64_t items = point.kernel->items(point.params);
    MpiLaunch how = mpi_launch_here();
    if (const std::string problem = mpi_unavailable(executable); !problem.empty()) {
        rec.error = "launcher mpi: " + problem;
        return rec;
    }
    choose_mpi_plugin(how, point.mpi_plugin);
    std::vector<std::string> exported = thread_count_vars();
    exported.push_back(kProcessesVar);
    for (const auto& [name, value] : point.env) exported.push_back(name);
    const Task task{std::string(point.kernel->id()), point.params, 0, items, 0, point.threads};
    const auto allocation = detect_allocation();
    const std::vector<std::string> argv = mpi_command(
        how, {P, point.threads, point.nodes}, allocation ? int(allocation->nodes.size()) : 1,
        exported, mpi_worker_executable(executable), to_json(task).dump());

    Launched l;
    Heard h;
    const double t0 = monotonic_s();
    const double deadline = t0 + point.timeout_s;
    std::string failure = start(l, argv, worker_environment(point.threads, point.env, P));
    if (failure.empty()) failure = listen(l, h, deadline);
    const double t_end = h.reported ? h.t_report : monotonic_s();
    if (failure.empty() && !reap_until(l, deadline)) failure = "timed out";
    if (!failure.empty()) stop(l);
    drain(l);
    if (interrupted()) {
        rec.interrupted = true;
        failure = fmt::format("interrupted by {}", signal_name(interrupted()));
    }

    // The ranks' times on the parent's clock. A rank on this node shares its CLOCK_MONOTONIC;
    // a rank elsewhere is placed by its distance from the moment it left the release barrier,
    // which rank 0 reports from its Ready message (late by the forwarding of that message).
    char here[256] = {};
    gethostname(here, sizeof here - 1);
    auto local = [&](const RankReport& r) { return r.host == here; };
    const auto rank0 = std::find_if(h.report.ranks.begin(), h.report.ranks.end(),
                                    [](const RankReport& r) { return r.rank == 0; });
    const double release = rank0 != h.report.ranks.end() && local(*rank0)
                               ? rank0->released
                               : h.t_ready + h.report.release_s;
    auto parent_clock = [&](const RankReport& r, double t) {
        return local(r) ? t : release + (t - r.released);
    };

    // A record per rank: its share, and what it reported.
    std::vector<json> partials;
    double last_ready = t0, first_release = std::numeric_limits<double>::max(), last_start = 0,
           last_end = 0;
    double min_busy = std::numeric_limits<double>::max(), max_busy = 0;
    std::string rank_error;
    for (int w = 0; w < P; ++w) {
        WorkerRecord wr;
        wr.worker = w;
        std::tie(wr.items_begin, wr.items_end) = share_of(items, P, w);
        const auto it = std::find_if(h.report.ranks.begin(), h.report.ranks.end(),
                                     [&](const RankReport& r) { return r.rank == w; });
        if (it == h.report.ranks.end()) {
            wr.error = fmt::format("rank {} did not report", w);
        } else {
            const RankReport& r = *it;
            wr.host = r.host;
            wr.node = r.node.empty() ? r.host : r.node;
            wr.main_s = parent_clock(r, r.ready.started) - t0;
            wr.ready_s = parent_clock(r, r.ready.time) - t0;
            last_ready = std::max(last_ready, parent_clock(r, r.ready.time));
            first_release = std::min(first_release, parent_clock(r, r.released));
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
                wr.start_s = parent_clock(r, r.report.start) - t0;
                wr.end_s = parent_clock(r, r.report.end) - t0;
                wr.busy_s = r.report.busy_s;
                // As with spawned workers: a rank without items only marks its release.
                if (wr.items_end > wr.items_begin || items == 0) {
                    last_start = std::max(last_start, parent_clock(r, r.report.start));
                    last_end = std::max(last_end, parent_clock(r, r.report.end));
                }
                min_busy = std::min(min_busy, r.report.busy_s);
                max_busy = std::max(max_busy, r.report.busy_s);
                if (!r.report.verdict.ok)
                    wr.error = fmt::format("rank {}: {}", w, r.report.verdict.message);
                partials.push_back(r.report.partial);
            }
        }
        wr.ok = wr.error.empty();
        if (!wr.ok && rank_error.empty() && h.reported) rank_error = wr.error;
        add_worker(rec, std::move(wr));
    }

    rec.wall_s = t_end - t0;
    rec.reap_s = monotonic_s() - t_end;
    rec.cpu_util = rec.wall_s > 0 ? (rec.user_s + rec.sys_s) / rec.wall_s : 0;
    const std::string launcher = fs::path(how.program).filename().string();
    if (failure.empty() && h.reported && rank_error.empty()) {
        rec.spawn_s = last_ready - t0;
        rec.dispatch_s = std::max(0.0, last_start - first_release);
        rec.compute_s = h.report.compute_s;
        rec.gather_s = std::max(0.0, t_end - last_end);
        rec.imbalance_s = max_busy - min_busy;
        verify_repetition(point, partials, rec);
        // Every rank reported, but the launcher must also have ended well.
        if (rec.verified && !(WIFEXITED(l.status) && WEXITSTATUS(l.status) == 0)) {
            rec.verified = false;
            rec.error = with_output(
                fmt::format("{} {} after the ranks reported", launcher, exit_text(l.status)),
                l.output);
        }
        return rec;
    }
    if (!rank_error.empty()) {
        rec.error = rank_error;
    } else if (rec.interrupted || !h.error.empty()) {
        rec.error = failure;
    } else if (failure == "timed out") {
        std::vector<int> busy;
        for (int w = 0; w < P; ++w)
            if (!h.done.count(w)) busy.push_back(w);
        rec.error = fmt::format("timed out after {:.3g} s (timeout_s); ", point.timeout_s);
        if (!h.ready)
            rec.error += "the ranks were not all set up";
        else if (!busy.empty())
            rec.error += fmt::format("rank {} had not finished {} share", fmt::join(busy, ", "),
                                     busy.size() == 1 ? "its" : "their");
        else
            rec.error += fmt::format("{} did not exit after the ranks reported", launcher);
    } else if (!failure.empty()) {
        rec.error = with_output(failure, l.output);
    } else {
        // The launcher ended before rank 0 reported: a rank died (the launcher's message names
        // it, and says all its output would), or the launcher itself failed. Either way the
        // MPI library's or srun's own words say why, when it said anything.
        const std::string rank = rank_failure(l.output);
        const std::string said = launch_message(l.output);
        const std::string plugin = how.plugin.empty() ? "" : " (srun --mpi=" + how.plugin + ")";
        if (!rank.empty())
            rec.error = said.empty() ? rank + plugin : rank + plugin + ": " + said;
        else if (!said.empty())
            rec.error =
                fmt::format("{} {} before the ranks reported{}: {}", launcher,
                            l.reaped ? exit_text(l.status) : std::string("stopped"), plugin, said);
        else
            rec.error = with_output(
                fmt::format("{} {} before the ranks reported{}", launcher,
                            l.reaped ? exit_text(l.status) : std::string("stopped"), plugin),
                l.output);
    }
    return rec;
}

}  // namespace parsweep
