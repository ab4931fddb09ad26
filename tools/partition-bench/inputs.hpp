// tools/partition-bench/inputs.hpp - durations from files: a times.tsv, a
// JSON list, a recorded suite (bench/data/suites/*.json).
#pragma once

#include <string>
#include <vector>

namespace partition_bench {

/// Durations from a JSON file: a list of seconds, or an object whose
/// "seconds" is one (the recorded suites' form). Empty on success, else
/// what is wrong, naming the file and the element.
std::string read_durations(const std::string& path, std::vector<double>& seconds);

/// The estimates of a times.tsv; empty on success, else the error.
std::string read_times(const std::string& path, std::vector<double>& seconds);

struct suite {
    std::string name;  ///< the file's name without .json
    std::vector<double> seconds;
};

/// Every *.json of `dir`, by name; empty `error` on success.
std::vector<suite> read_suites(const std::string& dir, std::string& error);

}  // namespace partition_bench
