// legacy_repository.cpp - see legacy_repository.hpp.
#include "legacy_repository.hpp"

#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "atomic_file.hpp"
#include "fd_io.hpp"
#include "file_lock.hpp"
#include "run_summary.hpp"
#include "subunit_v1.hpp"
#include "timesdb.hpp"

namespace testr::legacy {

namespace {

using repo::repo_errc;
using repo::repo_error;

unexpected<repo_error> failure(repo_errc code, std::string message) { return {repo_error{code, std::move(message)}}; }
unexpected<repo_error> io_failure(const io_error& e) { return failure(repo_errc::io, e.message()); }
unexpected<repo_error> errno_failure(const std::string& path, const char* action, int err) {
    return io_failure(errno_error(path, action, err));
}

void fault(detail::upgrade_stage stage) {
    if (detail::upgrade_fault != nullptr) detail::upgrade_fault(stage);
}

/// A whole file, or nullopt when it does not exist.
result<std::optional<std::string>, repo_error> read_optional(const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) {
        if (bytes.error().code == ENOENT) return std::optional<std::string>{};
        return io_failure(bytes.error());
    }
    return std::optional<std::string>(bytes->view());
}

std::string dir_of(const std::string& root, std::string_view name) { return root + "/" + std::string(name); }

/// The repository format recorded in dir/format: 0 when there is none.
int format_of(const std::string& dir) {
    auto content = read_optional(dir + "/format");
    if (!content || !*content) return 0;
    return **content == "1\n" ? 1 : **content == repo::format_content ? 2 : -1;
}

/// Deletes a directory this code made (plain files only, no recursion needed).
void remove_tree(const std::string& dir) {
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string_view n = e->d_name;
            if (n != "." && n != "..") ::unlink((dir + "/" + std::string(n)).c_str());
        }
        ::closedir(d);
    }
    ::rmdir(dir.c_str());
}

result<void, repo_error> write_into(const std::string& path, std::string_view bytes) {
    if (auto w = write_file_atomically(path, bytes); !w) return io_failure(w.error());
    fault(detail::upgrade_stage::building);
    return {};
}

}  // namespace

result<repo::repository, repo_error> open_stestr(const std::string& root) {
    repo::repository r{root};
    r.dir = ".stestr";
    r.format = 1;
    if (format_of(r.path()) != 1)
        return failure(repo_errc::not_found, "No stestr repository (format 1) at " + r.path() + ".");
    return r;
}

repo_error read_only(const repo::repository& r) {
    if (r.dir != repo::dir_name)
        return {repo_errc::bad_format,
                r.path() + " is stestr's repository: testr-mini reads it (last, failing, slowest, stats) but does "
                           "not write into it. Run `testr-mini upgrade` to give testr-mini its own .testrepository "
                           "made from it, or `testr-mini init` for an empty one (stestr keeps .stestr either way)."};
    return {repo_errc::bad_format,
            r.path() + " was created by testrepository (format 1, subunit v1 runs): testr-mini reads it "
                       "(last, failing, slowest, stats) but does not write into it. Run `testr-mini upgrade` "
                       "to convert it to format 2, keeping every run, the failing list and the durations "
                       "(the original is kept as .testrepository.format-1)."};
}

result<file_bytes, repo_error> read_run(const repo::repository& r, unsigned id) {
    auto v1 = read_file_bytes(r.file(std::to_string(id)));
    if (!v1) {
        if (v1.error().code == ENOENT)
            return failure(repo_errc::no_such_run, "No run with id " + std::to_string(id) + " in " + r.path() + ".");
        return io_failure(v1.error());
    }
    return file_bytes::copy_of(subunit::v1::to_v2(v1->view()));
}

result<std::string, repo_error> read_failing(const repo::repository& r) {
    auto v1 = read_optional(r.file("failing"));
    if (!v1) return unexpected{std::move(v1).error()};
    return *v1 ? subunit::v1::to_v2(**v1) : std::string();
}

result<std::vector<dbm_duration>, repo_error> durations(const repo::repository& r) {
    auto d = read_times_dbm(r.file("times.dbm"));
    if (!d) return failure(repo_errc::bad_format, d.error());
    return std::move(d).value();
}

result<upgrade_report, repo_error> upgrade(const std::string& root) {
    const std::string current = repo::repository{root}.path();
    const std::string building = dir_of(root, upgrading_name);
    const std::string kept = dir_of(root, kept_name);
    // One upgrade at a time: the lock lives beside, as neither repository
    // may hold it across the swap.
    auto lock = lock_file(dir_of(root, ".testrepository.upgrade-lock"));
    if (!lock) return io_failure(lock.error());

    const int format = format_of(current);
    if (format == 2) {
        // Interrupted after the swap: the old repository waits under the
        // building name; finish by putting it where it is kept.
        if (format_of(building) != 1)
            return failure(repo_errc::bad_format, current + " is already format 2: nothing to upgrade.");
        if (::access(kept.c_str(), F_OK) == 0)
            return failure(repo_errc::exists, kept + " exists: move it away, then run `testr-mini upgrade` again.");
        if (::rename(building.c_str(), kept.c_str()) != 0) return errno_failure(kept, "rename to", errno);
        fault(detail::upgrade_stage::kept);
        if (int err = fd_io::sync_directory(root)) return errno_failure(root, "sync directory", err);
        upgrade_report report;
        report.kept = kept;
        report.finished_earlier = true;
        return report;
    }
    // Without a .testrepository, stestr's .stestr is the source; it stays
    // where it is, for stestr, and the new repository appears beside it.
    repo::repository legacy{root};
    legacy.format = 1;
    const bool from_stestr = format == 0;
    if (from_stestr) {
        auto s = open_stestr(root);
        if (!s) return failure(repo_errc::not_found, "No repository found in " + root + ": nothing to upgrade.");
        legacy = std::move(*s);
    } else if (format != 1) {
        return failure(repo_errc::bad_format, current + ": unknown repository format; not upgraded.");
    } else if (::access(kept.c_str(), F_OK) == 0) {
        return failure(repo_errc::exists, kept + " exists (an earlier upgrade's original?): move it away first.");
    }

    // Everything is read and converted before anything is swapped: a
    // repository that cannot be read whole is left as it is.
    auto ids = repo::run_ids(legacy);
    if (!ids) return unexpected{std::move(ids).error()};
    auto next = read_optional(legacy.file("next-stream"));
    if (!next) return unexpected{std::move(next).error()};
    auto failing = legacy::read_failing(legacy);
    if (!failing) return unexpected{std::move(failing).error()};
    auto times = durations(legacy);
    if (!times) return unexpected{std::move(times).error()};

    remove_tree(building);  // what an interrupted build left
    if (::mkdir(building.c_str(), 0777) != 0) return errno_failure(building, "create directory", errno);
    auto undo = [&](repo_error e) {
        remove_tree(building);
        return unexpected{std::move(e)};
    };
    upgrade_report report;
    for (unsigned id : *ids) {
        auto run = legacy::read_run(legacy, id);
        if (!run) return undo(std::move(run).error());
        if (auto w = write_into(building + "/" + std::to_string(id), run->view()); !w) return undo(w.error());
        ++report.runs;
    }
    if (auto w = write_into(building + "/failing", *failing); !w) return undo(w.error());
    // testr's durations carry no outcome: those of failing tests count as failed.
    std::set<std::string, std::less<>> failing_ids;
    if (auto s = summarize(*failing)) {
        for (const test_view t : s->tests())
            if (is_failure(t.status)) failing_ids.insert(std::string(t.id));
    }
    report.failing = failing_ids.size();
    std::vector<timesdb::sample> samples;
    for (const dbm_duration& d : *times) samples.push_back({d.id, d.seconds, !failing_ids.contains(d.id)});
    if (!samples.empty()) {
        auto recorded = timesdb::record(building + "/" + std::string(timesdb::file_name), samples);
        if (!recorded) return undo(io_failure(recorded.error()).value);
        report.durations = recorded->added + recorded->updated;
        fault(detail::upgrade_stage::building);
    }
    if (auto w = write_into(building + "/next-stream", next->value_or("0\n")); !w) return undo(w.error());
    // The format file last: a half-built directory never claims to be a repository.
    if (auto w = write_into(building + "/format", repo::format_content); !w) return undo(w.error());
    if (int err = fd_io::sync_directory(building)) return undo(errno_failure(building, "sync directory", err).value);
    fault(detail::upgrade_stage::built);

    if (from_stestr) {
        // Nothing to swap out: one rename that refuses to replace anything.
        if (::renameat2(AT_FDCWD, building.c_str(), AT_FDCWD, current.c_str(), RENAME_NOREPLACE) != 0) {
            const int err = errno;
            remove_tree(building);
            return errno_failure(current, "put the new repository in place", err);
        }
        fault(detail::upgrade_stage::exchanged);
        if (int err = fd_io::sync_directory(root)) return errno_failure(root, "sync directory", err);
        report.kept = legacy.path();
        report.from_stestr = true;
        return report;
    }
    if (::renameat2(AT_FDCWD, building.c_str(), AT_FDCWD, current.c_str(), RENAME_EXCHANGE) != 0) {
        const int err = errno;
        remove_tree(building);
        return errno_failure(current, "swap in the upgraded repository (needs a file system with RENAME_EXCHANGE)", err);
    }
    fault(detail::upgrade_stage::exchanged);
    if (::rename(building.c_str(), kept.c_str()) != 0) return errno_failure(kept, "rename the original to", errno);
    fault(detail::upgrade_stage::kept);
    if (int err = fd_io::sync_directory(root)) return errno_failure(root, "sync directory", err);
    report.kept = kept;
    return report;
}

}  // namespace testr::legacy
