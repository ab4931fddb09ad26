// testr/detail/utf8.hpp - strict UTF-8 validation, the one rule every
// reader of test ids, config text and subunit strings applies.
//
// Strict means Python's "utf-8" codec and RFC 3629: no overlong forms, no
// UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequence. NUL is valid (callers that forbid it check it themselves).
// Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace testr::detail {

/// Byte length (1-4) of the valid UTF-8 character starting at text[pos],
/// or 0 when none starts there (an invalid or truncated sequence, a lone
/// continuation byte, or pos at the end).
constexpr std::size_t utf8_char_length(std::string_view text, std::size_t pos) noexcept {
    const auto at = [&](std::size_t i) -> unsigned {
        return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0U;
    };
    const auto tail = [&](std::size_t i) { return (at(i) & 0xC0U) == 0x80U; };
    if (pos >= text.size()) return 0;
    const unsigned b0 = at(0), b1 = at(1);
    if (b0 < 0x80) return 1;
    if (b0 < 0xC2) return 0;  // continuation byte, or an overlong 2-byte lead
    if (b0 < 0xE0) return tail(1) ? 2 : 0;
    if (b0 < 0xF0) {
        // E0 needs A0.. (else overlong); ED needs ..9F (else a surrogate).
        const bool ok = tail(1) && tail(2) && !(b0 == 0xE0 && b1 < 0xA0) && !(b0 == 0xED && b1 >= 0xA0);
        return ok ? 3 : 0;
    }
    if (b0 < 0xF5) {
        // F0 needs 90.. (else overlong); F4 needs ..8F (else past U+10FFFF).
        const bool ok = tail(1) && tail(2) && tail(3) && !(b0 == 0xF0 && b1 < 0x90) && !(b0 == 0xF4 && b1 >= 0x90);
        return ok ? 4 : 0;
    }
    return 0;
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
        const std::size_t n = utf8_char_length(text, pos);
        if (n == 0) return pos;
        pos += n;
    }
    return std::string_view::npos;
}

/// True when all of `text` is valid UTF-8.
inline bool valid_utf8(std::string_view text) noexcept { return first_invalid_utf8(text) == std::string_view::npos; }

}  // namespace testr::detail
