// record_index.hpp - internal to run_summary: an insert-only hash index from
// test id to record number, for records that keep their own ids.
//
// Slots hold only the number and 32 bits of the id's hash, so indexing a
// test costs neither a node nor a copy of its id (std::unordered_map took
// two allocations per test), and a copied owner's index stays valid (the
// core's detail::id_index stores views of the keys). Slots are placed by the
// stored hash bits, so growing rereads no id.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string_view>
#include <vector>

#include <testr/detail/id_index.hpp>

namespace testr::detail {

class record_index {
public:
    static constexpr std::uint32_t npos = static_cast<std::uint32_t>(-1);

    record_index() = default;
    /// Room for `expected` ids before the first growth.
    explicit record_index(std::size_t expected) : slots_(std::bit_ceil(std::max<std::size_t>(16, expected * 2))) {}

    /// The number of the record whose id is `id`, or npos. `id_of(n)` gives
    /// record n's id.
    template <class IdOf>
    std::uint32_t find(std::string_view id, IdOf&& id_of) const {
        if (slots_.empty()) return npos;
        const slot& s = slots_[probe(id, hash(id), id_of)];
        return s.number == 0 ? npos : s.number - 1;
    }

    /// {number of `id`'s record, false}; or, for a new id, {size() before
    /// the call, true}: the caller then creates that record before calling
    /// again, so that id_of can give its id.
    template <class IdOf>
    std::pair<std::uint32_t, bool> insert(std::string_view id, IdOf&& id_of) {
        // A test's events mostly come together (inprogress, files, outcome):
        // checking the previous one's record first saves a hash and the
        // table's cache misses.
        if (last_ < count_ && id_of(last_) == id) return {last_, false};
        if ((count_ + 1) * 2 > slots_.size()) grow();
        const std::uint32_t h = hash(id);
        slot& s = slots_[probe(id, h, id_of)];
        const bool inserted = s.number == 0;
        if (inserted) s = {++count_, h};
        last_ = s.number - 1;
        return {last_, inserted};
    }

    std::uint32_t size() const noexcept { return count_; }

private:
    struct slot {
        std::uint32_t number = 0;  // record number + 1; 0 = empty
        std::uint32_t hash = 0;
    };

    static std::uint32_t hash(std::string_view id) noexcept {
        return static_cast<std::uint32_t>(id_index::hash(id) >> 32);
    }

    /// The slot holding `id`, or the empty one where it belongs.
    template <class IdOf>
    std::size_t probe(std::string_view id, std::uint32_t h, IdOf&& id_of) const {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = h & mask;
        for (; slots_[i].number != 0; i = (i + 1) & mask) {
            const slot& s = slots_[i];
            if (s.hash == h && id_of(s.number - 1) == id) break;
        }
        return i;
    }

    void grow() {
        std::vector<slot> old(std::max<std::size_t>(16, slots_.size() * 2));
        old.swap(slots_);
        const std::size_t mask = slots_.size() - 1;
        for (const slot& s : old) {
            if (s.number == 0) continue;
            std::size_t i = s.hash & mask;
            while (slots_[i].number != 0) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }

    std::vector<slot> slots_;
    std::uint32_t count_ = 0;
    std::uint32_t last_ = 0;  // the record insert() returned last
};

}  // namespace testr::detail
