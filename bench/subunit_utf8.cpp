// bench/subunit_utf8: the decoder on the streams where its UTF-8 checks
// work: a plain run (ASCII ids), the same with a line of UTF-8 runner output
// before each test (the DFA between packets), and ids with non-ASCII
// characters (the validator on every id): bench/subunit's run of 100,000
// tests (bench/subunit_stream.hpp), decoded 10 times, fed 64 KiB at a time.
//
//   build/bench/subunit_utf8 plain|text|ids
//
// Wall-clock MB/s is printed; for before/after on a loaded machine count
// instructions instead (docs/benchmarks.md):
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null build/bench/subunit_utf8 ids
#include "subunit_stream.hpp"

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
    // bench/subunit's run; "text": a line of UTF-8 runner output before each
    // test's packets; "ids": ids with non-ASCII characters.
    const auto tests = bench_stream::make_tests(100'000, kind == "ids");
    std::string stream;
    bench_stream::encode_run(tests, bench_stream::make_traceback(), stream,
                             kind == "text" ? "log: r\xC3\xA9sultat re\xC3\xA7u \xE2\x9C\x93 in 0.25 s, cache \xF0\x9F\x92\xBE ok\n" : "");
    std::size_t events = 0;
    su::decoder d([&](const su::event_view& v, std::string_view) { events += v.test_id.has_value(); });
    const auto t0 = std::chrono::steady_clock::now();
    for (int round = 0; round < 10; ++round) {
        for (std::size_t at = 0; at < stream.size(); at += 65536) d.feed(std::string_view(stream).substr(at, 65536));
        d.finish();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (events != 10 * 200'200) return 1;  // 2 a test, 3 for the 200 failures
    std::printf("%s: %.2f MB, %zu events with an id, decoded 10 times: %.0f MB/s\n", kind.c_str(),
                static_cast<double>(stream.size()) / 1e6, events / 10, static_cast<double>(stream.size()) * 10 / 1e6 / s);
    return 0;
}
