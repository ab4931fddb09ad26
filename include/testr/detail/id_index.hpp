// testr/detail/id_index.hpp - an insert-only hash index from string keys to
// dense numbers, used to find duplicate ids and to gather groups.
//
// Open addressing over 32-bit slots with a cached hash fragment: one
// allocation, no per-key nodes, so indexing a million ids stays within a
// few tens of milliseconds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
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
    std::pair<std::uint32_t, bool> insert(std::string_view key) { return insert(key, hash(key)); }

    /// The same with `h == hash(key)` already computed.
    std::pair<std::uint32_t, bool> insert(std::string_view key, std::uint64_t h) {
        if ((keys_.size() + 1) * 2 > slots_.size()) grow();
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

    /// A hint that the key with hash `h` will be inserted soon.
    void prefetch(std::uint64_t h) const noexcept { __builtin_prefetch(&slots_[h & (slots_.size() - 1)]); }

    std::size_t size() const noexcept { return keys_.size(); }
    std::string_view key(std::uint32_t number) const { return keys_[number]; }

    /// Every byte counts: ids often differ only in the middle (module
    /// numbers), so hashing a sample of them would make them all collide.
    /// Eight bytes per multiply keeps it cheap for long ids.
    static std::uint64_t hash(std::string_view key) noexcept {
        const std::size_t n = key.size();
        std::uint64_t h = n * 0x9E3779B97F4A7C15ull;
        std::size_t at = 0;
        for (; at + 8 <= n; at += 8) {
            std::uint64_t v;
            std::memcpy(&v, key.data() + at, 8);
            h = (h ^ v) * 0xD6E8FEB86659FD93ull;
            h ^= h >> 29;
        }
        if (at < n) {
            std::uint64_t v = 0;
            std::memcpy(&v, key.data() + at, n - at);
            h = (h ^ v) * 0xD6E8FEB86659FD93ull;
        }
        return mix(h);
    }

private:
    static std::uint64_t mix(std::uint64_t x) noexcept {
        x ^= x >> 32;
        x *= 0xD6E8FEB86659FD93ull;
        x ^= x >> 32;
        return x;
    }

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
            const std::uint64_t h = hash(keys_[s.number - 1]);
            std::size_t i = h & mask;
            while (slots_[i].number != 0) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }

    std::vector<slot> slots_;
    std::vector<std::string_view> keys_;
};

}  // namespace testr::detail
