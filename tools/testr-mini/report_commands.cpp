// tools/testr-mini/report_commands.cpp - see report_commands.hpp.
#include "report_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "junit_output.hpp"
#include "legacy_repository.hpp"
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

/// `last --json` and `failing --json` (docs/schema/run.json). The
/// per-status counts are per test, by its latest outcome.
int show_run_json(const run_summary& run, std::optional<unsigned> id) {
    nlohmann::json failing = nlohmann::json::array();
    std::size_t ok = 0, xfail = 0, uxsuccess = 0;
    for (auto& t : run.tests()) {
        ok += t.status == subunit::status::success;
        xfail += t.status == subunit::status::xfail;
        uxsuccess += t.status == subunit::status::uxsuccess;
        if (!is_failure(t.status)) continue;
        nlohmann::json f{{"id", t.id}, {"status", std::string(subunit::to_string(t.status))}};
        if (auto sec = t.seconds()) f["seconds"] = json_seconds(std::max(0.0, *sec));
        if (t.worker >= 0) f["worker"] = t.worker;
        failing.push_back(std::move(f));
    }
    nlohmann::json j{{"version", 1},
                     {"run", id ? nlohmann::json(*id) : nlohmann::json(nullptr)},
                     {"tests", run.total()},
                     {"failures", run.failures()},
                     {"skips", run.skips()},
                     {"successes", ok},
                     {"expected_failures", xfail},
                     {"unexpected_successes", uxsuccess},
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

/// What a summary line needs of a run, from its stored run_digest.
struct run_counts {
    std::size_t tests, failures, skips;
    std::optional<double> seconds;
};
run_counts counts_of(const run_digest& d, const std::vector<std::string>& filter) {
    return {d.total(filter), d.failures(), d.skips(), d.wall_seconds()};
}

/// summarize_against's rules, for counts read from the stored summaries.
summary_values values_of(const run_counts& run, const std::optional<run_counts>& previous, std::optional<unsigned> id) {
    summary_values v;
    v.tests = run.tests;
    v.failures = run.failures;
    v.skips = run.skips;
    v.successful = v.failures == 0;
    v.run_id = id;
    v.seconds = run.seconds;
    if (previous) {
        v.tests_delta = static_cast<long>(v.tests) - static_cast<long>(previous->tests);
        if (v.failures) v.failures_delta = static_cast<long>(v.failures) - static_cast<long>(previous->failures);
        if (v.seconds && *v.seconds != 0 && previous->seconds && *previous->seconds != 0)
            v.seconds_delta = *v.seconds - *previous->seconds;
    }
    return v;
}

/// The previous run's counts for the deltas (unfiltered, as testr), or
/// nothing when there is none or it cannot be read.
std::optional<run_counts> previous_counts(const repo::repository& r, std::optional<unsigned> id) {
    if (!id) return std::nullopt;
    auto d = repo::read_summary(r, *id);
    if (!d) return std::nullopt;
    return counts_of(*d, {});
}

}  // namespace

int init_command(const app& a) {
    auto r = repo::init(a.here);
    if (!r) throw cli_error(r.error().message);
    return exit_ok;
}

int last_command(const app& a, bool subunit, const std::string& junit, std::optional<unsigned> wanted, bool json) {
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
        return show_run_json(run, id);
    }
    if (subunit) {
        auto bytes = repo::read_run(r, id);
        if (!bytes) throw cli_error(bytes.error().message);
        write_stdout(bytes->view());
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
        for (auto& t : failing->tests())
            if (is_failure(t.status)) out += format_failure(t);
    }
    const auto previous = previous_counts(r, id > 0 ? std::optional<unsigned>(id - 1) : std::nullopt);
    if (!a.quiet) out += format_summary(values_of(counts_of(*digest, filter_tags(a)), previous, id));
    write_stdout(out);
    return digest->failures() ? exit_failed : exit_ok;
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
    // As testr: nothing to summarise before the first run (--list and
    // --subunit just print nothing).
    const unsigned id = latest_run(r);
    return show_run(a, *run, nullptr, id);
}

int load_command(const app& a, const std::vector<std::string>& streams, bool partial, bool force_init, bool subunit,
                 const std::string& junit) {
    repo::repository r = a.open_or_init_repository(force_init);
    std::optional<run_counts> previous;
    if (auto latest = repo::latest_id(r); latest && *latest) previous = previous_counts(r, **latest);
    auto writer = repo::begin_run(r);
    if (!writer) throw cli_error(writer.error().message);
    // The same sink as `run` (stored as it arrives, whatever stdout does),
    // without a summary of its own: the writer follows the run, and only
    // the attachments, which it does not keep, are gathered here for the
    // failures shown as they come.
    stream_sink sink(*writer, nullptr, subunit);
    auto report = junit.empty() ? nullptr : make_junit(a, junit, true);
    std::unordered_map<std::string, std::vector<attachment>> files;
    const bool show = !subunit && !a.quiet;
    bool stdout_broken = false;
    auto on_event = [&](const subunit::event_view& e, std::string_view encoded) {
        sink.on(events::stream_event{0, e, encoded});
        if (report) report->on(events::stream_event{0, e, encoded});
        if (!show || stdout_broken || !e.test_id) return;
        if (e.file_name && !e.file_bytes.empty()) {
            auto& mine = files[std::string(*e.test_id)];
            auto it = std::find_if(mine.begin(), mine.end(), [&](const attachment& f) { return f.name == *e.file_name; });
            if (it == mine.end()) it = mine.insert(mine.end(), {std::string(*e.file_name), std::string(e.mime_type.value_or("")), {}});
            it->bytes.append(e.file_bytes);
        }
        // Only outcomes: inprogress and attachment events are not failures yet.
        if (!is_outcome(e.test_status) || !is_failure(e.test_status)) return;
        const run_summary* followed = writer->live_summary();
        const test_record* known = followed ? followed->find(*e.test_id) : nullptr;
        test_record t = known ? *known : test_record{};
        if (!known) {
            t.id = *e.test_id;
            t.status = e.test_status;
        }
        if (auto it = files.find(t.id); it != files.end()) t.attachments = it->second;
        stdout_broken = put_stdout(format_failure(t)) != 0;
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
    if (sink.stdout_error())
        std::fprintf(stderr, "testr-mini: %s; the stream is stored all the same (run %u)\n", sink.stdout_error()->c_str(),
                     committed->id);
    if (report && !finish_junit(*report, junit)) return exit_error;
    if (subunit) return exit_ok;  // as testr: the stream was written
    // The summary the commit wrote: its head is kilobytes.
    auto digest = repo::read_summary(r, committed->id);
    if (!digest) throw cli_error("run " + std::to_string(committed->id) + " was stored, but " + digest.error().message);
    if (!a.quiet) write_stdout(format_summary(values_of(counts_of(*digest, filter_tags(a)), previous, committed->id)));
    return digest->failures() ? exit_failed : exit_ok;
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
            tests.push_back({{"id", std::string(id_of(i))}, {"seconds", json_seconds(shown[i].seconds)}});
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
    nlohmann::json j{{"version", 1}, {"runs", ids->size()}};
    std::string out = "runs=" + std::to_string(ids->size()) + "\n";
    if (!ids->empty()) {
        auto last = repo::read_summary(r, ids->back());
        if (!last) throw cli_error(last.error().message);
        out += "latest=" + std::to_string(ids->back()) + "\n";
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
        j["latest"] = {{"id", ids->back()}, {"tests", last->total({})}, {"failures", last->failures()}};
        if (auto w = last->wall_seconds()) j["latest"]["seconds"] = json_seconds(*w);
        if (auto n = history()) j["tests_with_history"] = *n;
    }
    write_stdout(json ? json_text(j) : out);
    return exit_ok;
}

}  // namespace testr::cli
