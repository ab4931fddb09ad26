// tools/partition-bench/rows.hpp - one line of partition-bench's results:
// an algorithm on one source (family, suite or file) at one worker count,
// over that source's instances.
#pragma once

#include <cstddef>
#include <string>

namespace partition_bench {

inline constexpr const char* dynamic_name = "dynamic (simulated)";

struct row {
    std::string source, algorithm;
    std::size_t workers = 0, instances = 0, exact = 0, invalid = 0;
    double mean_ratio = 0, max_ratio = 0, mean_us = 0, noisy_ratio = 0;
};

}  // namespace partition_bench
