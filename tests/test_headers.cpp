// Each public header of include/testr/ is compiled alone in its own
// translation unit (generated from header_check.cpp.in at configure time).
// This program checks that the set compiled is the set on disk, so a header
// added since the last `meson setup` cannot slip through unchecked.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "checked_headers.hpp"  // generated: checked_headers[]

TEST_CASE("every public header was compiled on its own") {
    const char* source = std::getenv("TESTR_SOURCE_ROOT");
    REQUIRE_MESSAGE(source != nullptr, "TESTR_SOURCE_ROOT unset: run through meson test");
    const auto dir = std::filesystem::path(source) / "include" / "testr";

    std::set<std::string> on_disk;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == ".hpp")
            on_disk.insert("testr/" + entry.path().filename().string());
    const std::set<std::string> compiled(std::begin(checked_headers), std::end(checked_headers));

    REQUIRE_FALSE(on_disk.empty());
    for (const auto& header : on_disk)
        CHECK_MESSAGE(compiled.count(header) == 1,
                      header << " was added after configuring: run `meson setup --reconfigure` on the build dir");
    for (const auto& header : compiled)
        CHECK_MESSAGE(on_disk.count(header) == 1, header << " was removed: reconfigure the build dir");
}

#include <testr/version.hpp>

TEST_CASE("testr/version.hpp is the project's version, split into its numbers") {
    CHECK(std::string(testr::version_string) == TESTR_EXPECTED_VERSION);
    CHECK(std::to_string(TESTR_VERSION_MAJOR) + "." + std::to_string(TESTR_VERSION_MINOR) + "." +
              std::to_string(TESTR_VERSION_PATCH) ==
          TESTR_EXPECTED_VERSION);
}
