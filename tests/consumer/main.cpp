// The core consumer: built by tests/consumer/run.sh through the meson
// subproject, pkg-config and CMake (testr::core). Exits 0 only if the
// headers work end to end. The core reads no system
// files: a custom runner hands it its own CPU numbers.
#include <cstdio>
#include <string>
#include <vector>

#include <testr/concurrency.hpp>
#include <testr/partition.hpp>
#include <testr/result.hpp>
#include <testr/version.hpp>

int main() {
    const testr::cpu_limit cpus = testr::combine_cpu_limits(8, 2, testr::cpu_limit{});
    const auto plan = testr::resolve_concurrency(0, testr::interpret_callout({"3\n", "", 0, 0}), cpus.count);
    if (!plan || plan->answer.workers != 3 || plan->source != testr::concurrency_source::callout) {
        std::fprintf(stderr, "consumer: unexpected concurrency plan\n");
        return 1;
    }
    if (cpus.count != 2 || cpus.kind != testr::cpu_source::affinity) {
        std::fprintf(stderr, "consumer: the affinity limit did not win\n");
        return 1;
    }
    const std::vector<std::string> ids{"a.test_1", "a.test_2", "b.test_1", "b.test_2"};
    const std::vector<double> seconds{3, 1, 2, 2};
    auto p = testr::partition(ids, plan->answer.workers,
                              [&](std::size_t i, std::string_view) { return std::optional<double>(seconds[i]); });
    if (!p || p->makespan() != 3) {
        std::fprintf(stderr, "consumer: unexpected partition\n");
        return 1;
    }
    std::printf("consumer ok (testr-core %s): %u workers from %s, makespan %g\n", testr::version_string,
                plan->answer.workers, std::string(testr::to_string(plan->source)).c_str(), p->makespan());
    return 0;
}
