// testr/estimates.hpp - predicted durations for every test, guessing the
// ones without history from their neighbours.
//
//   auto e = testr::estimate_all(ids, recorded);          // recorded[i]: optional seconds
//   auto e = testr::estimate_all(ids, recorded, group_fn);
//   e.seconds[i], e.source[i]
//
// A test with a recorded duration keeps it (the duration database's robust
// estimate). A test without one gets the median of the recorded tests that
// share its most specific neighbourhood that has any: its group (what
// group_regex matches), its class (the id up to its last '.') or its module
// (up to the second-to-last '.'), tried longest key first; else the median
// of the whole suite; else a fixed fallback. Tests of one class usually share
// fixtures and set-up, so their durations resemble each other far more than
// they resemble the suite's.
#pragma once

#include <testr/detail/id_index.hpp>
#include <testr/partition.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <ranges>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace testr {

/// Where an estimate came from, most to least trustworthy.
enum class estimate_source : std::uint8_t {
    recorded,  ///< the test's own history
    group,     ///< recorded tests with the same group key
    class_,    ///< recorded tests of the same class
    module,    ///< recorded tests of the same module
    suite,     ///< every recorded test
    fallback,  ///< nothing recorded at all: estimate_options::fallback
};

inline std::string_view to_string(estimate_source s) noexcept {
    switch (s) {
    case estimate_source::recorded: return "recorded";
    case estimate_source::group: return "group";
    case estimate_source::class_: return "class";
    case estimate_source::module: return "module";
    case estimate_source::suite: return "suite";
    case estimate_source::fallback: return "fallback";
    }
    return "?";
}

struct estimate_options {
    /// Seconds for every test when no test has a recorded duration.
    double fallback = 1.0;
    /// Neighbours' mean instead of their median. The median ignores the odd
    /// slow test of a class; the mean keeps a class's total right.
    bool mean = false;
};

/// One estimate per id, in input order.
struct estimates {
    std::vector<double> seconds;
    std::vector<estimate_source> source;

    std::size_t count(estimate_source s) const { return static_cast<std::size_t>(std::count(source.begin(), source.end(), s)); }
    /// Tests whose estimate is a guess (not recorded).
    std::size_t guessed() const { return source.size() - count(estimate_source::recorded); }
};

/// The dotted name of an id: the id without a trailing parameter list, so
/// testscenarios' "pkg.mod.Class.test_x(scenario.with.dots)" is
/// "pkg.mod.Class.test_x".
inline std::string_view dotted_name(std::string_view id) noexcept {
    if (!id.empty() && id.back() == ')') {
        auto open = id.find('(');
        if (open != std::string_view::npos) return id.substr(0, open);
    }
    return id;
}

/// Everything before the last '.' of `name` ("" if it has none).
inline std::string_view parent_name(std::string_view name) noexcept {
    auto dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
}

/// "pkg.mod.Class.test_x" -> "pkg.mod.Class"; "" if the id has no dot.
inline std::string_view class_of(std::string_view id) noexcept { return parent_name(dotted_name(id)); }
/// "pkg.mod.Class.test_x" -> "pkg.mod"; "" if the id has fewer than two dots.
inline std::string_view module_of(std::string_view id) noexcept { return parent_name(class_of(id)); }

namespace detail {

inline bool usable_duration(const std::optional<double>& d) noexcept { return d && std::isfinite(*d) && *d >= 0; }

/// Summaries of the recorded durations of each key: keys are numbered,
/// values gathered flat (CSR) so a median is one nth_element over a span.
class neighbourhoods {
public:
    neighbourhoods(const std::vector<std::uint32_t>& key_of, std::size_t keys,
                   const std::vector<std::optional<double>>& known, bool mean) : mean_(mean) {
        first_.assign(keys + 1, 0);
        for (std::size_t i = 0; i < key_of.size(); ++i)
            if (key_of[i] != none && usable_duration(known[i])) ++first_[key_of[i] + 1];
        for (std::size_t k = 0; k < keys; ++k) first_[k + 1] += first_[k];
        values_.resize(first_.back());
        std::vector<std::uint32_t> fill(first_.begin(), first_.end() - 1);
        for (std::size_t i = 0; i < key_of.size(); ++i)
            if (key_of[i] != none && usable_duration(known[i])) values_[fill[key_of[i]]++] = *known[i];
        summary_.assign(keys, -1.0);
    }

    bool has(std::uint32_t key) const { return key != none && first_[key + 1] > first_[key]; }

    /// The median (or mean) of key's recorded durations; has(key) must hold.
    double summary(std::uint32_t key) {
        double& s = summary_[key];
        if (s < 0) s = summarize(std::span<double>(values_.data() + first_[key], first_[key + 1] - first_[key]), mean_);
        return s;
    }

    static double summarize(std::span<double> v, bool mean) {
        if (mean) {
            double sum = 0;
            for (double x : v) sum += x;
            return sum / static_cast<double>(v.size());
        }
        return median_in_place(v);
    }

    static constexpr std::uint32_t none = UINT32_MAX;

private:
    bool mean_;
    std::vector<std::uint32_t> first_;
    std::vector<double> values_;
    std::vector<double> summary_;
};

}  // namespace detail

/// Estimates for every id (any range of things convertible to
/// std::string_view). `known[i]` is the recorded duration of ids[i] or
/// nullopt; a negative or non-finite value counts as unknown, and ids
/// beyond known.size() are unknown. `groups(id)` returns the group key of
/// a test (as for testr::partition; an empty key: no group). Keys must stay
/// valid until the call returns.
///
/// Neighbourhoods are tried most specific first, judged by the length of
/// their key (a group key is normally a prefix of the id, as group_regex
/// matches from its start); on equal length the group wins. Linear time
/// over hash indexes: 10^5 ids take a few milliseconds.
template <class Ids, class Groups = no_groups>
estimates estimate_all(const Ids& ids, const std::vector<std::optional<double>>& known, Groups&& groups = {},
                       const estimate_options& options = {}) {
    constexpr bool grouped = !std::is_same_v<std::remove_cvref_t<Groups>, no_groups>;
    using detail::neighbourhoods;
    std::vector<std::string_view> id;
    if constexpr (std::ranges::sized_range<const Ids>) id.reserve(std::ranges::size(ids));
    for (auto&& i : ids) id.emplace_back(std::string_view(i));
    const std::size_t n = id.size();
    std::vector<std::optional<double>> recorded(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(std::min(n, known.size())));
    recorded.resize(n);

    estimates out;
    out.seconds.resize(n);
    out.source.assign(n, estimate_source::recorded);
    std::vector<double> all_known;
    for (std::size_t i = 0; i < n; ++i) {
        if (detail::usable_duration(recorded[i])) {
            out.seconds[i] = *recorded[i];
            all_known.push_back(*recorded[i]);
        } else {
            recorded[i].reset();
        }
    }
    if (all_known.size() == n) return out;
    if (all_known.empty()) {
        std::fill(out.seconds.begin(), out.seconds.end(), options.fallback);
        std::fill(out.source.begin(), out.source.end(), estimate_source::fallback);
        return out;
    }
    const double suite = neighbourhoods::summarize(all_known, options.mean);

    // Classes are numbered over ids, modules over distinct classes only (a
    // module is its classes' parent), which halves the hashing.
    std::vector<std::uint32_t> class_key(n), module_key(n), group_key;
    std::vector<std::string_view> group_text;
    detail::id_index classes(n / 4 + 16);
    for (std::size_t i = 0; i < n; ++i) {
        auto c = class_of(id[i]);
        class_key[i] = c.empty() ? neighbourhoods::none : classes.insert(c).first;
    }
    std::vector<std::string_view> class_text(classes.size());
    for (std::size_t i = 0; i < n; ++i)
        if (class_key[i] != neighbourhoods::none) class_text[class_key[i]] = class_of(id[i]);
    detail::id_index modules(class_text.size() / 4 + 16);
    std::vector<std::uint32_t> module_of_class(class_text.size());
    for (std::size_t c = 0; c < class_text.size(); ++c) {
        auto mod = parent_name(class_text[c]);
        module_of_class[c] = mod.empty() ? neighbourhoods::none : modules.insert(mod).first;
    }
    for (std::size_t i = 0; i < n; ++i)
        module_key[i] = class_key[i] == neighbourhoods::none ? neighbourhoods::none : module_of_class[class_key[i]];
    std::size_t group_count = 0;
    if constexpr (grouped) {
        group_key.resize(n);
        group_text.resize(n);
        detail::id_index index(n / 4 + 16);
        for (std::size_t i = 0; i < n; ++i) {
            group_text[i] = groups(id[i]);
            group_key[i] = group_text[i].empty() ? neighbourhoods::none : index.insert(group_text[i]).first;
        }
        group_count = index.size();
    }

    neighbourhoods by_class(class_key, classes.size(), recorded, options.mean);
    neighbourhoods by_module(module_key, modules.size(), recorded, options.mean);
    neighbourhoods by_group(group_key, group_count, recorded, options.mean);
    for (std::size_t i = 0; i < n; ++i) {
        if (recorded[i]) continue;
        struct candidate { neighbourhoods* where; std::uint32_t key; std::size_t length; estimate_source source; };
        candidate c[3];
        std::size_t count = 0;
        if constexpr (grouped) c[count++] = {&by_group, group_key[i], group_text[i].size(), estimate_source::group};
        const std::size_t class_length = class_key[i] == neighbourhoods::none ? 0 : class_text[class_key[i]].size();
        c[count++] = {&by_class, class_key[i], class_length, estimate_source::class_};
        c[count++] = {&by_module, module_key[i], class_length ? parent_name(class_text[class_key[i]]).size() : 0,
                      estimate_source::module};
        std::stable_sort(c, c + count, [](const candidate& a, const candidate& b) { return a.length > b.length; });
        out.seconds[i] = suite;
        out.source[i] = estimate_source::suite;
        for (std::size_t k = 0; k < count; ++k) {
            if (!c[k].where->has(c[k].key)) continue;
            out.seconds[i] = c[k].where->summary(c[k].key);
            out.source[i] = c[k].source;
            break;
        }
    }
    return out;
}

}  // namespace testr
