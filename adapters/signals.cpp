// adapters/signals.cpp - see signals.hpp.
#include "signals.hpp"

#include <atomic>
#include <cstring>
#include <pthread.h>

namespace testr::process {
namespace {

// Only lock-free atomics may be touched from a signal handler.
std::atomic<unsigned> g_count{0};
std::atomic<int> g_last{0};
std::atomic<int> g_guards{0};
static_assert(std::atomic<unsigned>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void count_interrupt(int sig) {
    g_last.store(sig, std::memory_order_relaxed);
    g_count.fetch_add(1, std::memory_order_release);
}

sigset_t interrupt_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

}  // namespace

interrupt_guard::interrupt_guard() {
    // Block first: between installing the handler and blocking, a signal
    // would merely be counted early, which is harmless either way round.
    const sigset_t set = interrupt_set();
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    struct sigaction sa {};
    sa.sa_handler = count_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    sigaction(SIGHUP, &sa, &old_hup_);
    g_guards.fetch_add(1);
}

interrupt_guard::~interrupt_guard() {
    g_guards.fetch_sub(1);
    // Unblock while our handler is still installed, so a pending interrupt
    // is counted instead of killing the process with the old disposition.
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGHUP, &old_hup_, nullptr);
}

unsigned interrupt_count() noexcept { return g_count.load(std::memory_order_acquire); }

int last_interrupt_signal() noexcept { return g_last.load(std::memory_order_relaxed); }

unsigned count_pending_interrupts() noexcept {
    if (g_guards.load() > 0) {
        // Unblocked for an instant: a pending signal is delivered to the
        // counting handler before pthread_sigmask returns.
        const sigset_t set = interrupt_set();
        sigset_t old;
        pthread_sigmask(SIG_UNBLOCK, &set, &old);
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    return interrupt_count();
}

sigset_t wait_mask() {
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    if (g_guards.load() > 0) {
        sigdelset(&mask, SIGINT);
        sigdelset(&mask, SIGTERM);
        sigdelset(&mask, SIGHUP);
    }
    return mask;
}

std::string signal_name(int sig) {
    if (const char* abbrev = sigabbrev_np(sig)) return std::string("SIG") + abbrev;
    return "signal " + std::to_string(sig);
}

}  // namespace testr::process
