// adapters/xml_text.hpp - text made safe for an XML 1.0 document, whatever
// bytes it started as (test ids, attachments).
#pragma once

#include <string>
#include <string_view>

namespace testr {

/// Appends `text` escaped for XML character data and attribute values.
/// Invalid UTF-8 and the characters XML 1.0 forbids (control characters
/// but tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so
/// a parser never rejects the document over a test's bytes. A carriage
/// return is written as a reference (parsers turn a literal one into a
/// newline); with `attribute`, tab and newline too (attribute values are
/// normalised to spaces otherwise).
void append_xml_escaped(std::string& out, std::string_view text, bool attribute = false);

}  // namespace testr
