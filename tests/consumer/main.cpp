// Built by tests/consumer/run.sh twice: through the meson subproject and
// against an installed tree found with pkg-config. Exits 0 only if the
// headers work end to end.
#include <cstdio>
#include <string>

#include <testr/concurrency.hpp>
#include <testr/result.hpp>

int main() {
    const testr::cpu_limit cpus = testr::detect_cpus();
    const auto plan = testr::resolve_concurrency(0, testr::interpret_callout({"3\n", "", 0, 0}), cpus.count);
    if (!plan || plan->answer.workers != 3 || plan->source != testr::concurrency_source::callout) {
        std::fprintf(stderr, "consumer: unexpected concurrency plan\n");
        return 1;
    }
    if (cpus.count == 0) {
        std::fprintf(stderr, "consumer: no CPU count detected\n");
        return 1;
    }
    std::printf("consumer ok: %u workers from %s; %u CPUs (%s)\n", plan->answer.workers,
                std::string(testr::to_string(plan->source)).c_str(), cpus.count, cpus.source.c_str());
    return 0;
}
