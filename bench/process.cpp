// bench/process: cost of starting children and of streaming their output
// through testr::process::loop, beside Python's subprocess (what
// testrepository uses) on the same workloads in the same run.
//
//   build/bench/process [--no-python]
//
// spawn:  400 × `/bin/sh -c 'echo x'`, 8 running at a time, the next one
//         started from on_exit (the worker scheduling pattern).
// stream: 1 child writing 500 MB to stdout; 16 children writing 32 MB each, all at once.
#include "process.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

using namespace testr::process;

struct figures {
    double seconds = 0;
    double mean_first_byte_ms = 0;
    std::size_t bytes = 0;
};

figures run(const std::string& cmd, int n, int concurrency) {
    loop l;
    figures f;
    int started = 0, finished = 0;
    double first_byte_sum = 0;
    callbacks cb;
    auto launch = [&] {
        if (!l.spawn_shell(cmd, {}, cb)) std::abort();
        ++started;
    };
    cb.on_output = [&](child_id, stream, std::string_view d) { f.bytes += d.size(); };
    cb.on_exit = [&](child_id, const exit_status& st) {
        if (!st.success()) std::abort();
        if (st.first_stdout)
            first_byte_sum += std::chrono::duration<double, std::milli>(*st.first_stdout).count();
        ++finished;
        if (started < n) launch();
    };
    const auto t0 = clock::now();
    for (int i = 0; i < std::min(n, concurrency); ++i) launch();
    if (!l.run()) std::abort();
    f.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    f.mean_first_byte_ms = first_byte_sum / finished;
    return f;
}

double python(const char* scenario, int n, int concurrency, long bytes) {
    auto cap = run_capture({"/usr/bin/python3", PROCESS_PYTHON_SCRIPT, scenario, std::to_string(n),
                            std::to_string(concurrency), std::to_string(bytes)});
    if (!cap || !cap->status.success()) return -1;
    return std::stod(cap->out);
}

void report(const char* name, const figures& f, double py, double work, const char* unit) {
    std::printf("%-28s %8.3f s  %9.1f %s", name, f.seconds, work / f.seconds, unit);
    if (f.mean_first_byte_ms > 0) std::printf("  first byte %.2f ms", f.mean_first_byte_ms);
    if (py > 0) std::printf("  | python %8.3f s  ratio %.2fx", py, py / f.seconds);
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    const bool with_python = !(argc > 1 && std::strcmp(argv[1], "--no-python") == 0);
    auto best = [](auto f) {  // best of 3: the machine is shared
        auto b = f();
        for (int i = 0; i < 2; ++i) {
            auto x = f();
            if (x.seconds < b.seconds) b = x;
        }
        return b;
    };
    auto best_py = [&](const char* s, int n, int c, long bytes) {
        if (!with_python) return -1.0;
        double b = python(s, n, c, bytes);
        for (int i = 0; i < 2; ++i) b = std::min(b, python(s, n, c, bytes));
        return b;
    };
    auto spawn = best([] { return run("echo x", 400, 8); });
    report("spawn 400 (8 at a time)", spawn, best_py("spawn", 400, 8, 0), 400, "children/s");
    const long big = 500L * 1000 * 1000, each = 32L * 1000 * 1000;
    auto one = best([&] { return run("head -c " + std::to_string(big) + " /dev/zero", 1, 1); });
    report("stream 1 x 500 MB", one, best_py("stream", 1, 1, big), double(big) / 1e6, "MB/s");
    auto many = best([&] { return run("head -c " + std::to_string(each) + " /dev/zero", 16, 16); });
    report("stream 16 x 32 MB at once", many, best_py("stream", 16, 16, each),
           16.0 * double(each) / 1e6, "MB/s");
}
