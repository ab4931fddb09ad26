// testr_dbm.hpp - testrepository's duration store, `times.dbm`, read only.
//
// testr keeps one duration per test id (seconds as Python's str(float))
// through Python's `dbm` module, which on Debian is Berkeley DB's ndbm
// emulation: a hash database in `times.dbm.db`. It is read here through
// Debian's libdb itself, never by parsing the pages by hand. stestr's
// Python picks dbm.dumb (`times.dbm.dir`, a text index of byte ranges in
// `times.dbm.dat`), read here too. gdbm's `times.dbm` is recognised and
// refused with a message saying so.
#pragma once

#include <string>
#include <vector>

#include <testr/result.hpp>

namespace testr::legacy {

struct dbm_duration {
    std::string id;
    double seconds = 0;
};

/// The durations in `<base>.db`, else `<base>.dir`/`.dat` (base:
/// ".../.testrepository/times.dbm"), in the database's order. No file at
/// all is an empty list (testr creates it on the first run). Errors, one
/// line naming the file (and line): gdbm, a file libdb cannot open or read,
/// a malformed index line or range, a value that is not a number.
result<std::vector<dbm_duration>, std::string> read_times_dbm(const std::string& base);

}  // namespace testr::legacy
