// adapters/test_filter.hpp - the positional filters of `run` and
// `list-tests`: Python regular expressions, a test is selected when any of
// them matches anywhere in its id (re.search), as testrepository does.
// The patterns are Python re patterns (python_regex.hpp: dialect, ids and
// patterns that are not UTF-8).
#pragma once

#include <testr/result.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "python_regex.hpp"

namespace testr {

class test_filter {
public:
    /// True when any pattern is found in `id`; true for every id when there
    /// are no patterns.
    bool operator()(std::string_view id) const;
    bool empty() const noexcept { return patterns_.empty(); }

private:
    friend result<test_filter> compile_test_filter(const std::vector<std::string>& patterns);
    std::vector<python_regex> patterns_;
};

/// Compiles the patterns. Errors name the pattern, the offset in it and the
/// reason ("invalid test filter '(a' at offset 2: missing closing
/// parenthesis").
result<test_filter> compile_test_filter(const std::vector<std::string>& patterns);

}  // namespace testr
