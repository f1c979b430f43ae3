#include "util/interrupt.hpp"

#include <csignal>

namespace parsweep {

namespace {
volatile std::sig_atomic_t received = 0;
extern "C" void on_signal(int sig) {
    received = sig;
}
}  // namespace

void install_interrupt_handlers() {
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: interrupt poll()
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int interrupted() {
    return received;
}

}  // namespace parsweep
