// tools/testr-mini/times_command.cpp - see times_command.hpp.
#include "times_command.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "file_bytes.hpp"
#include "timesdb.hpp"

namespace testr::cli {

namespace {

void print_warnings(const std::vector<timesdb::warning>& warnings) {
    for (auto& w : warnings) std::fprintf(stderr, "testr-mini: warning: %s\n", w.message.c_str());
}

}  // namespace

int times_export_command(const app& a, const std::string& file) {
    const repo::repository r = a.open_repository();
    auto db = timesdb::open(r.file(timesdb::file_name));
    if (!db) throw cli_error(db.error().message());
    print_warnings(db->warnings());
    if (file == "-") {
        write_stdout(db->serialize());
        return exit_ok;
    }
    if (auto written = db->save(file); !written) throw cli_error(written.error().message());
    if (!a.quiet) std::printf("Exported the durations of %zu tests to %s\n", db->size(), file.c_str());
    return exit_ok;
}

int times_import_command(const app& a, const std::vector<std::string>& files, bool force_init) {
    const repo::repository r = a.open_or_init_repository(force_init);
    // Every file first: an import is all or nothing.
    std::vector<timesdb::database> read;
    std::string errors;
    for (const auto& f : files) {
        auto db = timesdb::read_for_import(f);
        if (!db) {
            errors += db.error().message() + "\ntestr-mini: ";
            continue;
        }
        read.push_back(std::move(*db));
    }
    if (!errors.empty()) throw cli_error(errors + "nothing was imported (the repository's durations are unchanged)");
    std::vector<timesdb::entry> records;
    for (auto& db : read) {
        const auto all = db.entries();
        records.insert(records.end(), all.begin(), all.end());
    }
    auto merged = timesdb::merge(r.file(timesdb::file_name), records);
    if (!merged) throw cli_error(merged.error().message());
    print_warnings(merged->warnings);
    if (!a.quiet)
        std::printf("Imported %zu records from %zu %s: %zu new, %zu replaced, %zu kept (the repository's had seen as many runs or more)\n",
                    records.size(), files.size(), files.size() == 1 ? "file" : "files", merged->added, merged->replaced,
                    merged->kept);
    return exit_ok;
}

std::size_t estimates_from_times_file(const config::testr_conf& conf, const std::vector<std::string>& ids,
                                      std::vector<std::optional<double>>& recorded) {
    const auto path = config::test_times_file(conf);
    if (!path || std::none_of(recorded.begin(), recorded.end(), [](auto& e) { return !e.has_value(); })) return 0;
    const std::string where = conf.path + ":" + std::to_string(conf.line_of("test_times_file"));
    auto bytes = read_file_bytes(*path);
    if (!bytes) {
        // A cache not restored yet (the first CI run) is normal: say it once.
        std::fprintf(stderr, "testr-mini: warning: %s: test_times_file: %s; planning without it\n", where.c_str(),
                     bytes.error().message().c_str());
        return 0;
    }
    auto db = timesdb::parse(bytes->view(), *path);
    if (!db) {
        std::fprintf(stderr, "testr-mini: warning: %s: test_times_file: %s; planning without it\n", where.c_str(),
                     db.error().message().c_str());
        return 0;
    }
    // A v1 file (written by hand) is read in full by design: no note.
    const bool v1 = bytes->view().starts_with("# testr-mini times v1\n");
    for (auto& w : db->warnings())
        if (!(v1 && w.line == 1)) std::fprintf(stderr, "testr-mini: warning: %s\n", w.message.c_str());
    std::size_t filled = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (recorded[i]) continue;
        recorded[i] = db->estimate(ids[i]);
        filled += recorded[i].has_value();
    }
    return filled;
}

}  // namespace testr::cli
