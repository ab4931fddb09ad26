// tools/testr-mini/events_output.hpp - `run --events FILE|-`: the run's
// typed events as JSON Lines, one object per event as it happens, for
// editors and dashboards. Fields: docs/reports.md.
#pragma once

#include <chrono>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_engine.hpp"
#include "run_events.hpp"

namespace testr::cli {

class events_output;
/// The stream `run --events PATH` asks for, or none when PATH is empty.
std::optional<events_output> open_events(const std::string& path);

/// One stream for every run a command makes (--isolated, --until-failure):
/// each run is begin(), its events, finished(), and stored() once it is in
/// the repository.
class events_output final : public run_observer {
public:
    /// `path` "-" is stdout. Opening fails with a cli_error.
    explicit events_output(const std::string& path);
    ~events_output() override;
    events_output(const events_output&) = delete;
    events_output& operator=(const events_output&) = delete;

    void on(const events::run_started& e) override;
    void on(const events::stream_event& e) override;
    void on(const events::runner_started& e) override;
    void on(const events::runner_ended& e) override;
    void on(const events::test_started& e) override;
    void on(const events::test_finished& e) override;
    void on(const events::test_will_retry& e) override;
    void on(const events::interrupted& e) override;
    /// A run over `ids` (empty: the whole suite) starts; they outlive it.
    void begin(const std::vector<std::string>& ids);
    /// What the run came to.
    void finished(const engine_report& report);
    /// The run's last line: stored as run `id`, with or without its
    /// durations, and the exit status the run gives.
    void stored(unsigned id, bool durations_saved, int exit_status);

    /// Says on stderr why lines stopped being written (the first failure),
    /// once, whichever run it came in.
    void say_error();

private:
    /// Writes one line, stamped with "at": seconds since the output began.
    void emit(nlohmann::json j);

    int fd_ = -1;
    bool owned_ = false;
    const std::vector<std::string>* ids_ = nullptr;
    // A whole-suite run has no plan: tests start and take their time as
    // the stream says, by id.
    std::unordered_map<std::string, subunit::timestamp> started_;
    std::unordered_map<std::string, double> stream_seconds_;
    std::unordered_map<std::string, subunit::status> final_;  // last status by id
    std::optional<std::string> error_;
    bool error_said_ = false;
    std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
};

}  // namespace testr::cli
