// testr_dbm.cpp - see testr_dbm.hpp.
#include "testr_dbm.hpp"

#include <db.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>

#include "file_bytes.hpp"

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

// A Python str literal as repr() writes it (Latin-1 characters only, as
// dbm.dumb's index holds them), from `s` at `i`; its characters as bytes.
bool python_string(std::string_view s, std::size_t& i, std::string& out) {
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return false;
    const char quote = s[i++];
    out.clear();
    while (i < s.size() && s[i] != quote) {
        if (s[i] != '\\') {
            out += s[i++];
            continue;
        }
        if (++i >= s.size()) return false;
        const char e = s[i++];
        switch (e) {
        case '\\': case '\'': case '"': out += e; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'x': {
            if (i + 2 > s.size()) return false;
            const std::string hex(s.substr(i, 2));
            char* end = nullptr;
            const long v = std::strtol(hex.c_str(), &end, 16);
            if (end != hex.c_str() + 2) return false;
            out += static_cast<char>(v);
            i += 2;
            break;
        }
        default: return false;
        }
    }
    if (i >= s.size()) return false;
    ++i;
    return true;
}

bool python_uint(std::string_view s, std::size_t& i, std::uint64_t& v) {
    const std::size_t start = i;
    v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 18) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    return i > start && (i == s.size() || s[i] < '0' || s[i] > '9');
}

bool literal(std::string_view s, std::size_t& i, std::string_view lit) {
    if (s.substr(i, lit.size()) != lit) return false;
    i += lit.size();
    return true;
}

// dbm.dumb (what stestr's Python picks): `<base>.dir` lists
// "'key', (offset, size)" per line, the last line for a key winning;
// the values are those byte ranges of `<base>.dat`.
result<std::vector<dbm_duration>, std::string> read_dumb(const std::string& base) {
    const std::string dir_path = base + ".dir", dat_path = base + ".dat";
    auto dir = read_file_bytes(dir_path);
    if (!dir) return unexpected{dir.error().message()};
    auto dat = read_file_bytes(dat_path);
    if (!dat) return unexpected{dat.error().message()};
    const std::string_view index = dir->view(), data = dat->view();
    std::vector<dbm_duration> out;
    std::map<std::string, std::size_t, std::less<>> position;
    std::size_t line_no = 0;
    for (std::size_t at = 0; at < index.size();) {
        ++line_no;
        std::size_t end = index.find('\n', at);
        if (end == std::string_view::npos) end = index.size();
        const std::string_view line = index.substr(at, end - at);
        at = end + 1;
        if (line.empty()) continue;
        std::size_t i = 0;
        std::string key;
        std::uint64_t offset = 0, size = 0;
        const bool ok = python_string(line, i, key) && literal(line, i, ", (") && python_uint(line, i, offset) &&
                        literal(line, i, ", ") && python_uint(line, i, size) && literal(line, i, ")") && i == line.size();
        const std::string where = dir_path + ":" + std::to_string(line_no) + ": ";
        if (!ok) return unexpected{where + "not a dbm.dumb index line"};
        if (offset > data.size() || size > data.size() - offset)
            return unexpected{where + "the value lies past the end of " + dat_path};
        dbm_duration d;
        d.id = std::move(key);
        if (!parse_seconds(data.substr(offset, size), d.seconds))
            return unexpected{where + "the duration of '" + d.id.substr(0, 200) + "' is not a number of seconds"};
        if (auto p = position.find(d.id); p != position.end()) {
            out[p->second].seconds = d.seconds;
        } else {
            position.emplace(d.id, out.size());
            out.push_back(std::move(d));
        }
    }
    return out;
}

}  // namespace

result<std::vector<dbm_duration>, std::string> read_times_dbm(const std::string& base) {
    const std::string path = base + ".db";
    if (!exists(path)) {
        if (exists(base + ".dir")) return read_dumb(base);
        if (exists(base))
            return unexpected{base + ": the durations are in gdbm, which testr-mini does not read "
                                     "(it reads Berkeley DB's times.dbm.db and dbm.dumb's times.dbm.dir)"};
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
