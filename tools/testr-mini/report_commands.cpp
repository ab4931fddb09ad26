// tools/testr-mini/report_commands.cpp - see report_commands.hpp.
#include "report_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "junit_output.hpp"
#include "legacy_repository.hpp"
#include "stored_counts.hpp"
#include "stream_sink.hpp"
#include "ui/json_text.hpp"
#include "ui/report_format.hpp"
#include "run_summary.hpp"
#include "timesdb.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

namespace {

/// `last --json` and `failing --json` (docs/schema/run.json). The
/// per-status counts are per test, by its latest outcome.
/// `stored`: the run's summary, for what it missed (`last` only).
int show_run_json(const run_summary& run, std::optional<unsigned> id, const run_digest* stored = nullptr) {
    // A run that retried tests counts each once, as it said when it ran.
    const bool retried = stored && stored->retried;
    nlohmann::json failing = nlohmann::json::array();
    std::size_t ok = 0, xfail = 0, uxsuccess = 0;
    for (const test_view t : run.tests()) {
        ok += t.status == subunit::status::success;
        xfail += t.status == subunit::status::xfail;
        uxsuccess += t.status == subunit::status::uxsuccess;
        if (!is_failure(t.status)) continue;
        nlohmann::json f{{"id", t.id}, {"status", std::string(subunit::to_string(t.status))}};
        if (auto sec = t.seconds()) f["seconds"] = json_milliseconds(std::max(0.0, *sec));
        if (t.worker >= 0) f["worker"] = t.worker;
        failing.push_back(std::move(f));
    }
    nlohmann::json j{{"version", 1},
                     {"run", id ? nlohmann::json(*id) : nlohmann::json(nullptr)},
                     {"tests", retried ? stored->retried->tests : run.total()},
                     {"failures", retried ? stored->retried->failures : run.failures()},
                     {"skips", retried ? stored->retried->skips : run.skips()},
                     {"successes", ok},
                     {"expected_failures", xfail},
                     {"unexpected_successes", uxsuccess},
                     {"failing", failing}};
    if (auto w = run.wall_seconds()) j["seconds"] = json_milliseconds(*w);
    if (stored) {
        j["never_ran"] = stored->shortfall.never_ran;
        j["runners_not_started"] = stored->shortfall.runners_not_started;
        j["shards_not_reported"] = stored->shortfall.shards_not_reported;
    }
    write_stdout(json_text(j));
    if (stored) return stored_verdict(*stored);
    return run.failures() ? exit_failed : exit_ok;
}

/// Failures, then the summary: what `last` and `failing` print.
int show_run(const app& a, const run_summary& run, const run_summary* previous, std::optional<unsigned> id) {
    std::string out;
    for (const test_view t : run.tests())
        if (is_failure(t.status)) out += format_failure(t.record());
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

int last_command(const app& a, bool subunit, const std::string& junit, std::optional<unsigned> wanted, bool json,
                 bool stray) {
    repo::repository r = a.open_repository();
    const unsigned id = wanted ? *wanted : latest_run(r);
    if (!junit.empty()) {
        auto bytes = repo::read_run(r, id);
        if (!bytes) throw cli_error(bytes.error().message);
        junit_of_stream(a, junit, bytes->view());
    }
    if (json) {
        run_summary run = stored_summary(r, id);
        run.set_filter_tags(filter_tags(a));
        auto digest = repo::read_summary(r, id);
        if (!digest) throw cli_error(digest.error().message);
        return show_run_json(run, id, &*digest);
    }
    if (subunit) {
        auto bytes = repo::read_run(r, id);
        if (!bytes) throw cli_error(bytes.error().message);
        // testr's stored runs hold no events of no test, and python-subunit's
        // filters pass such events through as they are: subunit2junitxml
        // would write a runner's stray output as a packet before its XML.
        std::vector<run_digest::span> left_out;
        if (!stray) {
            auto digest = repo::read_summary(r, id);
            if (!digest) throw cli_error(digest.error().message);
            left_out = std::move(digest->no_test_events);
        }
        const std::string_view all = bytes->view();
        std::size_t at = 0;
        for (const auto& s : left_out) {
            if (s.offset < at || s.offset + s.size > all.size()) break;  // not this run's: a summary would be refused
            write_stdout(all.substr(at, s.offset - at));
            at = s.offset + s.size;
        }
        write_stdout(all.substr(at));
        return exit_ok;  // the stream was written
    }
    // The stored summary has the counts; only the failing tests' events
    // are read from the run, for their tracebacks.
    auto digest = repo::read_summary(r, id);
    if (!digest) throw cli_error(digest.error().message);
    std::string out;
    if (!digest->failing_events.empty()) {
        auto events = repo::read_run_spans(r, id, *digest, digest->failing_events);
        if (!events) throw cli_error(events.error().message);
        auto failing = summarize(*events);
        if (!failing) throw cli_error("run " + std::to_string(id) + ": " + failing.error());
        out += format_failures(*events, *failing);
    }
    const auto previous = previous_counts(r, id > 0 ? std::optional<unsigned>(id - 1) : std::nullopt);
    if (!a.quiet)
        out += format_summary(stored_summary_values(*digest, filter_tags(a), previous, id)) + shortfall_note(digest->shortfall);
    write_stdout(out);
    return stored_verdict(*digest);
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
        for (const test_view t : run->tests())
            if (is_failure(t.status)) (out += t.id) += '\n';
        write_stdout(out);
        return run->failures() ? exit_failed : exit_ok;
    }
    // As testr: nothing to summarise before the first run (--list and
    // --subunit just print nothing).
    const unsigned id = latest_run(r);
    return show_run(a, *run, nullptr, id);
}

int slowest_command(const app& a, bool all, bool json) {
    repo::repository r = a.open_repository();
    const unsigned id = latest_run(r);
    auto digest = repo::read_summary(r, id, all);
    if (!digest) throw cli_error(digest.error().message);
    // The summary's head keeps the slowest few in order; --all sorts every
    // duration, positions (first-appearance order) breaking ties.
    std::vector<run_digest::timing> shown = all ? digest->durations : digest->slowest;
    if (shown.empty()) {
        if (json) write_stdout(json_text({{"version", 1}, {"run", id}, {"tests", nlohmann::json::array()}}));
        return exit_ok;
    }
    if (all)
        std::stable_sort(shown.begin(), shown.end(), [](auto& x, auto& y) { return x.seconds > y.seconds; });
    // The ids are read from the run where they are: the few shown, or the
    // whole file for --all.
    std::string pieces;
    std::vector<std::uint64_t> at(shown.size());
    if (all) {
        auto bytes = repo::read_run(r, id);
        if (!bytes) throw cli_error(bytes.error().message);
        pieces = bytes->view();
        for (std::size_t i = 0; i < shown.size(); ++i) at[i] = shown[i].id_at;
    } else {
        std::vector<run_digest::span> spans;
        for (std::size_t i = 0; i < shown.size(); ++i) {
            if (shown[i].id_at & run_digest::extra_bit) continue;
            at[i] = spans.empty() ? 0 : at[i - 1] + spans.back().size;
            spans.push_back({shown[i].id_at, shown[i].id_size});
        }
        auto read = repo::read_run_spans(r, id, *digest, spans);
        if (!read) throw cli_error(read.error().message);
        pieces = std::move(*read);
    }
    auto id_of = [&](std::size_t i) {
        const auto& t = shown[i];
        if (t.id_at & run_digest::extra_bit) return digest->extra_ids.substr(t.id_at & ~run_digest::extra_bit, t.id_size);
        return pieces.substr(at[i], t.id_size);
    };
    if (json) {
        nlohmann::json tests = nlohmann::json::array();
        for (std::size_t i = 0; i < shown.size(); ++i)
            tests.push_back({{"id", std::string(id_of(i))}, {"seconds", json_milliseconds(shown[i].seconds)}});
        write_stdout(json_text({{"version", 1}, {"run", id}, {"tests", tests}}));
        return exit_ok;
    }
    // As the original: three decimals, padded to the widest value.
    const double top = shown.front().seconds;
    const int digits = top >= 1 ? static_cast<int>(std::log10(top)) + 1 : 1;
    const int width = digits + 4;
    std::vector<std::vector<std::string>> rows{{"Test id", "Runtime (s)"}};
    rows.reserve(shown.size() + 1);
    for (std::size_t i = 0; i < shown.size(); ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%*.3f", width, shown[i].seconds);
        rows.push_back({id_of(i), buf});
    }
    write_stdout(format_table(rows));
    return exit_ok;
}

int stats_command(const app& a, bool json) {
    repo::repository r = a.open_repository();
    auto ids = repo::run_ids(r);
    if (!ids) throw cli_error(ids.error().message);
    // The latest committed run, as `last` reads it: a run whose file is
    // missing or damaged is named, never skipped for an older one.
    auto latest = repo::latest_id(r);
    if (!latest) throw cli_error(latest.error().message);
    nlohmann::json j{{"version", 1}, {"runs", ids->size()}};
    std::string out = "runs=" + std::to_string(ids->size()) + "\n";
    if (*latest) {
        const unsigned id = **latest;
        auto last = repo::read_summary(r, id);
        if (!last) {
            if (!json) write_stdout(out + "latest=" + std::to_string(id) + "\n");
            throw cli_error(last.error().message);
        }
        out += "latest=" + std::to_string(id) + "\n";
        out += "latest_tests=" + std::to_string(last->total({})) + "\n";
        out += "latest_failures=" + std::to_string(last->failures()) + "\n";
        if (auto w = last->wall_seconds()) out += "latest_seconds=" + seconds_text(*w) + "\n";
        auto history = [&]() -> std::optional<std::size_t> {
            if (r.format == 1) {  // testr's and stestr's durations
                auto d = legacy::durations(r);
                return d ? std::optional<std::size_t>(d->size()) : std::nullopt;
            }
            if (auto n = repo::history_size(r)) return n;
            auto db = timesdb::open(r.file(timesdb::file_name));
            return db ? std::optional<std::size_t>(db->size()) : std::nullopt;
        };
        if (auto n = history()) out += "tests_with_history=" + std::to_string(*n) + "\n";
        j["latest"] = {{"id", id}, {"tests", last->total({})}, {"failures", last->failures()}};
        if (auto w = last->wall_seconds()) j["latest"]["seconds"] = json_milliseconds(*w);
        if (auto n = history()) j["tests_with_history"] = *n;
    }
    write_stdout(json ? json_text(j) : out);
    return exit_ok;
}

}  // namespace testr::cli
