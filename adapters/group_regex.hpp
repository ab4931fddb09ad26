// group_regex.hpp - .testr.conf's group_regex, matched as testrepository
// matches it: re.match(group_regex, test_id).group(0). The pattern is a
// Python re pattern (python_regex.hpp: dialect, ids that are not UTF-8).
#pragma once

#include <string_view>

#include "python_regex.hpp"
#include <testr/result.hpp>

namespace testr {

/// A compiled group_regex. Cheap to copy (shares the compiled code) and
/// safe to call from several threads at once.
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
    python_regex regex_;
};

/// Compiles a Python re pattern. Errors: what PCRE2 says with the offset
/// in the pattern ("group_regex: missing closing parenthesis at offset
/// 7"), or the Python escape we reject.
result<group_matcher> compile_group_regex(std::string_view pattern);

}  // namespace testr
