// tools/testr-mini/ui/json_numbers.hpp - JSON text with each float in its shortest form.
#pragma once

#include <string>

namespace testr::cli {

/// `json` (a document as nlohmann's dump writes it) with every float it
/// wrote with 16 or more digits rewritten as the shortest text that reads
/// back as the same double, where that is shorter. nlohmann's Grisu2 gives
/// a few values 17 digits (0.307671 as 0.30767099999999997): the same
/// number, not what a person reading a duration rounded to the microsecond
/// expects. Strings are left as they are; a float keeps a '.' or an
/// exponent, so it stays a float.
std::string with_shortest_numbers(std::string json);

}  // namespace testr::cli
