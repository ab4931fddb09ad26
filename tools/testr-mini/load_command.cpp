// tools/testr-mini/load_command.cpp - `load`: subunit streams (files, or
// stdin) stored as a run, each input tagged worker-N by its position.
#include "report_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <unordered_map>

#include "commit.hpp"
#include "junit_output.hpp"
#include "stored_counts.hpp"
#include "stream_sink.hpp"
#include "ui/report_format.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

int load_command(const app& a, const std::vector<std::string>& streams, bool partial, bool force_init, bool subunit,
                 const std::string& junit) {
    repo::repository r = a.open_or_init_repository(force_init);
    clean_leftovers(a.quiet, r);
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
            it->append(e.file_bytes);
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
    const stored_run committed = store_run(*writer, partial, "stream");
    if (sink.stdout_error())
        std::fprintf(stderr, "testr-mini: %s; the stream is stored all the same (run %u)\n", sink.stdout_error()->c_str(),
                     committed.id);
    if (report && !finish_junit(*report, junit)) return exit_error;
    if (subunit) return with_storage_warning(exit_ok, committed);  // as testr: the stream was written
    // The summary the commit wrote: its head is kilobytes.
    auto digest = repo::read_summary(r, committed.id);
    if (!digest) throw cli_error("run " + std::to_string(committed.id) + " was stored, but " + digest.error().message);
    if (!a.quiet) write_stdout(format_summary(summarize_against(counts_of(*digest, filter_tags(a)), previous, committed.id)));
    return with_storage_warning(digest->failures() ? exit_failed : exit_ok, committed);
}

}  // namespace testr::cli
