// support/files.hpp - whole files and directory listings for the tests.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

/// Whole-file content, or nothing; safe in a forked child (no doctest).
inline std::optional<std::string> try_read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in.good()) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string read_file(const std::filesystem::path& path) {
    auto content = try_read(path);
    REQUIRE_MESSAGE(content.has_value(), "cannot read " << path.string());
    return *content;
}

/// Writes `bytes` as the whole file, making its directory first.
inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE_MESSAGE(out.good(), "cannot write " << path.string());
}

/// Names in a directory, sorted.
inline std::vector<std::string> list_dir(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace test_support
