// run_summary.hpp - per-test records and testr's counts from a subunit v2
// stream, fed live during a run or from a stored run file.
//
// Counting follows testrepository exactly (testtools' StreamSummary as
// testr's CLITestResult uses it, checked against the real `testr load` in
// tests/test_run_summary.cpp); docs/repository.md lists the rules. In short:
//   * a test "completes" on every event with a final status; each completion
//     but `exists` is one test run, so a test reported twice counts twice;
//   * a test whose last events never reached a final status (an
//     `inprogress` without an end, or file events only, or file events after
//     its end) "did not complete": it counts as run and as a failure;
//   * failures = fail completions + incomplete tests. `uxsuccess` is NOT a
//     failure: testr prints PASSED for a run whose only problem is one;
//   * filter_tags take a success/uxsuccess/xfail/skip completion out of the
//     run count when its final event carries one of them; failures and
//     skips are counted regardless, as testr does.
// Route codes are not part of a test's identity here (testtools keys tests
// by id and route code); testr's own runs never set them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record_index.hpp"
#include "subunit_v2.hpp"
#include <testr/result.hpp>

namespace testr {

/// One file attached to a test (or, in run_summary::stray, to no test):
/// the bytes of every chunk with this name, in stream order. The mime type
/// is the first one given for the name. Empty chunks add nothing (as in
/// testtools), so an attachment never has empty bytes.
struct attachment {
    std::string name, mime_type, bytes;
};

/// Everything known about one test id in a stream.
struct test_record {
    std::string id;
    /// The latest real outcome (success, fail, uxsuccess, xfail, skip).
    /// `exists` if the test was only listed; `inprogress` if its last events
    /// began with inprogress but never reached an outcome; `none` if its last
    /// events were only files or tags. The last two "did not complete".
    subunit::status status = subunit::status::none;
    /// Time of the first event of the test's latest life (normally its
    /// inprogress; a later inprogress supplies it if that event had none),
    /// and time of the event that ended it. `exists` events set neither.
    std::optional<subunit::timestamp> started, stopped;
    std::vector<std::string> tags;            ///< union over its events, first-seen order
    std::vector<attachment> attachments;      ///< empty when attachments are not kept
    int worker = -1;                          ///< N from the first "worker-N" tag, else -1

    /// stopped - started in seconds when both are known (may be negative
    /// if the clock went back).
    std::optional<double> seconds() const;
};

/// Whether testr counts a test with this final status as failed and keeps
/// it in the failing list: `fail`, and the did-not-complete states
/// `inprogress` and `none`. Not `uxsuccess` (see the header comment) and not
/// `exists`, which is no outcome.
bool is_failure(subunit::status s) noexcept;

/// Whether `s` is an outcome: success, uxsuccess, skip, fail or xfail.
bool is_outcome(subunit::status s) noexcept;

/// Accumulates the events of one stream. Copyable, movable.
///
/// Built for runs of 100,000+ tests: one hash table of record numbers (no
/// node or key copy per test), completions kept without an allocation each.
class run_summary {
public:
    /// Feeds one event; call for every event of the stream, in order.
    /// Returns the record of the event's test (valid until the next add()),
    /// null for an event without a test id.
    const test_record* add(const subunit::event_view& e);

    /// Every test id seen, in first-appearance order, listed-only ones too.
    const std::vector<test_record>& tests() const noexcept { return tests_; }
    /// The record for `id`, or null. Valid until the next add().
    const test_record* find(std::string_view id) const;

    /// Tests run as `testr` prints "Ran N tests": outcomes (one per
    /// completion) minus filtered ones, plus tests that did not complete.
    std::size_t total() const;
    /// testr's "failures=": fail completions plus tests that did not complete.
    std::size_t failures() const;
    /// testr's "skips=": skip completions (filter tags do not apply).
    std::size_t skips() const;
    /// Completions with status success / xfail / uxsuccess, less filtered ones.
    std::size_t successes() const;
    std::size_t expected_failures() const;
    std::size_t unexpected_successes() const;
    /// Whether testr would say PASSED: no failures.
    bool passed() const { return failures() == 0; }

    /// Earliest and latest timestamp over every event, with or without test id.
    std::optional<subunit::timestamp> first_time() const noexcept { return first_time_; }
    std::optional<subunit::timestamp> last_time() const noexcept { return last_time_; }
    /// last - first: testr's "Ran N tests in X s".
    std::optional<double> wall_seconds() const;

    /// File events without a test id (non-subunit bytes become "stdout"),
    /// merged by name like test attachments.
    const std::vector<attachment>& stray() const noexcept { return stray_; }

    /// filter_tags from .testr.conf. May be set before or after add().
    void set_filter_tags(std::vector<std::string> tags);

    /// Whether file bytes are kept (default true). Turn off before add() to
    /// summarise a big stream in little memory; tags, times and statuses are
    /// kept either way.
    void keep_attachments(bool keep) noexcept { keep_attachments_ = keep; }

private:
    friend result<run_summary, std::string> summarize(std::string_view stream_bytes);

    /// One ending of a life. Its final event's tags (what filter_tags test)
    /// are tags_[first_tag, first_tag + tag_count): consecutive completions
    /// with the same tags share them, so a run tagged only worker-N stores
    /// each distinct list once.
    struct completion {
        subunit::status status;
        std::uint32_t first_tag, tag_count;
    };
    test_record& record_for(std::string_view id);
    void add_completion(subunit::status s, const std::vector<std::string_view>& tags);
    std::size_t incomplete() const;
    std::size_t count_outcome(subunit::status s, bool filtered) const;
    bool is_filtered(const completion& c) const;

    std::vector<test_record> tests_;
    std::vector<bool> open_;                // per record: its latest life has not ended
    std::vector<subunit::status> earlier_;  // per record: outcome before its latest life
    detail::record_index index_;            // id -> position in tests_
    std::vector<completion> completions_;
    std::vector<std::string> tags_;         // completion tag lists, see `completion`
    std::vector<std::string> filter_tags_;
    std::vector<attachment> stray_;
    std::optional<subunit::timestamp> first_time_, last_time_;
    bool keep_attachments_ = true;
};

/// Decodes a whole stream into a summary. Never fails on bad bytes: the
/// decoder reports them as a failing "subunit.parser" test and text as
/// "stdout" (see subunit::decoder). The error type exists so a later source
/// of failure does not change the signature.
result<run_summary, std::string> summarize(std::string_view stream_bytes);

/// One test's duration: its record's test_record::seconds().
struct test_duration {
    std::string_view id;
    double seconds;
};

/// The tests of a stream that have a duration, in first-appearance order:
/// what `slowest` needs, for a fraction of summarize()'s time and memory
/// (no records, tags or attachments; every id in one string). Movable.
class test_durations {
public:
    std::size_t size() const noexcept { return tests_.size(); }
    bool empty() const noexcept { return tests_.empty(); }
    /// The i-th test; its id views this object.
    test_duration operator[](std::size_t i) const {
        const entry& t = tests_[i];
        return {std::string_view(ids_).substr(t.id_at, t.id_size), t.seconds};
    }

private:
    friend result<test_durations, std::string> durations_of(std::string_view stream_bytes);
    struct entry {
        std::size_t id_at;  // offsets, not views: ids_ may move with the object
        std::size_t id_size;
        double seconds;
    };
    std::string ids_;
    std::vector<entry> tests_;
};

/// Decodes a whole stream for its tests' durations. Same lives and times as
/// summarize() (and never fails on bad bytes either).
result<test_durations, std::string> durations_of(std::string_view stream_bytes);

}  // namespace testr
