// python_regex.cpp - Python re patterns on PCRE2 (8-bit, UTF mode); see
// python_regex.hpp for the dialect and the rule for bytes that are not
// UTF-8.
#include "python_regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <testr/detail/utf8.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace testr {

namespace detail {

struct compiled_python_regex {
    pcre2_code* code = nullptr;
    explicit compiled_python_regex(pcre2_code* c) : code(c) {}
    compiled_python_regex(const compiled_python_regex&) = delete;
    compiled_python_regex& operator=(const compiled_python_regex&) = delete;
    ~compiled_python_regex() { pcre2_code_free(code); }
};

}  // namespace detail

namespace {

// Where an undecodable byte B goes: U+10FF00 + B (B >= 0x80), standing in
// for Python's surrogateescape U+DC00 + B.
constexpr std::uint32_t escaped_byte_base = 0x10FF00;

void append_utf8(std::string& out, std::uint32_t cp) {
    // Only ever called with code points of 4-byte form (U+10FF80..U+10FFFF).
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
}

std::string hex_of(std::uint32_t value) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[value & 15]);
        value >>= 4;
    } while (value != 0);
    return out;
}

std::string escaped_byte_pattern(char byte) {
    return "\\x{" + hex_of(escaped_byte_base + static_cast<unsigned char>(byte)) + "}";
}

// The pattern in PCRE2's spelling, with the offset in Python's pattern of
// every byte written (so PCRE2's error offsets point into what the user
// wrote).
struct translation {
    std::string pattern;
    std::vector<std::size_t> origin;
    void put(std::string_view text, std::size_t from) {
        pattern += text;
        origin.insert(origin.end(), text.size(), from);
    }
};

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Letters sre_parse accepts after a backslash; any other ASCII letter is
// its "bad escape" error (PCRE2 would give many of them a meaning).
constexpr std::string_view python_escapes_outside = "abBdDfnrsStvwWAZxuUN";
constexpr std::string_view python_escapes_in_class = "abfnrtvdDsSwWxuUN";

unexpected<regex_error> refuse(std::string reason, std::size_t offset) {
    return {regex_error{std::move(reason), offset}};
}

result<translation, regex_error> translate(std::string_view py) {
    translation out;
    bool in_class = false;
    for (std::size_t i = 0; i < py.size(); ++i) {
        // Whole characters at a time; an undecodable byte becomes its
        // stand-in code point.
        const std::size_t width = detail::utf8_char_length(py, i);
        if (width == 0) {
            out.put(escaped_byte_pattern(py[i]), i);
            continue;
        }
        if (width > 1) {
            out.put(py.substr(i, width), i);
            i += width - 1;
            continue;
        }
        const char c = py[i];
        if (c == '\\') {
            if (i + 1 == py.size()) return refuse("bad escape (end of pattern)", i);
            const char e = py[i + 1];
            const std::size_t escaped_width = detail::utf8_char_length(py, i + 1);
            if (escaped_width == 0) {  // an escaped undecodable byte is that byte
                out.put(escaped_byte_pattern(e), i);
                ++i;
                continue;
            }
            if (escaped_width > 1) {  // any other escaped non-ASCII character is itself
                out.put(py.substr(i, 1 + escaped_width), i);
                i += escaped_width;
                continue;
            }
            const bool letter = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
            const auto allowed = in_class ? python_escapes_in_class : python_escapes_outside;
            if (letter && allowed.find(e) == std::string_view::npos) return refuse(std::string("bad escape \\") + e, i);
            // \x takes exactly 2 hex digits, \u 4, \U 8 in Python; PCRE2
            // spells a code point \x{...}.
            const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
            if (digits != 0) {
                std::string hex(py.substr(i + 2, digits));
                if (hex.size() != digits || !std::all_of(hex.begin(), hex.end(), is_hex))
                    return refuse(std::string("incomplete escape \\") + e, i);
                auto value = std::stoul(hex, nullptr, 16);
                if (value > 0x10FFFF) return refuse("bad escape \\U" + hex, i);
                // The surrogates that stand for undecodable bytes.
                if (value >= 0xDC80 && value <= 0xDCFF) value = escaped_byte_base + (value & 0xFF);
                out.put("\\x{" + hex_of(static_cast<std::uint32_t>(value)) + "}", i);
                i += 1 + digits;
                continue;
            }
            if (e == 'N') return refuse("\\N{...} named characters are not supported", i);
            if (e == 'v') out.put("\\x{0b}", i);  // Python: VT; PCRE2: any vertical space
            else if (e == 'Z') out.put("\\z", i);  // Python: end only; PCRE2's \Z allows a final \n
            else out.put(py.substr(i, 2), i);
            ++i;
            continue;
        }
        if (in_class) {
            if (c == ']') {
                in_class = false;
            } else if (c == '[') {
                out.put("\\[", i);  // Python has no [:alpha:]-style classes
                continue;
            }
            out.put(py.substr(i, 1), i);
            continue;
        }
        if (c == '[') {
            in_class = true;
            out.put("[", i);
            // A ']' first in the set (after an optional '^') is literal in
            // both dialects; copy it so it does not close the set.
            std::size_t j = i + 1;
            if (j < py.size() && py[j] == '^') out.put("^", j++);
            if (j < py.size() && py[j] == ']') out.put("]", j++);
            i = j - 1;
            continue;
        }
        if (c == '{') {
            // Python reads "{,n}" and "{,}" as {0,n} and {0,}; PCRE2 10.42
            // takes them literally.
            std::size_t j = i + 1;
            if (j < py.size() && py[j] == ',') {
                std::size_t k = j + 1;
                while (k < py.size() && py[k] >= '0' && py[k] <= '9') ++k;
                if (k < py.size() && py[k] == '}') {
                    out.put("{0", i);
                    continue;  // the ',' and the rest follow as they are
                }
            }
        }
        out.put(py.substr(i, 1), i);
    }
    return out;
}

// A subject that is not valid UTF-8, rewritten with the stand-ins, and for
// each byte of the rewrite the offset of the original byte it came from
// (plus one entry for the end).
struct escaped_subject {
    std::string text;
    std::vector<std::size_t> origin;
    void assign(std::string_view subject, std::size_t first_invalid) {
        text.assign(subject.substr(0, first_invalid));
        origin.resize(first_invalid);
        for (std::size_t i = 0; i < first_invalid; ++i) origin[i] = i;
        for (std::size_t i = first_invalid; i < subject.size();) {
            std::size_t width = detail::utf8_char_length(subject, i);
            const std::size_t before = text.size();
            if (width == 0) {
                append_utf8(text, escaped_byte_base + static_cast<unsigned char>(subject[i]));
                width = 1;
            } else {
                text.append(subject.substr(i, width));
            }
            origin.insert(origin.end(), text.size() - before, i);
            i += width;
        }
        origin.push_back(subject.size());
    }
};

// Per thread: one ovector pair (only group 0 is wanted, so any pattern
// fits), a JIT stack that can grow past the default 32 KiB for long ids,
// and, for ids even that cannot take, the interpreter with a heap limit
// well above PCRE2's default 20 MiB (Python's re has no limit at all).
struct match_scratch {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    pcre2_match_context* jit_context = pcre2_match_context_create(nullptr);
    pcre2_match_context* big_context = pcre2_match_context_create(nullptr);
    escaped_subject escaped;
    match_scratch() {
        if (jit_context != nullptr && jit_stack != nullptr) pcre2_jit_stack_assign(jit_context, nullptr, jit_stack);
        if (big_context != nullptr) pcre2_set_heap_limit(big_context, 512 * 1024);  // KiB
    }
    match_scratch(const match_scratch&) = delete;
    match_scratch& operator=(const match_scratch&) = delete;
    ~match_scratch() {
        pcre2_match_context_free(big_context);
        pcre2_match_context_free(jit_context);
        pcre2_jit_stack_free(jit_stack);
        pcre2_match_data_free(data);
    }
};

bool out_of_resources(int rc) {
    return rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY ||
           rc == PCRE2_ERROR_DEPTHLIMIT;
}

}  // namespace

result<python_regex, regex_error> compile_python_regex(std::string_view pattern, regex_anchor anchor) {
    auto translated = translate(pattern);
    if (!translated) return unexpected{std::move(translated).error()};
    pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
    if (context == nullptr) return refuse("out of memory", 0);
    pcre2_set_newline(context, PCRE2_NEWLINE_LF);
    // Python accepts lone surrogates (\ud800) in str patterns; they match
    // nothing a UTF-8 subject can hold.
    pcre2_set_compile_extra_options(context, PCRE2_EXTRA_ALLOW_SURROGATE_ESCAPES);
    int code = 0;
    PCRE2_SIZE offset = 0;
    // Subjects are validated (or rewritten) before matching: no UTF checks
    // inside PCRE2, and the fast JIT for valid UTF.
    uint32_t options = PCRE2_UTF | PCRE2_UCP;
    if (anchor == regex_anchor::start) options |= PCRE2_ANCHORED;
    pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated->pattern.data()),
                                         translated->pattern.size(), options, &code, &offset, context);
    pcre2_compile_context_free(context);
    if (compiled == nullptr) {
        std::array<PCRE2_UCHAR, 256> message{};
        pcre2_get_error_message(code, message.data(), message.size());
        const auto& origin = translated->origin;
        const std::size_t where = offset < origin.size() ? origin[offset] : pattern.size();
        return refuse(reinterpret_cast<const char*>(message.data()), where);
    }
    // Without JIT support (or memory for it) the interpreter is used.
    (void)pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
    python_regex regex;
    regex.code_ = std::make_shared<const detail::compiled_python_regex>(compiled);
    return regex;
}

std::optional<regex_span> python_regex::find(std::string_view subject) const {
    thread_local match_scratch scratch;
    if (code_ == nullptr || scratch.data == nullptr) return std::nullopt;
    const std::size_t invalid = detail::first_invalid_utf8(subject);
    const bool rewritten = invalid != std::string_view::npos;
    if (rewritten) scratch.escaped.assign(subject, invalid);
    const std::string_view text = rewritten ? std::string_view(scratch.escaped.text) : subject;
    const auto bytes = reinterpret_cast<PCRE2_SPTR>(text.data());
    int rc = pcre2_match(code_->code, bytes, text.size(), 0, PCRE2_NO_UTF_CHECK, scratch.data, scratch.jit_context);
    if (out_of_resources(rc))
        rc = pcre2_match(code_->code, bytes, text.size(), 0, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, scratch.data,
                         scratch.big_context);
    // 0 = matched, but the ovector holds fewer pairs than the pattern has
    // groups; group 0 is still set.
    if (rc < 0) return std::nullopt;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.data);
    if (ovector[0] > ovector[1] || ovector[1] > text.size()) return std::nullopt;  // \K games
    if (!rewritten) return regex_span{ovector[0], ovector[1]};
    return regex_span{scratch.escaped.origin[ovector[0]], scratch.escaped.origin[ovector[1]]};
}

}  // namespace testr
