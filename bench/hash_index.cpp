// bench/hash_index: the string hash tables of the core and the adapters
// (testr::detail::id_index, the run summary's record_index, timesdb's
// id_table) beside std::unordered_map<std::string_view, std::uint32_t> in
// the same run: indexing N test ids, then finding every one of them again in
// another order.
//
//   build/bench/hash_index [--tests N] [--repeat R]
//
// CPU time of this thread, best of R (default 5): the machine is shared, and
// a descheduled loop is not a slow one.
#include <testr/detail/id_index.hpp>

#include "record_index.hpp"
#include "timesdb_index.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <time.h>
#include <unordered_map>
#include <vector>

namespace {

double cpu_ms() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// Best of `repeat` for building a table and for finding every id in it.
template <class Build, class Find>
void measure(const char* name, int repeat, Build&& build, Find&& find) {
    double insert = 1e300, lookup = 1e300;
    for (int r = 0; r < repeat; ++r) {
        const double t0 = cpu_ms();
        auto table = build();
        const double t1 = cpu_ms();
        find(table);
        const double t2 = cpu_ms();
        insert = std::min(insert, t1 - t0);
        lookup = std::min(lookup, t2 - t1);
    }
    std::printf("%-46s %10.1f %10.1f\n", name, insert, lookup);
}

// Keeps the optimiser from dropping a loop whose result is otherwise unused.
volatile std::uint64_t sink;

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 1'000'000;
    int repeat = 5;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--tests") == 0 && i + 1 < argc) n = std::strtoull(argv[++i], nullptr, 10);
        else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--tests N] [--repeat R]\n", argv[0]);
            return 2;
        }
    }
    // Ids shaped like a large Python suite's: they differ in the middle.
    std::vector<std::string> ids;
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        ids.push_back("project.tests.unit.module_" + std::to_string(i / 1000) + ".TestCase" + std::to_string(i / 20 % 50) +
                      ".test_behaviour_" + std::to_string(i));
    std::mt19937_64 rng(20261201);
    std::shuffle(ids.begin(), ids.end(), rng);
    std::vector<std::string_view> views(ids.begin(), ids.end());
    std::vector<std::uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
    std::shuffle(order.begin(), order.end(), rng);

    std::printf("hash tables: %zu ids, CPU ms, best of %d\n\n", n, repeat);
    std::printf("%-46s %10s %10s\n", "table", "insert", "find all");

    measure("std::unordered_map (reference)", repeat, [&] {
        std::unordered_map<std::string_view, std::uint32_t> map;
        for (std::size_t i = 0; i < n; ++i) map.emplace(views[i], static_cast<std::uint32_t>(i));
        return map;
    }, [&](const auto& map) {
        std::uint64_t s = 0;
        for (const auto i : order) s += map.find(views[i])->second;
        sink = s;
    });
    measure("detail::id_index (core; finding = inserting)", repeat, [&] {
        testr::detail::id_index index(0);  // grows from the smallest size
        for (std::size_t i = 0; i < n; ++i) index.insert(views[i]);
        return index;
    }, [&](auto& index) {
        std::uint64_t s = 0;
        for (const auto i : order) s += index.insert(views[i]).first;
        sink = s;
    });
    const auto id_of = [&](std::uint32_t k) { return views[k]; };
    measure("record_index (run summary)", repeat, [&] {
        testr::detail::record_index index;
        for (std::size_t i = 0; i < n; ++i) index.insert(views[i], id_of);
        return index;
    }, [&](const auto& index) {
        std::uint64_t s = 0;
        for (const auto i : order) s += index.find(views[i], id_of);
        sink = s;
    });
    namespace td = testr::timesdb;
    std::vector<td::entry> entries(n);
    for (std::size_t i = 0; i < n; ++i) entries[i].id = views[i];
    std::vector<std::uint64_t> hashes(n);
    for (std::size_t i = 0; i < n; ++i) hashes[i] = td::detail::id_table::hash(views[i]);
    measure("timesdb id_table (hashes given, presized)", repeat, [&] {
        td::detail::id_table table;
        table.reset(n);
        for (std::size_t i = 0; i < n; ++i) table.insert(views[i], hashes[i], i, entries);
        return table;
    }, [&](const auto& table) {
        std::uint64_t s = 0;
        for (const auto i : order) s += table.find(views[i], hashes[i], entries);
        sink = s;
    });
    return 0;
}
