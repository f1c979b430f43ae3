/*
 * command — the user's own program or script, swept over processes × threads like any kernel.
 *
 * What it measures
 *   How many processes and threads per process suit *your* code on this machine. Each of the
 *   point's P worker processes runs the program once per repetition, so that spawn, dispatch,
 *   compute and gather mean what they mean for the built-in kernels, and the CPU time, context
 *   switches and peak RSS a worker reports include its program's whole process tree (the
 *   worker reaps it: a Python Pool's processes are counted). Compute time is the program's
 *   wall time, unless it prints a line `parsweep-time: SECONDS` on standard output: then that
 *   is its compute time, and the rest of its wall time — an interpreter starting, imports, a
 *   file read — is its set-up, counted as dispatch (KernelRun::setup_s). Both are kept in the
 *   result (wall_s, compute_s, setup_s: the largest over the workers).
 *
 * Parameters
 *   cmd (run with /bin/sh -c) or argv (a program and its arguments, run directly, the program
 *   looked up on PATH): exactly one. {name} in cmd, argv and check is replaced by the point's
 *   value of parameter or axis `name` — the kernel's own, and any other name the config gives
 *   this run (the user's variables: a grid axis "n" makes {n}) — or by processes, threads and,
 *   in cmd and argv, the worker's rank, begin and end. {{ and }} are literal braces; ${…} is
 *   the shell's and left alone, as is a brace around anything but a name (awk '{print $1}').
 *   workdir: where the program runs (relative to the config's directory; default: where
 *   parsweep was started).
 *
 * Environment of the program
 *   The worker's: the thread variables set from the threads axis (OMP_NUM_THREADS,
 *   OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, BLIS_NUM_THREADS, NUMEXPR_NUM_THREADS,
 *   VECLIB_MAXIMUM_THREADS …), the pinning axes' placement, PARSWEEP_PROCESSES = P; and
 *   PARSWEEP_THREADS = T, PARSWEEP_RANK = 0 … P−1, PARSWEEP_ITEMS = items, PARSWEEP_BEGIN and
 *   PARSWEEP_END = the rank's share of [0, items): the split the built-in kernels use.
 *
 * Counting
 *   items = `items` (what an item is, is the program's business); no flops or bytes. Every
 *   worker runs its program, whatever its share (Kernel::runs_empty_shares).
 *
 * Valid sizes
 *   items ≥ 0; any P and T. A program that hangs is stopped at the point's timeout_s, with
 *   everything it started.
 *
 * Verification
 *   In each worker: the program exited with status 0 (else the status or signal, and the last
 *   lines of its standard error), its standard output matches `expect` (a POSIX extended
 *   regular expression, as grep -E, where ^ and $ match at every line), and a parsweep-time
 *   line, if any, is a number of seconds no longer than the program ran. In the parent, once
 *   per repetition: the `check` command, given the workers' outputs (files named in
 *   PARSWEEP_OUTPUTS, in rank order), exits 0 within check_timeout_s.
 */
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernel.hpp"
#include "process_tree.hpp"

extern char** environ;

namespace parsweep {

namespace {

namespace fs = std::filesystem;

// The most of a program's standard output read back (for expect, parsweep-time and check).
constexpr std::size_t kMaxOutputBytes = std::size_t{8} << 20;
constexpr const char* kTimeLine = "parsweep-time:";

struct CommandParams {
    std::string cmd;
    std::vector<std::string> argv;
    std::uint64_t items = 0;
    std::string expect;
    std::string check;
    std::string workdir;
    double check_timeout_s = 600;
    json values;  // every parameter of the point, the user's variables included
};

const std::vector<Param<CommandParams>>& command_params() {
    using P = CommandParams;
    static const std::vector<Param<P>> declared = {
        {{"cmd",
          ParamType::String,
          "",
          "a shell command (/bin/sh -c), with {name} placeholders",
          std::nullopt,
          std::nullopt,
          {}},
         [](P& p, const json& params, std::string_view) {
             p.cmd = params.at("cmd").get<std::string>();
             p.values = params;
         }},
        field(&P::argv, {"argv",
                         ParamType::StringList,
                         json::array(),
                         "or a program and its arguments, run directly (no shell)",
                         std::nullopt,
                         std::nullopt,
                         {}}),
        field(&P::items, {"items",
                          ParamType::Integer,
                          0,
                          "items the workers share: PARSWEEP_BEGIN / PARSWEEP_END of each",
                          0.0,
                          1e18,
                          {},
                          {},
                          true}),
        field(&P::expect, {"expect",
                           ParamType::String,
                           "",
                           "a regular expression (grep -E) the standard output must match",
                           std::nullopt,
                           std::nullopt,
                           {}}),
        field(&P::check, {"check",
                          ParamType::String,
                          "",
                          "a shell command run once per repetition after the workers, their "
                          "outputs in PARSWEEP_OUTPUTS; must exit 0",
                          std::nullopt,
                          std::nullopt,
                          {}}),
        field(&P::workdir, {"workdir",
                            ParamType::Directory,
                            ".",
                            "the directory the program runs in (default: parsweep's)",
                            std::nullopt,
                            std::nullopt,
                            {}}),
        field(&P::check_timeout_s, {"check_timeout_s",
                                    ParamType::Number,
                                    600.0,
                                    "seconds the check may take",
                                    0.001,
                                    1e7,
                                    {}}),
    };
    return declared;
}

// The parameters whose text holds placeholders: never a placeholder's value themselves.
bool is_template(const std::string& name) {
    return name == "cmd" || name == "argv" || name == "check" || name == "expect";
}

// ---------------------------------------------------------------------------------------
// Placeholders.

bool is_name(std::string_view s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

// A parameter's value as text: a string as it is, a number as JSON writes it, true / false.
std::string value_text(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// `text` with each {name} replaced by values.at(name); a name not in `values` is added to
// `unknown` and left as it was.
std::string expand(std::string_view text, const std::map<std::string, std::string>& values,
                   std::vector<std::string>* unknown = nullptr) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            out += c;  // {{ and }}
            ++i;
            continue;
        }
        const std::size_t close = c == '{' ? text.find('}', i) : std::string_view::npos;
        const bool shell = i > 0 && text[i - 1] == '$';  // ${…}
        if (close == std::string_view::npos || shell ||
            !is_name(text.substr(i + 1, close - i - 1))) {
            out += c;
            continue;
        }
        const std::string name(text.substr(i + 1, close - i - 1));
        if (auto it = values.find(name); it != values.end())
            out += it->second;
        else {
            if (unknown) unknown->push_back(name);
            out.append(text.substr(i, close - i + 1));
        }
        i = close;
    }
    return out;
}

// The placeholders' values: every parameter but the templates, and the point's P and T.
std::map<std::string, std::string> point_values(const json& params, int processes, int threads) {
    std::map<std::string, std::string> values;
    for (const auto& [key, v] : params.items())
        if (!is_template(key)) values[key] = value_text(v);
    values["processes"] = std::to_string(processes);
    values["threads"] = std::to_string(threads);
    return values;
}

// Names a worker's values add to the point's (cmd and argv only).
constexpr const char* kRankNames[] = {"rank", "begin", "end"};

// ---------------------------------------------------------------------------------------
// Running a program.

struct Program {
    std::string path;  // what execve runs
    std::vector<std::string> argv, env;
    std::string dir;
    bool shell = false;  // /bin/sh -c: its 126 and 127 mean "cannot run" and "not found"
};

struct Ended {
    int status = 0;
    rusage usage{};
    double wall_s = 0;
    std::string error;  // it could not be started ("cannot run 'x': …"), or did not end in time
};

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The environment of `program` runs with: this process's, with `vars` set.
std::vector<std::string> environment(const std::map<std::string, std::string>& vars) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string_view kv(*e);
        if (!vars.count(std::string(kv.substr(0, kv.find('='))))) env.emplace_back(kv);
    }
    for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
    return env;
}

// `name` as execve needs it: a path (relative to `dir`) when it has a slash, else looked up on
// PATH. Throws std::runtime_error saying why it cannot be run.
std::string find_program(const std::string& name, const std::string& dir) {
    auto runnable = [](const fs::path& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
    };
    if (name.find('/') != std::string::npos) {
        const fs::path p = fs::path(dir) / name;
        if (!runnable(p))
            throw std::runtime_error(fmt::format(
                "cannot run '{}': {}", p.string(),
                access(p.c_str(), F_OK) != 0 ? "no such file" : "not an executable file"));
        return p.string();
    }
    const char* path = std::getenv("PATH");
    const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t b = 0; b <= dirs.size();) {
        const std::size_t e = std::min(dirs.find(':', b), dirs.size());
        const fs::path candidate = fs::path(e > b ? dirs.substr(b, e - b) : dir) / name;
        if (runnable(candidate)) return candidate.string();
        b = e + 1;
    }
    throw std::runtime_error(fmt::format("cannot run '{}': not found on PATH ({})", name, dirs));
}

// An anonymous file for a program's output (gone when closed). Throws std::runtime_error.
int output_file() {
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = tmp && *tmp ? tmp : "/tmp";
    int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {  // a file system without O_TMPFILE
        std::string name = dir + "/parsweep-command-XXXXXX";
        fd = mkostemp(name.data(), O_CLOEXEC);
        if (fd >= 0) unlink(name.c_str());
    }
    if (fd < 0)
        throw std::runtime_error(fmt::format(
            "cannot create a file for the program's output in {}: {}", dir, std::strerror(errno)));
    return fd;
}

// Starts `p` with standard input /dev/null and standard output and error on `out` and `err`
// (the same descriptor for both is allowed); it dies with this process (PR_SET_PDEATHSIG).
// Returns its pid, or -1 with `error` saying why it could not start.
pid_t start(const Program& p, int out, int err, std::string& error) {
    std::vector<char*> argv, envp;
    for (const auto& a : p.argv) argv.push_back(const_cast<char*>(a.c_str()));
    for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    int report[2];  // the child's errno when it cannot exec; closed by a successful exec
    if (pipe2(report, O_CLOEXEC) != 0) {
        error = fmt::format("cannot start '{}': {}", p.argv[0], std::strerror(errno));
        return -1;
    }
    const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {  // only async-signal-safe calls until execve
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int why[2] = {0, 0};  // {what failed: 0 chdir, 1 exec; errno}
        // Nothing but standard input, output and error reaches the program: not the worker's
        // protocol pipes, nor an MPI library's sockets (close_range is a system call).
        if (getppid() == parent && chdir(p.dir.c_str()) == 0 && dup2(devnull, 0) == 0 &&
            dup2(out, 1) == 1 && dup2(err, 2) == 2 &&
            (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0 || errno == EINVAL || errno == ENOSYS)) {
            why[0] = 1;
            execve(p.path.c_str(), argv.data(), envp.data());
        }
        why[1] = errno;
        (void)!write(report[1], why, sizeof why);
        _exit(127);
    }
    const int fork_errno = errno;
    close(report[1]);
    if (devnull >= 0) close(devnull);
    int why[2];
    ssize_t n;
    do n = pid > 0 ? read(report[0], why, sizeof why) : 0;
    while (n < 0 && errno == EINTR);
    close(report[0]);
    if (pid < 0) error = fmt::format("cannot start '{}': {}", p.argv[0], std::strerror(fork_errno));
    if (n == sizeof why)
        error = why[0] == 0
                    ? fmt::format("cannot enter workdir {}: {}", p.dir, std::strerror(why[1]))
                    : fmt::format("cannot run '{}': {}", p.path, std::strerror(why[1]));
    if (pid > 0 && !error.empty()) waitpid(pid, nullptr, 0);
    return error.empty() ? pid : -1;
}

// Waits for `pid` (through EINTR), at most `timeout_s` when > 0: then it is killed and the
// result says so.
Ended wait_for(pid_t pid, double started, double timeout_s) {
    Ended end;
    for (;;) {
        const pid_t r = wait4(pid, &end.status, timeout_s > 0 ? WNOHANG : 0, &end.usage);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            end.error = fmt::format("cannot wait for it: {}", std::strerror(errno));
            break;
        }
        if (timeout_s > 0 && now_s() - started > timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
            end.error = fmt::format("did not end within {:.3g} s", timeout_s);
            break;
        }
        if (timeout_s > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    end.wall_s = now_s() - started;
    return end;
}

// Runs `p` to its end (killed after `timeout_s` when > 0). What it left running is ended
// apart (end_all_children), outside any timed region: looking for it reads /proc.
Ended run_program(const Program& p, int out, int err, double timeout_s) {
    const double started = now_s();
    Ended end;
    const pid_t pid = start(p, out, err, end.error);
    if (pid > 0) end = wait_for(pid, started, timeout_s);
    return end;
}

// The last `lines` lines of `text` that are not empty, joined by " | " (at most 600 bytes):
// what a failure quotes of a program's output.
std::string last_lines(std::string_view text, int lines) {
    std::vector<std::string_view> kept;
    while (!text.empty() && static_cast<int>(kept.size()) < lines) {
        const std::size_t nl = text.rfind('\n');
        const std::string_view line = text.substr(nl == std::string_view::npos ? 0 : nl + 1);
        text = text.substr(0, nl == std::string_view::npos ? 0 : nl);
        if (line.find_first_not_of(" \t\r") != std::string_view::npos)
            kept.insert(kept.begin(), line);
    }
    std::string tail = fmt::format("{}", fmt::join(kept, " | "));
    if (tail.size() > 600) tail = "…" + tail.substr(tail.size() - 600);
    return tail;
}

// How a program ended, "" when it exited 0: "exited with status 3", "killed by SIGSEGV". A
// shell reports a command killed by signal N as status 128 + N.
std::string how_it_ended(const Ended& e, bool shell) {
    if (!e.error.empty()) return e.error;
    if (WIFSIGNALED(e.status)) return "killed by " + signal_name(WTERMSIG(e.status));
    const int code = WIFEXITED(e.status) ? WEXITSTATUS(e.status) : -1;
    if (code == 0) return "";
    if (shell && code > 128 && code < 128 + 65)
        return fmt::format("killed by {} (the shell's status {})", signal_name(code - 128), code);
    const char* meaning = !shell        ? ""
                          : code == 127 ? " (the shell found no such command)"
                          : code == 126 ? " (the shell could not run the command)"
                                        : "";
    return fmt::format("exited with status {}{}", code, meaning);
}

// The contents of `fd` from its start: its last kMaxOutputBytes, and its whole size.
std::string read_back(int fd, std::uint64_t& size) {
    struct stat st {};
    size = fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    const std::uint64_t from = size > kMaxOutputBytes ? size - kMaxOutputBytes : 0;
    std::string text(size - from, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n =
            pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(from + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    return text;
}

// A compiled `expect`: a POSIX extended regular expression, ^ and $ at every line.
class Pattern {
  public:
    explicit Pattern(const std::string& text) {
        const int rc = regcomp(&re_, text.c_str(), REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
        if (rc == 0) {
            ok_ = true;
            return;
        }
        char buf[256];
        regerror(rc, &re_, buf, sizeof buf);
        error_ = buf;
    }
    ~Pattern() {
        if (ok_) regfree(&re_);
    }
    Pattern(const Pattern&) = delete;
    Pattern& operator=(const Pattern&) = delete;
    const std::string& error() const { return error_; }
    // Whether it matches somewhere in `text` (NUL bytes and all: REG_STARTEND).
    bool found_in(const std::string& text) const {
        regmatch_t range{0, static_cast<regoff_t>(text.size())};
        return ok_ && regexec(&re_, text.c_str(), 1, &range, REG_STARTEND) == 0;
    }

  private:
    regex_t re_{};
    bool ok_ = false;
    std::string error_;
};

// The last `parsweep-time: SECONDS` line of `out`: nullopt when there is none; NaN when its
// value is not a number.
std::optional<double> reported_time(const std::string& out, std::string& text) {
    std::optional<double> seconds;
    for (std::size_t at = out.find(kTimeLine); at != std::string::npos;
         at = out.find(kTimeLine, at + 1)) {
        if (at > 0 && out[at - 1] != '\n') continue;  // only at the start of a line
        const std::size_t begin = at + std::strlen(kTimeLine);
        const std::size_t end = std::min(out.find('\n', begin), out.size());
        text = out.substr(begin, end - begin);
        char* stop = nullptr;
        const double v = std::strtod(text.c_str(), &stop);
        const char* rest = stop;
        const bool blank_after = std::all_of(rest, text.c_str() + text.size(), [](char c) {
            return std::isspace(static_cast<unsigned char>(c));
        });
        seconds = stop != text.c_str() && blank_after && std::isfinite(v) && v >= 0 ? v : NAN;
    }
    return seconds;
}

// One worker's run of the program.
class CommandRun final : public KernelRun {
  public:
    CommandRun(const CommandParams& p, const Share& share);
    ~CommandRun() override {
        for (int fd : {out_, err_})
            if (fd >= 0) close(fd);
    }

    void run(std::uint64_t, std::uint64_t) override {
        for (int fd : {out_, err_}) {  // empty, written from the start
            (void)!ftruncate(fd, 0);
            (void)lseek(fd, 0, SEEK_SET);
        }
        output_read_ = false;
        ended_ = run_program(program_, out_, err_, 0);
    }
    double setup_s() override;
    Verdict check(std::uint64_t, std::uint64_t) override;
    json partial() const override;

  private:
    CommandParams params_;
    Share share_;
    Program program_;
    int out_ = -1, err_ = -1;
    Ended ended_;
    // Its standard output, read back once after it ended (setup_s() or check()).
    void read_output();
    bool output_read_ = false;
    std::string stdout_;
    std::uint64_t stdout_bytes_ = 0;
    std::optional<double> reported_s_;
    std::string reported_text_;
};

CommandRun::CommandRun(const CommandParams& p, const Share& share) : params_(p), share_(share) {
    const std::uint64_t begin = share.begin, end = share.end;
    std::map<std::string, std::string> values =
        point_values(p.values, share.processes, share.threads);
    values["rank"] = std::to_string(share.worker);
    values["begin"] = std::to_string(begin);
    values["end"] = std::to_string(end);
    program_.dir = p.workdir;
    program_.shell = !p.cmd.empty();
    if (program_.shell) {
        program_.path = "/bin/sh";
        program_.argv = {"sh", "-c", expand(p.cmd, values)};
    } else {
        for (const auto& a : p.argv) program_.argv.push_back(expand(a, values));
        program_.path = find_program(program_.argv[0], p.workdir);
    }
    program_.env = environment({{"PARSWEEP_PROCESSES", std::to_string(share.processes)},
                                {"PARSWEEP_THREADS", std::to_string(share.threads)},
                                {"PARSWEEP_RANK", std::to_string(share.worker)},
                                {"PARSWEEP_ITEMS", std::to_string(p.items)},
                                {"PARSWEEP_BEGIN", std::to_string(begin)},
                                {"PARSWEEP_END", std::to_string(end)}});
    out_ = output_file();
    err_ = output_file();
    become_subreaper();  // what the program leaves behind comes back to this worker
}

void CommandRun::read_output() {
    if (output_read_) return;
    output_read_ = true;
    stdout_ = read_back(out_, stdout_bytes_);
    reported_s_ = reported_time(stdout_, reported_text_);
}

double CommandRun::setup_s() {
    read_output();
    if (!reported_s_ || std::isnan(*reported_s_)) return 0;
    return std::max(0.0, ended_.wall_s - *reported_s_);
}

Verdict CommandRun::check(std::uint64_t, std::uint64_t) {
    end_all_children();  // the program's background jobs, left to this worker
    read_output();
    std::uint64_t err_bytes = 0;
    const std::string err = read_back(err_, err_bytes);
    const std::string said = err.empty() ? "" : "; stderr: " + last_lines(err, 5);
    if (std::string end = how_it_ended(ended_, program_.shell); !end.empty())
        return Verdict::fail(
            fmt::format("{} {}{}", program_.argv[program_.shell ? 2 : 0], end, said));
    if (reported_s_ && std::isnan(*reported_s_))
        return Verdict::fail(
            fmt::format("{} '{}' is not a number of seconds", kTimeLine, reported_text_));
    if (reported_s_ && *reported_s_ > ended_.wall_s * 1.01 + 0.001)
        return Verdict::fail(fmt::format(
            "{} {} s is longer than the program ran ({:.3g} s): print seconds, measured in it",
            kTimeLine, *reported_s_, ended_.wall_s));
    const bool whole = stdout_bytes_ <= kMaxOutputBytes;
    if (!params_.expect.empty()) {
        if (!whole)
            return Verdict::fail(fmt::format("its output is {} bytes: expect reads at most {}",
                                             stdout_bytes_, kMaxOutputBytes));
        if (!Pattern(params_.expect).found_in(stdout_))
            return Verdict::fail(fmt::format("its output does not match expect \"{}\": {}",
                                             params_.expect,
                                             stdout_.empty() ? "(none)" : last_lines(stdout_, 3)));
    }
    if (!params_.check.empty() && !whole)
        return Verdict::fail(fmt::format("its output is {} bytes: check is given at most {}",
                                         stdout_bytes_, kMaxOutputBytes));
    return Verdict::pass();
}

json CommandRun::partial() const {
    const bool reported = reported_s_ && !std::isnan(*reported_s_);
    json j = {{"rank", share_.worker},
              {"processes", share_.processes},
              {"threads", share_.threads},
              {"wall_s", ended_.wall_s},
              {"compute_s", reported ? *reported_s_ : ended_.wall_s},
              {"timed_by", reported ? kTimeLine : "wall"}};
    if (!params_.check.empty()) j["stdout"] = stdout_;
    return j;
}

// Writes the workers' outputs into a directory of their own, runs `check` with their paths in
// PARSWEEP_OUTPUTS, and says whether it passed. The directory is removed.
json run_check(const CommandParams& p, const std::vector<json>& partials) {
    const int P = partials.empty() ? 1 : partials[0].at("processes").get<int>();
    const int T = partials.empty() ? 1 : partials[0].at("threads").get<int>();
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/parsweep-check-XXXXXX";
    if (!mkdtemp(dir.data()))
        return {{"ok", false},
                {"message",
                 fmt::format("cannot make a directory for the outputs: {}", std::strerror(errno))}};
    std::string outputs;
    std::error_code ec;
    for (const auto& part : partials) {
        const std::string path = fmt::format("{}/rank-{}.out", dir, part.at("rank").get<int>());
        std::FILE* f = std::fopen(path.c_str(), "wbe");
        const std::string text = part.value("stdout", "");
        const bool written = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
        if (f) std::fclose(f);
        if (!written) {
            fs::remove_all(dir, ec);
            return {{"ok", false}, {"message", fmt::format("cannot write {}", path)}};
        }
        outputs += (outputs.empty() ? "" : " ") + path;
    }
    Program check;
    check.path = "/bin/sh";
    check.argv = {"sh", "-c", expand(p.check, point_values(p.values, P, T))};
    check.dir = p.workdir;
    check.shell = true;
    check.env = environment({{"PARSWEEP_OUTPUTS", outputs},
                             {"PARSWEEP_PROCESSES", std::to_string(P)},
                             {"PARSWEEP_THREADS", std::to_string(T)},
                             {"PARSWEEP_ITEMS", std::to_string(p.items)}});
    json verdict = {{"ok", true}};
    try {
        const int said = output_file();
        const Ended end = run_program(check, said, said, p.check_timeout_s);
        end_all_children();  // its background jobs; a Pool's processes, when it was killed
        std::uint64_t bytes = 0;
        const std::string text = read_back(said, bytes);
        close(said);
        if (std::string how = how_it_ended(end, true); !how.empty())
            verdict = {{"ok", false},
                       {"message", fmt::format("check {}{}", how,
                                               text.empty() ? "" : ": " + last_lines(text, 5))}};
    } catch (const std::exception& e) {
        verdict = {{"ok", false}, {"message", std::string("check: ") + e.what()}};
    }
    fs::remove_all(dir, ec);
    return verdict;
}

class CommandKernel {
  public:
    using Params = CommandParams;

    std::string_view id() const { return "command"; }
    std::string_view summary() const {
        return "your own program or script (cmd or argv), run by every worker with the thread "
               "variables set; verified by its exit status, expect and check";
    }
    const std::vector<Param<CommandParams>>& declared() const { return command_params(); }
    bool takes_variables() const { return true; }
    bool runs_empty_shares() const { return true; }

    std::vector<ParamError> validate(const Params& p) const;

    std::uint64_t items(const Params& p) const { return p.items; }
    // A program's memory is its own: parsweep cannot know it, and does not guess.
    std::uint64_t memory_bytes(const Params&, std::uint64_t, int) const { return 0; }
    Work work(const Params& p) const { return {0, 0, static_cast<double>(p.items), "item"}; }

    std::unique_ptr<KernelRun> prepare(const Params& p, const Share& share) const {
        return std::make_unique<CommandRun>(p, share);
    }

    // The ranks that ran, the workers' times (the largest of each), and the check's verdict
    // when there is one.
    json merge(const Params& p, const std::vector<json>& partials) const {
        json result = {{"processes", partials.empty() ? 0 : partials[0].at("processes").get<int>()},
                       {"programs", partials.size()},
                       {"ranks", json::array()},
                       {"wall_s", 0.0},
                       {"compute_s", 0.0},
                       {"setup_s", 0.0},
                       {"timed_by", "wall"}};
        for (const auto& part : partials) {
            const double wall = part.at("wall_s").get<double>();
            const double compute = part.at("compute_s").get<double>();
            result["ranks"].push_back(part.at("rank"));
            result["wall_s"] = std::max(result["wall_s"].get<double>(), wall);
            result["compute_s"] = std::max(result["compute_s"].get<double>(), compute);
            result["setup_s"] = std::max(result["setup_s"].get<double>(), wall - compute);
            if (part.at("timed_by") != "wall") result["timed_by"] = kTimeLine;
        }
        if (!p.check.empty()) result["check"] = run_check(p, partials);
        return result;
    }

    // Every rank ran its program once (the worker checked how it ended), and the check passed.
    Verdict verify(const Params& p, const json& result) const {
        const int P = result.at("processes").get<int>();
        const auto ranks = result.at("ranks").get<std::vector<int>>();
        for (int r = 0; r < P; ++r)
            if (std::count(ranks.begin(), ranks.end(), r) != 1 || ranks.size() != std::size_t(P))
                return Verdict::fail(fmt::format("{} of {} programs reported (ranks {})",
                                                 ranks.size(), P, result.at("ranks").dump()));
        if (!p.check.empty() && !result.contains("check"))
            return Verdict::fail("the check did not run");
        if (result.contains("check") && !result["check"].at("ok").get<bool>())
            return Verdict::fail(result["check"].at("message").get<std::string>());
        return Verdict::pass();
    }
};

std::vector<ParamError> CommandKernel::validate(const Params& p) const {
    std::vector<ParamError> errors;
    if (p.cmd.empty() == p.argv.empty())
        errors.push_back({p.cmd.empty() ? "cmd" : "argv",
                          p.cmd.empty() ? "give the program to run: cmd (a shell command) or argv "
                                          "(a program and its arguments)"
                                        : "give cmd or argv, not both"});
    for (const char* reserved : kRankNames)
        if (p.values.contains(reserved))
            errors.push_back({reserved, fmt::format("{{{}}} is set by parsweep for each worker: "
                                                    "give your variable another name",
                                                    reserved)});
    std::map<std::string, std::string> known = point_values(p.values, 1, 1);
    auto unknown_in = [&](const std::string& param, const std::string& text) {
        std::vector<std::string> unknown;
        expand(text, known, &unknown);
        for (const auto& name : unknown)
            errors.push_back(
                {param, fmt::format("{{{}}} is not a parameter or axis of this run{}", name,
                                    param == "check" && std::count(std::begin(kRankNames),
                                                                   std::end(kRankNames), name)
                                        ? " (check runs once for every worker)"
                                        : "")});
    };
    unknown_in("check", p.check);
    for (const char* name : kRankNames) known[name] = "";
    unknown_in("cmd", p.cmd);
    for (const auto& a : p.argv) unknown_in("argv", a);
    if (!p.expect.empty())
        if (const Pattern re(p.expect); !re.error().empty())
            errors.push_back({"expect", "not a regular expression: " + re.error()});
    return errors;
}

}  // namespace

const Kernel& command_kernel() {
    static const KernelOf<CommandKernel> kernel;
    return kernel;
}

}  // namespace parsweep
