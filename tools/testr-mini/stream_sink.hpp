// tools/testr-mini/stream_sink.hpp - where a run's stream goes, in `run` and
// `load` alike: into the repository's run writer, to stdout with --subunit,
// and into the summary that the report and the console read.
#pragma once

#include <optional>
#include <string>

#include "repository.hpp"
#include "run_events.hpp"
#include "run_summary.hpp"

namespace testr::cli {

class stream_sink final : public run_observer {
public:
    /// `to_stdout`: --subunit, the stream itself is the output. `summary`
    /// may be null (load: the writer keeps the records it needs).
    /// `tag` (a CI shard's "shard-K"), when not empty, is added to every
    /// event beside its worker-N.
    stream_sink(repo::run_writer& writer, run_summary* summary, bool to_stdout, std::string tag = {})
        : writer_(writer), summary_(summary), to_stdout_(to_stdout), tag_(std::move(tag)) {}

    void on(const events::stream_event& e) override;

    /// Why the run could not be stored in full (the first failure; nothing
    /// is appended after it).
    const std::optional<std::string>& store_error() const noexcept { return store_error_; }
    /// Why stdout stopped taking the stream (a closed pipe): the run is
    /// stored all the same.
    const std::optional<std::string>& stdout_error() const noexcept { return stdout_error_; }

private:
    repo::run_writer& writer_;
    run_summary* summary_;
    bool to_stdout_;
    std::string tag_;
    std::string scratch_;
    subunit::event_view tagged_;  // reused: no allocation per event
    std::optional<std::string> store_error_, stdout_error_;
};

}  // namespace testr::cli
