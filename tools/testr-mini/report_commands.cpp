// tools/testr-mini/report_commands.cpp - see report_commands.hpp.
#include "report_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "junit_output.hpp"
#include "stream_sink.hpp"
#include "ui/report_format.hpp"
#include "run_summary.hpp"
#include "timesdb.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

namespace {

/// Milliseconds, in their shortest form (2.201).
double json_seconds(double s) { return std::isfinite(s) ? std::round(s * 1000) / 1000 : 0; }

/// One document per command, each with its schema in docs/schema/.
std::string json_text(const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

/// `last --json` and `failing --json` (docs/schema/run.json).
int show_run_json(const run_summary& run, std::optional<unsigned> id) {
    nlohmann::json failing = nlohmann::json::array();
    for (auto& t : run.tests()) {
        if (!is_failure(t.status)) continue;
        nlohmann::json f{{"id", t.id}, {"status", std::string(subunit::to_string(t.status))}};
        if (auto s = t.seconds()) f["seconds"] = json_seconds(std::max(0.0, *s));
        if (t.worker >= 0) f["worker"] = t.worker;
        failing.push_back(std::move(f));
    }
    nlohmann::json j{{"version", 1},
                     {"run", id ? nlohmann::json(*id) : nlohmann::json(nullptr)},
                     {"tests", run.total()},
                     {"failures", run.failures()},
                     {"skips", run.skips()},
                     {"successes", run.successes()},
                     {"expected_failures", run.expected_failures()},
                     {"unexpected_successes", run.unexpected_successes()},
                     {"failing", failing}};
    if (auto w = run.wall_seconds()) j["seconds"] = json_seconds(*w);
    write_stdout(json_text(j));
    return run.failures() ? exit_failed : exit_ok;
}

/// Failures, then the summary: what `last` and `failing` print.
int show_run(const app& a, const run_summary& run, const run_summary* previous, std::optional<unsigned> id) {
    std::string out;
    for (auto& t : run.tests())
        if (is_failure(t.status)) out += format_failure(t);
    if (!a.quiet) out += format_summary(summarize_against(run, previous, id));
    write_stdout(out);
    return run.failures() ? exit_failed : exit_ok;
}

}  // namespace

int init_command(const app& a) {
    auto r = repo::init(a.here);
    if (!r) throw cli_error(r.error().message);
    return exit_ok;
}

int last_command(const app& a, bool subunit, const std::string& junit, std::optional<unsigned> which, bool json) {
    repo::repository r = a.open_repository();
    const unsigned id = which ? *which : latest_run(r);
    if (!junit.empty()) {
        auto bytes = repo::read_run(r, id);
        if (!bytes) throw cli_error(bytes.error().message);
        junit_of_stream(a, junit, bytes->view());
    }
    if (subunit) {
        auto bytes = repo::read_run(r, id);
        if (!bytes) throw cli_error(bytes.error().message);
        write_stdout(bytes->view());
        return exit_ok;  // the stream was written
    }
    run_summary run = stored_summary(r, id);
    run.set_filter_tags(filter_tags(a));
    if (json) return show_run_json(run, id);
    std::optional<run_summary> previous = id > 0 ? comparison_run(r, id - 1) : std::nullopt;
    return show_run(a, run, previous ? &*previous : nullptr, id);
}

int failing_command(const app& a, bool subunit, bool list, bool json) {
    repo::repository r = a.open_repository();
    auto bytes = repo::read_failing(r);
    if (!bytes) throw cli_error(bytes.error().message);
    if (subunit) {
        write_stdout(*bytes);
        return exit_ok;
    }
    auto run = summarize(*bytes);
    if (!run) throw cli_error("failing: " + run.error());
    if (json) return show_run_json(*run, std::nullopt);
    if (list) {
        std::string out;
        for (auto& t : run->tests())
            if (is_failure(t.status)) (out += t.id) += '\n';
        write_stdout(out);
        return run->failures() ? exit_failed : exit_ok;
    }
    std::optional<unsigned> id;
    if (auto latest = repo::latest_id(r); latest && *latest) id = **latest;
    return show_run(a, *run, nullptr, id);
}

int load_command(const app& a, const std::vector<std::string>& streams, bool partial, bool force_init, bool subunit,
                 const std::string& junit) {
    repo::repository r = a.open_or_init_repository(force_init);
    std::optional<run_summary> previous = comparison_run(r);
    auto writer = repo::begin_run(r);
    if (!writer) throw cli_error(writer.error().message);
    run_summary summary;
    summary.set_filter_tags(filter_tags(a));
    // The same sink as `run`: stored as it arrives, whatever stdout does.
    stream_sink sink(*writer, summary, subunit);
    auto report = junit.empty() ? nullptr : make_junit(a, junit, true);
    bool stdout_broken = false;
    auto on_event = [&](const subunit::event_view& e, std::string_view encoded) {
        sink.on(events::stream_event{0, e, encoded});
        if (report) report->on(events::stream_event{0, e, encoded});
        if (subunit || a.quiet || stdout_broken || !is_outcome(e.test_status) || !is_failure(e.test_status)) return;
        // Only outcomes: inprogress and attachment events are not failures yet.
        if (const test_record* t = e.test_id ? summary.find(*e.test_id) : nullptr)
            stdout_broken = put_stdout(format_failure(*t)) != 0;
    };
    // Each input is one worker, tagged worker-N by position, as the original.
    std::vector<std::string> inputs = streams.empty() ? std::vector<std::string>{"-"} : streams;
    char buf[1 << 16];
    for (unsigned pos = 0; pos < inputs.size(); ++pos) {
        const bool stdin_input = inputs[pos] == "-" && streams.empty();
        int fd = stdin_input ? STDIN_FILENO : ::open(inputs[pos].c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw cli_error("cannot open '" + inputs[pos] + "': " + std::strerror(errno));
        tagged_decoder decoder(pos, on_event);
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                int e = errno;
                if (!stdin_input) ::close(fd);
                throw cli_error("cannot read '" + inputs[pos] + "': " + std::strerror(e));
            }
            if (n == 0) break;
            decoder.feed({buf, static_cast<std::size_t>(n)});
        }
        decoder.finish();
        if (!stdin_input) ::close(fd);
    }
    if (sink.store_error()) {
        writer->abandon();
        throw cli_error("the stream could not be stored: " + *sink.store_error());
    }
    auto committed = writer->commit(partial);
    if (!committed) throw cli_error("the stream could not be stored: " + committed.error().message);
    const bool reported = !report || finish_junit(*report, junit);
    if (!subunit && !a.quiet)
        write_stdout(format_summary(summarize_against(summary, previous ? &*previous : nullptr, committed->id)));
    if (!reported) return exit_error;
    if (subunit) return exit_ok;  // as testr: the stream was written
    return summary.failures() ? exit_failed : exit_ok;
}

int slowest_command(const app& a, bool all, bool json) {
    repo::repository r = a.open_repository();
    const unsigned id = latest_run(r);
    auto bytes = repo::read_run(r, id);
    if (!bytes) throw cli_error(bytes.error().message);
    // Only ids and times: no records (100,000-test runs).
    auto durations = durations_of(bytes->view());
    if (!durations) throw cli_error("run " + std::to_string(id) + ": " + durations.error());
    if (durations->empty()) {
        if (json) write_stdout(json_text({{"version", 1}, {"run", id}, {"tests", nlohmann::json::array()}}));
        return exit_ok;
    }
    // Positions (first-appearance order) break ties as a stable sort would.
    std::vector<std::pair<std::size_t, double>> times;
    times.reserve(durations->size());
    for (std::size_t i = 0; i < durations->size(); ++i) times.emplace_back(i, (*durations)[i].seconds);
    const std::size_t shown = all ? times.size() : std::min<std::size_t>(times.size(), 10);
    std::partial_sort(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(shown), times.end(),
                      [](auto& x, auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
    times.resize(shown);
    if (json) {
        nlohmann::json tests = nlohmann::json::array();
        for (auto& [i, s] : times) tests.push_back({{"id", std::string((*durations)[i].id)}, {"seconds", json_seconds(s)}});
        write_stdout(json_text({{"version", 1}, {"run", id}, {"tests", tests}}));
        return exit_ok;
    }
    // As the original: three decimals, padded to the widest value.
    const int digits = times.front().second >= 1 ? static_cast<int>(std::log10(times.front().second)) + 1 : 1;
    const int width = digits + 4;
    std::vector<std::vector<std::string>> rows{{"Test id", "Runtime (s)"}};
    for (auto& [i, s] : times) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%*.3f", width, s);
        rows.push_back({std::string((*durations)[i].id), buf});
    }
    write_stdout(format_table(rows));
    return exit_ok;
}

int stats_command(const app& a, bool json) {
    repo::repository r = a.open_repository();
    auto ids = repo::run_ids(r);
    if (!ids) throw cli_error(ids.error().message);
    if (json) {
        nlohmann::json j{{"version", 1}, {"runs", ids->size()}};
        if (!ids->empty()) {
            run_summary last = stored_summary(r, ids->back());
            j["latest"] = {{"id", ids->back()}, {"tests", last.total()}, {"failures", last.failures()}};
            if (auto w = last.wall_seconds()) j["latest"]["seconds"] = json_seconds(*w);
            if (auto db = timesdb::open(r.file(timesdb::file_name))) j["tests_with_history"] = db->size();
        }
        write_stdout(json_text(j));
        return exit_ok;
    }
    std::string out = "runs=" + std::to_string(ids->size()) + "\n";
    if (!ids->empty()) {
        run_summary last = stored_summary(r, ids->back());
        out += "latest=" + std::to_string(ids->back()) + "\n";
        out += "latest_tests=" + std::to_string(last.total()) + "\n";
        out += "latest_failures=" + std::to_string(last.failures()) + "\n";
        if (auto w = last.wall_seconds()) out += "latest_seconds=" + seconds_text(*w) + "\n";
        auto db = timesdb::open(r.file(timesdb::file_name));
        if (db) out += "tests_with_history=" + std::to_string(db->size()) + "\n";
    }
    write_stdout(out);
    return exit_ok;
}

}  // namespace testr::cli
