// timesdb_exchange.cpp - moving history between stores: reading a file to
// import strictly, and merging records into a store (timesdb.hpp).
#include "timesdb.hpp"

#include <string>

#include "atomic_file.hpp"
#include "file_bytes.hpp"
#include "file_lock.hpp"

namespace testr::timesdb {

bool supersedes(const test_times& incoming, const test_times& stored) noexcept { return incoming.runs >= stored.runs; }

namespace {

constexpr std::string_view import_action = "import times from";

/// The problem a warning names, without the "<path>:<line>: " that
/// io_error::message() would repeat, and without "skipped line: ", since an
/// import skips nothing: it refuses.
std::string reason_of(const warning& w, const std::string& path) {
    std::string_view text = w.message;
    const std::string prefix = path + ":" + std::to_string(w.line) + ": ";
    if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
    if (text.starts_with("skipped line: ")) text.remove_prefix(14);
    return "line " + std::to_string(w.line) + ": " + std::string(text);
}

}  // namespace

result<database, io_error> read_for_import(const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) return unexpected{std::move(bytes).error()};
    const std::string_view content = bytes->view();
    if (content.empty())
        return unexpected{content_error(path, std::string(import_action), "the file is empty (an export starts with '# testr-mini times v2')")};
    auto db = parse(content, path);
    if (!db) return unexpected{content_error(path, std::string(import_action), db.error().reason)};
    const auto& warnings = db->warnings();
    // A v1 file is read in full with a note on line 1: the hand-written
    // form, accepted. Any other warning means records would be lost.
    const bool v1 = content.starts_with("# testr-mini times v1\n");
    const std::size_t first = v1 && !warnings.empty() && warnings.front().line == 1 ? 1 : 0;
    if (warnings.size() <= first) return db;
    const warning& w = warnings[first];
    std::string reason;
    if (!v1 && w.line == 3) {
        // In a v2 file whose layout checks out no record is on line 3.
        reason = "line 3: the layout line does not match the file (cut short, or edited by hand; "
                 "a file written by hand should be format v1, see docs/timesdb.md)";
    } else if (w.line == 0) {
        reason = std::string(w.message);
    } else {
        reason = reason_of(w, path);
    }
    if (const std::size_t more = warnings.size() - first - 1; more > 0)
        reason += " (and " + std::to_string(more) + " more problem" + (more == 1 ? "" : "s") + ")";
    return unexpected{content_error(path, std::string(import_action), reason)};
}

result<merge_report, io_error> merge(const std::string& path, std::span<const entry> records) {
    auto lock = lock_file(path + ".lock");
    if (!lock) return unexpected{std::move(lock).error()};
    remove_stale_temporaries(path);  // safe: every writer of path holds this lock
    auto db = open(path);
    if (!db) return unexpected{std::move(db).error()};
    merge_report report;
    report.warnings = db->warnings();
    for (const entry& e : records) {
        if (const test_times* stored = db->find(e.id); stored != nullptr && !supersedes(e.times, *stored)) {
            ++report.kept;
            continue;
        }
        switch (db->put(e.id, e.times)) {
            case database::add_result::inserted: ++report.added; break;
            case database::add_result::updated: ++report.replaced; break;
            case database::add_result::rejected: ++report.kept; break;
        }
    }
    if (auto written = db->save(path); !written) return unexpected{std::move(written).error()};
    return report;
}

}  // namespace testr::timesdb
