// record_index.hpp - internal to run_summary: an index from test id to
// record number, for records that keep their own ids.
//
// The core's slot table (testr/detail/id_index.hpp) with the records as its
// keys: indexing a test costs neither a node nor a copy of its id
// (std::unordered_map took two allocations per test), and a copied owner's
// index stays valid (detail::id_index stores views of the keys).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include <testr/detail/id_index.hpp>

namespace testr::detail {

class record_index {
public:
    static constexpr std::uint32_t npos = slot_table::npos;

    record_index() = default;
    /// Room for `expected` ids before the first growth.
    explicit record_index(std::size_t expected) : slots_(expected) {}

    /// The number of the record whose id is `id`, or npos. `id_of(n)` gives
    /// record n's id.
    template <class IdOf>
    std::uint32_t find(std::string_view id, IdOf&& id_of) const {
        return slots_.find(id_index::hash(id), [&](std::uint32_t n) { return id_of(n) == id; });
    }

    /// {number of `id`'s record, false}; or, for a new id, {size() before
    /// the call, true}: the caller then creates that record before calling
    /// again, so that id_of can give its id.
    template <class IdOf>
    std::pair<std::uint32_t, bool> insert(std::string_view id, IdOf&& id_of) {
        // A test's events mostly come together (inprogress, files, outcome):
        // checking the previous one's record first saves a hash and the
        // table's cache misses.
        if (last_ < size() && id_of(last_) == id) return {last_, false};
        const auto r = slots_.insert(id_index::hash(id), size(), [&](std::uint32_t n) { return id_of(n) == id; });
        last_ = r.first;
        return r;
    }

    std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(slots_.size()); }
    /// Forgets every id, keeping the table's memory.
    void clear() noexcept {
        slots_.clear();
        last_ = 0;
    }

private:
    slot_table slots_;
    std::uint32_t last_ = 0;  // the record insert() returned last
};

}  // namespace testr::detail
