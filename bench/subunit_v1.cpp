// bench/subunit_v1 - reading a testr format-1 run (subunit v1) into v2:
// the v1 decoder alone and to_v2 (decode + encode), beside python-subunit's
// v1 parser doing the same conversion (bench/subunit_v1_python.py).
//
// The stream is what testr stores: per test `time:`, `tags: worker-N`,
// `test:`, `time:`, an outcome with an empty multipart block, `tags: -...`;
// 0.2% fail with a 1.5 KB chunked traceback. docs/benchmarks.md.
#include "subunit_v1.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::string make_stream(unsigned tests) {
    std::string s;
    char buf[256];
    const std::string trace(1500, 'x');
    for (unsigned i = 0; i < tests; ++i) {
        const unsigned us = i % 1000000;
        std::snprintf(buf, sizeof buf, "time: 2026-12-01 19:%02u:%02u.%06uZ\n", (i / 60) % 60, i % 60, us);
        s += buf;
        std::snprintf(buf, sizeof buf, "tags: worker-%u\n", i % 8);
        s += buf;
        std::snprintf(buf, sizeof buf, "tests.test_mod%03u.TestThing%u.test_%05u", i % 997, i % 13, i);
        const std::string id = buf;
        s += "test: " + id + "\n";
        std::snprintf(buf, sizeof buf, "time: 2026-12-01 19:%02u:%02u.%06uZ\n", (i / 60) % 60, i % 60, (us + 500) % 1000000);
        s += buf;
        if (i % 500 == 7) {
            char len[16];
            std::snprintf(len, sizeof len, "%zX\r\n", trace.size());
            s += "failure: " + id + " [ multipart\nContent-Type: text/x-traceback;charset=utf8,language=python\n"
                 "traceback\n" + len + trace + "0\r\n]\n";
        } else {
            s += "successful: " + id + " [ multipart\n]\n";
        }
        std::snprintf(buf, sizeof buf, "tags: -worker-%u\n", i % 8);
        s += buf;
    }
    return s;
}

template <class F>
double best_of(int n, F&& f) {
    double best = 1e9;
    for (int i = 0; i < n; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned tests = 100000;
    bool python = true;
    const char* save = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--tests") && i + 1 < argc) tests = static_cast<unsigned>(std::atoi(argv[++i]));
        if (!std::strcmp(argv[i], "--no-python")) python = false;
        if (!std::strcmp(argv[i], "--write") && i + 1 < argc) save = argv[++i];
    }
    const std::string v1 = make_stream(tests);
    if (save != nullptr) {
        // The stream alone, e.g. as run 0 of a format-1 repository (docs/benchmarks.md).
        std::ofstream(save, std::ios::binary) << v1;
        return 0;
    }
    std::size_t events = 0, v2_bytes = 0;
    const double decode = best_of(5, [&] {
        events = 0;
        testr::subunit::v1::decoder d([&](const testr::subunit::event_view&) { ++events; });
        d.feed(v1);
        d.finish();
    });
    const double convert = best_of(5, [&] { v2_bytes = testr::subunit::v1::to_v2(v1).size(); });
    const double mb = static_cast<double>(v1.size()) / 1e6;
    std::printf("stream: %u tests, %zu events, %.2f MB v1 -> %.2f MB v2\n", tests, events, mb, static_cast<double>(v2_bytes) / 1e6);
    std::printf("ours decode:  %.4f s  %.0f MB/s\n", decode, mb / decode);
    std::printf("ours to_v2:   %.4f s  %.0f MB/s\n", convert, mb / convert);
    if (!python) return 0;
    const std::string path = "/tmp/bench-subunit-v1." + std::to_string(::getpid());
    std::ofstream(path, std::ios::binary) << v1;
    const std::string cmd = std::string("/usr/bin/python3 ") + SUBUNIT_V1_PYTHON_SCRIPT + " " + path;
    FILE* p = ::popen(cmd.c_str(), "r");
    double py = 0;
    std::size_t py_bytes = 0;
    if (p == nullptr || std::fscanf(p, "%lf %zu", &py, &py_bytes) != 2) {
        std::fprintf(stderr, "python reference failed\n");
        return 1;
    }
    ::pclose(p);
    std::remove(path.c_str());
    std::printf("python-subunit (subunit-1to2's path): %.3f s  %.1f MB/s  -> %zu v2 bytes\n", py, mb / py, py_bytes);
    std::printf("ours to_v2 / python: %.0fx\n", py / convert);
    return 0;
}
