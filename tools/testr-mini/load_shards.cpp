// tools/testr-mini/load_shards.cpp - see load_shards.hpp.
#include "load_shards.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "repository.hpp"
#include "subunit_v2.hpp"

namespace testr::cli {

namespace {

/// The marker, when the stream starts with one (`run --shard` writes it
/// before anything else, so the first packet is enough).
std::optional<shard_marker> marker_of(std::string_view head) {
    std::optional<shard_marker> found;
    bool first = true;
    subunit::decoder probe([&](const subunit::event_view& e, std::string_view) {
        if (!std::exchange(first, false)) return;
        if (e.test_id != shard_marker_id || e.test_status != subunit::status::exists) return;
        for (auto tag : e.tags)
            if (auto m = parse_shard_marker(tag)) found = m;
    });
    probe.feed(head);
    return found;
}

/// The shard numbers that no input goes by, when the markers agree on how
/// many shards there are (a job that uploaded nothing, its file not even
/// given).
std::vector<std::size_t> unnamed_shards(const std::vector<shard_state>& shards) {
    std::optional<std::size_t> total;
    std::unordered_set<std::size_t> named;
    for (const shard_state& s : shards) {
        named.insert(s.index);
        if (!s.marker) continue;
        if (total && *total != s.marker->spec.total) return {};
        total = s.marker->spec.total;
    }
    std::vector<std::size_t> missing;
    for (std::size_t k = 1; total && k <= *total; ++k)
        if (!named.contains(k)) missing.push_back(k);
    return missing;
}

}  // namespace

std::string id_lines(std::vector<std::string> ids, std::size_t most) {
    std::sort(ids.begin(), ids.end());
    std::string s;
    for (std::size_t k = 0; k < ids.size() && k < most; ++k) s += "\n  " + ids[k];
    if (ids.size() > most) s += "\n  ... and " + std::to_string(ids.size() - most) + " more";
    return s;
}

/// Problems of the shards, one line each (printed as warnings); empty when
/// every shard delivered whole.
std::vector<std::string> shard_problems(const std::vector<shard_state>& shards) {
    std::vector<std::string> out;
    // The markers say how many shards there are: those no input is are
    // named too (unnamed_shards).
    std::optional<std::size_t> total;
    std::vector<std::string> totals;
    std::map<std::size_t, std::vector<const shard_state*>> given;  // by index: those that reported
    for (const shard_state& s : shards) {
        if (s.reported()) given[s.index].push_back(&s);
        if (!s.marker) continue;
        if (total && *total != s.marker->spec.total) totals.push_back(s.name() + " says " + std::to_string(s.marker->spec.total));
        if (!total) {
            total = s.marker->spec.total;
            totals.push_back(s.name() + " says " + std::to_string(*total));
        }
    }
    if (totals.size() > 1) {
        std::string list;
        for (const auto& t : totals) list += (list.empty() ? "" : "; ") + t;
        out.push_back("the shards disagree on how many shards there are (" + list + "): streams of different splits");
    }
    for (const auto& [index, inputs] : given)
        if (inputs.size() > 1) {
            std::string list;
            for (auto* s : inputs) list += (list.empty() ? "" : ", ") + s->path;
            out.push_back("shard " + std::to_string(index) + " is given " + std::to_string(inputs.size()) + " times (" +
                          list + ")");
        }
    if (total && totals.size() == 1) {
        const std::vector<std::size_t> missing = unnamed_shards(shards);
        std::string list;
        for (std::size_t i = 0; i < missing.size() && i < 20; ++i) list += (i ? ", " : "") + std::to_string(missing[i]);
        if (missing.size() > 20) list += ", ... (" + std::to_string(missing.size() - 20) + " more)";
        if (missing.size() == 1)
            out.push_back("shard " + list + "/" + std::to_string(*total) + " never reported: no stream read says it is shard " + list);
        else if (!missing.empty())
            out.push_back(std::to_string(missing.size()) + " shards of " + std::to_string(*total) +
                          " never reported (no stream read says it is one of them): " + list);
    }
    for (const shard_state& s : shards) {
        if (!s.open_error.empty()) {
            out.push_back(s.name() + " never reported: " + s.open_error);
            continue;
        }
        if (s.bytes == 0) {
            out.push_back(s.name() + " never reported: the stream is empty");
            continue;
        }
        for (const auto& e : s.parser_errors) out.push_back(s.name() + ": corrupt or truncated stream: " + e);
        if (s.results == 0 && s.parser_errors.empty() && !s.empty_share())
            out.push_back(s.name() + " reported no test results (" + std::to_string(s.bytes) + " bytes)");
        if (!s.started.empty())
            out.push_back(s.name() + ": " + std::to_string(s.started.size()) +
                          (s.started.size() == 1 ? " test started and never finished" : " tests started and never finished") +
                          " (the stream ends at byte " + std::to_string(s.bytes) + "):" +
                          id_lines({s.started.begin(), s.started.end()}, 5));
    }
    return out;
}

std::size_t shards_not_reported(const std::vector<shard_state>& shards) {
    // A silent input of unknown number (index 0: its position is another
    // shard's) is one of the unnamed shards, or a second copy of a shard.
    return unnamed_shards(shards).size() +
           static_cast<std::size_t>(std::count_if(shards.begin(), shards.end(),
                                                  [](const shard_state& s) { return !s.reported() && s.index != 0; }));
}

std::string shards_note(const std::vector<shard_state>& shards) {
    std::vector<const shard_state*> order;
    for (const auto& st : shards) order.push_back(&st);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->index < b->index; });
    std::string s = "Shards: " + std::to_string(shards.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        const shard_state& st = *order[k];
        s += k == 0 ? " (" : ", ";
        s += "shard-" + (st.index ? std::to_string(st.index) : std::string("?")) + ": ";
        s += !st.reported()     ? std::string("never reported")
             : st.empty_share() ? std::string("ran nothing, its share was empty")
                                : std::to_string(st.results) + (st.results == 1 ? " result" : " results");
    }
    return s + ")\n";
}

/// A shard given as a project directory: its repository's latest run, or
/// why there is none (a shard's own run that could not be stored is one
/// that never reported, not an error of the merge).
std::optional<file_bytes> latest_run_of(const std::string& dir, shard_state& s) {
    auto r = repo::open(dir);
    if (!r) {
        s.open_error = r.error().message;
        return std::nullopt;
    }
    auto latest = repo::latest_id(*r);
    if (!latest || !*latest) {
        s.open_error = latest ? std::string("its repository holds no run") : latest.error().message;
        return std::nullopt;
    }
    auto bytes = repo::read_run(*r, **latest);
    if (!bytes) {
        s.open_error = bytes.error().message;
        return std::nullopt;
    }
    return std::move(*bytes);
}

/// The whole suite's ids, when the caller said where to find them.
std::optional<ids_t> expected_ids(const app& a, const shard_options& o) {
    if (o.expect_ids) {
        auto bytes = read_file_bytes(*o.expect_ids);
        if (!bytes) throw cli_error("cannot read --expect-ids file: " + bytes.error().message());
        return parse_listing(bytes->view());
    }
    if (!o.expect_listed) return std::nullopt;
    prepared p = prepare_listing(a, o.testargs);
    return list_tests(a, p);
}

/// shard-K for the input whose stream starts with `head`; K and the
/// marker noted in `s`.
std::string shard_tag(shard_state& s, std::string_view head) {
    s.marker = marker_of(head);
    if (s.marker) s.index = s.marker->spec.index;
    return "shard-" + std::to_string(s.index);
}


}  // namespace testr::cli
