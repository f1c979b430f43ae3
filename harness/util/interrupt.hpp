// SIGINT and SIGTERM (Slurm sends SIGTERM at the time limit): the handler only records the
// signal; the launcher's poll loop sees it (poll returns EINTR), stops the workers, and the
// runner ends the sweep as "incomplete" with everything finished so far written.
#pragma once

namespace parsweep {

// Installs the handlers (without SA_RESTART, so that a blocked poll returns EINTR).
void install_interrupt_handlers();

// The signal that asked the run to stop, or 0.
int interrupted();

}  // namespace parsweep
