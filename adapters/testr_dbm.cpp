// testr_dbm.cpp - see testr_dbm.hpp.
#include "testr_dbm.hpp"

#include <db.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace testr::legacy {

namespace {

bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

// Python's str(float): what testr wrote. Only finite, non-negative values
// are durations.
bool parse_seconds(std::string_view text, double& out) {
    if (text.empty() || text.size() > 64) return false;
    const std::string copy(text);
    char* end = nullptr;
    errno = 0;
    out = std::strtod(copy.c_str(), &end);
    return end == copy.c_str() + copy.size() && errno == 0 && std::isfinite(out) && out >= 0;
}

}  // namespace

result<std::vector<dbm_duration>, std::string> read_times_dbm(const std::string& base) {
    const std::string path = base + ".db";
    if (!exists(path)) {
        if (exists(base) || exists(base + ".dat"))
            return unexpected{(exists(base) ? base : base + ".dat") +
                              ": testr's durations are in a dbm other than Berkeley DB (gdbm or dumbdbm); "
                              "testr-mini reads only Debian's default, times.dbm.db"};
        return std::vector<dbm_duration>{};
    }
    DB* db = nullptr;
    if (int err = db_create(&db, nullptr, 0); err != 0) return unexpected{path + ": " + db_strerror(err)};
    // libdb prints its own diagnostics to stderr unless told otherwise;
    // the error value below says what went wrong.
    db->set_errcall(db, [](const DB_ENV*, const char*, const char*) {});
    auto fail = [&](const std::string& what, int err) {
        db->close(db, 0);
        return unexpected{path + ": " + what + ": " + db_strerror(err)};
    };
    // DB_UNKNOWN: libdb reads the type from the file; anything but a hash
    // is not what Python's ndbm writes.
    if (int err = db->open(db, nullptr, path.c_str(), nullptr, DB_UNKNOWN, DB_RDONLY, 0); err != 0)
        return fail("cannot open as a Berkeley DB file", err);
    DBTYPE type;
    if (int err = db->get_type(db, &type); err != 0) return fail("cannot read the database type", err);
    if (type != DB_HASH) {
        db->close(db, 0);
        return unexpected{path + ": a Berkeley DB file, but not the hash database testr's dbm writes"};
    }
    DBC* cursor = nullptr;
    if (int err = db->cursor(db, nullptr, &cursor, 0); err != 0) return fail("cannot read", err);
    std::vector<dbm_duration> out;
    DBT key, value;
    std::memset(&key, 0, sizeof key);
    std::memset(&value, 0, sizeof value);
    int err = 0;
    while ((err = cursor->get(cursor, &key, &value, DB_NEXT)) == 0) {
        dbm_duration d;
        d.id.assign(static_cast<const char*>(key.data), key.size);
        const std::string_view text(static_cast<const char*>(value.data), value.size);
        if (!parse_seconds(text, d.seconds)) {
            cursor->close(cursor);
            db->close(db, 0);
            return unexpected{path + ": the duration of '" + d.id.substr(0, 200) + "' is not a number of seconds: '" +
                              std::string(text.substr(0, 40)) + "'"};
        }
        out.push_back(std::move(d));
    }
    cursor->close(cursor);
    if (err != DB_NOTFOUND) return fail("cannot read", err);
    db->close(db, 0);
    return out;
}

}  // namespace testr::legacy
