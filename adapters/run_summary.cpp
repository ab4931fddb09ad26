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
    if (auto it = index_.find(id); it != index_.end()) return tests_[it->second];
    index_.emplace(std::string(id), tests_.size());
    tests_.push_back({});
    tests_.back().id = id;
    open_.push_back(false);
    earlier_.push_back(status::none);
    return tests_.back();
}

void run_summary::add(const subunit::event_view& e) {
    if (e.time) {
        if (!first_time_ || earlier(*e.time, *first_time_)) first_time_ = e.time;
        if (!last_time_ || earlier(*last_time_, *e.time)) last_time_ = e.time;
    }
    if (!e.test_id) {
        if (e.file_name && keep_attachments_) merge_file(stray_, e);
        return;
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
        return;
    }
    if (!open_[i]) {
        open_[i] = true;
        earlier_[i] = r.status;
        r.started = e.time;
        r.stopped.reset();
        r.status = status::none;
    }
    if (s == status::inprogress) {
        r.status = status::inprogress;
        if (!r.started) r.started = e.time;
    } else if (is_outcome(s)) {
        open_[i] = false;
        r.status = s;
        r.stopped = e.time;
        std::vector<std::string> tags(e.tags.begin(), e.tags.end());
        completions_.push_back({s, std::move(tags)});
    }
}

const test_record* run_summary::find(std::string_view id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? nullptr : &tests_[it->second];
}

void run_summary::set_filter_tags(std::vector<std::string> tags) { filter_tags_ = std::move(tags); }

bool run_summary::is_filtered(const completion& c) const {
    // testr's CLITestResult: only these outcomes can be filtered away; a
    // failure always counts.
    if (c.status == status::fail) return false;
    return std::any_of(c.tags.begin(), c.tags.end(), [&](const std::string& tag) {
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
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view) { summary.add(e); });
    dec.feed(stream_bytes);
    dec.finish();
    return summary;
}

}  // namespace testr
