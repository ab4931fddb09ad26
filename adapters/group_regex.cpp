// group_regex.cpp - Python re patterns on PCRE2 (8-bit, UTF mode).
#include "group_regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace testr {

namespace detail {

struct compiled_group_regex {
    pcre2_code* code = nullptr;
    explicit compiled_group_regex(pcre2_code* c) : code(c) {}
    compiled_group_regex(const compiled_group_regex&) = delete;
    compiled_group_regex& operator=(const compiled_group_regex&) = delete;
    ~compiled_group_regex() { pcre2_code_free(code); }
};

}  // namespace detail

namespace {

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

std::string at(std::size_t offset) { return " at offset " + std::to_string(offset); }

result<translation> translate(std::string_view py) {
    translation out;
    bool in_class = false;
    for (std::size_t i = 0; i < py.size(); ++i) {
        const char c = py[i];
        if (c == '\\') {
            if (i + 1 == py.size()) return fail("group_regex: bad escape (end of pattern)" + at(i));
            const char e = py[i + 1];
            const bool letter = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
            const auto allowed = in_class ? python_escapes_in_class : python_escapes_outside;
            if (letter && allowed.find(e) == std::string_view::npos)
                return fail(std::string("group_regex: bad escape \\") + e + at(i));
            // \x takes exactly 2 hex digits, \u 4, \U 8 in Python; PCRE2
            // spells a code point \x{...}.
            const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
            if (digits != 0) {
                std::string hex(py.substr(i + 2, digits));
                if (hex.size() != digits || !std::all_of(hex.begin(), hex.end(), is_hex))
                    return fail(std::string("group_regex: incomplete escape \\") + e + at(i));
                if (std::stoul(hex, nullptr, 16) > 0x10FFFF)
                    return fail("group_regex: bad escape \\U" + hex + at(i));
                out.put("\\x{" + hex + "}", i);
                i += 1 + digits;
                continue;
            }
            if (e == 'N') return fail("group_regex: \\N{...} named characters are not supported" + at(i));
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

// Per thread: one ovector pair (only group(0) is wanted, so any pattern
// fits), a JIT stack that can grow past the default 32 KiB for long ids,
// and, for ids even that cannot take, the interpreter with a heap limit
// well above PCRE2's default 20 MiB (Python's re has no limit at all).
struct match_scratch {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    pcre2_match_context* jit_context = pcre2_match_context_create(nullptr);
    pcre2_match_context* big_context = pcre2_match_context_create(nullptr);
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

result<group_matcher> compile_group_regex(std::string_view pattern) {
    auto translated = translate(pattern);
    if (!translated) return unexpected{translated.error()};
    pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
    if (context == nullptr) return fail("group_regex: out of memory");
    pcre2_set_newline(context, PCRE2_NEWLINE_LF);
    int code = 0;
    PCRE2_SIZE offset = 0;
    // re.match: anchored at the start; str patterns are Unicode-aware.
    const uint32_t options = PCRE2_ANCHORED | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
    pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated->pattern.data()),
                                         translated->pattern.size(), options, &code, &offset, context);
    pcre2_compile_context_free(context);
    if (compiled == nullptr) {
        std::array<PCRE2_UCHAR, 256> message{};
        pcre2_get_error_message(code, message.data(), message.size());
        const auto& origin = translated->origin;
        const std::size_t where = offset < origin.size() ? origin[offset] : pattern.size();
        return fail("group_regex: " + std::string(reinterpret_cast<const char*>(message.data())) + at(where));
    }
    // Without JIT support (or memory for it) the interpreter is used.
    (void)pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
    group_matcher matcher;
    matcher.code_ = std::make_shared<const detail::compiled_group_regex>(compiled);
    return matcher;
}

std::string_view group_matcher::operator()(std::string_view id) const {
    thread_local match_scratch scratch;
    if (code_ == nullptr || scratch.data == nullptr) return {};
    const auto subject = reinterpret_cast<PCRE2_SPTR>(id.data());
    int rc = pcre2_match(code_->code, subject, id.size(), 0, 0, scratch.data, scratch.jit_context);
    if (out_of_resources(rc))
        rc = pcre2_match(code_->code, subject, id.size(), 0, PCRE2_NO_JIT, scratch.data, scratch.big_context);
    // 0 = matched, but the ovector holds fewer pairs than the pattern has
    // groups; group 0 is still set.
    if (rc < 0) return {};
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.data);
    if (ovector[0] > ovector[1] || ovector[1] > id.size()) return {};  // \K games
    return id.substr(ovector[0], ovector[1] - ovector[0]);
}

}  // namespace testr
