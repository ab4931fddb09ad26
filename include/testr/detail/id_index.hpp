// testr/detail/id_index.hpp - the string hash tables of the project: a
// table of slots that index keys kept by their owner (slot_table, also under
// the adapters' run summary and duration store), an insert-only index from
// string keys to dense numbers built on it (id_index), and a duplicate check.
//
// Open addressing over 8-byte slots, each a key's number and 32 bits of its
// hash: one allocation, no per-key node or copy, so indexing a million ids
// stays within a few tens of milliseconds.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace testr::detail {

/// Linear probing, at most half full. A slot's place comes from the hash bits
/// it stores, so growing reads no key; keys are compared only when those 32
/// bits agree, so most probes that miss never touch one. The owner keeps the
/// keys and says, through `same(number)`, whether key `number` is the one
/// sought.
class slot_table {
public:
    static constexpr std::uint32_t npos = static_cast<std::uint32_t>(-1);

    /// Empty, allocating nothing until the first insert.
    slot_table() = default;
    /// Room for `expected` keys before the first growth.
    explicit slot_table(std::size_t expected) : slots_(capacity_for(expected)) {}

    /// Empties the table, sized for `expected` keys. `allocated(data, bytes)`
    /// sees the memory before it is first touched (for madvise).
    template <class Allocated>
    void reset(std::size_t expected, Allocated&& allocated) {
        const std::size_t capacity = capacity_for(expected);
        std::vector<slot>().swap(slots_);
        slots_.reserve(capacity);
        allocated(static_cast<const void*>(slots_.data()), capacity * sizeof(slot));
        slots_.resize(capacity);
        size_ = 0;
    }

    std::size_t size() const noexcept { return size_; }
    /// Forgets every key, keeping the slots' memory.
    void clear() noexcept {
        std::fill(slots_.begin(), slots_.end(), slot{});
        size_ = 0;
    }
    /// True when `keys` keys would fill more than half the slots.
    bool full(std::size_t keys) const noexcept { return keys * 2 > slots_.size(); }

    /// A hint that the key with hash `h` is probed soon: issued some keys
    /// ahead, it lets the cache misses overlap.
    void prefetch(std::uint64_t h) const noexcept {
        if (!slots_.empty()) __builtin_prefetch(&slots_[tag(h) & (slots_.size() - 1)]);
    }

    /// The number of the key with hash `h` for which `same` holds, or npos.
    template <class Same>
    std::uint32_t find(std::uint64_t h, Same&& same) const {
        if (slots_.empty()) return npos;
        const slot& s = slots_[probe(tag(h), same)];
        return s.number == 0 ? npos : s.number - 1;
    }

    /// {the number of the key with hash `h` for which `same` holds, false},
    /// or, when there is none, {`number`, true} after indexing it as that.
    template <class Same>
    std::pair<std::uint32_t, bool> insert(std::uint64_t h, std::uint32_t number, Same&& same) {
        if (full(size_ + 1)) grow();
        slot& s = slots_[probe(tag(h), same)];
        if (s.number != 0) return {s.number - 1, false};
        s = {number + 1, tag(h)};
        ++size_;
        return {number, true};
    }

private:
    struct slot {
        std::uint32_t number = 0;  // key number + 1; 0 = empty
        std::uint32_t tag = 0;
    };

    static std::size_t capacity_for(std::size_t keys) { return std::bit_ceil(std::max<std::size_t>(16, keys * 2)); }
    static std::uint32_t tag(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32); }

    /// The slot holding the key, or the empty one where it belongs.
    template <class Same>
    std::size_t probe(std::uint32_t t, Same& same) const {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = t & mask;
        for (; slots_[i].number != 0; i = (i + 1) & mask) {
            const slot& s = slots_[i];
            if (s.tag == t && same(s.number - 1)) break;
        }
        return i;
    }

    // Out of line: rare, and kept out of the probing loops it would crowd.
    [[gnu::noinline, gnu::cold]] void grow() {
        std::vector<slot> old(std::max<std::size_t>(16, slots_.size() * 2));
        old.swap(slots_);
        const std::size_t mask = slots_.size() - 1;
        for (const slot& s : old) {
            if (s.number == 0) continue;
            std::size_t i = s.tag & mask;
            while (slots_[i].number != 0) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }

    std::vector<slot> slots_;
    std::size_t size_ = 0;
};

/// Numbers string keys 0, 1, 2... in the order they are first inserted.
class id_index {
public:
    /// Reserve room for `expected` keys without growing.
    explicit id_index(std::size_t expected) : slots_(expected) { keys_.reserve(expected); }

    /// The number of `key` if already present, else assigns the next number.
    /// Returns {number, inserted}. Keys must outlive the index.
    std::pair<std::uint32_t, bool> insert(std::string_view key) { return insert(key, hash(key)); }

    /// The same with `h == hash(key)` already computed.
    std::pair<std::uint32_t, bool> insert(std::string_view key, std::uint64_t h) {
        const auto r = slots_.insert(h, static_cast<std::uint32_t>(keys_.size()),
                                     [&](std::uint32_t n) { return keys_[n] == key; });
        if (r.second) keys_.push_back(key);
        return r;
    }

    /// A hint that the key with hash `h` will be inserted soon.
    void prefetch(std::uint64_t h) const noexcept { slots_.prefetch(h); }

    std::size_t size() const noexcept { return keys_.size(); }
    std::string_view key(std::uint32_t number) const { return keys_[number]; }

    /// Every byte counts: ids often differ only in the middle (module
    /// numbers), so hashing a sample of them would make them all collide.
    /// Sixteen bytes per 64x64->128-bit multiply (the wyhash construction),
    /// the tail read as two overlapping words: a 60-byte id costs four
    /// multiplies, and a million ids hash in a few milliseconds.
    static std::uint64_t hash(std::string_view key) noexcept {
        const auto* p = key.data();
        std::size_t n = key.size();
        std::uint64_t seed = mum(n ^ k0, k1);
        std::uint64_t a = 0, b = 0;
        if (n <= 16) {
            if (n >= 8) { a = load64(p); b = load64(p + n - 8); }
            else if (n >= 4) { a = load32(p); b = load32(p + n - 4); }
            else if (n > 0) {
                a = (std::uint64_t{static_cast<unsigned char>(p[0])} << 16) |
                    (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) | static_cast<unsigned char>(p[n - 1]);
            }
        } else {
            const char* end = p + n;
            for (; end - p > 16; p += 16) seed = mum(load64(p) ^ k1, load64(p + 8) ^ seed);
            a = load64(end - 16);
            b = load64(end - 8);
        }
        return mum(k1 ^ n, mum(a ^ k1, b ^ seed));
    }

private:
    static constexpr std::uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    static std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
        __extension__ using u128 = unsigned __int128;  // g++ and clang, warning-free under -Wpedantic
        const u128 r = static_cast<u128>(a) * b;
        return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
    }
    static std::uint64_t load64(const char* p) noexcept {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        return v;
    }
    static std::uint64_t load32(const char* p) noexcept {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return v;
    }

    slot_table slots_;
    std::vector<std::string_view> keys_;
};

/// The first position whose key equals an earlier one, or SIZE_MAX if all
/// keys are distinct; `key(i)` is key i, a string_view, and
/// `hashes[i] == id_index::hash(key(i))`.
///
/// One big table would take a cache miss per key at a million keys, so
/// the (hash, position) pairs are first scattered by their top hash bits
/// into buckets of about a thousand, in position order, and each bucket is
/// then checked with a small table of (hash fragment, position) that stays
/// in the L1 cache: a probe reads one slot, and keys are compared only when
/// 32 more hash bits agree.
template <class Key>
std::size_t first_repeat(Key&& key, const std::vector<std::uint64_t>& hashes) {
    const std::size_t n = hashes.size();
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
    struct entry { std::uint32_t tag, pos; };  // in the table, pos + 1; 0 = empty
    // Written whole before it is read: no zeroing pass over it.
    const auto entries = std::make_unique_for_overwrite<entry[]>(n);
    {
        std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
        for (std::size_t i = 0; i < n; ++i)
            entries[fill[bucket_of(hashes[i])]++] = {static_cast<std::uint32_t>(hashes[i]), static_cast<std::uint32_t>(i)};
    }
    std::size_t cap = 16;
    while (cap < largest * 2) cap <<= 1;
    std::vector<entry> table(cap);
    std::size_t first = SIZE_MAX;
    for (std::size_t b = 0; b + 1 < start.size(); ++b) {
        const std::size_t lo = start[b], hi = start[b + 1];
        std::size_t size = 16;
        while (size < (hi - lo) * 2) size <<= 1;
        const std::size_t mask = size - 1;
        std::fill_n(table.begin(), size, entry{0, 0});
        // Entries come in position order, so a bucket's first repeat is
        // its smallest.
        for (std::size_t e = lo; e < hi; ++e) {
            const entry x = entries[e];
            std::size_t i = x.tag & mask;
            bool repeat = false;
            for (; table[i].pos != 0; i = (i + 1) & mask)
                if (table[i].tag == x.tag && key(table[i].pos - 1) == key(x.pos)) { repeat = true; break; }
            if (repeat) {
                first = std::min<std::size_t>(first, x.pos);
                break;
            }
            table[i] = {x.tag, x.pos + 1};
        }
    }
    return first;
}

}  // namespace testr::detail
