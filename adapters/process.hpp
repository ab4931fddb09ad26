// adapters/process.hpp - child processes whose output is read live and whose
// death is never missed.
//
// One `loop` runs many children at once in one thread: each child's stdout
// and stderr are separate pipes multiplexed with ppoll, every chunk goes to a
// callback as it arrives, and each exit is reported once, after its output.
// Children run in their own process group and are stopped in stages (SIGTERM
// to the group, a grace period, SIGKILL to the group). See docs/process.md.
#pragma once

#include <testr/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signals.hpp"

namespace testr::process {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Identifies a child within its loop; never reused by that loop.
using child_id = std::uint64_t;

/// Why a child could not be started or watched. `code` is the errno of the
/// failing call (EMFILE, E2BIG, ENOENT...), 0 when no call failed (an empty
/// command); `interrupted`: the loop had been interrupted, so it starts
/// nothing more. `message` names the program or the call.
struct error {
    int code = 0;
    std::string message;
    bool interrupted = false;

    error() = default;
    error(int errno_value, std::string text, bool was_interrupted = false)
        : code(errno_value), message(std::move(text)), interrupted(was_interrupted) {}
};

enum class stream : unsigned char { out, err };

inline constexpr milliseconds default_grace{5000};
inline constexpr milliseconds default_drain{500};

/// How to start one child. Zero / empty means the default.
struct options {
    std::string working_directory;                         ///< empty: the parent's
    std::vector<std::pair<std::string, std::string>> env;  ///< added to / overriding the parent's
    std::string stdin_path;                                ///< empty: /dev/null
    milliseconds deadline{0};  ///< wall-clock limit from spawn, then staged stop; 0: none
    milliseconds grace{0};     ///< SIGTERM → SIGKILL delay; 0: default_grace
};

/// How one child ended. Exactly one of code >= 0 / signal > 0 holds, unless
/// the status was lost (SIGCHLD ignored by the caller): then code = -1, signal = 0.
struct exit_status {
    int code = -1;             ///< exit code when the child exited normally
    int signal = 0;            ///< terminating signal, else 0
    bool stopped = false;      ///< a staged stop had begun before it ended
    bool timed_out = false;    ///< ...because its deadline passed
    bool interrupted = false;  ///< ...because the parent got SIGINT/SIGTERM
    /// A pipe was still open `drain` after exit: a process the child left
    /// (a grandchild) holds it. The loop then kills the child's process
    /// group, and whoever outside it still holds the pipes (found in
    /// /proc), so the leak neither outlives the run nor keeps it waiting.
    bool output_cut = false;
    /// Who was in that group then, "1234 (sleep), 1240 (python3)", as /proc
    /// told; empty when nobody was found (it left the group, or no /proc).
    std::string leaked;
    /// Processes outside that group that held the pipes open and were
    /// killed too (they had called setsid or setpgid), in the same form.
    std::string left_group;
    clock::duration held_open{};  ///< exit → the pipes were closed (output_cut)
    clock::duration elapsed{};                    ///< spawn → exit
    std::optional<clock::duration> first_stdout;  ///< spawn → first stdout byte

    bool success() const noexcept { return code == 0 && signal == 0; }
};

/// For a status with output_cut: "the runner exited, but its output was
/// still held open 0.5s later by process 1234 (sleep); its process group was
/// killed" (plus ", and 1250 (sleep) outside it" for left_group).
std::string describe_leak(const exit_status& status, std::string_view who = "the runner");

/// "exit code 1", "killed by SIGKILL (deadline exceeded)", ...
std::string describe(const exit_status& status);

/// Where callbacks go. Empty functions discard. The string_view is valid only
/// during the call. Callbacks may call spawn/stop/kill_all on the
/// loop (e.g. start the next worker from on_exit), never poll_once/run.
struct callbacks {
    std::function<void(child_id, stream, std::string_view)> on_output;
    std::function<void(child_id, const exit_status&)> on_exit;  ///< once, after all output
};

/// Loop-wide settings. Zero means the default.
struct loop_options {
    /// How long after a child's exit its pipes may stay open (held by a
    /// grandchild) before the loop closes them and reports the exit; 0: default_drain.
    milliseconds drain{0};
    /// Notice exits by a 20 ms waitid tick instead of pidfd. Automatic when
    /// the kernel lacks pidfd_open (Linux < 5.3); tests use it to cover that path.
    bool poll_for_exit = false;
};

/// What one poll_once/run observed.
struct poll_status {
    unsigned interrupts = 0;  ///< SIGINT/SIGTERM seen by this loop so far
    int signal = 0;           ///< the latest of them
    std::size_t exits = 0;    ///< exits reported by this call
};

/// Times of one child, for start-cost measurement.
struct timing {
    clock::time_point started;
    std::optional<clock::time_point> first_stdout;
};

class loop {
public:
    explicit loop(loop_options opts = {});
    /// SIGKILLs the group of every child not yet reported (and of stops still
    /// in their grace period), then reaps them: no zombies, no descriptors left.
    ~loop();
    loop(const loop&) = delete;
    loop& operator=(const loop&) = delete;

    /// Starts argv (argv[0] searched in PATH when it has no slash) in its own
    /// process group, default signal dispositions and an empty signal mask.
    /// Errors: empty argv, stdin_path unopenable, program or working
    /// directory missing, descriptors exhausted, or this loop was interrupted
    /// (an interrupted loop only winds down).
    result<child_id, error> spawn(const std::vector<std::string>& argv, const options& opts = {},
                           callbacks cb = {});
    /// spawn({"/bin/sh", "-c", script}, ...), as testrepository does.
    result<child_id, error> spawn_shell(std::string_view script, const options& opts = {},
                                 callbacks cb = {});

    /// Staged stop of the child's group: SIGTERM now, SIGKILL after its grace.
    /// No-op for unknown/reported children and for stops already begun.
    void stop(child_id id);
    /// SIGKILL to every group at once (e.g. after a second interrupt).
    void kill_all();

    /// Waits up to `timeout` (negative: no limit) for output, exits, deadlines
    /// or interrupts, and dispatches callbacks; returns at once when the loop
    /// holds no child at all. The first interrupt seen stops every child
    /// (staged, status.interrupted); later ones are only counted.
    /// Errors: ppoll failed, or called from inside a callback.
    result<poll_status, error> poll_once(milliseconds timeout);

    /// poll_once until every child has been reported, or until a second (or
    /// later) interrupt arrives during this call, so the caller may kill_all()
    /// instead of waiting for the grace period.
    result<poll_status, error> run();

    /// Children spawned and not yet reported.
    std::size_t active() const noexcept;
    /// SIGINT/SIGTERM seen by this loop (since its construction).
    unsigned interrupts() const noexcept;
    /// Start time and first stdout byte of an unreported child.
    std::optional<timing> times(child_id id) const;
    /// CPU seconds (user + system) the processes of an unreported child's
    /// group have used so far, from /proc; nullopt when that cannot be read.
    std::optional<double> cpu_seconds(child_id id) const;

private:
    struct child;
    void begin_stop(child& c, bool timed_out, bool interrupted);
    void check_exit(child& c, clock::time_point now);
    void read_from(child& c, stream s, clock::time_point now);
    void settle(child& c, clock::time_point now, poll_status& status);
    void release(child& c);
    milliseconds wait_time(milliseconds timeout, clock::time_point now) const;

    loop_options opts_;
    std::map<child_id, std::unique_ptr<child>> children_;
    child_id next_id_ = 1;
    unsigned interrupt_base_;
    unsigned interrupts_seen_ = 0;
    bool dispatching_ = false;
    std::vector<char> buffer_;
};

/// The result of run_capture.
struct captured {
    exit_status status;
    std::string out;
    std::string err;
};

/// Runs a short command to completion (deadline and grace from `opts`) and
/// returns its whole output: for the concurrency callout, listing, hooks.
/// An interrupt stops it (status.interrupted); a second one kills it.
result<captured, error> run_capture(const std::vector<std::string>& argv, const options& opts = {});
result<captured, error> run_capture_shell(std::string_view script, const options& opts = {});

}  // namespace testr::process
