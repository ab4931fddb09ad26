// tools/testr-mini/history_command.cpp - see history_command.hpp. The
// table is the one stestr's cliff formatter draws; `history show` is
// `last --id` (main.cpp).
#include "history_command.hpp"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include "file_lock.hpp"
#include "legacy_repository.hpp"

namespace testr::cli {

namespace {

/// A timestamp in microseconds, rounded as python-subunit's reader makes
/// its datetime (timedelta(microseconds=ns/1000): half to even).
long long micros(const subunit::timestamp& t) {
    return t.seconds * 1000000LL + static_cast<long long>(std::nearbyint(t.nanoseconds / 1000.0));
}

/// str() of an aware UTC datetime: "2026-12-01 22:31:03.282336+00:00",
/// without the fraction when it is zero.
std::string date_text(long long us) {
    const std::time_t secs = static_cast<std::time_t>(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    const long long frac = us - static_cast<long long>(secs) * 1000000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    std::string out = buf;
    if (frac) {
        std::snprintf(buf, sizeof buf, ".%06lld", frac);
        out += buf;
    }
    return out + "+00:00";
}

struct history_row {
    std::string id, passed, runtime, date;
};

history_row row_of(const repo::repository& r, unsigned id) {
    const run_summary run = stored_summary(r, id);
    std::optional<long long> start, stop;
    bool passed = true;
    for (const test_view t : run.tests()) {
        if (is_failure(t.status) || t.status == subunit::status::uxsuccess) passed = false;
        if (!t.started || !t.stopped) continue;
        const long long s = micros(*t.started), e = micros(*t.stopped);
        start = start ? std::min(*start, s) : s;
        stop = stop ? std::max(*stop, e) : e;
    }
    // A run that missed tests failed, as `last` says, whatever its stream.
    if (auto digest = repo::read_summary(r, id); digest && !digest->shortfall.none()) passed = false;
    // As stestr: a run without timed tests has no answer for any column.
    if (!start) return {std::to_string(id), "---", "---", "---"};
    const long long d = *stop - *start;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld.%06llds", d / 1000000, d % 1000000);
    return {std::to_string(id), passed ? "True" : "False", buf, date_text(*start)};
}

/// prettytable's frame, as cliff's table formatter prints it.
std::string table_text(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    std::string rule = "+";
    for (auto w : width) (rule += std::string(w + 2, '-')) += '+';
    rule += '\n';
    auto line = [&](const std::vector<std::string>& r) {
        std::string s = "|";
        for (std::size_t c = 0; c < r.size(); ++c) ((s += ' ') += r[c]) += std::string(width[c] - r[c].size() + 1, ' ') + "|";
        return s + "\n";
    };
    std::string out = rule + line(rows[0]) + rule;
    for (std::size_t i = 1; i < rows.size(); ++i) out += line(rows[i]);
    return out + rule;
}

/// cliff's csv: strings quoted (its default, nonnumeric), booleans bare.
std::string csv_text(const std::vector<std::vector<std::string>>& rows) {
    std::string out;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t c = 0; c < rows[i].size(); ++c) {
            const std::string& v = rows[i][c];
            if (c) out += ',';
            if (i > 0 && c == 1 && (v == "True" || v == "False")) out += v;
            else ((out += '"') += v) += '"';
        }
        out += "\n";
    }
    return out;
}

}  // namespace

int history_list(const app& a, const std::string& format) {
    const repo::repository r = a.open_repository();
    auto ids = repo::run_ids(r);
    if (!ids) throw cli_error(ids.error().message);
    std::vector<std::vector<std::string>> rows{{"Run ID", "Passed", "Runtime", "Date"}};
    // A damaged run is a row of its own, said after the table: the other
    // runs are still worth reading.
    std::vector<std::string> damaged;
    for (unsigned id : *ids) {
        history_row row;
        try {
            row = row_of(r, id);
        } catch (const cli_error& e) {
            row = {std::to_string(id), "---", "---", "---"};
            damaged.push_back(e.what());
        }
        rows.push_back({row.id, row.passed, row.runtime, row.date});
    }
    std::string out;
    if (format == "csv") {
        out = csv_text(rows);
    } else if (format == "value") {
        for (std::size_t i = 1; i < rows.size(); ++i)
            out += rows[i][0] + " " + rows[i][1] + " " + rows[i][2] + " " + rows[i][3] + "\n";
    } else if (rows.size() > 1) {
        out = table_text(rows);  // cliff prints nothing for an empty table
    }
    write_stdout(out);
    for (const auto& why : damaged) std::fprintf(stderr, "testr-mini: %s\n", why.c_str());
    return damaged.empty() ? exit_ok : exit_error;
}

int history_remove(const app& a, const std::string& which) {
    const repo::repository r = a.open_repository();
    if (r.format != 2) throw cli_error(legacy::read_only(r).message);
    std::vector<unsigned> remove;
    if (which == "all") {
        auto ids = repo::run_ids(r);
        if (!ids) throw cli_error(ids.error().message);
        remove = *ids;
    } else {
        char* end = nullptr;
        errno = 0;
        const unsigned long id = std::strtoul(which.c_str(), &end, 10);
        if (which.empty() || *end || errno || id > UINT_MAX || which[0] == '-')
            throw cli_error("history remove: a run id or \"all\", not '" + which + "'", exit_usage);
        remove.push_back(static_cast<unsigned>(id));
    }
    // Under the committers' lock: a run being committed now is not half-seen.
    auto lock = lock_file(r.file("lock"));
    if (!lock) throw cli_error(lock.error().message());
    for (unsigned id : remove) {
        const std::string run = r.file(std::to_string(id));
        if (::unlink(run.c_str()) != 0) {
            if (errno == ENOENT) throw cli_error("No run " + std::to_string(id) + " in repository", exit_failed);
            throw cli_error("cannot remove " + run + ": " + std::strerror(errno));
        }
        // Left behind, they would describe a run that is gone.
        for (const char* beside : {".summary", ".span"})
            if (::unlink((run + beside).c_str()) != 0 && errno != ENOENT)
                throw cli_error("cannot remove " + run + beside + ": " + std::strerror(errno));
    }
    return exit_ok;
}

}  // namespace testr::cli
