// adapters/xml_text.cpp - see xml_text.hpp.
#include "xml_text.hpp"

namespace testr {

void append_xml_escaped(std::string& out, std::string_view text, bool attribute) {
    static constexpr std::string_view replacement = "\xEF\xBF\xBD";
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            case '\r': out += "&#13;"; break;
            case '\t': if (attribute) out += "&#9;"; else out += '\t'; break;
            case '\n': if (attribute) out += "&#10;"; else out += '\n'; break;
            default:
                if (c < 0x20) out += replacement;
                else out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        // A well-formed multi-byte sequence (no overlongs, no surrogates,
        // nothing above U+10FFFF) is copied; anything else is one U+FFFD.
        std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        bool ok = len != 0 && c <= 0xF4 && i + len <= n;
        for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len == 3) {
            ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
            // U+FFFE and U+FFFF are not XML characters either.
            ok = ok && !(c == 0xEF && p[i + 1] == 0xBF && p[i + 2] >= 0xBE);
        }
        if (ok && len == 4) ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90);
        if (ok) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            out += replacement;
            ++i;
        }
    }
}

}  // namespace testr
