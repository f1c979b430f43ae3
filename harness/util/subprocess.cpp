#include "util/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "util/interrupt.hpp"

extern char** environ;

namespace parsweep {

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left before `deadline` for poll(): -1 (no limit) without one, 0 once past it.
int ms_left(const std::optional<Clock::time_point>& deadline) {
    if (!deadline) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

// True once the program must be stopped: `deadline` has passed, or SIGINT or SIGTERM was
// received.
bool must_stop(const std::optional<Clock::time_point>& deadline) {
    return interrupted() != 0 || ms_left(deadline) == 0;
}

// Reads `fd` to its end into `out` (when given), then closes it. False when `deadline` or a
// signal came first (the program is still running). poll wakes at least once a second to
// look at the interrupt flag (a signal may land just before it blocks).
bool read_all(int fd, std::string* out, const std::optional<Clock::time_point>& deadline) {
    bool in_time = true;
    for (;;) {
        if (must_stop(deadline)) {
            in_time = false;
            break;
        }
        pollfd p{fd, POLLIN, 0};
        const int left_ms = ms_left(deadline);
        const int ready = poll(&p, 1, left_ms < 0 ? 1000 : std::min(left_ms, 1000));
        if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
        char buf[4096];
        const ssize_t n = ready < 0 ? -1 : read(fd, buf, sizeof buf);
        if (n > 0 && out) out->append(buf, static_cast<std::size_t>(n));
        if (n > 0 || (n < 0 && errno == EINTR)) continue;
        break;  // end of file, or an error that no retry mends
    }
    close(fd);
    return in_time;
}

// Waits for `pid` to end, killing it once `deadline` has passed or a signal was received; its
// status as run_program returns it. Looks every 10 ms (a blocking waitpid could miss a signal
// landing just before it).
int reap(pid_t pid, const std::optional<Clock::time_point>& deadline) {
    int status = 0;
    bool killed = false;
    for (;;) {
        if (!killed && must_stop(deadline)) {
            kill(pid, SIGKILL);
            killed = true;
        }
        const pid_t r = waitpid(pid, &status, killed ? 0 : WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return -1;
        if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_program(const std::vector<std::string>& argv, Output output, std::string* captured,
                double timeout_s) {
    std::optional<Clock::time_point> deadline;
    if (timeout_s > 0)
        deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(timeout_s));
    int fds[2] = {-1, -1};
    if (output == Output::capture && pipe(fds) != 0) {
        if (captured) *captured = std::strerror(errno);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (output == Output::capture) {
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
    } else if (output == Output::discard) {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (output == Output::capture) {
        close(fds[1]);
        if (rc == 0 && !read_all(fds[0], captured, deadline)) kill(pid, SIGKILL);
        if (rc != 0) close(fds[0]);
    }
    if (rc != 0) {
        if (captured) *captured = std::strerror(rc);
        return -1;
    }
    return reap(pid, deadline);
}

std::string first_line_of(const std::vector<std::string>& argv, double timeout_s) {
    std::string text;
    if (run_program(argv, Output::capture, &text, timeout_s) != 0) return "";
    return text.substr(0, text.find('\n'));
}

}  // namespace parsweep
