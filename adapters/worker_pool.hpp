// adapters/worker_pool.hpp - test runner processes whose subunit output is
// decoded live, tagged with their worker slot, and never lost.
//
// Every runner is a shell command in a numbered slot. Each event it writes
// (and any stray bytes, which the decoder turns into 'stdout' file events)
// is tagged `worker-N` and handed on, already re-encoded, the moment its
// packet is complete. A runner that exits non-zero or dies of a signal adds
// the failing pseudo-test `process-returncode`, as testrepository does, with
// the exit code or signal named in its attachment.
#pragma once

#include <testr/result.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "process.hpp"
#include "subunit_v2.hpp"

namespace testr {

/// A subunit decoder whose events come out tagged `worker-N`, re-encoded:
/// what `run` does to each runner's stdout and `load` to each input stream.
class tagged_decoder {
public:
    using handler = std::function<void(const subunit::event_view& e, std::string_view encoded)>;
    tagged_decoder(unsigned slot, handler on_event);
    void feed(std::string_view bytes) { decoder_.feed(bytes); }
    void finish() { decoder_.finish(); }
    /// Emits an event of our own (e.g. process-returncode), tagged the same way.
    void emit(const subunit::event_view& e);

private:
    std::string tag_;
    handler on_event_;
    std::string scratch_;
    subunit::decoder decoder_;
};

/// One runner process.
struct worker_spec {
    unsigned slot = 0;        ///< N of the worker-N tag
    std::string command;      ///< run with /bin/sh -c
    std::vector<std::pair<std::string, std::string>> env;
    std::string working_directory;
    std::chrono::milliseconds deadline{0};  ///< 0: none
};

/// Where a pool's output goes. Empty functions discard. Views are valid
/// only during the call. Callbacks may start further workers.
struct worker_sink {
    /// A tagged event and its encoding (what a stored run must hold).
    std::function<void(unsigned slot, const subunit::event_view& e, std::string_view encoded)> on_event;
    std::function<void(unsigned slot, std::string_view bytes)> on_stderr;
    /// After the runner's last event (including process-returncode).
    std::function<void(unsigned slot, const process::exit_status& status)> on_exit;
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

    /// Starts a runner. May be called from the sink's callbacks.
    result<void> start(worker_spec spec);
    /// Runs until every runner has been reported or an interrupt stops them
    /// all; on a second interrupt it kills them at once and returns.
    result<pool_outcome> run();
    std::size_t active() const noexcept;

private:
    struct runner;
    void finish(runner& r, const process::exit_status& status);

    worker_sink sink_;
    process::loop loop_;
    std::vector<std::unique_ptr<runner>> runners_;
};

/// The pseudo-test a failed runner adds: id `process-returncode`, status
/// fail, a `traceback` attachment "returncode N" (or the signal's name).
subunit::event returncode_event(unsigned slot, const process::exit_status& status);

/// "worker-N".
std::string worker_tag(unsigned slot);

}  // namespace testr
