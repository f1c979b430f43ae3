#include "process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace parsweep {

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

bool become_subreaper() {
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

namespace {

// The parent pid in /proc/<pid>/stat ("pid (comm) state ppid …"; comm may hold spaces and
// parentheses, so the fields are counted from the last ')'), or -1.
pid_t parent_of(const char* pid) {
    const std::string path = std::string("/proc/") + pid + "/stat";
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[512];
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    const std::string stat(buf);
    const std::size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos || close_paren + 4 >= stat.size()) return -1;
    return static_cast<pid_t>(std::atol(stat.c_str() + close_paren + 4));  // ") S ppid"
}

// Reaps every child that has ended, adding them to `reaped`; true when this process has no
// child at all.
bool reap_ended(int& reaped) {
    for (;;) {
        int status;
        const pid_t r = waitpid(-1, &status, WNOHANG);
        if (r > 0) {
            ++reaped;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        return r < 0 && errno == ECHILD;
    }
}

}  // namespace

std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> out;
    DIR* proc = opendir("/proc");
    if (!proc) return out;
    while (const dirent* e = readdir(proc)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        if (parent_of(e->d_name) == parent) out.push_back(static_cast<pid_t>(std::atol(e->d_name)));
    }
    closedir(proc);
    return out;
}

int end_all_children() {
    int reaped = 0;
    const pid_t self = getpid();
    // A killed child's own children come to this process only once the child has died, so
    // the loop kills what it finds, reaps what died, and looks again until nothing is left.
    // A child /proc does not show (hidden, or on its way to this process) is looked for again
    // for a while, never waited for blindly: it may never end by itself. A child that cannot
    // be killed (another user's, after a set-user-ID exec) is given up on after about 30 s.
    for (int unseen = 0, round = 0; unseen < 2000 && round < 30000; ++round) {
        // Reaped before the look, never after: a pid it finds stays this process's child
        // (alive or a zombie) until this process reaps it, so the kill cannot reach another.
        const bool none = reap_ended(reaped);
        const std::vector<pid_t> children = children_of(self);
        if (none && children.empty()) return reaped;
        for (pid_t c : children) kill(c, SIGKILL);
        unseen = children.empty() ? unseen + 1 : 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return reaped;
}

}  // namespace parsweep
