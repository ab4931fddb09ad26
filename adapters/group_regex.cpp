// group_regex.cpp - see group_regex.hpp.
#include "group_regex.hpp"

#include <string>

namespace testr {

result<group_matcher> compile_group_regex(std::string_view pattern) {
    auto regex = compile_python_regex(pattern, regex_anchor::start);
    if (!regex) return fail("group_regex: " + regex.error().reason + " at offset " + std::to_string(regex.error().offset));
    group_matcher matcher;
    matcher.regex_ = std::move(*regex);
    return matcher;
}

std::string_view group_matcher::operator()(std::string_view id) const {
    const auto span = regex_.find(id);
    if (!span) return {};
    return id.substr(span->begin, span->end - span->begin);
}

}  // namespace testr
