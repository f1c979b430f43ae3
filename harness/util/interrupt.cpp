#include "util/interrupt.hpp"

#include <csignal>
#include <string>

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

Interrupted::Interrupted(int signal)
    : std::runtime_error("interrupted by signal " + std::to_string(signal)), signal_(signal) {}

void throw_if_interrupted() {
    if (const int sig = interrupted()) throw Interrupted(sig);
}

}  // namespace parsweep
