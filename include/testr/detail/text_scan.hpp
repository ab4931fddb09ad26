// testr/detail/text_scan.hpp - tiny text helpers shared by the parsers of
// kernel files and callout output. Not part of the public API.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace testr::detail {

/// The characters `isspace` accepts in the C locale, spelt out so the result
/// never depends on the process locale.
inline constexpr std::string_view blank_chars = " \t\n\v\f\r";

/// `text` without leading and trailing blanks.
inline std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(blank_chars);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(blank_chars);
    return text.substr(first, last - first + 1);
}

/// Everything before the first '\n' (all of `text` if there is none).
inline std::string_view first_line(std::string_view text) {
    return text.substr(0, text.find('\n'));
}

enum class number_status { ok, not_a_number, too_large };

struct parsed_u64 {
    number_status status;
    std::uint64_t value;
};

/// Strict decimal: one or more ASCII digits and nothing else (no sign, no
/// blanks) — kernel files and callouts are machine output, so anything
/// looser hides mistakes.
inline parsed_u64 parse_u64(std::string_view digits) {
    if (digits.empty()) return {number_status::not_a_number, 0};
    std::uint64_t value = 0;
    const auto* end = digits.data() + digits.size();
    const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
    if (ptr != end) {
        // from_chars stops at the first non-digit; a range error is only
        // meaningful when every character was a digit.
        return {number_status::not_a_number, 0};
    }
    if (ec == std::errc::result_out_of_range) return {number_status::too_large, 0};
    if (ec != std::errc{}) return {number_status::not_a_number, 0};
    return {number_status::ok, value};
}

/// `text` shortened for an error message, with a marker when cut.
inline std::string excerpt(std::string_view text, std::size_t limit = 200) {
    if (text.size() <= limit) return std::string(text);
    return std::string(text.substr(0, limit)) + "...";
}

}  // namespace testr::detail
