// repository.cpp - init/open, streaming a run to disk, and the commit
// protocol of docs/repository.md ("Atomicity and locking").
#include "repository.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

#include "atomic_file.hpp"
#include "fd_io.hpp"
#include "file_lock.hpp"
#include "legacy_repository.hpp"
#include "run_summary.hpp"
#include "subunit_v2.hpp"
#include "timesdb.hpp"

namespace testr::repo {
namespace {

using fd_io::fsync_retrying;
using fd_io::sync_directory;
using fd_io::write_all;

constexpr std::string_view next_stream_name = "next-stream";
constexpr std::string_view failing_name = "failing";
constexpr std::string_view staged_failing_prefix = "failing-";  // failing-<id>: failing after run <id>
constexpr std::string_view lock_name = "lock";
constexpr std::string_view run_temp_prefix = ".tmp-run.";     // .tmp-run.<pid>.<n>
constexpr std::string_view summary_suffix = ".summary";       // <id>.summary
constexpr std::size_t flush_threshold = 1024 * 1024;

unexpected<repo_error> io_failure(const io_error& e) {
    // Every other EINTR is retried where it happens: this one is an
    // interrupt that stopped a wait (lock_file, read_file_bytes).
    return {repo_error{e.code == EINTR ? repo_errc::interrupted : repo_errc::io, e.message()}};
}
unexpected<repo_error> errno_failure(const std::string& path, const char* action, int err) {
    return io_failure(errno_error(path, action, err));
}

void fault(detail::commit_stage stage) {
    if (detail::commit_fault != nullptr) detail::commit_fault(stage);
}

/// A canonical decimal (no sign, no leading zero) that fits `unsigned`.
std::optional<unsigned> parse_id(std::string_view s) {
    if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    unsigned v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string staged_failing(unsigned id) { return std::string(staged_failing_prefix) + std::to_string(id); }
std::string summary_name(unsigned id) { return std::to_string(id) + std::string(summary_suffix); }

/// The names in a directory (without . and ..).
result<std::vector<std::string>, repo_error> list_names(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return errno_failure(dir, "list directory", errno);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(d)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return errno_failure(dir, "list directory", err);
    return names;
}

/// A small file's content; nullopt (not an error) when it does not exist.
result<std::optional<std::string>, repo_error> read_small(const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) {
        if (bytes.error().code == ENOENT) return std::optional<std::string>{};
        return io_failure(bytes.error());
    }
    return std::optional<std::string>(bytes->view());
}

result<unsigned, repo_error> read_next_stream(const repository& repo) {
    const std::string path = repo.file(next_stream_name);
    auto content = read_small(path);
    if (!content) return unexpected{std::move(content).error()};
    if (!*content) return errno_failure(path, "read", ENOENT);
    std::string_view text = **content;
    if (text.ends_with('\n')) text.remove_suffix(1);
    const auto value = parse_id(text);
    if (!value) {
        return unexpected{repo_error{repo_errc::bad_format,
                                     "corrupt next-stream file '" + path + "': expected a run number, found '" +
                                         std::string(**content).substr(0, 40) + "'"}};
    }
    return *value;
}

/// Whether a run temporary belongs to a writer that is gone: its pid is dead
/// and nobody holds its flock. The pid check covers the instant between a
/// live writer's open and flock; the flock covers pid reuse and pids from
/// another pid namespace sharing the directory.
bool is_stale_run_temp(const std::string& path, std::string_view name) {
    name.remove_prefix(run_temp_prefix.size());
    pid_t pid = 0;
    const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || pid <= 0) return true;  // not a name we make: litter
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) return false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool unlocked = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return unlocked;
}

/// The size of a file for a note, "" when it cannot be told.
std::string size_note(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return "";
    return ", " + std::to_string(st.st_size) + " bytes";
}

/// The pid in a temporary's name `<base>.tmp.<pid>.<n>`, as digits; empty
/// when `name` is not such a name.
std::string_view temp_pid(std::string_view name) {
    constexpr std::string_view tmp = ".tmp.";
    const auto at = name.find(tmp);
    if (at == std::string_view::npos || at == 0) return {};
    const std::string_view rest = name.substr(at + tmp.size());
    const auto dot = rest.find('.');
    return dot == 0 || dot == std::string_view::npos ? std::string_view{} : rest.substr(0, dot);
}

/// Under the lock: finishes a commit that died after its commit point
/// (failing-<next-1> -> failing) and deletes what dead writers left:
/// orphan run files at or above next-stream, staged failing files of
/// uncommitted runs, temporaries of write_file_atomically and of
/// run_writers. Appends a line per thing done to `notes` when given.
result<void, repo_error> recover(const repository& repo, unsigned next, std::vector<std::string>* notes = nullptr) {
    auto names = list_names(repo.path());
    if (!names) return unexpected{std::move(names).error()};
    auto removed = [&](const std::string& path, const std::string& what) {
        const std::string size = notes ? size_note(path) : "";
        if (::unlink(path.c_str()) == 0 && notes) notes->push_back("removed " + what + " (" + path + size + ")");
    };
    for (const std::string& name : *names) {
        const std::string path = repo.file(name);
        if (const auto id = parse_id(name)) {
            if (*id >= next) removed(path, "the file of a run whose commit was cut short before its commit point");
        } else if (const auto dot = name.find('.'); dot != std::string::npos && dot > 0 &&
                                                    std::string_view(name).substr(dot).starts_with(summary_suffix)) {
            // <id>.summary of an uncommitted run; <id>.summary.tmp.<pid>.<n>
            // of a writer (committer or rebuilding reader) that died.
            const auto id = parse_id(std::string_view(name).substr(0, dot));
            const std::string_view rest = std::string_view(name).substr(dot + summary_suffix.size());
            constexpr std::string_view tmp = ".tmp.";
            if (!id) continue;
            if (rest.empty() ? *id >= next : rest.starts_with(tmp) && dead_pid(rest.substr(tmp.size())))
                removed(path, rest.empty() ? "the summary of a run never committed" : "a temporary file left by a process that is gone");
        } else if (name.starts_with(staged_failing_prefix)) {
            const auto id = parse_id(std::string_view(name).substr(staged_failing_prefix.size()));
            if (id && next > 0 && *id == next - 1) {
                if (::rename(path.c_str(), repo.file(failing_name).c_str()) != 0)
                    return errno_failure(path, "rename staged failing file", errno);
                if (notes)
                    notes->push_back("finished the commit of run " + std::to_string(*id) +
                                     ", cut short after its commit point: its failing list is now in place");
            } else {
                // uncommitted, or its write_file_atomically temporary
                removed(path, "the failing list of a run never committed");
            }
        } else if (name.starts_with(run_temp_prefix)) {
            if (is_stale_run_temp(path, name))
                removed(path, "the unfinished run of a testr-mini killed before it could store it");
        } else if (const std::string_view pid = temp_pid(name); !pid.empty()) {
            // start-cost, history-count, next-stream, times.tsv: what
            // write_file_atomically left when killed; a live pid's is its own.
            if (std::string_view(name).starts_with(next_stream_name) || dead_pid(pid))
                removed(path, "a temporary file left by a process that is gone");
        }
    }
    return {};
}

/// Appends one decoded event to a stream being built: re-encoded (clean
/// packets even for a "subunit.parser" report), or its raw bytes if the
/// encoder refuses it.
void append_event(const subunit::event_view& e, std::string_view raw, std::string& out) {
    if (!subunit::encode(e, out)) out.append(raw);
}

template <class Handler>
void decode_all(std::string_view bytes, Handler&& handler) {
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view raw) { handler(e, raw); });
    dec.feed(bytes);
    dec.finish();
}

/// Whether the run leaves `id` failing, and whether it gave `id` an outcome
/// or left it incomplete (a listing resolves nothing).
bool leaves_failing(const run_summary& run, std::string_view id) {
    const auto r = run.find(id);
    return r && is_failure(r->status);
}
bool resolves(const run_summary& run, std::string_view id) {
    const auto r = run.find(id);
    return r && r->status != subunit::status::exists;
}

bool any_failing(const run_summary& run) {
    return std::any_of(run.tests().begin(), run.tests().end(), [](const test_view& r) { return is_failure(r.status); });
}

/// The durations for times.tsv: tests with an outcome and both timestamps.
/// Their ids are copied into `ids` (sized first, so views stay valid), so
/// that the run's records can go before the store is loaded beside them.
std::vector<timesdb::sample> samples_of(const run_summary& run, std::string& ids) {
    // Laid out in the store's read order (timesdb::group_of), so that
    // record() reads them in place instead of copying them again.
    std::vector<std::uint8_t> group;
    group.reserve(run.size());
    std::array<std::size_t, 257> starts{}, id_starts{};
    run.each_timed([&](std::string_view id, double, subunit::status s) {
        if (!is_outcome(s)) return;
        const std::uint8_t g = timesdb::group_of(id);
        group.push_back(g);
        ++starts[g + 1u];
        id_starts[g + 1u] += id.size();
    });
    for (std::size_t g = 1; g < starts.size(); ++g) starts[g] += starts[g - 1], id_starts[g] += id_starts[g - 1];
    ids.resize(id_starts[256]);
    std::vector<timesdb::sample> samples(starts[256]);
    std::size_t k = 0;
    run.each_timed([&](std::string_view id, double seconds, subunit::status s) {
        if (!is_outcome(s)) return;
        const std::uint8_t g = group[k++];
        const std::size_t at = id_starts[g];
        if (!id.empty()) std::memcpy(ids.data() + at, id.data(), id.size());
        id_starts[g] += id.size();
        samples[starts[g]++] = {std::string_view(ids).substr(at, id.size()), seconds, !is_failure(s)};
    });
    return samples;
}

/// The events of the tests that `run` (summarising `bytes`) leaves failing.
std::string failing_events(std::string_view bytes, const run_summary& run) {
    std::string out;
    decode_all(bytes, [&](const subunit::event_view& e, std::string_view raw) {
        if (e.test_id && leaves_failing(run, *e.test_id)) append_event(e, raw, out);
    });
    return out;
}

/// The failing stream after a partial run: the old failing tests this run
/// did not resolve, then this run's failures.
std::string merge_partial(std::string_view old_failing, const run_summary& run, std::string_view failing) {
    std::string out;
    decode_all(old_failing, [&](const subunit::event_view& e, std::string_view raw) {
        if (e.test_id && !resolves(run, *e.test_id)) append_event(e, raw, out);
    });
    return out.append(failing);
}

}  // namespace

std::string repository::path() const { return root + "/" + dir; }
std::string repository::file(std::string_view name) const { return path() + "/" + std::string(name); }

namespace {

constexpr std::string_view init_infix = ".init.";  // <dir>.init.<pid>.XXXXXX

/// 16 hex digits from the kernel's random source (as mkdtemp's XXXXXX,
/// without its fixed 0700 mode): a name nobody can guess in advance.
std::string random_suffix() {
    std::uint64_t bits = 0;
    if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits))
        bits = static_cast<std::uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
               static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(bits));
    return text;
}

}  // namespace

result<repository, repo_error> init(const std::string& root) {
    repository repo{root};
    const std::string base = repo.path();
    auto already = [&] {
        return unexpected{repo_error{repo_errc::exists, "A repository already exists at " + base + "."}};
    };
    struct stat st;
    if (::lstat(base.c_str(), &st) == 0) return already();
    (void)remove_dead_private_dirs(root.empty() ? "." : root, std::string(dir_name) + std::string(init_infix));
    // Build the directory under a private, unpredictable name (mkdtemp:
    // nobody can plant a link there beforehand), then move it into place
    // without replacing anything: no reader ever sees a repository without
    // its format or next-stream. The pid in the name lets a later init
    // remove what a killed one left.
    std::string temp;
    for (int attempt = 0;; ++attempt) {
        temp = base + std::string(init_infix) + std::to_string(::getpid()) + "." + random_suffix();
        // mkdir creates nothing through a link: a name taken by anything fails with EEXIST.
        if (::mkdir(temp.c_str(), 0777) == 0) break;
        if (errno != EEXIST || attempt == 100) return errno_failure(base, "create directory", errno);
    }
    const std::string files[] = {temp + "/format", temp + "/" + std::string(next_stream_name)};
    auto cleanup = [&] {
        for (const auto& f : files) ::unlink(f.c_str());
        ::rmdir(temp.c_str());
    };
    for (const auto& [path, content] : {std::pair{files[0], format_content}, std::pair{files[1], std::string_view("0\n")}}) {
        if (auto w = write_file_atomically(path, content); !w) {
            cleanup();
            return io_failure(w.error());
        }
    }
    int moved = ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, base.c_str(), RENAME_NOREPLACE);
    if (moved != 0 && (errno == EINVAL || errno == ENOSYS)) {
        // A file system without RENAME_NOREPLACE: rename(2) still refuses
        // a non-empty target, and the lstat above refused any target.
        moved = ::rename(temp.c_str(), base.c_str());
    }
    if (moved != 0) {
        const int err = errno;
        cleanup();
        if (err == EEXIST || err == ENOTEMPTY) return already();
        return errno_failure(base, "create directory", err);
    }
    if (int err = sync_directory(root.empty() ? "." : root)) return errno_failure(root, "sync directory", err);
    return repo;
}

namespace {

/// Names the directory so it cannot be misread: "in ." followed by a full
/// stop read as the parent directory.
std::string not_found_message(const std::string& root) {
    std::string where = root;
    if (char* abs = ::realpath(root.c_str(), nullptr)) {
        where = root == "." ? std::string("the current directory, ") + abs : std::string(abs);
        std::free(abs);
    }
    return "No repository found in " + where + " (no " + std::string(dir_name) +
           " there). Create one by running \"testr-mini init" + (root == "." ? "" : " -d " + root) + "\".";
}

/// The repository's own files must be files of its own: a link planted in
/// place of one would make testr-mini read, lock or create a file anywhere
/// (runs and `failing` are checked as they are read).
result<void, repo_error> refuse_links(const repository& repo) {
    for (std::string_view name : {std::string_view("format"), next_stream_name, lock_name, timesdb::file_name,
                                  std::string_view("times.tsv.lock"), failing_name}) {
        const std::string path = repo.file(name);
        struct stat st;
        if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
            return unexpected{repo_error{repo_errc::damaged,
                                         path + " is a symbolic link; testr-mini follows no links inside the repository "
                                                "(its files are only ever created there): remove it"}};
    }
    return {};
}

}  // namespace

result<repository, repo_error> open(const std::string& root) {
    repository repo{root};
    const std::string format_path = repo.file("format");
    if (auto links = refuse_links(repo); !links) return unexpected{std::move(links).error()};
    auto content = read_file_bytes(format_path);
    if (!content) {
        // ENOTDIR: .testrepository is a plain file, which is no repository either.
        if (content.error().code != ENOENT && content.error().code != ENOTDIR) return io_failure(content.error());
        return unexpected{repo_error{repo_errc::not_found, not_found_message(root)}};
    }
    const std::string_view format = content->view();
    if (format == format_content) return repo;
    if (format == "1\n") {
        repo.format = 1;  // testrepository's: read through legacy_repository
        return repo;
    }
    std::string shown(format.substr(0, 40));
    if (shown.ends_with('\n')) shown.pop_back();
    return unexpected{repo_error{repo_errc::bad_format,
                                 format_path + ": unknown repository format '" + shown +
                                     "'; this testr-mini reads format 2 only (made by a newer testr-mini or another "
                                     "tool?)"}};
}

run_writer::run_writer(repository repo, std::string temp_path, int fd)
    : repo_(std::move(repo)), temp_path_(std::move(temp_path)), fd_(fd), live_(std::make_unique<digest_builder>()) {}

run_writer::run_writer(run_writer&& other) noexcept
    : repo_(std::move(other.repo_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(other.fd_),
      buffer_(std::move(other.buffer_)),
      committed_(other.committed_),
      hasher_(other.hasher_),
      live_(std::move(other.live_)) {
    other.fd_ = -1;
    other.temp_path_.clear();
}

run_writer& run_writer::operator=(run_writer&& other) noexcept {
    if (this != &other) {
        abandon();
        repo_ = std::move(other.repo_);
        temp_path_ = std::move(other.temp_path_);
        fd_ = other.fd_;
        buffer_ = std::move(other.buffer_);
        committed_ = other.committed_;
        hasher_ = other.hasher_;
        live_ = std::move(other.live_);
        other.fd_ = -1;
        other.temp_path_.clear();
    }
    return *this;
}

run_writer::~run_writer() { abandon(); }

void run_writer::abandon() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    temp_path_.clear();
    buffer_.clear();
    buffer_.shrink_to_fit();
    live_.reset();
}

result<void, repo_error> run_writer::flush() {
    if (int err = write_all(fd_, buffer_)) return errno_failure(temp_path_, "write run file", err);
    buffer_.clear();
    return {};
}

result<void, repo_error> run_writer::write(std::string_view bytes) {
    if (fd_ < 0) return unexpected{repo_error{repo_errc::io, "cannot append to a run that was committed or abandoned"}};
    hasher_.update(bytes);
    if (buffer_.size() + bytes.size() < flush_threshold) {
        buffer_.append(bytes);
        return {};
    }
    if (auto f = flush(); !f) return f;
    if (bytes.size() >= flush_threshold) {
        if (int err = write_all(fd_, bytes)) return errno_failure(temp_path_, "write run file", err);
    } else {
        buffer_.append(bytes);
    }
    return {};
}

result<void, repo_error> run_writer::append(std::string_view bytes) {
    if (!bytes.empty()) live_.reset();  // events unknown from here on: commit decodes the file
    return write(bytes);
}

result<void, repo_error> run_writer::append(std::string_view encoded, const subunit::event_view& e) {
    auto w = write(encoded);
    // Unfollowable from here on if the file may not hold what the events
    // say, or an event is too big for the 32-bit sizes kept.
    if (!w || encoded.size() > std::numeric_limits<std::uint32_t>::max()) {
        live_.reset();
        return w;
    }
    if (live_ && !encoded.empty()) live_->add(e, encoded);
    return w;
}

void run_writer::expect(std::uint64_t bytes) {
    if (live_) live_->reserve(bytes);
}

result<committed_run, repo_error> run_writer::commit(bool partial, run_shortfall missed, bool retried,
                                                    std::string_view unrun) {
    if (fd_ < 0) return unexpected{repo_error{repo_errc::io, "cannot commit a run that was committed or abandoned"}};
    if (auto f = flush(); !f) return unexpected{std::move(f).error()};
    if (int err = fsync_retrying(fd_)) return errno_failure(temp_path_, "sync run file", err);

    // Everything derived from the run alone is computed before the lock, so
    // concurrent committers wait only for the renames and small writes.
    digest_builder decoded;  // for a run not followed live
    std::string run_failing;
    run_digest digest;
    if (live_ && live_->size() == hasher_.size()) {
        // Followed live: the checksum was kept as the bytes went by, and
        // the failing tests' events are read back by their spans alone.
        digest = live_->digest();
        digest.run_checksum = hasher_.finish();
        for (const auto& span : digest.failing_events) {
            const std::size_t at = run_failing.size();
            run_failing.resize(at + span.size);
            for (std::uint64_t done = 0; done < span.size;) {
                const ssize_t n = ::pread(fd_, run_failing.data() + at + done, span.size - done,
                                          static_cast<off_t>(span.offset + done));
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) return errno_failure(temp_path_, "read back run file", n < 0 ? errno : EIO);
                done += static_cast<std::uint64_t>(n);
            }
        }
    } else {
        live_.reset();
        auto bytes = read_file_bytes(temp_path_);
        if (!bytes) return io_failure(bytes.error());
        decode_all(bytes->view(), [&](const subunit::event_view& e, std::string_view raw) { decoded.add(e, raw); });
        if (any_failing(decoded.summary())) run_failing = failing_events(bytes->view(), decoded.summary());
        digest = decoded.digest();
        digest.run_checksum = content_checksum(bytes->view());
    }
    const run_summary& run = live_ ? live_->summary() : decoded.summary();

    auto lock = lock_file(repo_.file(lock_name));
    if (!lock) return io_failure(lock.error());
    fault(detail::commit_stage::locked);
    auto next = read_next_stream(repo_);
    if (!next) return unexpected{std::move(next).error()};
    if (auto r = recover(repo_, *next); !r) return unexpected{std::move(r).error()};

    const unsigned id = *next;
    const std::string run_path = repo_.file(std::to_string(id));
    if (::rename(temp_path_.c_str(), run_path.c_str()) != 0) return errno_failure(run_path, "rename run file to", errno);
    fault(detail::commit_stage::run_renamed);
    // Until next-stream moves, a failure undoes the rename so that the
    // writer still holds the run (commit may be retried, or abandon it).
    auto undo = [&](repo_error e) {
        ::rename(run_path.c_str(), temp_path_.c_str());
        ::unlink(repo_.file(staged_failing(id)).c_str());
        ::unlink(repo_.file(summary_name(id)).c_str());
        return unexpected{std::move(e)};
    };

    std::string failing;
    if (partial) {
        // Checked as `failing` checks it: merged from a damaged list, a
        // partial run would drop every failure it could not decode.
        auto old = read_failing(repo_);
        if (!old) {
            repo_error e = std::move(old).error();
            if (e.code == repo_errc::damaged)
                e.message += "; a run without --partial, --failing or --isolated rewrites it";
            return undo(std::move(e));
        }
        failing = merge_partial(*old, run, run_failing);
    } else {
        failing = std::move(run_failing);
    }
    if (!unrun.empty()) {
        std::unordered_set<std::string> listed;
        decode_all(failing, [&](const subunit::event_view& e, std::string_view) {
            if (e.test_id) listed.emplace(*e.test_id);
        });
        decode_all(unrun, [&](const subunit::event_view& e, std::string_view raw) {
            if (e.test_id && !resolves(run, *e.test_id) && listed.emplace(*e.test_id).second)
                append_event(e, raw, failing);
        });
    }
    const std::string staged = repo_.file(staged_failing(id));
    if (auto w = write_file_atomically(staged, failing); !w) return undo(repo_error{repo_errc::io, w.error().message()});
    fault(detail::commit_stage::failing_staged);
    digest.failing_file = {failing.size(), content_checksum(failing)};
    digest.shortfall = missed;
    if (retried) digest.retried = run.by_last_attempt();
    if (auto w = write_file_atomically(repo_.file(summary_name(id)), serialize(digest)); !w)
        return undo(repo_error{repo_errc::io, w.error().message()});
    fault(detail::commit_stage::summary_written);
    if (auto w = write_file_atomically(repo_.file(next_stream_name), std::to_string(id + 1) + "\n"); !w)
        return undo(repo_error{repo_errc::io, w.error().message()});
    committed_ = id;
    fault(detail::commit_stage::committed);
    // Past the commit point: if this rename fails, readers use the staged
    // file and the next committer renames it.
    ::rename(staged.c_str(), repo_.file(failing_name).c_str());
    fault(detail::commit_stage::failing_renamed);
    lock->release();

    ::close(fd_);
    fd_ = -1;
    temp_path_.clear();
    // Only the summary is needed from here on: the digest and the builders'
    // per-event tables are freed before the samples are copied out of it,
    // and the summary itself before the store is read.
    digest = run_digest();
    std::string sample_ids;
    std::vector<timesdb::sample> samples;
    {
        const run_summary kept = live_ ? std::move(*live_).take_summary() : std::move(decoded).take_summary();
        live_.reset();  // `run` is gone from here on
        decoded = digest_builder();
        samples = samples_of(kept, sample_ids);
    }
    result<timesdb::record_report, io_error> recorded = timesdb::record_report{};
    if (!samples.empty()) recorded = timesdb::record(repo_.file(timesdb::file_name), samples);
    if (!recorded) return io_failure(recorded.error());
    (void)history_size(repo_);  // while the store is in the page cache, so that `stats` need not count
    return committed_run{id};
}

result<run_writer, repo_error> begin_run(const repository& repo) {
    if (repo.format == 1) return unexpected{legacy::read_only(repo)};
    const std::string prefix = repo.file(run_temp_prefix) + std::to_string(::getpid()) + ".";
    for (unsigned n = 0;; ++n) {
        std::string path = prefix + std::to_string(n);
        // Read and write: commit reads the failing tests' events back.
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EEXIST || errno == EINTR) continue;
            return errno_failure(path, "create run file", errno);
        }
        // Marks the run as alive for committers sweeping dead runs' files.
        while (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EINTR) {
        }
        return run_writer(repo, std::move(path), fd);
    }
}

result<std::vector<std::string>, repo_error> recover_leftovers(const repository& repo) {
    if (repo.format == 1) return std::vector<std::string>{};
    auto lock = lock_file(repo.file(lock_name));
    if (!lock) return io_failure(lock.error());
    auto next = read_next_stream(repo);
    if (!next) return unexpected{std::move(next).error()};
    std::vector<std::string> notes;
    if (auto r = recover(repo, *next, &notes); !r) return unexpected{std::move(r).error()};
    return notes;
}

result<std::optional<unsigned>, repo_error> latest_id(const repository& repo) {
    auto next = read_next_stream(repo);
    if (!next) return unexpected{std::move(next).error()};
    if (*next == 0) return std::optional<unsigned>{};
    return std::optional<unsigned>(*next - 1);
}

result<std::vector<unsigned>, repo_error> run_ids(const repository& repo) {
    auto next = read_next_stream(repo);
    if (!next) return unexpected{std::move(next).error()};
    auto names = list_names(repo.path());
    if (!names) return unexpected{std::move(names).error()};
    std::vector<unsigned> ids;
    for (const std::string& name : *names) {
        if (const auto id = parse_id(name); id && *id < *next) ids.push_back(*id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

namespace {

unexpected<repo_error> damaged(std::string message) { return {repo_error{repo_errc::damaged, std::move(message)}}; }

std::string run_label(const repository& repo, unsigned id) {
    return "run " + std::to_string(id) + " (" + repo.file(std::to_string(id)) + ")";
}

/// The size of a repository file that must be a regular file of its own:
/// nullopt if it does not exist. A link could point anywhere (another
/// repository's run, /etc/passwd), so it is refused, never followed.
result<std::optional<std::uint64_t>, repo_error> own_file_size(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::optional<std::uint64_t>{};
        return errno_failure(path, "stat", errno);
    }
    if (S_ISLNK(st.st_mode))
        return damaged(path + " is a symbolic link; testr-mini follows no links inside the repository (its files are "
                              "only ever created there)");
    if (!S_ISREG(st.st_mode)) return damaged(path + " is not a regular file");
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(st.st_size));
}

/// Up to `size` bytes of `path` from its start; nullopt if unreadable.
/// `size` may come from the file itself (a summary's head length): never
/// more is allocated than the file holds.
std::optional<std::string> read_prefix(const std::string& path, std::size_t size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st{};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    size = std::min(size, static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)));
    std::string out(size, '\0');
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(done);
    return out;
}

/// The summary its commit wrote for run `id` (only its head unless
/// `durations`); nullopt when missing or unreadable (of another version,
/// damaged), as a reader then rebuilds it.
std::optional<run_digest> recorded_summary(const repository& repo, unsigned id, bool durations = false) {
    const std::string path = repo.file(summary_name(id));
    std::optional<std::string> bytes;
    if (durations) {
        auto whole = read_small(path);
        if (whole && *whole) bytes = std::move(**whole);
    } else if ((bytes = read_prefix(path, 16 * 1024))) {
        const auto head = digest_head_size(*bytes);
        if (head && *head > bytes->size()) bytes = read_prefix(path, *head);
    }
    if (!bytes) return std::nullopt;
    auto d = parse_digest(*bytes, durations);
    if (!d) return std::nullopt;
    return std::move(*d);
}

/// A committed run whose file is not there: damaged, not "no such run",
/// so that every reader (last, stats, failing) says the same.
unexpected<repo_error> gone(const repository& repo, unsigned id) {
    return unexpected{repo_error{repo_errc::damaged, run_label(repo, id) + " is missing: it was committed, but its file is gone"}};
}

/// The run file's size after the checks every reader makes: committed,
/// present, not a link, and as long as its summary says (when it has one).
result<std::uint64_t, repo_error> checked_run_size(const repository& repo, unsigned id,
                                                   const std::optional<run_digest>& recorded) {
    auto next = read_next_stream(repo);
    if (!next) return unexpected{std::move(next).error()};
    auto missing = [&] {
        return unexpected{repo_error{repo_errc::no_such_run, "No run with id " + std::to_string(id) + " in " +
                                                                 repo.path() + "."}};
    };
    if (id >= *next) return missing();
    auto size = own_file_size(repo.file(std::to_string(id)));
    if (!size) return unexpected{std::move(size).error()};
    if (!*size) return gone(repo, id);
    if (recorded && recorded->run_length != **size) {
        const std::string what = **size == 0 ? "is empty" : "has " + std::to_string(**size) + " bytes";
        return damaged(run_label(repo, id) + " is damaged: its file " + what + " where its commit recorded " +
                       std::to_string(recorded->run_length) + (recorded->run_length == 0 ? " (an empty run)" : "") +
                       "; a run file is never changed after its commit");
    }
    return **size;
}

}  // namespace

result<file_bytes, repo_error> read_run(const repository& repo, unsigned id) {
    if (repo.format == 1) return legacy::read_run(repo, id);
    const auto recorded = recorded_summary(repo, id);
    if (auto size = checked_run_size(repo, id, recorded); !size) return unexpected{std::move(size).error()};
    auto bytes = read_file_bytes(repo.file(std::to_string(id)));
    if (!bytes) {
        if (bytes.error().code == ENOENT) return gone(repo, id);
        return io_failure(bytes.error());
    }
    if (recorded && (bytes->view().size() != recorded->run_length || content_checksum(bytes->view()) != recorded->run_checksum))
        return damaged(run_label(repo, id) + " is damaged: its bytes differ from those its commit recorded (checksum); a "
                                             "run file is never changed after its commit");
    return std::move(bytes).value();
}

result<run_digest, repo_error> read_summary(const repository& repo, unsigned id, bool durations) {
    // testr's own repository is read, never written: its digest is made anew.
    if (repo.format == 1) {
        auto bytes = read_run(repo, id);
        if (!bytes) return unexpected{std::move(bytes).error()};
        return digest_of(bytes->view());
    }
    auto recorded = recorded_summary(repo, id, durations);
    if (recorded) {
        if (auto size = checked_run_size(repo, id, recorded); !size) return unexpected{std::move(size).error()};
        return std::move(*recorded);
    }
    auto bytes = read_run(repo, id);
    if (!bytes) return unexpected{std::move(bytes).error()};
    run_digest d = digest_of(bytes->view());
    // Derived data: a reader may save it; equal content whoever wins, and
    // a repository this user cannot write is still read.
    (void)write_file_atomically(repo.file(summary_name(id)), serialize(d));
    return d;
}

result<std::string, repo_error> read_run_spans(const repository& repo, unsigned id, const run_digest& digest,
                                               const std::vector<run_digest::span>& spans) {
    if (repo.format == 1) {
        // testr's runs are v1 text: the spans are of the v2 stream read from it.
        auto bytes = read_run(repo, id);
        if (!bytes) return unexpected{std::move(bytes).error()};
        const std::string_view v2 = bytes->view();
        std::string out;
        for (const auto& span : spans) {
            if (span.offset > v2.size() || span.size > v2.size() - span.offset)
                return damaged(repo.file(std::to_string(id)) + ": a summary points past the end of the run");
            out.append(v2.substr(span.offset, span.size));
        }
        return out;
    }
    const std::string path = repo.file(std::to_string(id));
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP) return unexpected{std::move(own_file_size(path)).error()};
        return errno_failure(path, "open", errno);
    }
    std::string out;
    auto fail = [&](unexpected<repo_error> e) {
        ::close(fd);
        return e;
    };
    struct stat st;
    if (::fstat(fd, &st) != 0) return fail(errno_failure(path, "stat", errno));
    if (static_cast<std::uint64_t>(st.st_size) != digest.run_length)
        return fail(damaged(run_label(repo, id) + " is damaged: its file has " + std::to_string(st.st_size) +
                            " bytes where its commit recorded " + std::to_string(digest.run_length)));
    for (const auto& span : spans) {
        if (span.offset > digest.run_length || span.size > digest.run_length - span.offset)
            return fail(damaged(path + ": a summary points past the end of the run"));
        const std::size_t at = out.size();
        out.resize(at + span.size);
        for (std::uint64_t done = 0; done < span.size;) {
            const ssize_t n = ::pread(fd, out.data() + at + done, span.size - done, static_cast<off_t>(span.offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return fail(errno_failure(path, "read", errno));
            if (n == 0) return fail(damaged(run_label(repo, id) + " is damaged: it ended while being read"));
            done += static_cast<std::uint64_t>(n);
        }
    }
    ::close(fd);
    return out;
}

result<std::string, repo_error> read_failing(const repository& repo) {
    if (repo.format == 1) return legacy::read_failing(repo);
    auto next = read_next_stream(repo);
    if (!next) return unexpected{std::move(next).error()};
    std::string content;
    std::string path = repo.file(failing_name);
    // A commit that ended between its commit point and the rename of its
    // failing file (see commit): the staged file is the current one.
    if (*next > 0) {
        const std::string staged = repo.file(staged_failing(*next - 1));
        auto size = own_file_size(staged);
        if (!size) return unexpected{std::move(size).error()};
        if (*size) path = staged;
    }
    auto size = own_file_size(path);
    if (!size) return unexpected{std::move(size).error()};
    if (*size) {
        auto bytes = read_small(path);
        if (!bytes) return unexpected{std::move(bytes).error()};
        content = (*bytes).value_or("");
    }
    if (*next == 0) return content;
    const auto recorded = recorded_summary(repo, *next - 1);
    if (recorded && recorded->failing_file) {
        const auto [length, checksum] = *recorded->failing_file;
        if (content.size() != length || content_checksum(content) != checksum) {
            const std::string what = !*size             ? std::string("is missing")
                                     : content.size() != length ? "has " + std::to_string(content.size()) + " bytes"
                                                                : "has other bytes (checksum)";
            return damaged(path + " is damaged: it " + what + " where the commit of run " + std::to_string(*next - 1) +
                           " wrote " + std::to_string(length) + " bytes; `testr-mini run --failing` would miss tests");
        }
    }
    return content;
}

namespace {
constexpr std::string_view history_cache_name = "history-count";
constexpr std::string_view times_signature = "# testr-mini times v1\n";

std::string stat_key(const struct stat& st) {
    return std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
}
}  // namespace

std::optional<std::size_t> history_size(const repository& repo) {
    const std::string path = repo.file(timesdb::file_name);
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? std::optional<std::size_t>(0) : std::nullopt;
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    // The store is only ever replaced by rename: the same inode, size and
    // mtime are the same content.
    const std::string key = "v1 " + stat_key(st) + " ";
    if (auto cached = read_small(repo.file(history_cache_name)); cached && *cached && (*cached)->starts_with(key)) {
        std::size_t n = 0;
        const std::string& text = **cached;
        const auto [ptr, ec] = std::from_chars(text.data() + key.size(), text.data() + text.size(), n);
        if (ec == std::errc() && ptr == text.data() + text.size() - 1 && *ptr == '\n') {
            ::close(fd);
            return n;
        }
    }
    // v1: one line per test after a two-line header; counting lines runs at
    // memory speed where parsing the store would not.
    std::vector<char> buf(1 << 20);
    std::size_t lines = 0, seen = 0;
    bool v1 = true;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) v1 = false;
        if (n <= 0) break;
        if (seen == 0) v1 = std::string_view(buf.data(), static_cast<std::size_t>(n)).starts_with(times_signature);
        if (!v1) break;
        seen += static_cast<std::size_t>(n);
        lines += static_cast<std::size_t>(std::count(buf.data(), buf.data() + n, '\n'));
    }
    ::close(fd);
    if (seen == 0 && v1) return 0;
    std::size_t count = lines >= 2 ? lines - 2 : 0;
    if (!v1) {
        // Later formats know their own size; the cache spares `stats` even that.
        auto db = timesdb::open(path);
        if (!db) return std::nullopt;
        count = db->size();
    }
    (void)replace_file_unsynced(repo.file(history_cache_name), key + std::to_string(count) + "\n");
    return count;
}

namespace {
const char* cost_file(runner_cost kind) {
    switch (kind) {
        case runner_cost::handoff: return "handoff-cost";
        case runner_cost::start_cpu: return "start-cpu";
        case runner_cost::between_tests: return "between-tests";
        case runner_cost::start: break;
    }
    return "start-cost";
}
}  // namespace

std::optional<double> start_cost(const repository& repo, runner_cost kind) {
    auto content = read_small(repo.file(cost_file(kind)));
    if (!content || !*content) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod((*content)->c_str(), &end);
    if (end == (*content)->c_str() || !(v >= 0) || v > 3600) return std::nullopt;
    return v;
}

result<void, repo_error> record_start_cost(const repository& repo, const std::vector<double>& samples, runner_cost kind) {
    if (samples.empty()) return {};
    double mean = 0;
    for (double s : samples) mean += s;
    mean /= static_cast<double>(samples.size());
    // Two runs finishing together may each fold in their own samples; the
    // file is replaced atomically, so the loser's samples are merely lost.
    const auto old = start_cost(repo, kind);
    const double blended = old ? 0.7 * *old + 0.3 * mean : mean;
    char text[64];
    std::snprintf(text, sizeof text, "%.6f\n", blended);
    if (auto w = replace_file_unsynced(repo.file(cost_file(kind)), text); !w) return io_failure(w.error());
    return {};
}

}  // namespace testr::repo
