// python_regex.hpp - Python `re` patterns matched through PCRE2, the way
// testrepository matches its test filters (re.search) and group_regex
// (re.match).
//
// Python's dialect differs from PCRE2's in a few spellings; the pattern is
// translated first (\Z -> \z, \uXXXX and \UXXXXXXXX -> \x{...}, {,n} ->
// {0,n}, \v = VT only, [[:alpha:]] is not a POSIX class) and the escapes
// Python rejects are rejected here too, so a pattern means the same in both.
// Matching is Unicode-aware, as Python's str patterns are.
//
// Bytes that are not UTF-8. Python sees such bytes (in an id a runner
// printed, in a pattern from the command line) as str only through
// `surrogateescape`: each undecodable byte B becomes the lone surrogate
// U+DC00+B. The same happens here, losslessly, on both the pattern and the
// subject, with U+10FF00+B standing in for the surrogate (PCRE2 cannot hold
// surrogates in UTF-8): so such a byte is matched by `.`, `[^x]`, `\W`,
// `\S`, by itself and by the pattern escape \uDCxx, and by nothing else, as
// in Python, and a test id is never dropped for its encoding. Spans are
// reported in the caller's bytes. The one difference: a valid id or pattern
// that contains U+10FF80..U+10FFFF itself (private use, never seen in test
// ids) is not told apart from the escaped bytes, and a class range spanning
// the surrogates ([\u0000-\uffff]) does not include them.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <testr/result.hpp>

namespace testr {

namespace detail {
struct compiled_python_regex;
}

/// Where a match may start: anywhere (re.search) or only at the start of
/// the subject (re.match).
enum class regex_anchor { anywhere, start };

/// Why a pattern was refused: PCRE2's reason or the Python escape we
/// reject, and the byte offset in the pattern as the caller wrote it.
struct regex_error {
    std::string reason;
    std::size_t offset = 0;
};

/// A match: the bytes [begin, end) of the subject.
struct regex_span {
    std::size_t begin = 0;
    std::size_t end = 0;
};

/// A compiled pattern. Cheap to copy (shares the compiled code) and safe to
/// use from several threads at once (each thread has its own scratch).
/// A default-constructed one matches nothing.
class python_regex {
public:
    /// The leftmost match in `subject`, as Python's search()/match() finds
    /// it, or nullopt. An empty match is a match. A match PCRE2 gives up on
    /// (backtracking or memory limits, far above what Python patterns on
    /// test ids need) counts as no match.
    std::optional<regex_span> find(std::string_view subject) const;

private:
    friend result<python_regex, regex_error> compile_python_regex(std::string_view pattern, regex_anchor anchor);
    std::shared_ptr<const detail::compiled_python_regex> code_;
};

/// Translates and compiles a Python re pattern.
result<python_regex, regex_error> compile_python_regex(std::string_view pattern, regex_anchor anchor);

}  // namespace testr
