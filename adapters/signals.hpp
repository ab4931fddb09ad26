// adapters/signals.hpp - SIGINT/SIGTERM/SIGHUP turned into a counter, and signal names.
//
// A test runner must not die on Ctrl-C before it has stopped its workers and
// kept the results that already arrived, nor when its terminal closes
// (SIGHUP). An interrupt_guard blocks SIGINT, SIGTERM and SIGHUP in its thread; the process loop (process.hpp) unblocks them only
// inside ppoll, atomically, so an interrupt can never slip in between "check
// the counter" and "go to sleep".
#pragma once

#include <csignal>
#include <string>

namespace testr::process {

/// While alive: SIGINT, SIGTERM and SIGHUP are blocked in the thread that created the
/// guard, and when delivered (inside a loop's wait) they are only counted, see
/// interrupt_count(). Create it in the main thread before starting other
/// threads (they inherit the mask) and run loops in that thread. Guards nest;
/// destroy them in reverse order. The destructor first unblocks (a pending
/// signal is then counted, not fatal), then restores the previous handlers.
class interrupt_guard {
public:
    interrupt_guard();
    ~interrupt_guard();
    interrupt_guard(const interrupt_guard&) = delete;
    interrupt_guard& operator=(const interrupt_guard&) = delete;

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
    struct sigaction old_hup_ {};
    sigset_t old_mask_{};
};

/// SIGINT/SIGTERM/SIGHUP delivered while a guard was installed, since program start.
/// Async-signal-safe to read; loops compare it against their own baseline.
unsigned interrupt_count() noexcept;

/// The most recent of those signals (SIGINT or SIGTERM); 0 if none yet.
int last_interrupt_signal() noexcept;

/// Counts the interrupts that arrived while no loop was waiting (they are
/// held blocked until then), so work that never waits, such as a commit,
/// can still tell it was interrupted. Returns interrupt_count().
unsigned count_pending_interrupts() noexcept;

/// The mask to wait with in ppoll: the calling thread's mask, minus SIGINT
/// and SIGTERM while a guard is installed (otherwise unchanged, so a caller
/// that blocks them for its own reasons keeps them blocked).
sigset_t wait_mask();

/// "SIGTERM" for SIGTERM; "signal 42" for a number without a name.
std::string signal_name(int sig);

}  // namespace testr::process
