// tools/partition-bench/inputs.cpp - see inputs.hpp.
#include "inputs.hpp"

#include "file_bytes.hpp"
#include "timesdb.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace partition_bench {

std::string read_durations(const std::string& path, std::vector<double>& seconds) {
    auto bytes = testr::read_file_bytes(path);
    if (!bytes) return bytes.error().message();
    auto j = nlohmann::json::parse(bytes->view(), nullptr, false);
    if (j.is_object() && j.contains("seconds")) j = j["seconds"];
    if (j.is_discarded() || !j.is_array()) return path + ": not a JSON list of numbers, nor an object with one as \"seconds\"";
    for (std::size_t k = 0; k < j.size(); ++k) {
        if (!j[k].is_number() || !(j[k].get<double>() >= 0) || !std::isfinite(j[k].get<double>()))
            return path + ": element " + std::to_string(k) + " is not a duration in seconds (>= 0)";
        seconds.push_back(j[k].get<double>());
    }
    if (seconds.empty()) return path + ": empty list";
    return {};
}

std::string read_times(const std::string& path, std::vector<double>& seconds) {
    auto db = testr::timesdb::open(path);
    if (!db) return db.error().message();
    for (const auto& e : db->entries()) seconds.push_back(e.times.estimate);
    if (seconds.empty()) return path + ": no recorded tests";
    return {};
}

std::vector<suite> read_suites(const std::string& dir, std::string& error) {
    std::vector<suite> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() != ".json") continue;
        suite s{e.path().stem().string(), {}};
        error = read_durations(e.path().string(), s.seconds);
        if (!error.empty()) return {};
        out.push_back(std::move(s));
    }
    if (ec) error = dir + ": cannot list the recorded suites (" + ec.message() + ")";
    std::sort(out.begin(), out.end(), [](const suite& a, const suite& b) { return a.name < b.name; });
    return out;
}

}  // namespace partition_bench
