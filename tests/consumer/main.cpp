// Built by tests/consumer/run.sh twice: through the meson subproject and
// against an installed tree found with pkg-config. Exits 0 only if the
// headers work end to end. The core reads no system files: a custom runner
// hands it its own CPU numbers (the CLI links adapters/cpu_detect for that).
#include <cstdio>
#include <string>

#include <testr/concurrency.hpp>
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
    std::printf("consumer ok (testr-core %s): %u workers from %s; %u CPUs (%s)\n", testr::version_string,
                plan->answer.workers, std::string(testr::to_string(plan->source)).c_str(), cpus.count,
                cpus.source.c_str());
    return 0;
}
