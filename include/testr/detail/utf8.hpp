// testr/detail/utf8.hpp - strict UTF-8 validation, the one rule every
// reader of test ids, config text and subunit strings applies.
//
// Strict means Python's "utf-8" codec and RFC 3629: no overlong forms, no
// UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequence. NUL is valid (callers that forbid it check it themselves).
// Not part of the public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace testr::detail {

/// The rule as a DFA over what the rest of a character must be, for readers
/// that see a character cut across buffers (the subunit decoder's text
/// between packets) and for utf8_char_length below. State `between` is
/// "between characters"; each other state names the range the next byte
/// must fall in and the state after it.
namespace utf8_dfa {
inline constexpr std::uint8_t between = 0;
inline constexpr std::uint8_t invalid = 0xFF;
// 1-3: any 1, 2 or 3 continuation bytes; 4: E0's A0..BF (else overlong);
// 5: ED's 80..9F (else a surrogate); 6: F0's 90..BF (else overlong);
// 7: F4's 80..8F (else past U+10FFFF).
inline constexpr std::array<std::uint8_t, 8> low = {0, 0x80, 0x80, 0x80, 0xA0, 0x80, 0x90, 0x80};
inline constexpr std::array<std::uint8_t, 8> high = {0, 0xBF, 0xBF, 0xBF, 0xBF, 0x9F, 0xBF, 0x8F};
inline constexpr std::array<std::uint8_t, 8> after = {0, 0, 1, 2, 1, 1, 2, 2};

/// The state after a character's first byte: between for ASCII, invalid
/// for a byte that cannot start a character (a continuation byte, C0, C1,
/// F5..FF).
constexpr std::uint8_t start_of(unsigned b) noexcept {
    if (b < 0x80) return between;
    if (b < 0xC2) return invalid;
    if (b < 0xE0) return 1;
    if (b == 0xE0) return 4;
    if (b == 0xED) return 5;
    if (b < 0xF0) return 2;
    if (b == 0xF0) return 6;
    if (b < 0xF4) return 3;
    if (b == 0xF4) return 7;
    return invalid;
}
// start_of for each byte, looked up: one load instead of up to nine branches.
inline constexpr std::array<std::uint8_t, 256> start_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (unsigned b = 0; b < 256; ++b) t[b] = start_of(b);
    return t;
}();
constexpr std::uint8_t start(unsigned char b) noexcept { return start_table[b]; }

/// Whether byte `b` may come next inside a character (state != between);
/// then after[state] is the state it leads to.
constexpr bool accepts(std::uint8_t state, unsigned char b) noexcept { return b >= low[state] && b <= high[state]; }
}  // namespace utf8_dfa

/// Byte length (1-4) of the valid UTF-8 character starting at text[pos],
/// or 0 when none starts there (an invalid or truncated sequence, a lone
/// continuation byte, or pos at the end).
constexpr std::size_t utf8_char_length(std::string_view text, std::size_t pos) noexcept {
    if (pos >= text.size()) return 0;
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) return 1;
    std::uint8_t state = utf8_dfa::start(lead);
    if (state == utf8_dfa::invalid) return 0;
    std::size_t n = 1;
    do {
        if (pos + n >= text.size() || !utf8_dfa::accepts(state, static_cast<unsigned char>(text[pos + n]))) return 0;
        state = utf8_dfa::after[state];
        ++n;
    } while (state != utf8_dfa::between);
    return n;
}

/// Offset of the first byte of `text` that does not belong to a valid UTF-8
/// character, or npos when all of it is valid. (Python's
/// UnicodeDecodeError.start for the same bytes.)
inline std::size_t first_invalid_utf8(std::string_view text) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Ids and config lines are mostly ASCII: skip 8 such bytes at a time.
        if (text.size() - pos >= 8) {
            std::uint64_t word;
            std::memcpy(&word, text.data() + pos, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                pos += 8;
                continue;
            }
        }
        if (static_cast<unsigned char>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        const std::size_t n = utf8_char_length(text, pos);
        if (n == 0) return pos;
        pos += n;
    }
    return std::string_view::npos;
}

/// True when all of `text` is valid UTF-8.
inline bool valid_utf8(std::string_view text) noexcept { return first_invalid_utf8(text) == std::string_view::npos; }

/// The last `max` bytes of `text` or fewer: from the first position in them
/// where a valid character starts, so that a cut for display never begins
/// inside a character.
constexpr std::string_view utf8_tail(std::string_view text, std::size_t max) noexcept {
    std::size_t pos = text.size() > max ? text.size() - max : 0;
    while (pos < text.size() && utf8_char_length(text, pos) == 0) ++pos;
    return text.substr(pos);
}

}  // namespace testr::detail
