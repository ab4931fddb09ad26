// bench/timesdb: load, bulk lookup and record speed of the duration store,
// beside testrepository's dbm store loading the same durations in the same
// run: all 10^5 of a 10^5 store, and 10^5 of a 10^6 store.
//
//   build/bench/timesdb [--dir DIR] [--repeat N] [--no-python]
//
// DIR (default: a fresh directory under /tmp, removed afterwards) decides the
// file system, which matters for record: it fsyncs the file and directory.
// Each figure is the median of N runs (default 9) on a warm page cache.
// Beside each appending record, the bytes it appended written and fsynced
// alone: the disk's part of its time, which no code change can remove.
#include "timesdb.hpp"

#include <testr/partition.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "fd_io.hpp"

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

timing median_of(int repeat, const std::function<void()>& fn, const std::function<void()>& prepare = {}) {
    std::vector<double> wall, cpu;
    for (int i = 0; i < repeat; ++i) {
        if (prepare) prepare();  // not timed
        const double cpu_start = cpu_ms();
        const auto start = clock_type::now();
        fn();
        wall.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
        cpu.push_back(cpu_ms() - cpu_start);
    }
    return {testr::detail::median_in_place(wall), testr::detail::median_in_place(cpu)};
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
    if (auto w = db.save(path); !w) die(w.error().message());
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Runs the dbm reference; its JSON answer.
nlohmann::json run_python(const std::string& dir, const std::string& name, const std::vector<timesdb::sample>& run,
                          const std::vector<std::string>* wanted, int repeat) {
    const std::string tsv = dir + "/" + name + ".tsv";
    {
        std::ofstream out(tsv);
        for (const auto& s : run) out << s.id << '\t' << s.seconds << '\n';
    }
    std::string wanted_arg;
    if (wanted != nullptr) {
        wanted_arg = dir + "/" + name + ".wanted";
        std::ofstream out(wanted_arg);
        for (const auto& id : *wanted) out << id << '\n';
    }
    const std::string dbm_dir = dir + "/" + name + ".dbm";
    std::filesystem::create_directory(dbm_dir);
    const std::string command = "/usr/bin/python3 " TIMESDB_PYTHON_SCRIPT " " + tsv + " " + dbm_dir + " " +
                                std::to_string(repeat) + " " + wanted_arg;
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) die("cannot run " + command);
    std::string output;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) output.append(buf, n);
    if (::pclose(p) != 0) die("reference failed: " + command);
    return nlohmann::json::parse(output);
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

    // What `testr run` does before partitioning a 10^5-test selection of a
    // 10^6-test suite: open the big store and look the selection up.
    std::vector<std::string> wanted_1e6;
    for (std::size_t i = 0; i < 90000; ++i) wanted_1e6.push_back(ids_1e6[(i * 7919) % ids_1e6.size()]);
    wanted_1e6.insert(wanted_1e6.end(), fresh.begin(), fresh.end());
    const timing open_lookup_1e6 = median_of(repeat, [&] {
        const auto db = open_or_die(path_1e6);
        loaded = wanted_1e6.size() - db.lookup(wanted_1e6).unknown.size();
    });
    if (loaded != 90000) die("1e6 lookup found " + std::to_string(loaded) + " known ids");
    rows.push_back({"open + lookup 1e5 ids in 1e6 store", open_lookup_1e6, 0});
    std::vector<std::string> wanted_1e5(ids_1e5.begin(), ids_1e5.begin() + 9000);
    wanted_1e5.insert(wanted_1e5.end(), fresh.begin(), fresh.begin() + 1000);
    const timing open_lookup_1e5 = median_of(repeat, [&] {
        const auto db = open_or_die(path_1e5);
        loaded = wanted_1e5.size() - db.lookup(wanted_1e5).unknown.size();
    });
    rows.push_back({"open + lookup 1e4 ids in 1e5 store", open_lookup_1e5, 0});

    // Recording a whole run into a store holding the same tests: the steady
    // state of `testr run`. The first run after a compaction appends; the
    // one after it finds the log as long as the sorted section and compacts.
    auto record_rows = [&](const std::vector<std::string>& ids, const std::string& label) {
        const std::string record_path = dir + "/times-record.tsv";
        write_store(record_path, make_run(ids, 1));
        const std::string compacted = slurp(record_path);
        std::vector<std::vector<timesdb::sample>> runs;
        for (int i = 0; i < 2; ++i) runs.push_back(make_run(ids, 100 + static_cast<unsigned>(i)));
        std::string appended;
        // Each repetition starts from the same file, put back untimed (and
        // as a new file: a store is only ever replaced by rename).
        auto restore = [&](const std::string& bytes) {
            return [&record_path, &bytes] {
                std::filesystem::remove(record_path);
                std::ofstream(record_path, std::ios::binary) << bytes;
            };
        };
        const timing append = median_of(repeat, [&] {
            auto r = timesdb::record(record_path, runs[0]);
            if (!r || r->compacted) die("the first record did not append");
        }, restore(compacted));
        appended = slurp(record_path);
        // The disk's share: the appended batch's bytes alone, written to a
        // fresh file and fsynced, as record() must at least do.
        const std::string batch = appended.substr(compacted.size());
        const std::string disk_path = dir + "/times-disk.bin";
        const timing disk = median_of(repeat, [&] {
            const int fd = ::open(disk_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0 || testr::fd_io::write_all(fd, batch) != 0 || testr::fd_io::fsync_retrying(fd) != 0) die("cannot write " + disk_path);
            ::close(fd);
        }, [&] { std::filesystem::remove(disk_path); });
        std::filesystem::remove(disk_path);
        const timing compact = median_of(repeat, [&] {
            auto r = timesdb::record(record_path, runs[1]);
            if (!r || !r->compacted) die("the second record did not compact");
        }, restore(appended));
        rows.push_back({"record " + label + "-test run into " + label + " store: append", append, 0});
        char what[96];
        std::snprintf(what, sizeof what, "  its %.1f MB alone: write + fsync", static_cast<double>(batch.size()) / 1e6);
        rows.push_back({what, disk, 0});
        rows.push_back({"record " + label + "-test run: the next, compacting", compact, 0});
        return std::pair{append, compact};
    };
    const auto rec_1e5 = record_rows(ids_1e5, "1e5");
    const auto rec_1e6 = record_rows(ids_1e6, "1e6");
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

    std::printf("\ngrowth 1e5 -> 1e6: open + lookup of 10%% %.1fx, record (append) %.1fx, record (compacting) %.1fx\n",
                open_lookup_1e6.wall_ms / open_lookup_1e5.wall_ms, rec_1e6.first.wall_ms / rec_1e5.first.wall_ms,
                rec_1e6.second.wall_ms / rec_1e5.second.wall_ms);
    if (python) {
        const auto ref = run_python(dir, "r1e5", run_1e5, nullptr, repeat);
        const double dbm_load = ref["load_ms_median"].get<double>();
        const double dbm_record = ref["record_ms"].get<double>();
        std::printf("\nreference: testrepository's Repository._get_test_times on %s (Python %s)\n",
                    ref["backend"].get<std::string>().c_str(), ref["python"].get<std::string>().c_str());
        const double ratio = dbm_load / load_lookup.wall_ms;
        std::printf("%-42s %10.2f   timesdb load+lookup %.1fx faster (target >= 10x %s)\n", "dbm load all of 1e5",
                    dbm_load, ratio, ratio >= 10 ? "ok" : "MISSED");
        std::printf("%-42s %10.2f   timesdb record into empty store %.1fx faster\n", "dbm record 1e5 durations (one run)",
                    dbm_record, dbm_record / rows.back().t.wall_ms);
        const auto big = run_python(dir, "r1e6", make_run(ids_1e6, 2), &wanted_1e6, std::min(repeat, 5));
        const double dbm_big = big["load_ms_median"].get<double>();
        const double big_ratio = dbm_big / open_lookup_1e6.wall_ms;
        std::printf("%-42s %10.2f   timesdb open+lookup %.1fx faster (target >= 30x %s)\n", "dbm lookup 1e5 ids in 1e6",
                    dbm_big, big_ratio, big_ratio >= 30 ? "ok" : "MISSED");
    }
    if (remove_dir) std::filesystem::remove_all(dir);
    return 0;
}
