#include "util/subprocess.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace parsweep {

namespace {

// Reads `fd` to its end into `out` (when given), then closes it.
void read_all(int fd, std::string* out) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0 && out) out->append(buf, static_cast<std::size_t>(n));
    close(fd);
}

}  // namespace

int run_program(const std::vector<std::string>& argv, Output output, std::string* captured) {
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
        if (rc == 0)
            read_all(fds[0], captured);
        else
            close(fds[0]);
    }
    if (rc != 0) {
        if (captured) *captured = std::strerror(rc);
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace parsweep
