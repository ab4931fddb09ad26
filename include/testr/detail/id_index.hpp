// testr/detail/id_index.hpp - an insert-only hash index from string keys to
// dense numbers, used to find duplicate ids and to gather groups.
//
// Open addressing over 32-bit slots with a cached hash fragment: one
// allocation, no per-key nodes, so indexing a million ids stays within a
// few tens of milliseconds.
#pragma once

#include <algorithm>
#include <cstddef>
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

/// The first position whose key equals an earlier one, or SIZE_MAX if all
/// keys are distinct; `hashes[i] == id_index::hash(keys[i])`.
///
/// One big table would take a cache miss per key at a million keys, so
/// the (hash, position) pairs are first scattered by their top hash bits
/// into buckets of about a thousand, in position order, and each bucket is
/// then checked with a small table that stays in the L1 cache. Keys are
/// compared only when 32 more hash bits agree.
inline std::size_t first_repeat(const std::vector<std::string_view>& keys, const std::vector<std::uint64_t>& hashes) {
    const std::size_t n = keys.size();
    int bits = 0;
    while (bits < 20 && (n >> bits) > 1024) ++bits;
    auto bucket_of = [bits](std::uint64_t h) { return bits ? static_cast<std::size_t>(h >> (64 - bits)) : 0; };
    std::vector<std::uint32_t> start((std::size_t{1} << bits) + 1, 0u);
    for (auto h : hashes) ++start[bucket_of(h) + 1];
    std::size_t largest = 0;
    for (std::size_t b = 1; b < start.size(); ++b) {
        largest = std::max<std::size_t>(largest, start[b]);
        start[b] += start[b - 1];
    }
    struct entry { std::uint32_t tag, pos; };
    std::vector<entry> entries(n);
    {
        std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
        for (std::size_t i = 0; i < n; ++i)
            entries[fill[bucket_of(hashes[i])]++] = {static_cast<std::uint32_t>(hashes[i]), static_cast<std::uint32_t>(i)};
    }
    std::size_t cap = 16;
    while (cap < largest * 2) cap <<= 1;
    std::vector<std::uint32_t> table(cap);  // entry number + 1; 0 = empty
    std::size_t first = SIZE_MAX;
    for (std::size_t b = 0; b + 1 < start.size(); ++b) {
        const std::size_t lo = start[b], hi = start[b + 1];
        std::size_t size = 16;
        while (size < (hi - lo) * 2) size <<= 1;
        const std::size_t mask = size - 1;
        std::fill_n(table.begin(), size, 0u);
        // Entries come in position order, so a bucket's first repeat is
        // its smallest.
        for (std::size_t e = lo; e < hi; ++e) {
            const entry x = entries[e];
            std::size_t i = x.tag & mask;
            for (; table[i] != 0; i = (i + 1) & mask) {
                const entry y = entries[table[i] - 1];
                if (y.tag == x.tag && keys[y.pos] == keys[x.pos]) break;
            }
            if (table[i] != 0) {
                first = std::min<std::size_t>(first, x.pos);
                break;
            }
            table[i] = static_cast<std::uint32_t>(e + 1);
        }
    }
    return first;
}

}  // namespace testr::detail
