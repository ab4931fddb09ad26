// Each header of the core (include/testr, include/testr/detail, the
// generated testr/version.hpp), of the adapters and of their internals
// (internal/) is compiled alone in its own translation unit (generated
// from header_check.cpp.in at configure time). This program checks that the set compiled is the set on disk, so a
// header added since the last `meson setup` cannot slip through unchecked;
// that the core's headers reach no system header (the core does no I/O);
// and that version.hpp carries the project's version.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include <testr/version.hpp>

#include "checked_headers.hpp"  // generated: checked_headers[]

namespace {

/// "<shown>/<name>.hpp" for every NAME.hpp in `dir`, and for every
/// NAME.hpp.in (a header meson generates).
void add_headers(std::set<std::string>& into, const std::filesystem::path& dir, const std::string& shown) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        auto name = entry.path().filename().string();
        if (name.ends_with(".hpp.in")) name.resize(name.size() - 3);
        if (name.ends_with(".hpp")) into.insert(shown + "/" + name);
    }
}

}  // namespace

TEST_CASE("every header of the core and the adapters was compiled on its own") {
    const char* source = std::getenv("TESTR_SOURCE_ROOT");
    REQUIRE_MESSAGE(source != nullptr, "TESTR_SOURCE_ROOT unset: run through meson test");
    const std::filesystem::path root(source);

    std::set<std::string> on_disk;
    add_headers(on_disk, root / "include" / "testr", "testr");
    add_headers(on_disk, root / "include" / "testr" / "detail", "testr/detail");
    add_headers(on_disk, root / "adapters", "adapters");
    add_headers(on_disk, root / "internal", "internal");
    const std::set<std::string> compiled(std::begin(checked_headers), std::end(checked_headers));

    CHECK(on_disk.count("testr/version.hpp") == 1);
    CHECK(on_disk.count("testr/detail/utf8.hpp") == 1);
    CHECK(on_disk.count("adapters/python_regex.hpp") == 1);
    for (const auto& header : on_disk)
        CHECK_MESSAGE(compiled.count(header) == 1,
                      header << " was added after configuring: run `meson setup --reconfigure` on the build dir");
    for (const auto& header : compiled)
        CHECK_MESSAGE(on_disk.count(header) == 1, header << " was removed: reconfigure the build dir");
}

TEST_CASE("testr/version.hpp is the project's version, split into its numbers") {
    CHECK(std::string(testr::version_string) == TESTR_EXPECTED_VERSION);
    CHECK(std::to_string(TESTR_VERSION_MAJOR) + "." + std::to_string(TESTR_VERSION_MINOR) + "." +
              std::to_string(TESTR_VERSION_PATCH) ==
          TESTR_EXPECTED_VERSION);
}

TEST_CASE("the core includes no system, I/O or thread headers: it stays pure") {
    const char* source = std::getenv("TESTR_SOURCE_ROOT");
    REQUIRE_MESSAGE(source != nullptr, "TESTR_SOURCE_ROOT unset: run through meson test");
    // C and POSIX headers (<sched.h>, <unistd.h>...) and the standard ones
    // that reach the file system, processes, clocks or threads.
    const std::regex forbidden(
        R"(^\s*#\s*include\s*<([^>]*\.h|filesystem|thread|fstream|iostream|cstdio|cstdlib|csignal|ctime|chrono|)"
        R"(random|mutex|future|condition_variable|atomic)>)");
    std::size_t headers = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(std::filesystem::path(source) / "include")) {
        if (!entry.is_regular_file()) continue;
        ++headers;
        std::ifstream in(entry.path());
        std::size_t line_no = 0;
        for (std::string line; std::getline(in, line);) {
            ++line_no;
            CHECK_MESSAGE(!std::regex_search(line, forbidden), entry.path().string() << ":" << line_no << ": " << line);
        }
    }
    CHECK(headers >= 10);
}
