// bench/subunit_stream.hpp - the run the subunit benchmarks decode: N tests,
// each an inprogress and a final status packet with timestamps, 0.2%
// failing with a ~1.5 KB traceback, encoded as a runner would.
#pragma once

#include "subunit_v2.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace bench_stream {

namespace su = testr::subunit;

// What a runner knows about a test; events are built from it as they would
// be while tests run, in one reused event_view.
struct test_record {
    std::string id;
    su::timestamp start, end;
    su::status result;
};

/// `non_ascii`: ids with characters outside ASCII in every part, for the
/// decoder's UTF-8 validation of each id.
inline std::vector<test_record> make_tests(std::size_t tests, bool non_ascii = false) {
    std::vector<test_record> records;
    records.reserve(tests);
    std::int64_t ns = 1'700'000'000LL * 1'000'000'000LL;
    auto stamp = [&](std::int64_t step) {
        ns += step;
        return su::timestamp{ns / 1'000'000'000, static_cast<std::uint32_t>(ns % 1'000'000'000)};
    };
    for (std::size_t i = 0; i < tests; ++i) {
        char id[96];
        std::snprintf(id, sizeof id,
                      non_ascii ? "tests.caf\xC3\xA9_mod%03zu.Test\xE6\x97\xA5%zu.test_%05zu"
                                : "tests.test_mod%03zu.TestThing%zu.test_%05zu",
                      i / 1000, i / 100 % 10, i);
        const auto start = stamp(137'123);
        const auto result = i % 500 == 250 ? su::status::fail : i % 97 == 0 ? su::status::skip : su::status::success;
        records.push_back({id, start, stamp(2'345'678), result});
    }
    return records;
}

inline std::string make_traceback() {
    std::string traceback = "Traceback (most recent call last):\n";
    while (traceback.size() < 1500) {
        traceback += "  File \"/src/project/tests/test_module.py\", line 123, in test_something\n"
                     "    self.assertEqual(expected, observed)\n";
    }
    return traceback + "AssertionError: 1 != 2\n";
}

// inprogress, the traceback of a failure, then the result: 2 or 3 events a
// test, each test's after `between` (plain bytes, not a packet).
inline std::size_t encode_run(const std::vector<test_record>& tests, std::string_view traceback, std::string& out,
                       std::string_view between = {}) {
    su::event_view e;
    std::size_t events = 0;
    auto put = [&] {
        if (!su::encode(e, out)) std::abort();
        ++events;
    };
    for (const auto& t : tests) {
        out.append(between);
        e.test_id = t.id;
        e.test_status = su::status::inprogress;
        e.time = t.start;
        put();
        if (t.result == su::status::fail) {
            e.test_status = su::status::none;
            e.time.reset();
            e.file_name = "traceback";
            e.mime_type = "text/x-traceback;charset=utf8";
            e.file_bytes = traceback;
            e.eof = true;
            put();
            e.file_name.reset();
            e.mime_type.reset();
            e.file_bytes = {};
            e.eof = false;
        }
        e.test_status = t.result;
        e.time = t.end;
        put();
    }
    return events;
}

}  // namespace bench_stream
