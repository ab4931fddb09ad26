// repository.hpp - testr-mini's `.testrepository/` directory on disk.
//
// Layout, format 1 vs 2, and the crash-safety and locking design:
// docs/repository.md. In short:
//
//     .testrepository/format        "2\n"
//     .testrepository/next-stream   "<next run id>\n"  (the commit point)
//     .testrepository/<id>          a run's subunit v2 bytes, exactly as received
//     .testrepository/<id>.summary  its counts, failing tests, durations, length
//                                   and checksum (run_digest), written at commit
//     .testrepository/failing       v2 stream: the events of the failing tests
//     .testrepository/times.tsv     durations (timesdb)
//     .testrepository/lock          flock'ed by committers; never deleted
//     .testrepository/history-count how many tests times.tsv knows (a cache)
//
// Readers take no lock: every file is replaced whole by rename, and only
// runs below next-stream exist for them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "file_bytes.hpp"
#include "run_summary.hpp"
#include "subunit_v2.hpp"
#include <testr/result.hpp>

namespace testr::repo {

inline constexpr std::string_view dir_name = ".testrepository";
/// The content of `format` that this build reads and writes.
inline constexpr std::string_view format_content = "2\n";

/// A repository found or created under `root` (the project directory).
struct repository {
    repository() = default;
    explicit repository(std::string project_root) : root(std::move(project_root)) {}

    std::string root;
    /// 2, or 1 for testrepository's own (read only: legacy_repository.hpp).
    unsigned format = 2;
    /// The directory's name: dir_name, or stestr's ".stestr" (format 1).
    std::string dir{dir_name};
    /// root + "/" + dir
    std::string path() const;
    /// path() + "/" + name
    std::string file(std::string_view name) const;
};

enum class repo_errc {
    not_found,    ///< no .testrepository (or no format file in it)
    exists,       ///< init: there is one already
    bad_format,   ///< format 1 (testrepository's), an unknown format, or a corrupt next-stream
    no_such_run,  ///< read_run: the id was never committed
    damaged,      ///< a run or failing file differs from what its commit recorded, or is a link
    io,           ///< a system call failed; the message names the path
    interrupted,  ///< SIGINT/SIGTERM/SIGHUP arrived while waiting (a lock, a read); nothing was changed
};
/// `message` is one line a user can act on.
struct repo_error {
    repo_errc code;
    std::string message;
};

/// Creates root/.testrepository with format and next-stream "0". Atomic:
/// the directory is built under a temporary name and renamed into place, so
/// a crash never leaves a half-made repository. Errors: `exists` if
/// .testrepository exists (ours, testrepository's, or anything else), `io`
/// (missing or read-only root).
result<repository, repo_error> init(const std::string& root);

/// Opens root/.testrepository. A repository of testrepository opens with
/// format 1: readable, and begin_run refuses it. Errors: not_found ("No
/// repository found in ROOT. Create one by running \"testr-mini init\"."),
/// bad_format for an unknown format, io.
result<repository, repo_error> open(const std::string& root);

struct committed_run {
    unsigned id;
};

/// Receives one run's bytes while the run goes on, into a temporary file in
/// the repository directory, and publishes them as the next run on commit.
/// Move-only. Destroying it uncommitted abandons the run.
class run_writer {
public:
    run_writer(run_writer&& other) noexcept;
    run_writer& operator=(run_writer&& other) noexcept;
    run_writer(const run_writer&) = delete;
    run_writer& operator=(const run_writer&) = delete;
    ~run_writer();

    /// Adds bytes to the run. Buffered (flushed every 1 MiB; larger chunks
    /// are written straight through), so memory stays bounded whatever
    /// the run's size. Errors name the temporary file (disk full...).
    result<void, repo_error> append(std::string_view bytes);

    /// The same for the bytes of one event: `encoded` must be what
    /// subunit::encode made of `e` (as tagged_decoder hands them on), or be
    /// empty. The writer then follows the run as it goes, and commit()
    /// need not read the run back and decode it. Once append(bytes) has
    /// added bytes, commit() decodes the whole file as before.
    result<void, repo_error> append(std::string_view encoded, const subunit::event_view& e);

    /// A hint that about `bytes` bytes will be appended (a stream file's
    /// size): the run's records are then reserved once rather than grown.
    void expect(std::uint64_t bytes);

    /// Publishes the run; afterwards the writer is empty. Under the
    /// repository lock: id = next-stream; the temporary is fsynced and
    /// renamed to <id>; the new failing stream (full run: this run's failing
    /// tests; partial: the old failing tests that this run did not resolve,
    /// then this run's failures, as testrepository does) is written beside
    /// as failing-<id>; next-stream := id + 1 (the commit point);
    /// failing-<id> is renamed to failing. Then, under timesdb's own lock,
    /// durations of tests with both timestamps go to times.tsv (passed =
    /// !is_failure). A crash before the commit point leaves no trace a reader
    /// sees; after it, readers and the next writer finish the failing update.
    /// An error in the times update is reported after the run was committed:
    /// check `committed()` to tell. `missed` goes into the run's summary,
    /// for `last` to judge the run as the command that stored it did, and
    /// with `retried` so do the counts by last attempt (`attempt_counts`).
    /// `unrun`: encoded failures (subunit v2) of tests the run was given but
    /// never ran; each joins the failing list unless its test is there
    /// already or this run reported it, so that `run --failing` runs it.
    result<committed_run, repo_error> commit(bool partial, run_shortfall missed = {}, bool retried = false,
                                             std::string_view unrun = {});

    /// Deletes the temporary; the writer is then empty. Idempotent.
    void abandon() noexcept;

    /// The id of the run published by commit(), even if updating times.tsv
    /// failed afterwards.
    std::optional<unsigned> committed() const noexcept { return committed_; }

    /// The run so far as append(encoded, e) followed it (without
    /// attachments), or null once it is not followed (see append).
    const run_summary* live_summary() const noexcept { return live_ ? &live_->summary() : nullptr; }

    /// The temporary file's path (empty once committed or abandoned).
    const std::string& temp_path() const noexcept { return temp_path_; }

private:
    friend result<run_writer, repo_error> begin_run(const repository&);

    run_writer(repository repo, std::string temp_path, int fd);
    result<void, repo_error> flush();
    result<void, repo_error> write(std::string_view bytes);

    repository repo_;
    std::string temp_path_;
    int fd_ = -1;
    std::string buffer_;
    std::optional<unsigned> committed_;
    content_hasher hasher_;                 // of every byte written
    std::unique_ptr<digest_builder> live_;  // what append(encoded, e) learnt; null once the events are not all known
};

/// Starts a run: creates its temporary file (`.tmp-run.<pid>.<n>`), which
/// the writer flocks, so a later committer knows it is alive.
result<run_writer, repo_error> begin_run(const repository& repo);

/// Cleans up, under the lock, what a testr-mini killed midway (kill -9, a
/// power loss) left: the same recovery every commit makes first (see
/// commit), done before a run so that the user hears of it and a broken
/// lock or next-stream is found before the suite runs, not after. One line
/// per thing done ("removed the unfinished run of a testr-mini that is
/// gone (PATH, N bytes)"; "finished the commit of run N ..."); committed
/// runs are never touched. Errors: the lock or next-stream is unusable,
/// interrupted while waiting for the lock.
result<std::vector<std::string>, repo_error> recover_leftovers(const repository& repo);

/// The newest committed run, nullopt when there is none.
result<std::optional<unsigned>, repo_error> latest_id(const repository& repo);
/// Committed runs whose files exist, ascending.
result<std::vector<unsigned>, repo_error> run_ids(const repository& repo);
/// A committed run's bytes (mapped). Errors: no_such_run names the id;
/// damaged when the file is a symbolic link, or its length or checksum is
/// not what its summary recorded at commit (the message says which).
result<file_bytes, repo_error> read_run(const repository& repo, unsigned id);
/// A committed run's summary (`<id>.summary`), after checking the run file's
/// length against it: without `durations` (every test's, for `slowest
/// --all`) reading it costs kilobytes whatever the run's size.
/// A summary that is missing, of another version or damaged is rebuilt
/// from the run and saved again (best effort: a read-only repository still
/// reads). Errors as read_run.
result<run_digest, repo_error> read_summary(const repository& repo, unsigned id, bool durations = false);
/// The run file's bytes in `spans` (run_digest offsets), concatenated,
/// without reading the rest of the file. Errors as read_run.
result<std::string, repo_error> read_run_spans(const repository& repo, unsigned id, const run_digest& digest,
                                               const std::vector<run_digest::span>& spans);
/// The failing stream, "" when no test is failing or no run was committed.
/// Errors: damaged when it is a symbolic link, or its length or checksum is
/// not what the latest commit wrote (a file cut at a packet boundary still
/// decodes, but lost tests).
result<std::string, repo_error> read_failing(const repository& repo);

/// How many tests times.tsv has durations for, counted from its lines and
/// remembered (file `history-count`, keyed by the store's inode, size and
/// mtime) so that asking again costs a stat. nullopt when the store cannot
/// be read or is not of the version counted here (ask timesdb then).
std::optional<std::size_t> history_size(const repository& repo);

/// Which cost of a runner: `start`, seconds from spawning it to its first
/// output, or ready for its tests (file `start-cost`); `handoff`, seconds
/// from handing a pre-started runner its tests to its first output (file
/// `handoff-cost`); `start_cpu`, CPU seconds a runner uses until it is
/// ready (file `start-cpu`); `between_tests`, seconds a runner spends
/// between one test's end and the next one's start (file `between-tests`).
enum class runner_cost { start, handoff, start_cpu, between_tests };
/// The remembered cost ("seconds\n"); nullopt when never measured or unreadable.
std::optional<double> start_cost(const repository& repo, runner_cost kind = runner_cost::start);
/// Folds this run's measurements into it (an exponentially weighted mean,
/// so one slow start does not steer the next schedule), replaced by rename
/// but not synced (replace_file_unsynced: a figure lost to a power loss is
/// measured again).
result<void, repo_error> record_start_cost(const repository& repo, const std::vector<double>& samples,
                                           runner_cost kind = runner_cost::start);

namespace detail {

/// Points of run_writer::commit at which a test may inject a fault
/// (e.g. raise SIGKILL) to check that the repository stays consistent.
enum class commit_stage {
    locked,          ///< lock held, nothing changed yet
    run_renamed,     ///< <id> in place, not yet committed (invisible)
    failing_staged,  ///< failing-<id> written
    summary_written, ///< <id>.summary in place, not yet committed (invisible)
    committed,       ///< next-stream = id + 1; failing-<id> not yet renamed
    failing_renamed, ///< failing updated; lock still held
};
using commit_fault_hook = void (*)(commit_stage stage);
/// Tests only; null in production. Not thread-safe.
inline commit_fault_hook commit_fault = nullptr;

}  // namespace detail
}  // namespace testr::repo
