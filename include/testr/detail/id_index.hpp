// testr/detail/id_index.hpp - an insert-only hash index from string keys to
// dense numbers, used to find duplicate ids and to gather groups.
//
// Open addressing over 32-bit slots with a cached hash fragment: one
// allocation, no per-key nodes, so indexing a million ids stays within a
// few tens of milliseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace testr::detail {

class id_index {
public:
    /// Reserve room for `expected` keys without rehashing.
    explicit id_index(std::size_t expected) {
        std::size_t cap = 16;
        while (cap < expected * 2) cap <<= 1;
        slots_.assign(cap, slot{});
        keys_.reserve(expected);
    }

    /// The number of `key` if already present, else assigns the next number.
    /// Returns {number, inserted}. Keys must outlive the index.
    std::pair<std::uint32_t, bool> insert(std::string_view key) {
        if ((keys_.size() + 1) * 2 > slots_.size()) grow();
        const std::size_t h = std::hash<std::string_view>{}(key);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            slot& s = slots_[i];
            if (s.number == 0) {
                keys_.push_back(key);
                s = {static_cast<std::uint32_t>(keys_.size()), tag};
                return {s.number - 1, true};
            }
            if (s.tag == tag && keys_[s.number - 1] == key) return {s.number - 1, false};
        }
    }

    std::size_t size() const noexcept { return keys_.size(); }
    std::string_view key(std::uint32_t number) const { return keys_[number]; }

private:
    struct slot {
        std::uint32_t number = 0;  // key number + 1; 0 = empty
        std::uint32_t tag = 0;
    };

    void grow() {
        std::vector<slot> old(slots_.size() * 2);
        old.swap(slots_);
        const std::size_t mask = slots_.size() - 1;
        for (const slot& s : old) {
            if (s.number == 0) continue;
            const std::size_t h = std::hash<std::string_view>{}(keys_[s.number - 1]);
            std::size_t i = h & mask;
            while (slots_[i].number != 0) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }

    std::vector<slot> slots_;
    std::vector<std::string_view> keys_;
};

}  // namespace testr::detail
