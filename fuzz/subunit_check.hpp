// fuzz/subunit_check.hpp - the promises the subunit decoder keeps on any
// input, as one check shared by the libFuzzer target and the regression
// replay in tests/test_subunit_v2.cpp.
#pragma once

#include "subunit_v2.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace testr::subunit::check {

/// Non-packet bytes are batched differently when a stream arrives in other
/// chunks; merging neighbouring "stdout" events makes streams comparable.
inline void append_merging_stdout(std::vector<event>& events, const event_view& e) {
    const bool text = !e.test_id && e.file_name && *e.file_name == "stdout" && !e.mime_type;
    if (text && !events.empty()) {
        event& last = events.back();
        if (!last.test_id && last.file_name && *last.file_name == "stdout" && !last.mime_type) {
            last.file_bytes += e.file_bytes;
            return;
        }
    }
    events.push_back(to_event(e));
}

struct decoded {
    std::vector<event> events;  ///< stdout events merged
    std::string raw;            ///< the raw slices, concatenated
    std::string problem;        ///< first broken promise seen during decoding
};

/// Decodes `data` fed in chunks of the given sizes (cycled; {} = all at once).
inline decoded decode(std::string_view data, const std::vector<std::size_t>& chunks = {}) {
    decoded out;
    decoder d([&](const event_view& e, std::string_view raw) {
        out.raw += raw;
        if (e.file_bytes.size() > max_packet_size && out.problem.empty()) {
            out.problem = "an event carries more than a packet's bytes";
        }
        append_merging_stdout(out.events, e);
    });
    std::size_t at = 0;
    for (std::size_t i = 0; at < data.size(); ++i) {
        const std::size_t n = chunks.empty() ? data.size() : chunks[i % chunks.size()];
        d.feed(data.substr(at, n));
        at += n;
    }
    d.finish();
    return out;
}

/// "" when decoding `data` keeps every promise of the decoder, else what
/// broke: the raw slices rebuild the input, chunking does not change the
/// events, and every decoded packet survives encode + decode unchanged.
inline std::string problems(std::string_view data) {
    const decoded whole = decode(data);
    if (!whole.problem.empty()) return whole.problem;
    if (whole.raw != data) return "the raw slices do not rebuild the input";
    std::vector<std::size_t> sizes = {1};
    if (!data.empty()) sizes = {1 + static_cast<std::size_t>(data[0]) % 7, 3, 1, 64};
    const decoded chunked = decode(data, sizes);
    if (chunked.raw != data) return "the raw slices of a chunked feed do not rebuild the input";
    if (chunked.events != whole.events) return "chunked feeding changed the events";
    for (const event& e : whole.events) {
        if (e.test_id && *e.test_id == "subunit.parser") continue;
        if (e.file_name && *e.file_name == "stdout" && !e.test_id) continue;
        std::string bytes;
        if (!encode(e, bytes)) {
            if (e.time && e.time->nanoseconds >= 1'000'000'000u) continue;  // the wire allows it, the encoder not
            return "a decoded event cannot be encoded";
        }
        const decoded again = decode(bytes);
        if (again.events.size() != 1 || again.events[0] != e) return "a decoded event changed in encode + decode";
    }
    return {};
}

}  // namespace testr::subunit::check
