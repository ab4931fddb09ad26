// timesdb_index.hpp - internal to timesdb: the hash index from test id to
// position in the database's entry array.
//
// The core's slot table (testr/detail/id_index.hpp): a node-based
// std::unordered_map would cost an allocation per record; a table bigger
// than the cache costs a miss per probe, which callers hide by prefetching a
// few ids ahead (see prefetch).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <sys/mman.h>
#include <span>
#include <string_view>
#include <vector>

#include "timesdb.hpp"

#include <testr/detail/id_index.hpp>

namespace testr::timesdb::detail {

/// Asks for transparent huge pages on the 2 MiB-aligned part of a large,
/// not yet touched allocation: a million records fill ~60 MiB of arrays,
/// and faulting that in 4 KiB pages costs more than parsing it.
inline void advise_huge_pages(const void* data, std::size_t bytes) noexcept {
    constexpr std::uintptr_t huge = 2u << 20;
    const auto begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

/// Position of the first byte at or after `from` that escape_id rewrites,
/// or npos (timesdb_escape.cpp).
std::size_t next_to_escape(std::string_view s, std::size_t from) noexcept;

/// The hash that orders the file's sorted section, so it is part of the
/// format (docs/timesdb.md): the same on every build and machine. Words are
/// read little-endian; each is mixed in with one multiply, then the result
/// gets MurmurHash3's finaliser.
inline std::uint64_t id_hash(std::string_view id) noexcept {
    constexpr std::uint64_t m = 0xff51afd7ed558ccdULL;
    auto word = [](const char* p, std::size_t n) {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
        return v;
    };
    std::uint64_t h = id.size() * 0x9e3779b97f4a7c15ULL;
    const char* p = id.data();
    std::size_t n = id.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
        h = (h ^ v) * m;
        h ^= h >> 32;
    }
    if (n > 0) {
        h = (h ^ word(p, n)) * m;
        h ^= h >> 32;
    }
    h ^= h >> 33;
    h *= m;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/// The core's slot table with the entry array as its keys, hashed by the
/// format's id_hash.
class id_table {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    static std::uint64_t hash(std::string_view id) noexcept { return id_hash(id); }

    /// Empties the table, sized for `n` ids without growing.
    void reset(std::size_t n) {
        slots_.reset(n, [](const void* data, std::size_t bytes) { advise_huge_pages(data, bytes); });
    }

    /// True when one more id would make the table more than half full.
    bool full(std::size_t ids) const noexcept { return slots_.full(ids + 1); }

    /// A hint that the id with hash `h` is probed soon: the caller issues it
    /// some ids ahead so the cache misses overlap.
    void prefetch(std::uint64_t h) const noexcept { slots_.prefetch(h); }

    /// Position of `id` (hash `h`) in `entries`, or npos.
    std::size_t find(std::string_view id, std::uint64_t h, std::span<const entry> entries) const noexcept {
        const std::uint32_t at = slots_.find(h, [&](std::uint32_t n) { return entries[n].id == id; });
        return at == testr::detail::slot_table::npos ? npos : at;
    }

    /// Indexes `id` (hash `h`) as being at `position` unless it is indexed
    /// already; returns the position that holds it now. The caller keeps
    /// the table from filling up (see full).
    std::size_t insert(std::string_view id, std::uint64_t h, std::size_t position, std::span<const entry> entries) {
        return slots_.insert(h, static_cast<std::uint32_t>(position),
                             [&](std::uint32_t n) { return entries[n].id == id; }).first;
    }

private:
    testr::detail::slot_table slots_ = testr::detail::slot_table(0);
};

}  // namespace testr::timesdb::detail
