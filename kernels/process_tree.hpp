// A program and everything it starts: ended together, reaped, nothing left behind.
//
// A process that dies leaves its children to the nearest "child subreaper" among its
// ancestors (prctl PR_SET_CHILD_SUBREAPER), else to init. The command kernel's worker makes
// itself one before it starts the user's program, and parsweep does before it starts workers,
// so that whatever a program started — a Python Pool's processes, a shell's background job —
// comes back to them when the program ends or is killed, and end_all_children() ends it.
//
// Used by the command kernel (kernels/command.cpp) in its workers and for its check, and by the
// launchers after a repetition whose workers parsweep killed (harness/launch/).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace parsweep {

// "SIGSEGV" (or "signal 42" for one without a name): how parsweep names the signal that
// ended a worker, a rank or a program.
std::string signal_name(int sig);

// Makes this process a child subreaper. False when the kernel refused (then orphans go to
// init as usual, and end_all_children() cannot end them).
bool become_subreaper();

// The processes whose parent is `parent` (zombies included), from /proc.
std::vector<pid_t> children_of(pid_t parent);

// Kills (SIGKILL) and reaps every child of this process, then the children those leave to it
// (a subreaper's), until it has none. Returns how many it ended. Only for a process none of
// whose children is still wanted: a worker after its program ended, parsweep after a
// repetition's workers were reaped.
int end_all_children();

}  // namespace parsweep
