// legacy_repository.hpp - testrepository's own `.testrepository/`
// (format 1): read in place, and upgraded to testr-mini's format 2.
//
// Format 1, as testr writes it (docs/repository.md, "Format 1"):
//
//     format        "1\n"
//     next-stream   "<next run id>\n"
//     <id>          a run as subunit v1 text
//     failing       subunit v1: the failing tests' events
//     times.dbm.db  durations, Python dbm over Berkeley DB (testr_dbm.hpp)
//
// repo::open() accepts it (repository::format == 1) and repo::read_run /
// read_failing hand back its streams as v2 through these functions, so
// every read-only command works unchanged. Writing into it is refused.
#pragma once

#include <string>
#include <vector>

#include "file_bytes.hpp"
#include "repository.hpp"
#include "testr_dbm.hpp"
#include <testr/result.hpp>

namespace testr::legacy {

/// root/.stestr, stestr's repository (format 1 like testr's, durations in
/// dbm.dumb): read only, like testr's. not_found when there is none.
result<repo::repository, repo::repo_error> open_stestr(const std::string& root);

/// What repo::begin_run answers for a format-1 repository.
repo::repo_error read_only(const repo::repository& r);

/// Run `id` of a format-1 repository, converted to subunit v2.
result<file_bytes, repo::repo_error> read_run(const repo::repository& r, unsigned id);
/// Its failing stream, converted to subunit v2 ("" when there is none).
result<std::string, repo::repo_error> read_failing(const repo::repository& r);
/// Its durations (times.dbm.db).
result<std::vector<dbm_duration>, repo::repo_error> durations(const repo::repository& r);

/// Names beside `.testrepository` used by upgrade().
inline constexpr std::string_view upgrading_name = ".testrepository.upgrading";  ///< being built, or the old one just swapped out
inline constexpr std::string_view kept_name = ".testrepository.format-1";       ///< the original, kept

struct upgrade_report {
    unsigned runs = 0;          ///< runs converted (ids kept)
    std::size_t failing = 0;    ///< tests in the failing list
    std::size_t durations = 0;  ///< durations carried into times.tsv
    std::string kept;           ///< where the original repository now is
    bool finished_earlier = false;  ///< only completed an interrupted upgrade
    bool from_stestr = false;       ///< made from .stestr, which stays as it was
};

/// Converts root/.testrepository from format 1 to format 2 in place. The
/// new repository is built whole in root/.testrepository.upgrading, then
/// swapped with the old one in one rename (RENAME_EXCHANGE), and the old one
/// renamed to root/.testrepository.format-1: at every instant
/// .testrepository is one whole repository, old or new. Run ids, every
/// event (v1 read as python-subunit reads it), the failing list and every
/// duration are kept. Running it again after an interruption finishes or
/// restarts the job. A project with stestr's .stestr and no .testrepository
/// gets a .testrepository built the same way from .stestr, put in place by
/// one rename that replaces nothing; .stestr is left as it is (report.kept).
/// Errors: not_found, bad_format (already format 2 with nothing to finish;
/// unreadable v1 data), exists (.format-1 is taken), io.
result<upgrade_report, repo::repo_error> upgrade(const std::string& root);

namespace detail {
/// Points of upgrade() at which a test may inject a fault (SIGKILL).
enum class upgrade_stage {
    building,   ///< after each file written into .testrepository.upgrading
    built,      ///< the new repository complete and synced, nothing swapped
    exchanged,  ///< new in place; the old one at .testrepository.upgrading
    kept,       ///< the old one renamed to .testrepository.format-1
};
using upgrade_fault_hook = void (*)(upgrade_stage stage);
/// Tests only; null in production. Not thread-safe.
inline upgrade_fault_hook upgrade_fault = nullptr;
}  // namespace detail

}  // namespace testr::legacy
