// SIGINT and SIGTERM (Slurm sends SIGTERM at the time limit): the handler only records the
// signal; the launcher's poll loop sees it (poll returns EINTR), stops the workers, and the
// runner ends the sweep as "incomplete" with everything finished so far written. A long step
// before the first point (the calibration, the wait for another's calibration) looks at the
// flag at least every few milliseconds and throws Interrupted, so that the command ends
// within a second with 128 + the signal, leaving nothing half-written.
#pragma once

#include <stdexcept>

namespace parsweep {

// Installs the handlers (without SA_RESTART, so that a blocked poll returns EINTR).
void install_interrupt_handlers();

// The signal that asked the run to stop, or 0.
int interrupted();

// What a step that SIGINT or SIGTERM ended throws: it abandoned its work, kept nothing of it,
// and stopped every process it had started. `signal` is the one received.
class Interrupted : public std::runtime_error {
  public:
    explicit Interrupted(int signal);
    int signal() const { return signal_; }

  private:
    int signal_;
};

// Throws Interrupted when a signal was received.
void throw_if_interrupted();

}  // namespace parsweep
