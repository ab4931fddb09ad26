// testr/detail/py_text.hpp - Python's idea of whitespace, on UTF-8 text.
//
// testrepository reads .testr.conf and test_id_list_default with Python's
// str.strip()/str.split() and the regex \s, which all use str.isspace():
// ASCII blanks, the separators U+001C..U+001F and a few Unicode spaces.
// Matching that exactly keeps values byte-identical with the original.
// Not part of the public API.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace testr::detail {

/// Byte length of the Python whitespace character starting at text[pos], or
/// 0 when there is none there. Multi-byte forms are recognised by their
/// UTF-8 encoding, so invalid UTF-8 is simply "not whitespace".
inline std::size_t py_space_at(std::string_view text, std::size_t pos) {
    const auto byte = [&](std::size_t i) -> unsigned {
        return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0x100U;
    };
    const unsigned b0 = byte(0);
    if (b0 == ' ' || (b0 >= 0x09 && b0 <= 0x0D) || (b0 >= 0x1C && b0 <= 0x1F)) return 1;
    if (b0 == 0xC2) return byte(1) == 0x85 || byte(1) == 0xA0 ? 2 : 0;  // U+0085, U+00A0
    if (b0 == 0xE1) return byte(1) == 0x9A && byte(2) == 0x80 ? 3 : 0;  // U+1680
    if (b0 == 0xE3) return byte(1) == 0x80 && byte(2) == 0x80 ? 3 : 0;  // U+3000
    if (b0 != 0xE2) return 0;
    const unsigned b1 = byte(1), b2 = byte(2);
    if (b1 == 0x80 && ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF))
        return 3;  // U+2000..U+200A, U+2028, U+2029, U+202F
    return b1 == 0x81 && b2 == 0x9F ? 3 : 0;  // U+205F
}

/// Byte length of the Python whitespace character ending at text[end - 1],
/// or 0.
inline std::size_t py_space_before(std::string_view text, std::size_t end) {
    for (std::size_t len = 1; len <= 3 && len <= end; ++len) {
        if (py_space_at(text, end - len) == len) return len;
    }
    return 0;
}

/// str.lstrip() / str.rstrip() / str.strip().
inline std::string_view py_lstrip(std::string_view text) {
    std::size_t pos = 0;
    while (const auto n = py_space_at(text, pos)) pos += n;
    return text.substr(pos);
}
inline std::string_view py_rstrip(std::string_view text) {
    std::size_t end = text.size();
    while (const auto n = py_space_before(text, end)) end -= n;
    return text.substr(0, end);
}
inline std::string_view py_strip(std::string_view text) { return py_rstrip(py_lstrip(text)); }

/// str.split() without arguments: the runs of non-whitespace.
inline std::vector<std::string_view> py_split(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (const auto n = py_space_at(text, pos)) {
            pos += n;
            continue;
        }
        const std::size_t start = pos;
        while (pos < text.size() && py_space_at(text, pos) == 0) ++pos;
        words.push_back(text.substr(start, pos - start));
    }
    return words;
}

}  // namespace testr::detail
