// bench/subunit: decode and encode speed of the subunit v2 codec, beside
// python-subunit's reader and writer on the same stream in the same run.
//
//   build/bench/subunit [--no-python] [--tests N]
//
// The stream: N tests (default 100,000), each an inprogress and a final
// status packet with timestamps; 0.2% fail with a ~1.5 KB traceback file
// packet. Decoding is fed 64 KiB at a time, as from a pipe; encoding builds
// each event in one reused event_view, as a runner would. Best of 5, wall
// and the thread's CPU time; python-subunit runs once, both timed as well.
// The "crc32" rows sum the same packets alone, with libdeflate (what the
// codec uses) and with zlib (what it used, and what python-subunit uses):
// every packet byte is summed once either way, so these are the ceiling.
// The "decode +text" row decodes the same run with a line of runner output
// (UTF-8, not all ASCII) before each test's packets, as from a runner that
// prints while it reports: the decoder's path for bytes between packets.
#include "subunit_v2.hpp"
#include "subunit_stream.hpp"

#include <libdeflate.h>
#include <unistd.h>
#include <zlib.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace su = testr::subunit;
using clock_type = std::chrono::steady_clock;
using bench_stream::encode_run;
using bench_stream::make_tests;
using bench_stream::make_traceback;

// Wall time and the calling thread's CPU time, each the best of `runs`: on
// a shared machine the CPU time is the steadier figure (it leaves out the
// time other processes held the core, not cache or SMT interference).
struct timing {
    double wall = 1e30, cpu = 1e30;
};

double thread_cpu_seconds() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

template <class F>
timing best_of(int runs, F&& f) {
    timing best;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = clock_type::now();
        const double c0 = thread_cpu_seconds();
        f();
        best.cpu = std::min(best.cpu, thread_cpu_seconds() - c0);
        best.wall = std::min(best.wall, std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    return best;
}

struct python_figures {
    timing read{-1, -1}, write{-1, -1};
    std::size_t events = 0, written = 0;
};

python_figures run_python(const std::string& file) {
    python_figures p;
    const std::string cmd = "/usr/bin/python3 '" SUBUNIT_PYTHON_SCRIPT "' '" + file + "'";
    FILE* f = ::popen(cmd.c_str(), "r");
    if (!f) return p;
    if (std::fscanf(f, "%lf %zu %lf %zu %lf %lf", &p.read.wall, &p.events, &p.write.wall, &p.written, &p.read.cpu,
                    &p.write.cpu) != 6) {
        p.read.wall = -1;
    }
    ::pclose(f);
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    bool python = true;
    std::size_t tests = 100'000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--no-python") == 0) {
            python = false;
        } else if (std::strcmp(argv[i], "--tests") == 0 && i + 1 < argc) {
            tests = std::strtoul(argv[++i], nullptr, 10);
        } else {
            std::fprintf(stderr, "usage: %s [--no-python] [--tests N]\n", argv[0]);
            return 2;
        }
    }
    const auto records = make_tests(tests);
    const std::string traceback = make_traceback();
    std::string stream;
    const std::size_t events = encode_run(records, traceback, stream);
    const double mb = static_cast<double>(stream.size()) / 1e6;
    std::printf("stream: %zu tests, %zu events, %.2f MB\n", tests, events, mb);

    std::size_t decoded = 0, failed = 0;
    su::decoder d([&](const su::event_view& e, std::string_view) {
        ++decoded;
        failed += e.test_status == su::status::fail;
    });
    const timing decode_s = best_of(5, [&] {
        decoded = failed = 0;
        for (std::size_t at = 0; at < stream.size(); at += 65536) {
            d.feed(std::string_view(stream).substr(at, 65536));
        }
        d.finish();
    });
    if (decoded != events) {
        std::fprintf(stderr, "decoded %zu events, expected %zu\n", decoded, events);
        return 1;
    }
    std::string out;
    const timing encode_s = best_of(5, [&] {
        out.clear();
        out.reserve(stream.size());
        encode_run(records, traceback, out);
    });
    if (out != stream) return 1;

    std::string mixed;
    encode_run(records, traceback, mixed, "log: r\xC3\xA9sultat re\xC3\xA7u \xE2\x9C\x93 in 0.25 s, cache \xF0\x9F\x92\xBE ok\n");
    std::size_t mixed_events = 0, mixed_text = 0;
    su::decoder m([&](const su::event_view& e, std::string_view) {
        if (e.test_id) ++mixed_events;
        else mixed_text += e.file_bytes.size();
    });
    const timing mixed_s = best_of(5, [&] {
        mixed_events = mixed_text = 0;
        for (std::size_t at = 0; at < mixed.size(); at += 65536) {
            m.feed(std::string_view(mixed).substr(at, 65536));
        }
        m.finish();
    });
    if (mixed_events != events || mixed_text != mixed.size() - stream.size()) {
        std::fprintf(stderr, "decoded %zu events and %zu text bytes from the stream with text, expected %zu and %zu\n",
                     mixed_events, mixed_text, events, mixed.size() - stream.size());
        return 1;
    }

    std::vector<std::string_view> packets;
    su::decoder spans([&](const su::event_view&, std::string_view raw) { packets.push_back(raw); });
    spans.feed(stream);
    spans.finish();
    unsigned long zlib_sum = 0, deflate_sum = 0;
    const timing zlib_s = best_of(5, [&] {
        zlib_sum = 0;
        for (auto p : packets) zlib_sum ^= crc32(0L, reinterpret_cast<const Bytef*>(p.data()), static_cast<uInt>(p.size() - 4));
    });
    const timing deflate_s = best_of(5, [&] {
        deflate_sum = 0;
        for (auto p : packets) deflate_sum ^= libdeflate_crc32(0, p.data(), p.size() - 4);
    });
    if (zlib_sum != deflate_sum) {
        std::fprintf(stderr, "libdeflate and zlib CRC-32 disagree\n");
        return 1;
    }

    const double n = static_cast<double>(events);
    std::printf("%-16s %9s %9s %13s %12s %12s %7s %7s\n", "", "MB/s wall", "MB/s cpu", "events/s cpu", "python wall",
                "python cpu", "x wall", "x cpu");
    python_figures p;
    if (python) {
        char path[] = "/tmp/testr-bench-subunit-XXXXXX";
        const int fd = ::mkstemp(path);
        if (fd < 0) return 1;
        ::close(fd);
        std::ofstream(path, std::ios::binary).write(stream.data(), static_cast<std::streamsize>(stream.size()));
        p = run_python(path);
        ::unlink(path);
        if (p.read.wall <= 0 || p.events != events || p.written != stream.size()) {
            std::fprintf(stderr, "python reference failed or disagreed (%zu events, %zu bytes written)\n", p.events,
                         p.written);
            return 1;
        }
    }
    auto row = [&](const char* what, const timing& ours, const timing& theirs, double bytes = 0) {
        const double m = bytes > 0 ? bytes / 1e6 : mb;
        std::printf("%-16s %9.0f %9.0f %13.0f", what, m / ours.wall, m / ours.cpu, n / ours.cpu);
        if (theirs.wall > 0) {
            std::printf(" %12.1f %12.1f %6.0fx %6.0fx", m / theirs.wall, m / theirs.cpu, theirs.wall / ours.wall,
                        theirs.cpu / ours.cpu);
        }
        std::printf("\n");
    };
    const timing none{-1, -1};
    row("decode", decode_s, p.read);
    row("encode", encode_s, p.write);
    row("decode +text", mixed_s, none, static_cast<double>(mixed.size()));
    row("crc32 libdeflate", deflate_s, none);
    row("crc32 zlib", zlib_s, none);
    return 0;
}
