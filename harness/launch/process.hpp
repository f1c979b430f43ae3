// The process layer both launch strategies stand on: start a child with its pipes, poll a set
// of pipes under a deadline and the interrupt flag, signal, reap, and keep the tail of what a
// child printed. It knows nothing of workers, ranks or the protocol.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parsweep {

// Closes `fd` when open and marks it closed (-1).
void close_fd(int& fd);

// A pipe whose ends are close-on-exec and above the standard descriptors and the protocol's
// fds 3 and 4, so that a dup2 in the child never meets a descriptor already in place.
struct Pipe {
    int read = -1, write = -1;
    // False (errno set) when it could not be made; no end is left open then.
    bool open();
};

// Strings as the NULL-terminated char* array execve and posix_spawn take. Built before a
// timed interval, so that the interval holds only the start itself.
class CStrings {
  public:
    explicit CStrings(std::vector<std::string> strings);
    CStrings(const CStrings&) = delete;
    CStrings& operator=(const CStrings&) = delete;
    char* const* data() const { return pointers_.data(); }
    const char* front() const { return pointers_.front(); }

  private:
    std::vector<std::string> strings_;
    std::vector<char*> pointers_;
};

// A child process as the parent sees it.
struct Process {
    pid_t pid = -1;
    bool reaped = false;
    int status = 0;             // wait status once reaped
    rusage usage{};             // what the OS charged it, once reaped by reap()
    bool killed_by_us = false;  // parsweep sent it a SIGKILL (kill())
};

// posix_spawn of argv[0] (a path) with `envp`: stdin /dev/null, and each pair's parent
// descriptor (first) as the child's descriptor (second). Returns posix_spawn's error number
// (0: started, p.pid set; else p.pid is -1).
int spawn_process(Process& p, const CStrings& argv, const CStrings& envp,
                  const std::vector<std::pair<int, int>>& fds);

// Starts argv[0] (a path) with `env`: stdin /dev/null, stdout and stderr on pipes whose
// reading ends are returned in `out` and `err`, in a process group of its own (so that it can
// be stopped with everything it started) and dying with parsweep (PR_SET_PDEATHSIG). Returns
// "" or why it could not start ("cannot create pipes: …", "cannot start …: …").
std::string start_in_group(Process& p, const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, int& out, int& err);

// SIGKILL to `p` alone, when it runs and was not reaped; marks it killed_by_us.
void kill_process(Process& p);

// Waits for `p` to end (blocking, through EINTR) and records its status and resource usage.
// Nothing happens for a process that never started or was reaped already.
void reap(Process& p);

// Waits until `p` ends (polling every 5 ms) or `until` (CLOCK_MONOTONIC) passes. True when it
// was reaped (a child that is not ours any more counts as reaped).
bool reap_until(Process& p, double until);

// Stops `p`'s process group: SIGTERM first, so that it can stop what it started, SIGKILL when
// it has not gone after `grace_s`; then reaps it.
void stop_group(Process& p, double grace_s);

// A pipe being polled; `source` tells the reader which one (its index, its role).
struct Watched {
    int fd;
    std::size_t source;
};
// Handles bytes read from a watched pipe (`eof`: it was closed, or could not be read).
// Returns "" to go on, or the failure that ends the polling.
using OnRead = std::function<std::string(const Watched&, std::string_view bytes, bool eof)>;
// Fills the pipes to poll; returns whether to go on waiting.
using Watch = std::function<bool(std::vector<Watched>&)>;

// Polls the pipes `watch` names, reading what arrives into `on_read`, until `watch` says the
// waiting is over (returns ""), `on_read` returns a failure (returned), parsweep is
// interrupted ("interrupted"), `deadline` (CLOCK_MONOTONIC) passes ("timed out"), or poll
// fails ("poll failed: …"). poll wakes at least once a second to look at the interrupt flag.
std::string poll_pipes(const Watch& watch, const OnRead& on_read, double deadline);

// Appends `bytes` to `tail`, keeping its last `max_bytes`.
void keep_tail(std::string& tail, std::string_view bytes, std::size_t max_bytes);

// Reads `fd` to its end into `into` (blocking), then closes it. Nothing when it is closed.
void read_rest(int& fd, std::string& into);

}  // namespace parsweep
