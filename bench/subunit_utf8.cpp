// bench/subunit_utf8: the decoder on the streams where its UTF-8 checks
// work: a plain run (ASCII ids), the same with a line of UTF-8 runner output
// before each test (the DFA between packets), and ids with non-ASCII
// characters (the validator on every id). 100,000 tests, 0.2% failing with a
// 1.5 KB traceback; the stream decoded 10 times, fed 64 KiB at a time.
//
//   build/bench/subunit_utf8 plain|text|ids
//
// Wall-clock MB/s is printed; for before/after on a loaded machine count
// instructions instead (docs/benchmarks.md):
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null build/bench/subunit_utf8 ids
#include "subunit_v2.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    namespace su = testr::subunit;
    const std::string kind = argc == 2 ? argv[1] : "";
    if (kind != "plain" && kind != "text" && kind != "ids") {
        std::fprintf(stderr, "usage: %s plain|text|ids\n", argv[0]);
        return 2;
    }
    const std::string traceback(1500, 'x');
    std::string stream;
    su::event_view e;
    for (int i = 0; i < 100'000; ++i) {
        if (kind == "text") stream += "log: r\xC3\xA9sultat re\xC3\xA7u \xE2\x9C\x93 in 0.25 s, cache \xF0\x9F\x92\xBE ok\n";
        char id[96];
        std::snprintf(id, sizeof id,
                      kind == "ids" ? "tests.caf\xC3\xA9_mod%03d.Test\xE6\x97\xA5%d.test_%05d"
                                    : "tests.test_mod%03d.TestThing%d.test_%05d",
                      i / 1000, i / 100 % 10, i);
        e = {};
        e.test_id = std::string_view(id);
        e.test_status = su::status::inprogress;
        e.time = su::timestamp{1'700'000'000 + i, 5};
        bool ok = su::encode(e, stream).has_value();
        if (i % 500 == 250) {
            e.test_status = su::status::none;
            e.time.reset();
            e.file_name = "traceback";
            e.mime_type = "text/x-traceback;charset=utf8";
            e.file_bytes = traceback;
            e.eof = true;
            ok = ok && su::encode(e, stream).has_value();
            e.file_name.reset();
            e.mime_type.reset();
            e.file_bytes = {};
            e.eof = false;
        }
        e.test_status = i % 500 == 250 ? su::status::fail : su::status::success;
        e.time = su::timestamp{1'700'000'000 + i, 900};
        if (!ok || !su::encode(e, stream)) return 1;
    }
    std::size_t events = 0;
    su::decoder d([&](const su::event_view& v, std::string_view) { events += v.test_id.has_value(); });
    const auto t0 = std::chrono::steady_clock::now();
    for (int round = 0; round < 10; ++round) {
        for (std::size_t at = 0; at < stream.size(); at += 65536) d.feed(std::string_view(stream).substr(at, 65536));
        d.finish();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (events != 10 * 200'200) return 1;
    std::printf("%s: %.2f MB, %zu events with an id, decoded 10 times: %.0f MB/s\n", kind.c_str(),
                static_cast<double>(stream.size()) / 1e6, events / 10, static_cast<double>(stream.size()) * 10 / 1e6 / s);
    return 0;
}
