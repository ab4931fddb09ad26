// adapters/worker_pool.hpp - test runner processes whose subunit output is
// decoded live, tagged with their worker slot, and never lost.
//
// Every runner is a shell command in a numbered slot. Each event it writes
// (and any stray bytes, which the decoder turns into 'stdout' file events)
// is tagged `worker-N` and handed on, already re-encoded, the moment its
// packet is complete. A runner that exits non-zero or dies of a signal adds
// the failing pseudo-test `process-returncode`, as testrepository does, with
// the exit code or signal named in its attachment — unless the pool stopped
// it (an interrupt, or stop()): then the caller knows why.
#pragma once

#include <testr/result.hpp>

#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "process.hpp"
#include "subunit_v2.hpp"

namespace testr {

/// Turns one runner's stdout into events: a subunit v2 decoder unless the
/// runner speaks another protocol (a C++ test framework's output).
class stream_reader {
public:
    virtual ~stream_reader() = default;
    virtual void feed(std::string_view bytes) = 0;
    /// The stream ended. `status`: how its runner ended (none for a loaded
    /// stream); `stopped`: the pool stopped it. Returns whether the exit
    /// status is still unexplained, so the process-returncode pseudo-test
    /// is due when it is a failure (a reader that blamed a test may say no).
    virtual bool finish(const process::exit_status* status, bool stopped) = 0;
};

/// Makes a runner's reader; `emit` takes each event it decodes.
using reader_factory = std::function<std::unique_ptr<stream_reader>(subunit::decoder::handler emit)>;

/// A reader whose events come out tagged `worker-N`, re-encoded: what `run`
/// does to each runner's stdout and `load` to each input stream.
class tagged_decoder {
public:
    using handler = std::function<void(const subunit::event_view& e, std::string_view encoded)>;
    /// `reader`: empty for subunit v2.
    tagged_decoder(unsigned slot, handler on_event, const reader_factory& reader = {});
    /// Tags every event with `tag` instead (load --shards: shard-K).
    tagged_decoder(std::string tag, handler on_event, const reader_factory& reader = {});
    void feed(std::string_view bytes) { reader_->feed(bytes); }
    void finish() { (void)reader_->finish(nullptr, false); }
    /// See stream_reader::finish.
    bool finish(const process::exit_status& status, bool stopped) { return reader_->finish(&status, stopped); }
    /// Emits an event of our own (e.g. process-returncode), tagged the same way.
    void emit(const subunit::event_view& e);

private:
    std::string tag_;
    handler on_event_;
    std::string scratch_;
    subunit::event_view tagged_;  // the event being handed on, reused
    std::unique_ptr<stream_reader> reader_;
};

/// One runner process.
struct worker_spec {
    unsigned slot = 0;        ///< N of the worker-N tag
    std::string command;      ///< run with /bin/sh -c
    std::vector<std::pair<std::string, std::string>> env;
    std::string working_directory;
    std::chrono::milliseconds deadline{0};  ///< 0: none
    std::chrono::milliseconds grace{0};     ///< SIGTERM -> SIGKILL; 0: process::default_grace
    reader_factory reader;                  ///< how to read its stdout; empty: subunit v2
};

/// Identifies one started runner within its pool.
using runner_id = std::uint64_t;

/// Where a pool's output goes. Empty functions discard. Views are valid
/// only during the call. Callbacks may start or stop runners.
struct worker_sink {
    /// A tagged event and its encoding (what a stored run must hold).
    std::function<void(runner_id r, unsigned slot, const subunit::event_view& e, std::string_view encoded)> on_event;
    std::function<void(runner_id r, unsigned slot, std::string_view bytes)> on_stderr;
    /// After the runner's last event (including process-returncode).
    std::function<void(runner_id r, unsigned slot, const process::exit_status& status)> on_exit;
};

struct pool_outcome {
    unsigned interrupts = 0;  ///< SIGINT/SIGTERM received while running
};

class worker_pool {
public:
    explicit worker_pool(worker_sink sink, process::loop_options opts = {});
    ~worker_pool();
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    /// Starts a runner. May be called from the sink's callbacks; fails once
    /// the pool has been interrupted.
    result<runner_id, process::error> start(worker_spec spec);
    /// Staged stop of one runner's process group (a timeout): SIGTERM, then
    /// SIGKILL after `grace`. Its exit is reported as usual, without the
    /// process-returncode pseudo-test: the caller stopped it and says why.
    void stop(runner_id r);
    /// Waits up to `tick` for output, exits or interrupts and dispatches
    /// them to the sink. The first interrupt stops every runner (staged);
    /// a second kills them at once.
    result<pool_outcome, process::error> poll(std::chrono::milliseconds tick);
    std::size_t active() const noexcept;
    /// CPU seconds a running runner's process has used (process::loop::cpu_seconds).
    std::optional<double> cpu_seconds(runner_id r) const;
    /// SIGINT/SIGTERM seen since the pool was made.
    unsigned interrupts() const noexcept { return loop_.interrupts(); }

private:
    struct runner;
    void finish(runner& r, const process::exit_status& status);

    worker_sink sink_;
    process::loop loop_;
    std::vector<std::unique_ptr<runner>> runners_;  // index = runner_id - 1
    bool killed_ = false;
};

/// What testr-mini says about a test itself: status `s` now, tagged
/// worker-N, a `traceback` saying why.
subunit::event synthetic_event(std::string_view id, unsigned slot, std::string why, subunit::status s);

/// A failure testr-mini reports itself (a crash, a timeout, a runner's exit
/// status): synthetic_event with status fail.
subunit::event synthetic_failure(std::string_view id, unsigned slot, std::string why);

/// The pseudo-test a failed runner adds: id `process-returncode`, status
/// fail, a `traceback` attachment "returncode N" (or the signal's name).
subunit::event returncode_event(unsigned slot, const process::exit_status& status);

/// "worker-N".
std::string worker_tag(unsigned slot);

}  // namespace testr
