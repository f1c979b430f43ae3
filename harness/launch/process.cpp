#include "launch/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "measure/clock.hpp"
#include "util/interrupt.hpp"

namespace parsweep {

namespace {

// `fd` moved to a close-on-exec descriptor ≥ 10.
int high_fd(int fd) {
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    close(fd);
    return h;
}

}  // namespace

void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
}

bool Pipe::open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read = high_fd(fds[0]);
    write = high_fd(fds[1]);
    if (read >= 0 && write >= 0) return true;
    const int error = errno;
    close_fd(read);
    close_fd(write);
    errno = error;
    return false;
}

CStrings::CStrings(std::vector<std::string> strings) : strings_(std::move(strings)) {
    for (auto& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
}

int spawn_process(Process& p, const CStrings& argv, const CStrings& envp,
                  const std::vector<std::pair<int, int>>& fds) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    for (const auto& [parent, child] : fds) posix_spawn_file_actions_adddup2(&fa, parent, child);
    const int rc = posix_spawn(&p.pid, argv.front(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) p.pid = -1;
    return rc;
}

// fork rather than posix_spawn for PR_SET_PDEATHSIG; the child calls only async-signal-safe
// functions before execve.
std::string start_in_group(Process& p, const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, int& out, int& err) {
    const CStrings args(argv), envp(env);
    Pipe o, e;
    if (!o.open()) return std::string("cannot create pipes: ") + strerror(errno);
    if (!e.open()) {
        const std::string why = std::string("cannot create pipes: ") + strerror(errno);
        close_fd(o.read), close_fd(o.write);
        return why;
    }
    const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);  // parsweep died before prctl
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(o.write, 1) < 0 || dup2(e.write, 2) < 0)
            _exit(127);
        execve(args.front(), args.data(), envp.data());
        _exit(127);
    }
    const int fork_errno = errno;
    if (devnull >= 0) close(devnull);
    close_fd(o.write);
    close_fd(e.write);
    if (pid < 0) {
        close_fd(o.read), close_fd(e.read);
        return fmt::format("cannot start {}: {}", argv[0], strerror(fork_errno));
    }
    setpgid(pid, pid);  // also here: no signal may reach the group before the child set it
    p.pid = pid;
    out = o.read;
    err = e.read;
    return "";
}

void kill_process(Process& p) {
    if (p.pid <= 0 || p.reaped) return;
    kill(p.pid, SIGKILL);
    p.killed_by_us = true;
}

void reap(Process& p) {
    if (p.pid <= 0 || p.reaped) return;
    int status = 0;
    pid_t r;
    do {
        r = wait4(p.pid, &status, 0, &p.usage);
    } while (r < 0 && errno == EINTR);
    p.reaped = true;
    p.status = status;
}

bool reap_until(Process& p, double until) {
    while (!p.reaped) {
        const pid_t r = wait4(p.pid, &p.status, WNOHANG, &p.usage);
        if (r == p.pid || (r < 0 && errno == ECHILD)) {
            p.reaped = true;
            break;
        }
        if (monotonic_s() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

void stop_group(Process& p, double grace_s) {
    if (p.pid <= 0 || p.reaped) return;
    kill(-p.pid, SIGTERM);
    if (reap_until(p, monotonic_s() + grace_s)) return;
    kill(-p.pid, SIGKILL);
    reap_until(p, std::numeric_limits<double>::max());
}

std::string poll_pipes(const Watch& watch, const OnRead& on_read, double deadline) {
    std::vector<Watched> watched;
    std::vector<pollfd> fds;
    for (;;) {
        watched.clear();
        if (!watch(watched)) return "";
        if (interrupted()) return "interrupted";
        const double left = deadline - monotonic_s();
        if (left <= 0) return "timed out";
        fds.clear();
        for (const auto& w : watched) fds.push_back({w.fd, POLLIN, 0});
        const int n =
            poll(fds.data(), fds.size(), static_cast<int>(std::min(left * 1000 + 1, 1000.0)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::string("poll failed: ") + std::strerror(errno);
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            const ssize_t got = read(fds[k].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            const std::string_view bytes(buf, got > 0 ? static_cast<std::size_t>(got) : 0);
            if (std::string failure = on_read(watched[k], bytes, got <= 0); !failure.empty())
                return failure;
        }
    }
}

void keep_tail(std::string& tail, std::string_view bytes, std::size_t max_bytes) {
    tail.append(bytes);
    if (tail.size() > max_bytes) tail.erase(0, tail.size() - max_bytes);
}

void read_rest(int& fd, std::string& into) {
    if (fd < 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) into.append(buf, static_cast<std::size_t>(n));
    close_fd(fd);
}

}  // namespace parsweep
