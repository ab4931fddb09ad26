// tools/testr-mini/events_output.cpp - see events_output.hpp.
#include "events_output.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "app.hpp"
#include "fd_io.hpp"
#include "ui/json_text.hpp"

namespace testr::cli {

namespace {

using json = nlohmann::json;

json event(const char* name) { return json{{"event", name}}; }

// RFC 3339 in UTC to the millisecond, as subunit's timestamps are read.
std::string utc_text(std::chrono::system_clock::time_point t) {
    const auto ms_since = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms_since / 1000);
    std::tm utc{};
    ::gmtime_r(&secs, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms_since % 1000));
    return text;
}

}  // namespace

events_output::events_output(const std::string& path) {
    if (path == "-") {
        fd_ = STDOUT_FILENO;
        return;
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) throw cli_error("cannot open '" + path + "' for --events: " + std::strerror(errno));
    owned_ = true;
}

std::optional<events_output> open_events(const std::string& path) {
    if (path.empty()) return std::nullopt;
    return std::optional<events_output>(std::in_place, path);
}

events_output::~events_output() {
    if (owned_) ::close(fd_);
}

void events_output::emit(json j) {
    if (error_) return;
    j["at"] = json_milliseconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count());
    const std::string text = json_text(j, -1);
    if (int err = fd_io::write_all(fd_, text)) error_ = std::string("cannot write --events: ") + std::strerror(err);
}

void events_output::say_error() {
    if (!error_ || error_said_) return;
    error_said_ = true;
    std::fprintf(stderr, "testr-mini: %s\n", error_->c_str());
}

void events_output::begin(const std::vector<std::string>& ids) {
    ids_ = &ids;
    started_.clear();
    stream_seconds_.clear();
    final_.clear();
}

void events_output::on(const events::run_started& e) {
    json j = event("run_started");
    j["version"] = 1;
    j["began"] = utc_text(std::chrono::system_clock::now());
    j["tests"] = e.tests;
    j["workers"] = e.slots;
    j["predicted_seconds"] = json_milliseconds(e.predicted_seconds);
    emit(std::move(j));
}

void events_output::on(const events::stream_event& e) {
    if (!ids_->empty() || !e.event.test_id || !e.event.time) return;
    if (e.event.test_status == subunit::status::inprogress) {
        started_[std::string(*e.event.test_id)] = *e.event.time;
        json j = event("test_started");
        j["id"] = std::string(*e.event.test_id);
        j["worker"] = e.slot;
        emit(std::move(j));
    } else if (auto it = started_.find(std::string(*e.event.test_id)); it != started_.end()) {
        const double took = std::chrono::duration<double>(subunit::elapsed(it->second, *e.event.time)).count();
        stream_seconds_[it->first] = took > 0 ? took : 0;
        started_.erase(it);
    }
}

void events_output::on(const events::runner_started& e) {
    json j = event("runner_started");
    j["worker"] = e.slot;
    j["tests"] = e.tests;
    emit(std::move(j));
}

void events_output::on(const events::runner_ended& e) {
    json j = event("runner_ended");
    j["worker"] = e.slot;
    j["status"] = process::describe(e.status);
    j["success"] = e.status.success();
    j["requeued"] = e.requeued;
    emit(std::move(j));
}

void events_output::on(const events::test_started& e) {
    json j = event("test_started");
    j["id"] = e.test < ids_->size() ? (*ids_)[e.test] : std::string();
    j["worker"] = e.slot;
    emit(std::move(j));
}

void events_output::on(const events::test_finished& e) {
    final_[std::string(e.id)] = e.status;
    json j = event("test_finished");
    j["id"] = std::string(e.id);
    j["worker"] = e.slot;
    j["status"] = std::string(subunit::to_string(e.status));
    double seconds = e.seconds;
    if (auto it = e.test ? stream_seconds_.end() : stream_seconds_.find(std::string(e.id)); it != stream_seconds_.end()) {
        seconds = it->second;
        stream_seconds_.erase(it);
    }
    j["seconds"] = json_milliseconds(seconds);
    j["attempt"] = e.attempt;
    emit(std::move(j));
}

void events_output::on(const events::test_will_retry& e) {
    json j = event("test_retried");
    j["id"] = e.test < ids_->size() ? (*ids_)[e.test] : std::string();
    j["attempt"] = e.attempt;
    emit(std::move(j));
}

void events_output::on(const events::interrupted& e) {
    json j = event("interrupted");
    j["count"] = e.count;
    emit(std::move(j));
}

void events_output::finished(const engine_report& report) {
    // By the last status of each id, as the summary counts: whole-suite
    // runs have no planned tests to count.
    std::size_t failed = 0;
    for (auto& [id, s] : final_) failed += s == subunit::status::fail || s == subunit::status::uxsuccess;
    json j = event("run_finished");
    j["seconds"] = json_milliseconds(report.wall);
    j["tests"] = final_.size();
    j["failed"] = failed;
    j["not_failed"] = final_.size() - failed;
    j["never_ran"] = report.never_run().size();
    j["flaky"] = report.flaky().size();
    j["retried"] = report.retried();
    j["interrupted"] = report.interrupts > 0;
    emit(std::move(j));
}

void events_output::stored(unsigned id, bool durations_saved, int exit_status) {
    json j = event("run_stored");
    j["run"] = id;
    j["durations_saved"] = durations_saved;
    j["exit_status"] = exit_status;
    emit(std::move(j));
}

}  // namespace testr::cli
