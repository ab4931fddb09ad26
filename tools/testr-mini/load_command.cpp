// tools/testr-mini/load_command.cpp - `load`: subunit streams (files, or
// stdin) stored as a run, each input tagged worker-N by its position; with
// --shards, each input is one CI job's stream, tagged shard-K (K as the
// stream's own marker says, else its position), and what a shard did not
// deliver is said by name.
#include "report_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <testr/shard.hpp>

#include "commit.hpp"
#include "file_bytes.hpp"
#include "junit_output.hpp"
#include "load_shards.hpp"
#include "prepare.hpp"
#include "signals.hpp"
#include "stored_counts.hpp"
#include "stream_sink.hpp"
#include "subunit_v2.hpp"
#include "ui/console.hpp"
#include "ui/report_format.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

int load_command(const app& a, const std::vector<std::string>& streams, bool partial, bool force_init, bool subunit,
                 const std::string& junit, const shard_options& so) {
    if (so.shards && streams.empty()) throw cli_error("load --shards: name each shard's stream file", exit_usage);
    if (!so.shards)
        for (const auto& s : streams)
            if (struct stat st; ::stat(s.c_str(), &st) != 0) throw cli_error("streams: File does not exist: " + s, exit_usage);
    // Before anything is stored: a listing that fails leaves no half a run.
    const std::optional<ids_t> expected = expected_ids(a, so);
    repo::repository r = a.open_or_init_repository(force_init);
    clean_leftovers(a.quiet, r);
    std::optional<run_counts> previous;
    if (auto latest = repo::latest_id(r); latest && *latest) previous = previous_counts(r, **latest);
    auto writer = repo::begin_run(r);
    if (!writer) throw cli_error(writer.error().message);
    // The same sink as `run` (stored as it arrives, whatever stdout does),
    // without a summary of its own: the writer follows the run, and each
    // test's life is followed here for the failures shown as they come.
    stream_sink sink(*writer, nullptr, subunit);
    auto report = junit.empty() ? nullptr : make_junit(a, junit, true);
    test_lives lives;  // each failure shown with its own life's attachments
    const bool show = !subunit && !a.quiet;
    bool stdout_broken = false;
    std::vector<shard_state> shards;
    // Ids with an outcome: the shard (position) that reported each first,
    // for --expect-* and for ids two shards ran (a split that overlaps).
    std::unordered_map<std::string, std::size_t> ran;
    std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>> twice;
    shard_state* current = nullptr;
    auto on_event = [&](const subunit::event_view& e, std::string_view encoded) {
        sink.on(events::stream_event{0, e, encoded});
        if (report) report->on(events::stream_event{0, e, encoded});
        if (current != nullptr && e.test_id) {
            if (*e.test_id == "subunit.parser" && e.file_name && *e.file_name == "Parser Error") {
                current->parser_errors.emplace_back(e.file_bytes);
            } else if (e.test_status == subunit::status::inprogress) {
                current->started.emplace(*e.test_id);
            } else if (is_outcome(e.test_status) && *e.test_id != "subunit.parser") {
                current->started.erase(std::string(*e.test_id));
                if (*e.test_id != "process-returncode") {
                    ++current->results;
                    const std::size_t k = static_cast<std::size_t>(current - shards.data());
                    const auto [at, fresh] = ran.emplace(*e.test_id, k);
                    if (!fresh && at->second != k) twice.push_back({at->first, {at->second, k}});
                }
            }
        }
        if (!show || stdout_broken || !e.test_id) return;
        lives.add(0, e);
        // Only outcomes: inprogress and attachment events are not failures yet.
        if (!is_outcome(e.test_status)) return;
        std::optional<test_record> t = lives.take(0, *e.test_id, is_failure(e.test_status));
        if (!t) return;
        stdout_broken = put_stdout(format_failure(*t)) != 0;
    };
    // Each input is one worker, tagged worker-N by position, as the original;
    // a shard keeps its own workers' tags and gains shard-K.
    std::vector<std::string> inputs = streams.empty() ? std::vector<std::string>{"-"} : streams;
    if (so.shards) shards.resize(inputs.size());
    // Stream files' sizes, so the run's records are reserved once.
    std::uint64_t expected_bytes = 0;
    for (const auto& s : inputs) {
        struct stat st {};
        const bool known = s == "-" && streams.empty() ? ::fstat(STDIN_FILENO, &st) == 0 : ::stat(s.c_str(), &st) == 0;
        if (known && S_ISREG(st.st_mode)) expected_bytes += static_cast<std::uint64_t>(st.st_size);
    }
    writer->expect(expected_bytes);
    char buf[1 << 16];
    // Signals are held for the commit (interrupt_guard); a producer that
    // never closes its end would keep a plain read waiting through them.
    const unsigned interrupts = process::interrupt_count();
    bool interrupted = false;
    std::string interrupted_in;
    for (unsigned pos = 0; pos < inputs.size() && !interrupted; ++pos) {
        const bool stdin_input = inputs[pos] == "-" && streams.empty();
        if (so.shards) {
            current = &shards[pos];
            current->path = inputs[pos];
            current->index = pos + 1;
            struct stat st;
            if (::stat(inputs[pos].c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
                if (auto run = latest_run_of(inputs[pos], *current)) {
                    tagged_decoder decoder(shard_tag(*current, run->view()), on_event);
                    current->bytes = run->view().size();
                    decoder.feed(run->view());
                    decoder.finish();
                }
                continue;
            }
        }
        int fd = stdin_input ? STDIN_FILENO : ::open(inputs[pos].c_str(), O_RDONLY | O_CLOEXEC);
        if (so.shards) {
            if (fd < 0) {
                // A CI job that died before uploading: the others still count.
                current->open_error = std::string("cannot open it: ") + std::strerror(errno);
                continue;
            }
        }
        if (fd < 0) throw cli_error("cannot open '" + inputs[pos] + "': " + std::strerror(errno));
        std::optional<tagged_decoder> decoder;
        if (!so.shards) decoder.emplace(pos, on_event);
        for (;;) {
            pollfd ready{fd, POLLIN, 0};
            const sigset_t mask = process::wait_mask();
            ::ppoll(&ready, 1, nullptr, &mask);
            if (process::interrupt_count() != interrupts) {
                interrupted = true;
                interrupted_in = inputs[pos];
                break;
            }
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                int e = errno;
                if (!stdin_input) ::close(fd);
                throw cli_error("cannot read '" + inputs[pos] + "': " + std::strerror(e));
            }
            const std::string_view chunk{buf, static_cast<std::size_t>(n)};
            // A shard's tag waits for its first bytes: the marker, if any.
            if (!decoder) decoder.emplace(shard_tag(*current, chunk), on_event);
            if (n == 0) break;
            if (current) current->bytes += static_cast<std::uint64_t>(n);
            decoder->feed(chunk);
        }
        // Cut by an interrupt, a packet read in part is left out, not
        // reported as a damaged stream.
        if (decoder && !interrupted) decoder->finish();
        if (!stdin_input) ::close(fd);
    }
    // Once streams say which shard they are, the position of one that
    // could not be read is only a guess: kept when no stream is that shard.
    std::unordered_set<std::size_t> reported;
    for (const auto& s : shards)
        if (s.reported()) reported.insert(s.index);
    if (std::any_of(shards.begin(), shards.end(), [](const shard_state& s) { return s.marker.has_value(); }))
        for (auto& s : shards)
            if (!s.reported() && reported.contains(s.index)) s.index = 0;
    const std::vector<std::string> problems = shard_problems(shards);
    std::vector<std::string> never_ran;
    if (expected)
        for (const auto& id : *expected)
            if (!ran.contains(id)) never_ran.push_back(id);
    for (const auto& p : problems) std::fprintf(stderr, "testr-mini: warning: %s\n", p.c_str());
    if (!twice.empty()) {
        // Kept, as a retry is: the later report is the test's result.
        std::string list;
        for (std::size_t i = 0; i < twice.size() && i < 20; ++i)
            list += "\n  " + twice[i].first + " (shard " + std::to_string(shards[twice[i].second.first].index) +
                    " and shard " + std::to_string(shards[twice[i].second.second].index) + ")";
        if (twice.size() > 20) list += "\n  ... and " + std::to_string(twice.size() - 20) + " more";
        std::fprintf(stderr, "testr-mini: warning: %zu %s in more than one shard (the shards overlap):%s\n", twice.size(),
                     twice.size() == 1 ? "test ran" : "tests ran", list.c_str());
    }
    if (sink.store_error()) {
        writer->abandon();
        throw not_stored("stream", *sink.store_error());
    }
    if (interrupted) {
        const stored_run committed = store_run(*writer, true, "stream", run_extras{});
        std::fprintf(stderr, "testr-mini: interrupted (%s) while reading '%s': what had arrived is stored as partial run %u\n",
                     process::signal_name(process::last_interrupt_signal()).c_str(), interrupted_in.c_str(), committed.id);
        return exit_interrupted;
    }
    // As `run` does when tests never ran: the failing list keeps what the
    // missing tests had.
    const bool incomplete = !problems.empty() || !never_ran.empty();
    run_extras extras{{never_ran.size(), 0, shards_not_reported(shards)}, false, {}};
    if (!never_ran.empty())
        extras.unrun = unrun_failures({never_ran.begin(), never_ran.end()}, "it was expected, and no stream reported it");
    const stored_run committed = store_run(*writer, partial || incomplete, "stream", extras);
    if (sink.stdout_error())
        std::fprintf(stderr, "testr-mini: %s; the stream is stored all the same (run %u)\n", sink.stdout_error()->c_str(),
                     committed.id);
    if (report && !finish_junit(*report, junit)) return exit_error;
    if (subunit) return stored_exit_status(exit_ok, committed, interrupts);  // as testr: the stream was written
    // The summary the commit wrote: its head is kilobytes.
    auto digest = repo::read_summary(r, committed.id);
    if (!digest) throw cli_error("run " + std::to_string(committed.id) + " was stored, but " + digest.error().message);
    if (!a.quiet) {
        std::string out = format_summary(stored_summary_values(*digest, filter_tags(a), previous, committed.id));
        if (so.shards) out += shards_note(shards);
        if (!never_ran.empty())
            out += count_of(never_ran.size(), "test", "tests") + " never ran (in the expected list, in no shard's stream):" +
                   id_lines(never_ran) + "\n";
        write_stored_report(out, committed.id);
    }
    return stored_exit_status(incomplete ? exit_failed : stored_verdict(*digest), committed, interrupts);
}

}  // namespace testr::cli
