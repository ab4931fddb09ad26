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
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <testr/shard.hpp>

#include "commit.hpp"
#include "file_bytes.hpp"
#include "junit_output.hpp"
#include "prepare.hpp"
#include "stored_counts.hpp"
#include "stream_sink.hpp"
#include "subunit_v2.hpp"
#include "ui/console.hpp"
#include "ui/report_format.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

namespace {

/// What one shard's stream delivered, for saying what it did not.
struct shard_state {
    std::string path;
    std::size_t index = 0;                    ///< K of shard-K: the marker's, else the position (from 1); 0: unknown
    std::optional<shard_marker> marker;       ///< what `run --shard` wrote first in the stream
    std::string open_error;                   ///< set: the file could not be read at all
    std::uint64_t bytes = 0;
    std::size_t results = 0;                  ///< outcome events of real tests
    std::vector<std::string> parser_errors;   ///< "Parser Error" texts: corrupt or cut-short packets
    std::unordered_set<std::string> started;  ///< inprogress and no outcome yet

    std::string name() const { return "shard " + (index ? std::to_string(index) : std::string("?")) + " (" + path + ")"; }
    bool reported() const { return open_error.empty() && bytes != 0; }
    /// Its share of the split was empty, and it said so.
    bool empty_share() const { return marker && marker->tests == 0 && results == 0; }
};

/// The marker, when the stream starts with one (`run --shard` writes it
/// before anything else, so the first packet is enough).
std::optional<shard_marker> marker_of(std::string_view head) {
    std::optional<shard_marker> found;
    bool first = true;
    subunit::decoder probe([&](const subunit::event_view& e, std::string_view) {
        if (!std::exchange(first, false)) return;
        if (e.test_id != shard_marker_id || e.test_status != subunit::status::exists) return;
        for (auto tag : e.tags)
            if (auto m = parse_shard_marker(tag)) found = m;
    });
    probe.feed(head);
    return found;
}

std::string id_lines(std::vector<std::string> ids, std::size_t most = 20) {
    std::sort(ids.begin(), ids.end());
    std::string s;
    for (std::size_t k = 0; k < ids.size() && k < most; ++k) s += "\n  " + ids[k];
    if (ids.size() > most) s += "\n  ... and " + std::to_string(ids.size() - most) + " more";
    return s;
}

/// Problems of the shards, one line each (printed as warnings); empty when
/// every shard delivered whole.
std::vector<std::string> shard_problems(const std::vector<shard_state>& shards) {
    std::vector<std::string> out;
    // The markers say how many shards there are: those no input is are
    // named too (a job that uploaded nothing, its file not even given).
    std::optional<std::size_t> total;
    std::vector<std::string> totals;
    std::map<std::size_t, std::vector<const shard_state*>> given;  // by index: those that reported
    std::unordered_set<std::size_t> named;                         // every index an input goes by
    for (const shard_state& s : shards) {
        named.insert(s.index);
        if (s.reported()) given[s.index].push_back(&s);
        if (!s.marker) continue;
        if (total && *total != s.marker->spec.total) totals.push_back(s.name() + " says " + std::to_string(s.marker->spec.total));
        if (!total) {
            total = s.marker->spec.total;
            totals.push_back(s.name() + " says " + std::to_string(*total));
        }
    }
    if (totals.size() > 1) {
        std::string list;
        for (const auto& t : totals) list += (list.empty() ? "" : "; ") + t;
        out.push_back("the shards disagree on how many shards there are (" + list + "): streams of different splits");
    }
    for (const auto& [index, inputs] : given)
        if (inputs.size() > 1) {
            std::string list;
            for (auto* s : inputs) list += (list.empty() ? "" : ", ") + s->path;
            out.push_back("shard " + std::to_string(index) + " is given " + std::to_string(inputs.size()) + " times (" +
                          list + ")");
        }
    if (total && totals.size() == 1) {
        std::vector<std::size_t> missing;
        for (std::size_t k = 1; k <= *total; ++k)
            if (!named.contains(k)) missing.push_back(k);
        std::string list;
        for (std::size_t i = 0; i < missing.size() && i < 20; ++i) list += (i ? ", " : "") + std::to_string(missing[i]);
        if (missing.size() > 20) list += ", ... (" + std::to_string(missing.size() - 20) + " more)";
        if (missing.size() == 1)
            out.push_back("shard " + list + "/" + std::to_string(*total) + " never reported: no stream read says it is shard " + list);
        else if (!missing.empty())
            out.push_back(std::to_string(missing.size()) + " shards of " + std::to_string(*total) +
                          " never reported (no stream read says it is one of them): " + list);
    }
    for (const shard_state& s : shards) {
        if (!s.open_error.empty()) {
            out.push_back(s.name() + " never reported: " + s.open_error);
            continue;
        }
        if (s.bytes == 0) {
            out.push_back(s.name() + " never reported: the stream is empty");
            continue;
        }
        for (const auto& e : s.parser_errors) out.push_back(s.name() + ": corrupt or truncated stream: " + e);
        if (s.results == 0 && s.parser_errors.empty() && !s.empty_share())
            out.push_back(s.name() + " reported no test results (" + std::to_string(s.bytes) + " bytes)");
        if (!s.started.empty())
            out.push_back(s.name() + ": " + std::to_string(s.started.size()) +
                          (s.started.size() == 1 ? " test started and never finished" : " tests started and never finished") +
                          " (the stream ends at byte " + std::to_string(s.bytes) + "):" +
                          id_lines({s.started.begin(), s.started.end()}, 5));
    }
    return out;
}

std::string shards_note(const std::vector<shard_state>& shards) {
    std::vector<const shard_state*> order;
    for (const auto& st : shards) order.push_back(&st);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->index < b->index; });
    std::string s = "Shards: " + std::to_string(shards.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        const shard_state& st = *order[k];
        s += k == 0 ? " (" : ", ";
        s += "shard-" + (st.index ? std::to_string(st.index) : std::string("?")) + ": ";
        s += !st.reported()     ? std::string("never reported")
             : st.empty_share() ? std::string("ran nothing, its share was empty")
                                : std::to_string(st.results) + (st.results == 1 ? " result" : " results");
    }
    return s + ")\n";
}

/// A shard given as a project directory: its repository's latest run, or
/// why there is none (a shard's own run that could not be stored is one
/// that never reported, not an error of the merge).
std::optional<file_bytes> latest_run_of(const std::string& dir, shard_state& s) {
    auto r = repo::open(dir);
    if (!r) {
        s.open_error = r.error().message;
        return std::nullopt;
    }
    auto latest = repo::latest_id(*r);
    if (!latest || !*latest) {
        s.open_error = latest ? std::string("its repository holds no run") : latest.error().message;
        return std::nullopt;
    }
    auto bytes = repo::read_run(*r, **latest);
    if (!bytes) {
        s.open_error = bytes.error().message;
        return std::nullopt;
    }
    return std::move(*bytes);
}

/// The whole suite's ids, when the caller said where to find them.
std::optional<ids_t> expected_ids(const app& a, const shard_options& o) {
    if (o.expect_ids) {
        auto bytes = read_file_bytes(*o.expect_ids);
        if (!bytes) throw cli_error("cannot read --expect-ids file: " + bytes.error().message());
        return parse_listing(bytes->view());
    }
    if (!o.expect_listed) return std::nullopt;
    prepared p = prepare_listing(a, o.testargs);
    return list_tests(a, p);
}

/// shard-K for the input whose stream starts with `head`; K and the
/// marker noted in `s`.
std::string shard_tag(shard_state& s, std::string_view head) {
    s.marker = marker_of(head);
    if (s.marker) s.index = s.marker->spec.index;
    return "shard-" + std::to_string(s.index);
}

}  // namespace

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
        std::optional<test_record> t = lives.take(0, *e.test_id);
        if (!t || !is_failure(e.test_status)) return;
        stdout_broken = put_stdout(format_failure(*t)) != 0;
    };
    // Each input is one worker, tagged worker-N by position, as the original;
    // a shard keeps its own workers' tags and gains shard-K.
    std::vector<std::string> inputs = streams.empty() ? std::vector<std::string>{"-"} : streams;
    if (so.shards) shards.resize(inputs.size());
    char buf[1 << 16];
    for (unsigned pos = 0; pos < inputs.size(); ++pos) {
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
        decoder->finish();
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
    // As `run` does when tests never ran: the failing list keeps what the
    // missing tests had.
    const bool incomplete = !problems.empty() || !never_ran.empty();
    const stored_run committed = store_run(*writer, partial || incomplete, "stream");
    if (sink.stdout_error())
        std::fprintf(stderr, "testr-mini: %s; the stream is stored all the same (run %u)\n", sink.stdout_error()->c_str(),
                     committed.id);
    if (report && !finish_junit(*report, junit)) return exit_error;
    if (subunit) return with_storage_warning(exit_ok, committed);  // as testr: the stream was written
    // The summary the commit wrote: its head is kilobytes.
    auto digest = repo::read_summary(r, committed.id);
    if (!digest) throw cli_error("run " + std::to_string(committed.id) + " was stored, but " + digest.error().message);
    if (!a.quiet) {
        std::string out = format_summary(summarize_against(counts_of(*digest, filter_tags(a)), previous, committed.id));
        if (so.shards) out += shards_note(shards);
        if (!never_ran.empty())
            out += std::to_string(never_ran.size()) + (never_ran.size() == 1 ? " test" : " tests") +
                   " never ran (in the expected list, in no shard's stream):" + id_lines(never_ran) + "\n";
        write_stdout(out);
    }
    return with_storage_warning(digest->failures() || incomplete ? exit_failed : exit_ok, committed);
}

}  // namespace testr::cli
