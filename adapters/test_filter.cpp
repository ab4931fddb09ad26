// adapters/test_filter.cpp - see test_filter.hpp.
#include "test_filter.hpp"

#include <algorithm>

namespace testr {

bool test_filter::operator()(std::string_view id) const {
    if (patterns_.empty()) return true;
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [&](const python_regex& p) { return p.find(id).has_value(); });
}

result<test_filter> compile_test_filter(const std::vector<std::string>& patterns) {
    test_filter f;
    for (const auto& pattern : patterns) {
        auto regex = compile_python_regex(pattern, regex_anchor::anywhere);
        if (!regex)
            return fail("invalid test filter '" + pattern + "' at offset " + std::to_string(regex.error().offset) +
                        ": " + regex.error().reason);
        f.patterns_.push_back(std::move(*regex));
    }
    return f;
}

}  // namespace testr
