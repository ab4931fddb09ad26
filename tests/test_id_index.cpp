// The string hash tables of testr/detail/id_index.hpp: the slot table under
// every index of the project, and id_index on top of it.
#include <testr/detail/id_index.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using testr::detail::id_index;
using testr::detail::slot_table;

TEST_CASE("slot_table: keys whose hashes agree are told apart by their owner") {
    // Every key gets the same hash: each probe meets all the earlier keys,
    // and only `same` can tell them apart.
    const std::vector<std::string> keys{"a", "b", "c", "d", "e"};
    const std::uint64_t h = 0x1234'5678'9abc'def0ull;
    slot_table t;
    CHECK(t.find(h, [](std::uint32_t) { return true; }) == slot_table::npos);  // empty: nothing allocated, nothing found
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
        const auto r = t.insert(h, i, [&](std::uint32_t n) { return keys[n] == keys[i]; });
        CHECK(r == std::pair<std::uint32_t, bool>{i, true});
    }
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
        CHECK(t.find(h, [&](std::uint32_t n) { return keys[n] == keys[i]; }) == i);
        CHECK(t.insert(h, 99, [&](std::uint32_t n) { return keys[n] == keys[i]; }) ==
              std::pair<std::uint32_t, bool>{i, false});
    }
    CHECK(t.size() == keys.size());
    CHECK(t.find(h, [](std::uint32_t) { return false; }) == slot_table::npos);
}

TEST_CASE("slot_table: growing from empty keeps every key findable, by its stored hash bits") {
    std::vector<std::string> keys;
    for (int i = 0; i < 5000; ++i) keys.push_back("pkg.module_" + std::to_string(i % 97) + ".Test.test_" + std::to_string(i));
    slot_table t;
    for (std::uint32_t i = 0; i < keys.size(); ++i)
        REQUIRE(t.insert(id_index::hash(keys[i]), i, [&](std::uint32_t n) { return keys[n] == keys[i]; }).second);
    CHECK(t.size() == keys.size());
    CHECK_FALSE(t.full(keys.size()));  // never more than half full
    for (std::uint32_t i = 0; i < keys.size(); ++i)
        CHECK(t.find(id_index::hash(keys[i]), [&](std::uint32_t n) { return keys[n] == keys[i]; }) == i);
    const std::string absent = "pkg.module_1.Test.test_absent";
    CHECK(t.find(id_index::hash(absent), [&](std::uint32_t n) { return keys[n] == absent; }) == slot_table::npos);

    bool seen = false;
    t.reset(10, [&](const void* data, std::size_t bytes) { seen = data != nullptr && bytes == 32 * 8; });
    CHECK(seen);  // room for 10 keys at most half full: 32 slots of 8 bytes
    CHECK(t.size() == 0);
    CHECK(t.find(id_index::hash(keys[0]), [&](std::uint32_t n) { return keys[n] == keys[0]; }) == slot_table::npos);
}

TEST_CASE("id_index numbers keys in first-insertion order and keeps them") {
    id_index index(0);
    const std::vector<std::string> words{"b", "a", "b", "c", "a", ""};
    std::vector<std::pair<std::uint32_t, bool>> got;
    for (const auto& w : words) got.push_back(index.insert(w));
    CHECK(got == std::vector<std::pair<std::uint32_t, bool>>{{0, true}, {1, true}, {0, false}, {2, true}, {1, false}, {3, true}});
    CHECK(index.size() == 4);
    CHECK(index.key(2) == "c");
    CHECK(index.key(3) == "");
}
