// group_regex.hpp - .testr.conf's group_regex, matched as testrepository
// matches it: re.match(group_regex, test_id).group(0), through PCRE2.
//
// Python's re dialect differs from PCRE2's in a few spellings; the pattern
// is translated first (\Z -> \z, \uXXXX and \UXXXXXXXX -> \x{...}, {,n} ->
// {0,n}, \v = VT) and escapes Python rejects are rejected here too, so a
// pattern means the same in both. Matching is Unicode-aware (Python's str
// patterns are) and anchored at the start of the id.
#pragma once

#include <memory>
#include <string_view>

#include <testr/result.hpp>

namespace testr {

namespace detail {
struct compiled_group_regex;
}

/// A compiled group_regex. Cheap to copy (shares the compiled code) and
/// safe to call from several threads at once (each thread has its own
/// match scratch space).
class group_matcher {
public:
    /// The part of `id` the pattern matches from its start — Python's
    /// re.match(pattern, id).group(0) — or an empty view when it does not
    /// match. testrepository treats an empty match like no match (the test
    /// is its own group). The view points into `id`. A match PCRE2 gives up
    /// on (backtracking or memory limits) counts as no match.
    std::string_view operator()(std::string_view id) const;

private:
    friend result<group_matcher> compile_group_regex(std::string_view pattern);
    std::shared_ptr<const detail::compiled_group_regex> code_;
};

/// Compiles a Python re pattern. Errors: what PCRE2 says with the offset
/// in the pattern ("group_regex: missing closing parenthesis at offset
/// 7"), or the Python escape we reject.
result<group_matcher> compile_group_regex(std::string_view pattern);

}  // namespace testr
