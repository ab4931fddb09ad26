// tools/testr-mini/ui/json_text.hpp - JSON documents as testr-mini prints them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace testr::cli {

/// Seconds rounded to the millisecond, what the clocks are good for (a
/// report's durations, --events); a value that is not finite is 0.
double json_milliseconds(double seconds);

/// Seconds rounded to the microsecond (plan's estimates and costs), so
/// that JSON shows 2.200607, not a sum's 2.2006069999999998.
double json_microseconds(double seconds);

/// `j` as text with a final newline: `indent` as nlohmann's dump (-1 is one
/// line). Text that is not UTF-8 is replaced when `replace_invalid`, else
/// nlohmann::json::exception is thrown (for the caller to name the id JSON
/// cannot spell). A float nlohmann writes with 16 or more digits is written
/// in its shortest form instead, the same double: its Grisu2 gives a few
/// rounded values 17 digits (0.307671 as 0.30767099999999997).
std::string json_text(const nlohmann::json& j, int indent = 2, bool replace_invalid = true);

}  // namespace testr::cli
