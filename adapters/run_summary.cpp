// run_summary.cpp - folding events into test records and testr's counts.
//
// A test's "life" mirrors testtools' _StreamToTestRecord: it begins with any
// event for an id that has no life open, and ends with the first event that
// carries a final status (an outcome or `exists`). testr counts lives, not
// ids, so the counters are kept per ending and per still-open life.
#include "run_summary.hpp"

#include <algorithm>
#include <charconv>

namespace testr {
namespace {

using subunit::status;

bool earlier(const subunit::timestamp& a, const subunit::timestamp& b) noexcept {
    return a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds;
}

double to_seconds(const subunit::timestamp& from, const subunit::timestamp& to) noexcept {
    return static_cast<double>(subunit::elapsed(from, to).count()) / 1e9;
}

/// N from "worker-N" (digits only), else -1.
int worker_number(std::string_view tag) noexcept {
    constexpr std::string_view prefix = "worker-";
    if (!tag.starts_with(prefix) || tag.size() == prefix.size()) return -1;
    int n = -1;
    const char* end = tag.data() + tag.size();
    const auto [ptr, ec] = std::from_chars(tag.data() + prefix.size(), end, n);
    return ec == std::errc() && ptr == end ? n : -1;
}

/// Appends a chunk to the attachment of that name, creating it if new.
void merge_file(std::vector<attachment>& files, const subunit::event_view& e) {
    if (e.file_bytes.empty()) return;  // testtools ignores empty chunks too
    auto it = std::find_if(files.begin(), files.end(), [&](const attachment& a) { return a.name == *e.file_name; });
    if (it == files.end()) {
        files.push_back({std::string(*e.file_name), std::string(e.mime_type.value_or("")), {}});
        it = files.end() - 1;
    }
    it->bytes.append(e.file_bytes);
}

/// How an event with status `s` (not `exists`) moves the times of a test's
/// latest life: any event opens one when none is open, an outcome ends it.
/// run_summary and durations_of both follow it. Returns whether it opened.
bool advance_life(bool& open, std::optional<subunit::timestamp>& started, std::optional<subunit::timestamp>& stopped,
                  status s, const std::optional<subunit::timestamp>& time) {
    const bool opened = !open;
    if (opened) {
        open = true;
        started = time;
        stopped.reset();
    }
    if (s == status::inprogress) {
        if (!started) started = time;
    } else if (is_outcome(s)) {
        open = false;
        stopped = time;
    }
    return opened;
}

}  // namespace

std::optional<double> test_record::seconds() const {
    if (!started || !stopped) return std::nullopt;
    return to_seconds(*started, *stopped);
}

bool is_outcome(status s) noexcept {
    return s == status::success || s == status::uxsuccess || s == status::skip || s == status::fail ||
           s == status::xfail;
}

bool is_failure(status s) noexcept { return s == status::fail || s == status::inprogress || s == status::none; }

test_record& run_summary::record_for(std::string_view id) {
    const auto [number, added] = index_.insert(id, [this](std::uint32_t n) -> std::string_view { return tests_[n].id; });
    if (added) {
        tests_.emplace_back().id = id;
        open_.push_back(false);
        earlier_.push_back(status::none);
    }
    return tests_[number];
}

void run_summary::add_completion(status s, const std::vector<std::string_view>& tags) {
    const auto count = static_cast<std::uint32_t>(tags.size());
    if (!completions_.empty()) {
        const completion& last = completions_.back();
        if (last.tag_count == count && std::equal(tags.begin(), tags.end(), tags_.begin() + last.first_tag)) {
            completions_.push_back({s, last.first_tag, count});
            return;
        }
    }
    completions_.push_back({s, static_cast<std::uint32_t>(tags_.size()), count});
    tags_.insert(tags_.end(), tags.begin(), tags.end());
}

const test_record* run_summary::add(const subunit::event_view& e) {
    if (e.time) {
        if (!first_time_ || earlier(*e.time, *first_time_)) first_time_ = e.time;
        if (!last_time_ || earlier(*last_time_, *e.time)) last_time_ = e.time;
    }
    if (!e.test_id) {
        if (e.file_name && keep_attachments_) merge_file(stray_, e);
        return nullptr;
    }
    test_record& r = record_for(*e.test_id);
    const std::size_t i = static_cast<std::size_t>(&r - tests_.data());
    for (std::string_view tag : e.tags) {
        if (std::find(r.tags.begin(), r.tags.end(), tag) != r.tags.end()) continue;
        r.tags.emplace_back(tag);
        if (r.worker < 0) r.worker = worker_number(tag);
    }
    if (e.file_name && keep_attachments_) merge_file(r.attachments, e);

    const status s = e.test_status;
    if (s == status::exists) {
        // Ends an open life without an outcome; a listing never hides an
        // earlier outcome.
        if (open_[i]) {
            open_[i] = false;
            r.status = is_outcome(earlier_[i]) ? earlier_[i] : status::exists;
        } else if (!is_outcome(r.status)) {
            r.status = status::exists;
        }
        return &r;
    }
    bool open = open_[i];
    if (advance_life(open, r.started, r.stopped, s, e.time)) {
        earlier_[i] = r.status;
        r.status = status::none;
    }
    open_[i] = open;
    if (s == status::inprogress) {
        r.status = s;
    } else if (is_outcome(s)) {
        r.status = s;
        add_completion(s, e.tags);
    }
    return &r;
}

const test_record* run_summary::find(std::string_view id) const {
    const std::uint32_t n = index_.find(id, [this](std::uint32_t i) -> std::string_view { return tests_[i].id; });
    return n == detail::record_index::npos ? nullptr : &tests_[n];
}

void run_summary::set_filter_tags(std::vector<std::string> tags) { filter_tags_ = std::move(tags); }

bool run_summary::is_filtered(const completion& c) const {
    // testr's CLITestResult: only these outcomes can be filtered away; a
    // failure always counts.
    if (c.status == status::fail || filter_tags_.empty()) return false;
    const auto first = tags_.begin() + c.first_tag;
    return std::any_of(first, first + c.tag_count, [&](const std::string& tag) {
        return std::find(filter_tags_.begin(), filter_tags_.end(), tag) != filter_tags_.end();
    });
}

std::size_t run_summary::incomplete() const { return static_cast<std::size_t>(std::count(open_.begin(), open_.end(), true)); }

std::size_t run_summary::count_outcome(status s, bool filtered) const {
    return static_cast<std::size_t>(std::count_if(completions_.begin(), completions_.end(), [&](const completion& c) {
        return c.status == s && !(filtered && is_filtered(c));
    }));
}

std::size_t run_summary::total() const {
    const auto kept = std::count_if(completions_.begin(), completions_.end(),
                                    [&](const completion& c) { return !is_filtered(c); });
    return static_cast<std::size_t>(kept) + incomplete();
}

std::size_t run_summary::failures() const { return count_outcome(status::fail, false) + incomplete(); }
std::size_t run_summary::skips() const { return count_outcome(status::skip, false); }
std::size_t run_summary::successes() const { return count_outcome(status::success, true); }
std::size_t run_summary::expected_failures() const { return count_outcome(status::xfail, true); }
std::size_t run_summary::unexpected_successes() const { return count_outcome(status::uxsuccess, true); }

std::optional<double> run_summary::wall_seconds() const {
    if (!first_time_ || !last_time_) return std::nullopt;
    return to_seconds(*first_time_, *last_time_);
}

result<run_summary, std::string> summarize(std::string_view stream_bytes) {
    run_summary summary;
    // A guess from the usual inprogress + outcome packets of 100+ bytes a
    // test: growing moves every record into freshly faulted pages, while
    // capacity never touched costs no memory; a low guess just grows.
    summary.tests_.reserve(stream_bytes.size() / 100);
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view) { summary.add(e); });
    dec.feed(stream_bytes);
    dec.finish();
    return summary;
}

result<test_durations, std::string> durations_of(std::string_view stream_bytes) {
    struct timing {
        std::size_t id_at;
        std::uint32_t id_size;
        bool open;
        std::optional<subunit::timestamp> started, stopped;
    };
    // Memory is most of the cost here: the ids, distinct, never outgrow the
    // stream, and the per-test guess is summarize()'s; untouched capacity
    // costs nothing, while each regrowth faults fresh pages in.
    std::string ids;
    ids.reserve(stream_bytes.size());
    const std::size_t guess = stream_bytes.size() / 100;
    std::vector<timing> tests;
    tests.reserve(guess);
    detail::record_index index(guess);
    auto id_of = [&](std::uint32_t n) { return std::string_view(ids).substr(tests[n].id_at, tests[n].id_size); };
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view) {
        if (!e.test_id) return;
        const auto [n, added] = index.insert(*e.test_id, id_of);
        if (added) {
            tests.push_back({ids.size(), static_cast<std::uint32_t>(e.test_id->size()), false, std::nullopt, std::nullopt});
            ids += *e.test_id;
        }
        timing& t = tests[n];
        if (e.test_status == status::exists) {
            t.open = false;  // ends a life, times untouched, as in run_summary::add
            return;
        }
        advance_life(t.open, t.started, t.stopped, e.test_status, e.time);
    });
    dec.feed(stream_bytes);
    dec.finish();
    test_durations out;
    out.tests_.reserve(tests.size());
    for (const timing& t : tests)
        if (t.started && t.stopped) out.tests_.push_back({t.id_at, t.id_size, to_seconds(*t.started, *t.stopped)});
    out.ids_ = std::move(ids);
    return out;
}

}  // namespace testr
