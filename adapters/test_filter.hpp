// adapters/test_filter.hpp - the positional filters of `run` and
// `list-tests`: Python regular expressions, a test is selected when any of
// them matches anywhere in its id (re.search), as testrepository does.
#pragma once

#include <testr/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace testr {

class test_filter {
public:
    /// True when any pattern is found in `id`; true for every id when there
    /// are no patterns.
    bool operator()(std::string_view id) const;
    bool empty() const noexcept { return patterns_.empty(); }

    struct compiled;  // PCRE2 code, shared by copies

private:
    friend result<test_filter> compile_test_filter(const std::vector<std::string>& patterns);
    std::vector<std::shared_ptr<const compiled>> patterns_;
};

/// Compiles PCRE2 patterns (close to Python's `re` syntax). Errors name the
/// pattern, the offset and PCRE2's reason.
result<test_filter> compile_test_filter(const std::vector<std::string>& patterns);

}  // namespace testr
