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
#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "record_index.hpp"
#include "subunit_v2.hpp"
#include <testr/result.hpp>

namespace testr {

/// One file attached to a test (or, in run_summary::stray, to no test):
/// the bytes of every chunk with this name, in stream order. The mime type
/// is the first one given for the name. Empty chunks add nothing (as in
/// testtools), so an attachment never has empty bytes.
///
/// Memory is bounded whatever a runner prints (gigabytes of stray output):
/// past keep_head + 2 * keep_tail bytes only the first keep_head and the
/// latest keep_tail..2*keep_tail are kept, and `dropped` counts the rest.
/// The run file still holds every byte as received.
struct attachment {
    std::string name, mime_type;
    /// All the bytes, or (dropped > 0) the first head_size, then the latest.
    std::string bytes;
    std::uint64_t dropped = 0;  ///< bytes left out between the two
    std::size_t head_size = 0;  ///< 0 until something was left out

    static constexpr std::size_t keep_head = std::size_t{1} << 20;
    static constexpr std::size_t keep_tail = std::size_t{1} << 20;

    /// Adds a chunk, leaving out the middle beyond the bounds above.
    void append(std::string_view more);
    /// The bytes to show: all of them, or the head, a line saying how many
    /// bytes were left out and where they are, and the tail.
    std::string shown() const;
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

/// A run counted as `run` reports one that retried tests: each test once,
/// by its last attempt (the stream keeps every attempt, and testr would
/// count each).
struct attempt_counts {
    std::uint64_t tests = 0, failures = 0, skips = 0;
    friend bool operator==(const attempt_counts&, const attempt_counts&) = default;
};

/// N from a "worker-N" tag (digits only), else -1.
int worker_number(std::string_view tag) noexcept;

/// Whether `s` is an outcome: success, uxsuccess, skip, fail or xfail.
bool is_outcome(subunit::status s) noexcept;

class run_summary;

/// One record of a run_summary as it stands, by value: the small fields
/// copied out of the summary's flat arrays, tags and attachments fetched on
/// demand. Valid until the summary's next add().
struct test_view {
    std::string_view id;
    subunit::status status = subunit::status::none;
    std::optional<subunit::timestamp> started, stopped;  ///< as test_record's
    int worker = -1;
    std::uint32_t number = 0;  ///< position in first-appearance order
    const run_summary* owner = nullptr;

    /// As test_record::seconds().
    std::optional<double> seconds() const;
    /// Union over its events, first-seen order.
    std::vector<std::string_view> tags() const;
    /// Empty when attachments are not kept or there are none.
    const std::vector<attachment>& attachments() const;
    /// An owning copy of everything known about the test.
    test_record record() const;
};

/// Accumulates the events of one stream. Copyable, movable.
///
/// Built for runs of 10^6 tests: records are fixed-size entries in one
/// array (about 48 bytes each), their ids in one arena, tags interned as
/// numbers and attachments kept aside for the few tests that have them, so
/// an event allocates nothing but where the arrays grow.
class run_summary {
public:
    static constexpr std::uint32_t npos = static_cast<std::uint32_t>(-1);

    /// Feeds one event; call for every event of the stream, in order.
    /// Returns the number of the event's test, npos for an event without
    /// a test id.
    std::uint32_t add(const subunit::event_view& e);

    /// Every test id seen, in first-appearance order, listed-only ones too:
    /// a range of test_view.
    class records {
    public:
        class iterator {
        public:
            using value_type = test_view;
            using difference_type = std::ptrdiff_t;
            using reference = test_view;
            using pointer = void;
            using iterator_category = std::input_iterator_tag;
            iterator() = default;
            iterator(const run_summary* s, std::uint32_t n) : s_(s), n_(n) {}
            test_view operator*() const { return s_->at(n_); }
            iterator& operator++() { ++n_; return *this; }
            iterator operator++(int) { auto old = *this; ++n_; return old; }
            friend bool operator==(const iterator& a, const iterator& b) { return a.n_ == b.n_; }
        private:
            const run_summary* s_ = nullptr;
            std::uint32_t n_ = 0;
        };
        explicit records(const run_summary& s) : s_(&s) {}
        iterator begin() const { return {s_, 0}; }
        iterator end() const { return {s_, static_cast<std::uint32_t>(s_->size())}; }
        std::size_t size() const noexcept { return s_->size(); }
        bool empty() const noexcept { return size() == 0; }
        test_view operator[](std::size_t n) const { return s_->at(static_cast<std::uint32_t>(n)); }
    private:
        const run_summary* s_;
    };
    records tests() const noexcept { return records(*this); }
    std::size_t size() const noexcept { return recs_.size(); }
    /// Record `n` (< size()).
    test_view at(std::uint32_t n) const;
    /// The record for `id`, or nullopt.
    std::optional<test_view> find(std::string_view id) const;
    /// Calls `f(id, seconds, status)` for every test whose latest life has
    /// both timestamps, in first-appearance order: for passes over 10^6
    /// records that need only these, without a test_view apiece.
    template <class F>
    void each_timed(F&& f) const {
        for (const flat_record& r : recs_)
            if (r.has_started && r.has_stopped) f(id_of(r), seconds_of(r), r.status);
    }

    /// Tests run as `testr` prints "Ran N tests": outcomes (one per
    /// completion) minus filtered ones, plus tests that did not complete.
    std::size_t total() const;
    /// testr's "failures=": fail completions plus tests that did not complete.
    std::size_t failures() const;
    /// testr's "skips=": skip completions (filter tags do not apply).
    std::size_t skips() const;
    /// Whether testr would say PASSED: no failures.
    bool passed() const { return failures() == 0; }
    /// Each test once, by its latest life's status (listings not counted).
    attempt_counts by_last_attempt() const;

    /// Earliest timestamp over every event, with or without test id.
    std::optional<subunit::timestamp> first_time() const noexcept { return first_time_; }
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

    /// Room for the records of a stream of about `stream_bytes` bytes.
    /// Capacity never touched costs no memory, so an overestimate is
    /// cheap; growing moves every record into freshly faulted pages.
    void reserve(std::uint64_t stream_bytes);

    /// Forgets every event, keeping the memory for the next stream (and the
    /// filter tags and keep_attachments setting).
    void clear();

private:
    friend result<run_summary, std::string> summarize(std::string_view stream_bytes);
    friend class digest_builder;
    friend struct test_view;

    /// One ending of a life. Its final event's tags (what filter_tags test)
    /// are tag numbers tags_[first_tag, first_tag + tag_count): consecutive
    /// completions with the same tags share them, so a run tagged only
    /// worker-N stores each distinct list once.
    struct completion {
        subunit::status status;
        std::uint32_t first_tag, tag_count;
    };
    /// A test, flat: its id is ids_[id_at, id_at + id_size); its first tag
    /// is a number in tag_names_ (npos: none), any further ones are in
    /// more_tags_. The timestamps are split so the entry packs in 48 bytes.
    struct flat_record {
        std::uint64_t id_at = 0;
        std::int64_t started_s = 0, stopped_s = 0;
        std::uint32_t id_size = 0, first_tag = npos;
        std::uint32_t started_ns = 0, stopped_ns = 0;
        std::int32_t worker = -1;
        subunit::status status = subunit::status::none;
        subunit::status earlier = subunit::status::none;  // outcome before its latest life
        bool has_started : 1 = false, has_stopped : 1 = false;
        bool open : 1 = false;  // its latest life has not ended
    };
    static_assert(sizeof(flat_record) <= 48);
    /// What only some tests have: more than one tag, attachments, and once
    /// there are many of either, indexes of them (a linear search per
    /// event would make a test with 10^5 tags or file names quadratic).
    struct extras {
        std::vector<std::uint32_t> tags;  // after flat_record::first_tag
        std::vector<attachment> files;
        detail::record_index tag_index, file_index;
    };
    std::string_view id_of(const flat_record& r) const noexcept {
        return std::string_view(ids_).substr(static_cast<std::size_t>(r.id_at), r.id_size);
    }
    static double seconds_of(const flat_record& r) noexcept;
    std::uint32_t record_for(std::string_view id);
    std::uint32_t intern_tag(std::string_view tag);
    void add_tags(std::uint32_t i, const std::vector<std::string_view>& tags);
    void add_file(std::uint32_t i, const subunit::event_view& e);
    void add_completion(subunit::status s, const std::vector<std::string_view>& tags);
    std::size_t incomplete() const;
    std::size_t count_outcome(subunit::status s) const;
    bool is_filtered(const completion& c) const;

    std::vector<flat_record> recs_;
    std::string ids_;                       // every record's id, back to back
    detail::record_index index_;            // id -> record number
    std::vector<std::string> tag_names_;    // interned tags, by number
    std::vector<std::int32_t> tag_worker_;  // per tag: worker_number(tag)
    detail::record_index tag_index_;        // tag -> number
    std::vector<completion> completions_;
    std::vector<std::uint32_t> tags_;       // completion tag lists, see `completion`
    std::vector<std::string> filter_tags_;
    std::vector<attachment> stray_;
    std::optional<subunit::timestamp> first_time_, last_time_;
    bool keep_attachments_ = true;
    std::unordered_map<std::uint32_t, extras> extras_;  // by record number
};

/// Decodes a whole stream into a summary. Never fails on bad bytes: the
/// decoder reports them as a failing "subunit.parser" test and text as
/// "stdout" (see subunit::decoder). The error type exists so a later source
/// of failure does not change the signature.
result<run_summary, std::string> summarize(std::string_view stream_bytes);

/// A fast 64-bit checksum of `bytes` (not cryptographic): what a run's
/// summary records of its run file, to tell a damaged or replaced file.
std::uint64_t content_checksum(std::string_view bytes) noexcept;

/// content_checksum over bytes that come in pieces: the same value for the
/// same bytes however they are split.
class content_hasher {
public:
    content_hasher() noexcept;
    void update(std::string_view bytes) noexcept;
    std::uint64_t finish() const noexcept;
    std::uint64_t size() const noexcept { return size_; }

private:
    void stripes(const char* p, std::size_t count) noexcept;
    std::uint64_t lanes_[4];
    std::uint64_t size_ = 0;
    char buffer_[32] = {};
    std::size_t held_ = 0;
};

/// What a run was given but did not do, which its stream cannot show:
/// tests that no runner reported, runners that could not be started, CI
/// shards whose streams a merge never got (`load --shards`).
struct run_shortfall {
    std::uint64_t never_ran = 0, runners_not_started = 0, shards_not_reported = 0;
    bool none() const noexcept { return never_ran == 0 && runners_not_started == 0 && shards_not_reported == 0; }
    friend bool operator==(const run_shortfall&, const run_shortfall&) = default;
};

/// What the repository keeps beside each run (docs/repository.md, "Run
/// summaries"): testr's counts, the failing tests and where their events
/// are, every test's duration and where its id is, so that reports need not
/// decode the run. Offsets are into the run file's bytes.
struct run_digest {
    /// Bumped whenever the serialised layout changes; other versions are
    /// rebuilt from the run.
    static constexpr std::uint32_t version = 3;
    /// Counts of completions per outcome for one distinct tag list (what
    /// filter_tags test), in the order success, uxsuccess, xfail, skip, fail.
    struct tag_group {
        std::vector<std::string> tags;
        std::array<std::uint64_t, 5> counts{};
        friend bool operator==(const tag_group&, const tag_group&) = default;
    };
    struct span {
        std::uint64_t offset = 0, size = 0;
        friend bool operator==(const span&, const span&) = default;
    };
    struct timing {
        double seconds = 0;
        /// Where the id is: an offset into the run file, or, with the top
        /// bit set, into extra_ids (an id not found verbatim in its event's
        /// bytes, e.g. "subunit.parser").
        std::uint64_t id_at = 0;
        std::uint32_t id_size = 0;
        friend bool operator==(const timing&, const timing&) = default;
    };
    static constexpr std::uint64_t extra_bit = std::uint64_t{1} << 63;

    std::uint64_t run_length = 0, run_checksum = 0;
    /// Length and checksum of the repository's `failing` file as this run's
    /// commit wrote it; absent for a summary rebuilt from the run alone.
    std::optional<std::pair<std::uint64_t, std::uint64_t>> failing_file;
    std::optional<subunit::timestamp> first_time, last_time;
    std::uint64_t incomplete = 0;  ///< tests whose last life did not complete
    std::vector<tag_group> groups;
    std::vector<std::string> failing_ids;  ///< first-appearance order
    std::vector<span> failing_events;      ///< every event of those tests, in stream order
    /// Events of no test (a runner's output outside subunit packets, kept
    /// as `stdout` file events), which testr's stored runs do not have.
    std::vector<span> no_test_events;
    std::vector<timing> durations;         ///< tests with both times, first-appearance order
    std::vector<timing> slowest;           ///< the slowest_kept slowest of them, slowest first, ties in stream order
    std::string extra_ids;
    static constexpr std::size_t slowest_kept = 10;
    run_shortfall shortfall;  ///< the storing command's to set; none in a summary rebuilt from the run
    /// Set by a run that retried tests: how it counted them, which
    /// total(), failures() and skips() then give. Absent when rebuilt.
    std::optional<attempt_counts> retried;

    /// As run_summary's, with `filter_tags` applied to the run count.
    std::size_t total(const std::vector<std::string>& filter_tags) const;
    std::size_t failures() const;
    std::size_t skips() const;
    std::optional<double> wall_seconds() const;

    friend bool operator==(const run_digest&, const run_digest&) = default;
};

/// The digest's file content: a versioned binary layout in two parts, each
/// with its own checksum: a head of kilobytes (everything but `durations`),
/// then the durations.
std::string serialize(const run_digest& d);
/// How many bytes from the start hold the head, from (at least) the first
/// 35; nullopt when they are not a digest's.
std::optional<std::size_t> digest_head_size(std::string_view first_bytes);
/// Parses serialize()'s output, or only its head (`durations` false: then
/// `bytes` may end there, and durations stay empty). An error for anything
/// else: another version, a cut or damaged file.
result<run_digest, std::string> parse_digest(std::string_view bytes, bool durations = true);

/// Follows a run as it is stored, for its digest: the run's summary
/// (without attachments), and where each event and id lies in the stored
/// bytes. Movable.
class digest_builder {
public:
    digest_builder();
    /// `stored` is the event's bytes exactly as stored, right after the
    /// previous event's (empty for an event that has no bytes of its own).
    /// Returns the event's record number, as run_summary::add.
    std::uint32_t add(const subunit::event_view& e, std::string_view stored);
    const run_summary& summary() const noexcept { return summary_; }
    /// The summary, moved out; the builder keeps its per-event table, which
    /// a caller done with digest() frees by destroying it.
    run_summary take_summary() && noexcept { return std::move(summary_); }
    /// As run_summary::reserve, for the events too.
    void reserve(std::uint64_t stream_bytes);
    /// Bytes followed so far.
    std::uint64_t size() const noexcept { return size_; }
    /// The digest; run_length is size(), run_checksum and failing_file are
    /// the caller's to set.
    run_digest digest() const;

private:
    static constexpr std::uint32_t no_test = run_summary::npos;
    static constexpr std::uint64_t no_offset = static_cast<std::uint64_t>(-1);
    struct event_ref {
        std::uint32_t record;  // position in summary_.tests(), or no_test
        std::uint32_t size;
    };
    run_summary summary_;
    std::vector<event_ref> events_;
    std::vector<std::uint64_t> id_at_;  // per record: its id's offset in the stored bytes
    std::uint64_t size_ = 0;
};

/// Decodes a stored run for its digest, checksum and length included.
run_digest digest_of(std::string_view stored_bytes);

}  // namespace testr
