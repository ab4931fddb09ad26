// print_cpus: prints what detect_cpus() sees, so test_concurrency can check
// detection inside a real `taskset` or cgroup. Output: "<count> <kind>" on
// the first line, the source sentence on the second, then any notes.
// An optional argument is the root prefix passed to detect_cpus().
#include <cstdio>

#include "cpu_detect.hpp"

int main(int argc, char** argv) {
    const auto limit = testr::detect_cpus(argc > 1 ? argv[1] : "");
    std::printf("%u %s\n%s\n", limit.count, std::string(testr::to_string(limit.kind)).c_str(),
                limit.source.c_str());
    for (const auto& note : limit.notes) std::printf("note: %s\n", note.c_str());
    return limit.count > 0 ? 0 : 1;
}
