// timesdb.hpp - the per-test duration store: a flat text file.
//
// One file in the repository directory (`.testrepository/times.tsv`), read
// before partitioning so long tests start first, updated after each run.
// Format and durability design: docs/timesdb.md. In short (v2):
//
//     # testr-mini times v2
//     # estimate_s<TAB>last_s<TAB>runs<TAB>last_status<TAB>test_id
//     # sorted records=... bytes=... buckets=...
//     0.812500<TAB>0.790000<TAB>4<TAB>pass<TAB>pkg.tests.TestA.test_one
//     ...                                   (records in id-hash order)
//     # fence: ...                          (where each hash bucket starts)
//     # log: ...
//     ...records appended since...          (batches closed by "# end N CRC")
//
// A lookup reads the log and the few records of one bucket, not the file.
// Readers take no lock: the file is only ever appended to in checksummed
// batches or replaced whole by rename. Writers (record) lock `<file>.lock`
// around read-modify-write, so concurrent runs lose no sample.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io_error.hpp"
#include <testr/result.hpp>

namespace testr::timesdb {

/// The store's name inside the repository directory.
inline constexpr std::string_view file_name = "times.tsv";
/// The format version this build writes (first line "... v2"); v1 files
/// (no index, no log) are read in full and rewritten as v2 by record().
inline constexpr int format_version = 2;
/// record() appends while the log holds at most this many records, or as
/// many as the sorted section if that is more; past that it rewrites the
/// file with everything sorted (the log then empty).
inline constexpr std::size_t min_log_records = 1024;
/// Weight of a new sample in the running estimate (exponential smoothing).
inline constexpr double smoothing = 0.25;
/// Before smoothing, a sample is clamped to within this factor of the current
/// estimate (floored at outlier_floor_seconds), so one hang or one instant
/// failure moves the estimate by at most 1.75x or 0.81x.
inline constexpr double outlier_factor = 4.0;
inline constexpr double outlier_floor_seconds = 0.001;
/// Durations are stored with microsecond resolution (like subunit
/// timestamps) and capped at this many seconds.
inline constexpr double max_seconds = 1e9;

/// What is known about one test.
struct test_times {
    double estimate = 0;     ///< seconds to expect: smoothed mean over recorded runs
    double last = 0;         ///< seconds the latest recorded run took
    std::uint32_t runs = 0;  ///< runs recorded (saturates)
    bool last_passed = false;
};

/// One test's outcome in a run, as handed to record().
struct sample {
    std::string_view id;
    double seconds = 0;  ///< negative (clock skew) counts as 0; NaN/inf is rejected
    bool passed = true;
};

/// A line of the file that was skipped while loading. `message` is ready to
/// print ("<path>:<line>: ..."); `line` is 1-based, or 0 for the summary
/// standing in for more than max_warnings skipped lines.
struct warning {
    std::size_t line = 0;
    std::string message;
};
inline constexpr std::size_t max_warnings = 50;

/// Result of a bulk lookup, aligned with the ids asked for, so it plugs
/// into testr::partition as `[&](std::size_t i, std::string_view) { return
/// r.estimates[i]; }`.
struct lookup_result {
    std::vector<std::optional<double>> estimates;  ///< per id asked for; empty if unknown
    std::vector<std::string_view> unknown;         ///< ids never recorded, input order (views of the caller's)
};

struct record_report;

/// One stored test. `id` views memory owned by the database.
struct entry {
    std::string_view id;
    test_times times;
};

/// The loaded store, in memory. Move-only; moving keeps every view valid.
class database {
public:
    database();
    database(database&&) noexcept;
    database& operator=(database&&) noexcept;
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database();

    std::size_t size() const noexcept;

    /// The record for `id`, or null. Valid until the next add(). Not to be
    /// called from two threads at once (it may cache a record it parsed).
    const test_times* find(std::string_view id) const;

    /// Seconds to expect `id` to take, or nothing if it was never recorded.
    std::optional<double> estimate(std::string_view id) const;

    /// Estimates for many ids at once, faster than estimate() one by one
    /// (the index probes overlap). Duplicates in `ids` are harmless.
    lookup_result lookup(std::span<const std::string_view> ids) const;
    lookup_result lookup(std::span<const std::string> ids) const;

    /// Every record: file order (a v2 file: the sorted section with the
    /// log's updates in place, then the rest of the log), then ids added
    /// since. Parses the whole file. Valid until add().
    std::span<const entry> entries() const;

    /// Lines skipped while loading (at most max_warnings + 1).
    const std::vector<warning>& warnings() const noexcept;

    /// Folds one run of `s.id` into the store, copying the id when new.
    /// A NaN or infinite s.seconds changes nothing and yields `rejected`.
    enum class add_result { inserted, updated, rejected };
    add_result add(const sample& s);

    /// Sets the record of `id` to `t` as it is (a record read from another
    /// store: see merge()), copying the id when new. A record no writer
    /// writes (runs 0, a duration negative, NaN or over max_seconds)
    /// changes nothing and yields `rejected`.
    add_result put(std::string_view id, const test_times& t);

    /// The complete file content for this state, compacted: every record
    /// in the sorted section, an empty log.
    std::string serialize() const;

    /// Replaces the file at `path` with serialize()'s content, atomically
    /// (write_file_atomically), formatting and writing it in ~1 MiB chunks:
    /// a store of 10^6 tests is ~100 MB that need never be held whole.
    /// Errors name the path.
    result<void, io_error> save(const std::string& path) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    friend result<database, io_error> parse(std::string_view content, std::string_view path);
    friend result<database, io_error> open(const std::string& path);
    friend result<record_report, io_error> record(const std::string& path, std::span<const sample> run);
};

/// Parses file content; `path` is only used in messages. Bad record lines
/// become warnings. Errors (code 0): a first line that is not a v1 or v2
/// signature, i.e. another kind of file or a newer format, which must not be
/// overwritten. An empty content, or a signature cut short, is an empty store.
/// A v2 file whose layout line does not match its sections (edited by hand,
/// damaged) is read in full, with a warning, and rewritten by record().
result<database, io_error> parse(std::string_view content, std::string_view path);

/// Loads the store at `path`. A missing file in an existing directory is an
/// empty store; a missing directory, an unreadable file, or a refused first
/// line (see parse) is an error naming the path.
result<database, io_error> open(const std::string& path);

/// What record() did.
struct record_report {
    std::size_t added = 0;     ///< samples for ids seen for the first time
    std::size_t updated = 0;   ///< samples folded into existing records
    std::size_t rejected = 0;  ///< samples with NaN/inf durations, ignored
    std::vector<warning> warnings;  ///< old lines skipped, and now dropped from the file
    bool compacted = false;    ///< the file was rewritten whole (else the run was appended)
};

/// The order record() reads a run in: its samples by this number
/// (0-255, from the hash that orders the file) ascending. A run handed over
/// in that order, its ids laid out in it too, is read where it lies; any
/// other is first copied so (~the size of its ids).
std::uint8_t group_of(std::string_view id) noexcept;

/// Folds a whole run into the store at `path` under an exclusive lock on
/// `<path>.lock`: load, add every sample, then append the changed records
/// as one checksummed batch and fsync, or, when the log is long enough (see
/// min_log_records), a v1 file is upgraded, or an interrupted append left
/// bytes behind, rewrite the whole file atomically (write_file_atomically).
/// A crash at any instant leaves the old content or the new. Creates the
/// file if missing. Errors name the path and reason: missing directory,
/// permission denied, disk full, a refused first line (the file is then
/// left untouched).
result<record_report, io_error> record(const std::string& path, std::span<const sample> run);

// --- Moving history between stores (docs/timesdb.md, "Export and import") ---

/// Whether the record `incoming` replaces `stored` when stores are merged.
/// A record is a state, not a sample: the one that has seen more runs has
/// seen the other's (a shard's store is the history it was given plus its
/// own runs), so it wins; on equal runs the incoming one wins, as a later
/// record of the log replaces an earlier one.
bool supersedes(const test_times& incoming, const test_times& stored) noexcept;

/// Reads a store file to import, strictly: unlike open(), a line that does
/// not parse, a v2 file whose layout line does not match it (cut short,
/// edited), a log batch that does not check out, an empty or missing file
/// are errors, naming the file and the line. A v1 file (no index: the form
/// to write by hand) is accepted.
result<database, io_error> read_for_import(const std::string& path);

/// What merge() did.
struct merge_report {
    std::size_t added = 0;     ///< ids the store did not know
    std::size_t replaced = 0;  ///< records that superseded the stored one
    std::size_t kept = 0;      ///< records older than the stored one, ignored
    std::vector<warning> warnings;  ///< the store's own skipped lines, now dropped
};

/// Folds `records` (in order) into the store at `path` by supersedes(),
/// under the lock record() takes, and rewrites the file atomically
/// (write_file_atomically): a failure leaves the store as it was. Creates
/// the file if missing. Errors as record()'s.
result<merge_report, io_error> merge(const std::string& path, std::span<const entry> records);

/// Appends `id` to `out` escaped for one tab-separated field: backslash,
/// and bytes below 0x20 and 0x7f, become \\ \t \n \r or \xHH; every other
/// byte (UTF-8 included) is kept as is. Any byte string round-trips.
void escape_id(std::string_view id, std::string& out);

/// Inverse of escape_id; nothing for a malformed escape sequence.
std::optional<std::string> unescape_id(std::string_view text);

namespace detail {
/// The points of an append at which a test may inject a fault: the file
/// opened, half of the batch (of its first chunk) written, all of it written (before fsync).
enum class append_stage { opened, half_written, written };
using append_fault_hook_t = void (*)(append_stage stage, int fd);
inline append_fault_hook_t append_fault_hook = nullptr;
}  // namespace detail

}  // namespace testr::timesdb
