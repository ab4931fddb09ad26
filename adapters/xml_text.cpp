// adapters/xml_text.cpp - see xml_text.hpp.
#include "xml_text.hpp"

#include <testr/detail/utf8.hpp>

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
        // A valid character (testr/detail/utf8.hpp) is copied, but for
        // U+FFFE and U+FFFF, which are not XML characters; anything else is
        // one U+FFFD.
        const std::size_t len = detail::utf8_char_length(text, i);
        const bool ok = len != 0 && !(len == 3 && c == 0xEF && p[i + 1] == 0xBF && p[i + 2] >= 0xBE);
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
