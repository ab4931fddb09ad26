// examples/custom-runner/adapters_runner.cpp - the adapters as a library:
// runner processes (process.hpp) that speak subunit v2 (subunit_v2.hpp),
// durations kept between runs in a times.tsv (timesdb.hpp), and the core's
// partition in between.
//
//   adapters_runner DIR WORKERS    run the built-in suite; history in DIR/times.tsv
//
// Each runner is this program again (`--child ID...`): it writes subunit v2
// to stdout, an inprogress and a final event per test, as a real test
// framework's subunit reporter would.
#include <testr/partition.hpp>

#include "process.hpp"
#include "subunit_v2.hpp"
#include "timesdb.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sub = testr::subunit;

namespace {

int child(int argc, char** argv) {
    std::string out;
    auto emit = [&](const std::string& id, sub::status st) {
        sub::event e;
        e.test_id = id;
        e.test_status = st;
        e.time = sub::to_timestamp(std::chrono::system_clock::now());
        out.clear();
        if (!sub::encode(e, out)) std::exit(3);
        if (write(1, out.data(), out.size()) != static_cast<ssize_t>(out.size())) std::exit(3);
    };
    for (int i = 2; i < argc; ++i) {
        const std::string id = argv[i];
        emit(id, sub::status::inprogress);
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + id.size() % 7));
        emit(id, id.find("broken") != std::string::npos ? sub::status::fail : sub::status::success);
    }
    return 0;
}

// What one runner's stream said: each test's start and final event.
struct stream_state {
    std::unique_ptr<sub::decoder> decoder;
    std::map<std::string, sub::timestamp> started;
    std::vector<std::pair<std::string, double>> passed, failed;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--child") return child(argc, argv);
    if (argc != 3) { std::fprintf(stderr, "usage: adapters_runner DIR WORKERS\n"); return 2; }
    const std::string store = std::string(argv[1]) + "/" + std::string(testr::timesdb::file_name);
    const std::size_t workers = std::strtoul(argv[2], nullptr, 10);

    std::vector<std::string> ids;
    for (int k = 0; k < 12; ++k) ids.push_back("suite.Case" + std::to_string(k % 3) + ".test_" + std::to_string(k % 10));
    ids.back() = "suite.Case9.test_broken";

    auto db = testr::timesdb::open(store);
    if (!db) { std::fprintf(stderr, "%s\n", db.error().message().c_str()); return 1; }
    const auto known = db->lookup(std::span<const std::string>(ids));
    std::printf("history: %zu of %zu tests known\n", ids.size() - known.unknown.size(), ids.size());
    auto plan = testr::partition(ids, workers, [&](std::size_t i, std::string_view) { return known.estimates[i]; });
    if (!plan) { std::fprintf(stderr, "%s\n", plan.error().message.c_str()); return 1; }
    std::printf("plan: %zu workers, predicted %.3f s\n", plan->workers.size(), plan->makespan());

    testr::process::loop loop;
    std::vector<stream_state> streams(plan->workers.size());
    for (std::size_t w = 0; w < plan->workers.size(); ++w) {
        if (plan->workers[w].empty()) continue;
        stream_state& st = streams[w];
        st.decoder = std::make_unique<sub::decoder>([&st](const sub::event_view& e, std::string_view) {
            if (!e.test_id || !e.time) return;
            const std::string id(*e.test_id);
            if (e.test_status == sub::status::inprogress) { st.started[id] = *e.time; return; }
            auto start = st.started.find(id);
            if (start == st.started.end()) return;
            const double s = std::chrono::duration<double>(sub::elapsed(start->second, *e.time)).count();
            (e.test_status == sub::status::success ? st.passed : st.failed).emplace_back(id, s);
        });
        std::vector<std::string> args{argv[0], "--child"};
        for (auto i : plan->workers[w]) args.push_back(ids[i]);
        testr::process::callbacks cb;
        cb.on_output = [&st](testr::process::child_id, testr::process::stream s, std::string_view bytes) {
            if (s == testr::process::stream::out) st.decoder->feed(bytes);
        };
        cb.on_exit = [&st](testr::process::child_id, const testr::process::exit_status& status) {
            st.decoder->finish();
            if (!status.success()) std::fprintf(stderr, "runner: %s\n", testr::process::describe(status).c_str());
        };
        if (auto spawned = loop.spawn(args, {}, std::move(cb)); !spawned) {
            std::fprintf(stderr, "%s\n", spawned.error().message.c_str());
            return 1;
        }
    }
    if (auto ran = loop.run(); !ran) { std::fprintf(stderr, "%s\n", ran.error().message.c_str()); return 1; }

    std::vector<testr::timesdb::sample> samples;
    for (auto& st : streams) {
        for (auto& [id, s] : st.passed) samples.push_back({id, s, true});
        for (auto& [id, s] : st.failed) samples.push_back({id, s, false});
    }
    const std::size_t failed = samples.size() - static_cast<std::size_t>(std::count_if(
        samples.begin(), samples.end(), [](const auto& s) { return s.passed; }));
    std::printf("ran: %zu tests, %zu failed\n", samples.size(), failed);
    auto report = testr::timesdb::record(store, samples);
    if (!report) { std::fprintf(stderr, "%s\n", report.error().message().c_str()); return 1; }
    std::printf("recorded: %zu new, %zu updated\n", report->added, report->updated);
    return samples.size() == ids.size() ? 0 : 1;
}
