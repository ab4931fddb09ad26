// timesdb_escape.cpp - test ids as one tab-separated field, and back.
//
// Backslash escapes rather than percent-encoding: ids are mostly plain
// ASCII and UTF-8, which stay readable with less and grep; only the bytes
// that would break a line or a field, or confuse a terminal, are written
// as \\ \t \n \r or \xHH.
#include <cstdint>
#include <cstring>

#include "timesdb.hpp"
#include "timesdb_index.hpp"

namespace testr::timesdb {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == 0x7f || c == '\\'; }

}  // namespace

// Ids rarely have a byte to escape, so 8 bytes are tested at a time (bit
// tricks: "has a byte < n" and "has a zero byte" are exact as a whole).
std::size_t detail::next_to_escape(std::string_view s, std::size_t from) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    auto has_zero = [&](std::uint64_t v) { return (v - ones) & ~v & highs; };
    std::size_t i = from;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
        if (below_space | has_zero(w ^ (ones * 0x7f)) | has_zero(w ^ (ones * '\\'))) break;
    }
    for (; i < s.size(); ++i)
        if (needs_escape(static_cast<unsigned char>(s[i]))) return i;
    return std::string_view::npos;
}

void escape_id(std::string_view id, std::string& out) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t plain_from = 0;
    for (std::size_t i = detail::next_to_escape(id, 0); i != std::string_view::npos;
         i = detail::next_to_escape(id, plain_from)) {
        out.append(id, plain_from, i - plain_from);
        plain_from = i + 1;
        const auto c = static_cast<unsigned char>(id[i]);
        switch (c) {
            case '\\': out.append("\\\\"); break;
            case '\t': out.append("\\t"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            default:
                out.append("\\x");
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xf]);
        }
    }
    out.append(id, plain_from, std::string_view::npos);
}

std::optional<std::string> unescape_id(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        if (++i == text.size()) return std::nullopt;
        switch (text[i]) {
            case '\\': out.push_back('\\'); break;
            case 't': out.push_back('\t'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 'x': {
                if (i + 2 >= text.size()) return std::nullopt;
                const int high = hex_value(text[i + 1]);
                const int low = hex_value(text[i + 2]);
                if (high < 0 || low < 0) return std::nullopt;
                out.push_back(static_cast<char>(high << 4 | low));
                i += 2;
                break;
            }
            default: return std::nullopt;
        }
    }
    return out;
}

}  // namespace testr::timesdb
