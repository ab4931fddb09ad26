// subunit_wire.hpp - private to the subunit codec: flag bits, varints and
// the UTF-8 rules shared by the encoder and the decoder. Not installed.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include <testr/detail/utf8.hpp>

namespace testr::subunit::wire {

inline constexpr unsigned char signature = 0xB3;
inline constexpr std::uint16_t version_2 = 0x2000;
inline constexpr std::uint16_t flag_test_id = 0x0800;
inline constexpr std::uint16_t flag_route_code = 0x0400;
inline constexpr std::uint16_t flag_timestamp = 0x0200;
inline constexpr std::uint16_t flag_runnable = 0x0100;
inline constexpr std::uint16_t flag_tags = 0x0080;
inline constexpr std::uint16_t flag_file_content = 0x0040;
inline constexpr std::uint16_t flag_mime_type = 0x0020;
inline constexpr std::uint16_t flag_eof = 0x0010;
inline constexpr std::uint16_t status_mask = 0x0007;

/// Bytes of the smallest varint holding v (v < 2^30).
constexpr std::size_t varint_size(std::uint32_t v) noexcept {
    return v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x400000 ? 3 : 4;
}

// What a subunit string must be: UTF-8 by the project's one rule
// (testr/detail/utf8.hpp, whose DFA the decoder walks between packets),
// without NUL, checked a word at a time while it is plain ASCII.
namespace utf8 {
// Per byte of the 8 at p, the high bit set when the byte is not ASCII or
// is NUL: non-zero under `highs` exactly when plain8 would be false.
inline constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
inline std::uint64_t odd8(const unsigned char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return (v | ((v - ones) & ~v)) & highs;
}

/// True when all 8 bytes at p are ASCII and none is NUL: the common case,
/// checked a word at a time.
inline bool plain8(const unsigned char* p) noexcept { return odd8(p) == 0; }

/// The careful check of valid_string: the project's one UTF-8 rule
/// (testr/detail/utf8.hpp), and no NUL.
inline bool valid_chars(const unsigned char* p, const unsigned char* end) noexcept {
    const auto n = static_cast<std::size_t>(end - p);
    return std::memchr(p, 0, n) == nullptr &&
           testr::detail::valid_utf8(std::string_view(reinterpret_cast<const char*>(p), n));
}

/// True when s is valid UTF-8 without NUL: what a subunit string must be.
/// Test ids are nearly always ASCII: that is one branch over whole words
/// (the last word overlapping the one before), the careful walk only when
/// some byte is not plain.
inline bool valid_string(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    if (n >= 8) {
        std::uint64_t odd = odd8(p + n - 8);
        for (std::size_t i = 0; i + 8 <= n; i += 8) odd |= odd8(p + i);
        if (odd == 0) return true;
    }
    return valid_chars(p, p + n);
}
}  // namespace utf8

}  // namespace testr::subunit::wire
