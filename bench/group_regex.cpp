// bench/group_regex: cost of matching group_regex against every test id,
// beside testrepository's group_callback (Python re) on the same ids in the
// same run.
//
//   build/bench/group_regex [--ids N] [--repeat R] [--no-python]
//
// N ids (default 100000) shaped like real ones (pkg.module.Class.test_name);
// each figure is the best of R runs (default 5).
#include "group_regex.hpp"

#include <testr/command_template.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#ifndef GROUP_REGEX_PYTHON_SCRIPT
#define GROUP_REGEX_PYTHON_SCRIPT "bench/group_regex_python.py"
#endif

namespace {

std::vector<std::string> make_ids(std::size_t count) {
    std::vector<std::string> ids;
    ids.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        ids.push_back("project.tests.unit.pkg" + std::to_string(i % 37) + ".test_module" + std::to_string(i % 211) +
                      ".TestSomething" + std::to_string(i % 13) + ".test_behaviour_" + std::to_string(i));
    }
    return ids;
}

double best_ms(int repeat, const testr::group_matcher& match, const std::vector<std::string>& ids) {
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
        std::size_t total = 0;  // keeps the loop from being optimised away
        const auto start = std::chrono::steady_clock::now();
        for (const auto& id : ids) total += match(id).size();
        const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
        if (total == 0) std::fputs("(no matches)\n", stderr);
        best = std::min(best, took.count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t count = 100000;
    int repeat = 5;
    bool python = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--ids" && i + 1 < argc) count = std::stoul(argv[++i]);
        else if (arg == "--repeat" && i + 1 < argc) repeat = std::stoi(argv[++i]);
        else if (arg == "--no-python") python = false;
        else {
            std::fprintf(stderr, "usage: %s [--ids N] [--repeat R] [--no-python]\n", argv[0]);
            return 2;
        }
    }
    const std::vector<std::string> patterns{R"(([^\.]+\.)+)", R"((?:[^.]+\.)+)", R"(^(.*)\.test_)",
                                            R"(([^\.]*\.)*)"};
    const auto ids = make_ids(count);

    nlohmann::json py_ms;
    if (python) {
        char path[] = "/tmp/testr-bench-ids-XXXXXX";
        const int fd = ::mkstemp(path);
        if (fd < 0) return 1;
        ::close(fd);
        {
            std::ofstream out(path);
            for (const auto& id : ids) out << id << '\n';
        }
        const char* py = std::getenv("PYTHON");
        std::string command = std::string(py != nullptr ? py : "/usr/bin/python3") + " " +
                              testr::shell_quote(GROUP_REGEX_PYTHON_SCRIPT) + " " + testr::shell_quote(path) + " " +
                              std::to_string(repeat);
        for (const auto& p : patterns) command.append(" ").append(testr::shell_quote(p));
        std::string text;
        if (FILE* pipe = ::popen(command.c_str(), "r")) {
            char buf[4096];
            for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
            ::pclose(pipe);
        }
        ::unlink(path);
        py_ms = text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
    }

    std::printf("%zu ids, best of %d\n%-18s %12s %10s %12s %8s\n", count, repeat, "pattern", "testr-mini", "ns/id",
                "python re", "ratio");
    for (const auto& p : patterns) {
        auto match = testr::compile_group_regex(p);
        if (!match) {
            std::fprintf(stderr, "%s\n", match.error().message.c_str());
            return 1;
        }
        const double ms = best_ms(repeat, *match, ids);
        std::printf("%-18s %9.2f ms %10.0f", p.c_str(), ms, ms * 1e6 / static_cast<double>(count));
        if (py_ms.contains(p)) {
            const double pms = py_ms[p].get<double>();
            std::printf(" %9.2f ms %7.1fx", pms, pms / ms);
        }
        std::printf("\n");
    }
}
