// fuzz/subunit_v1_fuzz.cpp - libFuzzer target for the subunit v1 reader
// (testrepository's format-1 runs and failing lists). Built and run by
// scripts/fuzz. The promises checked on any input: no crash or sanitizer
// report, the same events whether the bytes come at once or split
// anywhere, and every event it makes encodes as subunit v2 and decodes back
// unchanged (v1 is read only to be handed on as v2).
#include "subunit_check.hpp"
#include "subunit_v1.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

using namespace testr::subunit;

std::vector<event> read_v1(std::string_view data, std::size_t chunk) {
    std::vector<event> events;
    v1::decoder d([&](const event_view& e) { check::append_merging_stdout(events, e); });
    for (std::size_t at = 0; at < data.size(); at += chunk) d.feed(data.substr(at, chunk));
    d.finish();
    return events;
}

[[noreturn]] void broken(const char* promise) {
    std::fprintf(stderr, "subunit v1 reader: %s\n", promise);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto whole = read_v1(input, input.size() + 1);
    const std::size_t chunk = size ? 1 + data[size - 1] % 13 : 1;
    if (read_v1(input, chunk) != whole) broken("split feeding changed the events");
    for (const event& e : whole) {
        std::string bytes;
        if (!encode(e, bytes)) broken("an event it made cannot be encoded as v2");
        const auto again = check::decode(bytes);
        if (again.events.size() != 1 || again.events[0] != e) broken("an event it made changed in v2 encode + decode");
    }
    return 0;
}
