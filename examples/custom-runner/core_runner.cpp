// examples/custom-runner/core_runner.cpp - a custom test runner on the
// header-only core alone: its own process launcher (fork, exec, pipes,
// poll) and its own clock; the core decides who runs what.
//
//   core_runner CPUS        run the built-in suite on what CPUS resolves to
//
// Each runner process is this program again (`--run S...`): it "runs" each
// test by sleeping S seconds and prints "<position> <seconds>" per test.
#include <testr/concurrency.hpp>
#include <testr/dynamic_schedule.hpp>
#include <testr/estimates.hpp>
#include <testr/partition.hpp>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

int run_tests(int argc, char** argv) {  // child mode: one runner process
    for (int i = 2; i + 1 < argc; i += 2) {
        const auto start = steady::now();
        std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(argv[i + 1])));
        std::printf("%s %.6f\n", argv[i], std::chrono::duration<double>(steady::now() - start).count());
        std::fflush(stdout);
    }
    return 0;
}

struct runner { pid_t pid = -1; int out = -1; std::string pending; std::vector<std::size_t> tests; };

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--run") return run_tests(argc, argv);
    if (argc != 2) { std::fprintf(stderr, "usage: core_runner CPUS\n"); return 2; }

    // The suite: 8 classes of 5 tests; class k's tests take about 10+5k ms.
    // A third of the tests have no history; pkg.db tests share a fixture
    // (a group) and must run in one runner process, in order.
    std::vector<std::string> ids;
    std::vector<double> truth;
    std::vector<std::optional<double>> recorded;
    for (int k = 0; k < 8; ++k)
        for (int t = 0; t < 5; ++t) {
            ids.push_back((k == 0 ? std::string("pkg.db.Fixture") : "pkg.mod" + std::to_string(k) + ".Case") +
                          ".test_" + std::to_string(t));
            truth.push_back(0.010 + 0.005 * k);
            if ((k + t) % 3 != 0) recorded.push_back(truth.back());
            else recorded.emplace_back();
        }
    auto groups = [](std::string_view id) { return id.starts_with("pkg.db.") ? testr::class_of(id) : ""; };

    // Workers: no --concurrency, no callout; the CPU count comes from the caller.
    const auto cpus = static_cast<unsigned>(std::strtoul(argv[1], nullptr, 10));
    const auto plan = testr::resolve_concurrency(0, std::nullopt, cpus);
    if (!plan) { std::fprintf(stderr, "%s\n", plan.error().message.c_str()); return 1; }
    const std::size_t workers = plan->answer.workers;
    std::printf("workers: %zu (%s)\n", workers, std::string(testr::to_string(plan->source)).c_str());

    const testr::estimates e = testr::estimate_all(ids, recorded, groups);
    std::printf("estimated: %zu recorded, %zu from their class\n", e.count(testr::estimate_source::recorded),
                e.count(testr::estimate_source::class_) + e.count(testr::estimate_source::group));
    auto by_position = [&](std::size_t i, std::string_view) { return std::optional<double>(e.seconds[i]); };
    const auto static_plan = testr::partition(ids, workers, by_position, groups);
    if (!static_plan) { std::fprintf(stderr, "%s\n", static_plan.error().message.c_str()); return 1; }
    std::printf("static plan: predicted makespan %.3f s (%s)\n", static_plan->makespan(), static_plan->method.c_str());

    auto s = testr::dynamic_scheduler::create(testr::work_items(ids, e, groups), workers, {.start_cost = 0.002});
    if (!s) { std::fprintf(stderr, "%s\n", s.error().message.c_str()); return 1; }

    const auto t0 = steady::now();
    auto now = [&] { return std::chrono::duration<double>(steady::now() - t0).count(); };
    std::vector<runner> slots(workers);
    std::map<std::size_t, std::set<pid_t>> runners_of;  // test -> runner processes it ran in
    std::size_t started = 0;
    auto launch = [&](std::size_t w, std::vector<std::size_t> tests) {
        if (tests.empty()) return;
        int fds[2];
        if (pipe(fds) != 0) std::exit(1);
        std::vector<std::string> args{argv[0], "--run"};
        for (auto t : tests) { args.push_back(std::to_string(t)); args.push_back(std::to_string(truth[t])); }
        const pid_t pid = fork();
        if (pid == 0) {
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
            std::vector<char*> cargs;
            for (auto& a : args) cargs.push_back(a.data());
            cargs.push_back(nullptr);
            execv(argv[0], cargs.data());
            _exit(127);
        }
        close(fds[1]);
        slots[w] = {pid, fds[0], "", std::move(tests)};
        ++started;
    };
    for (std::size_t w = 0; w < workers; ++w) {
        const auto& batch = s->initial_batches()[w];
        launch(w, batch.empty() ? s->next_chunk(w, 0) : batch);
    }
    for (;;) {
        std::vector<pollfd> fds;
        std::vector<std::size_t> slot_of;
        for (std::size_t w = 0; w < workers; ++w)
            if (slots[w].out >= 0) { fds.push_back({slots[w].out, POLLIN, 0}); slot_of.push_back(w); }
        if (fds.empty()) break;
        poll(fds.data(), fds.size(), -1);
        for (std::size_t f = 0; f < fds.size(); ++f) {
            if (!fds[f].revents) continue;
            runner& r = slots[slot_of[f]];
            char buf[4096];
            const ssize_t got = read(r.out, buf, sizeof buf);
            if (got > 0) {
                r.pending.append(buf, static_cast<std::size_t>(got));
                for (std::size_t nl; (nl = r.pending.find('\n')) != std::string::npos; r.pending.erase(0, nl + 1)) {
                    std::size_t test = 0;
                    double seconds = 0;
                    if (std::sscanf(r.pending.c_str(), "%zu %lf", &test, &seconds) != 2) continue;
                    s->observed(test, seconds);
                    runners_of[test].insert(r.pid);
                }
                continue;
            }
            close(r.out);  // end of output: the runner has finished
            r.out = -1;
            waitpid(r.pid, nullptr, 0);
            launch(slot_of[f], s->next_chunk(slot_of[f], now()));
        }
    }
    bool once = runners_of.size() == ids.size();
    for (auto& [test, pids] : runners_of) once = once && pids.size() == 1;
    std::set<pid_t> group_runners;
    for (std::size_t i = 0; i < 5; ++i) group_runners.insert(runners_of[i].begin(), runners_of[i].end());
    std::printf("ran %zu/%zu tests%s in %zu runner processes, %.3f s\n", runners_of.size(), ids.size(),
                once ? " once each" : "", started, now());
    std::printf("group pkg.db.Fixture: %zu runner process\n", group_runners.size());
    return once && group_runners.size() == 1 ? 0 : 1;
}
