// legacy_support.hpp - for the tests of testrepository's format 1: the
// codec tests' support (tests/subunit/support.hpp: commands, files,
// canonical event lines), and a project whose .testrepository the real
// testr wrote (tests/legacy/make_testr_repo.py), made once per build
// directory.
#pragma once

#include "subunit_v2.hpp"
#include "../subunit/support.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace legacy_test {

namespace fs = std::filesystem;
using namespace subunit_test;

inline fs::path helper(const char* name) { return source_root() / "tests" / "legacy" / name; }

/// The project made by make_testr_repo.py: made once per build directory
/// and script version (testr takes seconds), then only read; copy it before
/// changing anything. Concurrent test programs race to rename theirs into
/// place; the loser uses the winner's.
inline fs::path testr_fixture() {
    static const fs::path made = [] {
        const fs::path script = helper("make_testr_repo.py");
        struct stat st {};
        REQUIRE(::stat(script.c_str(), &st) == 0);
        const fs::path dir = build_root() / ("legacy-fixture-" + std::to_string(st.st_size) + "-" +
                                             std::to_string(static_cast<long long>(st.st_mtime)));
        if (fs::exists(dir / "testr-stats.rc")) return dir;
        const fs::path temp = build_root() / ("legacy-fixture.tmp." + std::to_string(::getpid()));
        std::error_code ec;
        fs::remove_all(temp, ec);
        const auto r = run(python() + " " + shell_quote(script.string()) + " " + shell_quote(temp.string()) + " >&2");
        REQUIRE(r.exit_code == 0);
        if (::rename(temp.c_str(), dir.c_str()) != 0) fs::remove_all(temp, ec);
        REQUIRE(fs::exists(dir / "testr-stats.rc"));
        return dir;
    }();
    return made;
}

}  // namespace legacy_test
