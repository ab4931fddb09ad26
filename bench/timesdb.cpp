// bench/timesdb: load, bulk lookup and record speed of the duration store
// (issue #4), beside testrepository's dbm store loading the same durations
// in the same run.
//
//   build/bench/timesdb [--dir DIR] [--repeat N] [--no-python]
//
// DIR (default: a fresh directory under /tmp, removed afterwards) decides the
// file system, which matters for record: it fsyncs the file and directory.
// Each figure is the median of N runs (default 9) on a warm page cache.
#include "atomic_file.hpp"
#include "timesdb.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>
#include <time.h>

#ifndef TIMESDB_PYTHON_SCRIPT
#define TIMESDB_PYTHON_SCRIPT "bench/timesdb_python.py"
#endif

namespace {

using clock_type = std::chrono::steady_clock;
namespace timesdb = testr::timesdb;

double cpu_ms() {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

struct timing {
    double wall_ms;  // median elapsed time: the figure the targets refer to
    double cpu_ms;   // median CPU time of this process: what a shared, busy machine cannot inflate
};

timing median_of(int repeat, const std::function<void()>& fn) {
    std::vector<double> wall, cpu;
    for (int i = 0; i < repeat; ++i) {
        const double cpu_start = cpu_ms();
        const auto start = clock_type::now();
        fn();
        wall.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
        cpu.push_back(cpu_ms() - cpu_start);
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

/// Ids shaped like a large Python suite's: package.module.Class.method.
std::vector<std::string> make_ids(std::size_t n, const char* flavour) {
    std::vector<std::string> ids;
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        ids.push_back("project.tests." + std::string(flavour) + "_pkg" + std::to_string(i / 5000) + ".test_module_" +
                      std::to_string(i / 200) + ".TestFeature" + std::to_string(i / 20) + ".test_behaviour_" +
                      std::to_string(i));
    }
    return ids;
}

std::vector<timesdb::sample> make_run(const std::vector<std::string>& ids, unsigned seed) {
    std::mt19937 rng(seed);
    std::lognormal_distribution<double> seconds(-3.0, 1.5);  // median 50 ms, long tail
    std::vector<timesdb::sample> run;
    run.reserve(ids.size());
    for (const auto& id : ids) run.push_back({id, seconds(rng), rng() % 50 != 0});
    return run;
}

void die(const std::string& message) {
    std::fprintf(stderr, "bench/timesdb: %s\n", message.c_str());
    std::exit(1);
}

/// Writes a store holding `run` to `path` (not timed).
void write_store(const std::string& path, const std::vector<timesdb::sample>& run) {
    timesdb::database db;
    for (const auto& s : run) db.add(s);
    if (auto w = testr::write_file_atomically(path, db.serialize()); !w) die(w.error().message());
}

timesdb::database open_or_die(const std::string& path) {
    auto db = timesdb::open(path);
    if (!db) die(db.error().message());
    return std::move(db).value();
}

struct row {
    std::string what;
    timing t;
    double target_ms;  // 0: none
};

}  // namespace

int main(int argc, char** argv) {
    std::string dir;
    int repeat = 9;
    bool python = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
        else if (arg == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--no-python") python = false;
        else die("usage: timesdb [--dir DIR] [--repeat N] [--no-python]");
    }
    bool remove_dir = false;
    if (dir.empty()) {
        std::string templ = "/tmp/testr-bench-timesdb-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) die("cannot create a temporary directory");
        dir = templ;
        remove_dir = true;
    }

    const auto ids_1e5 = make_ids(100000, "a");
    const auto ids_1e6 = make_ids(1000000, "b");
    const auto run_1e5 = make_run(ids_1e5, 1);
    const std::string path_1e5 = dir + "/times-1e5.tsv";
    const std::string path_1e6 = dir + "/times-1e6.tsv";
    write_store(path_1e5, run_1e5);
    write_store(path_1e6, make_run(ids_1e6, 2));

    std::vector<row> rows;
    std::size_t loaded = 0;
    rows.push_back({"load 1e5 records (open)", median_of(repeat, [&] { loaded = open_or_die(path_1e5).size(); }), 10});
    if (loaded != ids_1e5.size()) die("1e5 store loaded " + std::to_string(loaded) + " records");
    rows.push_back({"load 1e6 records (open)", median_of(repeat, [&] { loaded = open_or_die(path_1e6).size(); }), 100});
    if (loaded != ids_1e6.size()) die("1e6 store loaded " + std::to_string(loaded) + " records");

    // What the CLI does before partitioning: 90% known ids, 10% new ones.
    std::vector<std::string> wanted(ids_1e5.begin(), ids_1e5.begin() + 90000);
    const auto fresh = make_ids(10000, "new");
    wanted.insert(wanted.end(), fresh.begin(), fresh.end());
    {
        const auto db = open_or_die(path_1e5);
        std::size_t unknown = 0;
        rows.push_back({"bulk lookup 1e5 ids (10% unknown)", median_of(repeat, [&] { unknown = db.lookup(wanted).unknown.size(); }), 0});
        if (unknown != fresh.size()) die("lookup found " + std::to_string(unknown) + " unknown ids");
    }
    const std::vector<std::string> all_known(ids_1e5.begin(), ids_1e5.end());
    const timing load_lookup = median_of(repeat, [&] {
        const auto db = open_or_die(path_1e5);
        loaded = all_known.size() - db.lookup(all_known).unknown.size();
    });
    if (loaded != all_known.size()) die("lookup missed known ids");
    rows.push_back({"load + lookup all 1e5 (= dbm reference)", load_lookup, 0});

    // Recording into an existing 1e5 store: the steady state of `testr run`.
    const std::string record_path = dir + "/times-record.tsv";
    write_store(record_path, run_1e5);
    std::vector<std::vector<timesdb::sample>> runs;
    for (int i = 0; i < repeat; ++i) runs.push_back(make_run(ids_1e5, 100 + static_cast<unsigned>(i)));
    std::size_t next_run = 0;
    rows.push_back({"record 1e5-test run into 1e5 store", median_of(repeat, [&] {
                        if (auto r = timesdb::record(record_path, runs[next_run++]); !r) die(r.error().message());
                    }),
                    50});
    rows.push_back({"record 1e5-test run into empty store", median_of(repeat, [&] {
                        std::filesystem::remove(dir + "/times-empty.tsv");
                        if (auto r = timesdb::record(dir + "/times-empty.tsv", run_1e5); !r) die(r.error().message());
                    }),
                    0});

    double load[3] = {0, 0, 0};
    ::getloadavg(load, 3);
    std::printf("timesdb benchmark: median of %d runs, files in %s, load average %.2f\n\n", repeat, dir.c_str(), load[0]);
    std::printf("%-42s %10s %10s   %s\n", "operation", "wall ms", "cpu ms", "target (wall)");
    for (const auto& r : rows) {
        char target[32] = "";
        if (r.target_ms > 0)
            std::snprintf(target, sizeof target, "<= %.0f %s", r.target_ms, r.t.wall_ms <= r.target_ms ? "ok" : "MISSED");
        std::printf("%-42s %10.2f %10.2f   %s\n", r.what.c_str(), r.t.wall_ms, r.t.cpu_ms, target);
    }

    if (python) {
        const std::string tsv = dir + "/ids.tsv";
        {
            std::ofstream out(tsv);
            for (const auto& s : run_1e5) out << s.id << '\t' << s.seconds << '\n';
        }
        const std::string dbm_dir = dir + "/dbm";
        std::filesystem::create_directory(dbm_dir);
        const std::string command = "/usr/bin/python3 " TIMESDB_PYTHON_SCRIPT " " + tsv + " " + dbm_dir + " " + std::to_string(repeat);
        FILE* p = ::popen(command.c_str(), "r");
        if (p == nullptr) die("cannot run " + command);
        std::string output;
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) output.append(buf, n);
        if (::pclose(p) != 0) die("reference failed: " + command);
        const auto ref = nlohmann::json::parse(output);
        const double dbm_load = ref["load_ms_median"].get<double>();
        const double dbm_record = ref["record_ms"].get<double>();
        std::printf("\nreference: testrepository's Repository._get_test_times on %s (Python %s, %d records)\n",
                    ref["backend"].get<std::string>().c_str(), ref["python"].get<std::string>().c_str(),
                    ref["records"].get<int>());
        const double ratio = dbm_load / load_lookup.wall_ms;
        std::printf("%-42s %10.2f   timesdb load+lookup %.1fx faster (target >= 10x %s)\n", "dbm load 1e5 durations",
                    dbm_load, ratio, ratio >= 10 ? "ok" : "MISSED");
        std::printf("%-42s %10.2f   timesdb record into empty store %.1fx faster\n", "dbm record 1e5 durations (one run)",
                    dbm_record, dbm_record / rows.back().t.wall_ms);
    }
    if (remove_dir) std::filesystem::remove_all(dir);
    return 0;
}
