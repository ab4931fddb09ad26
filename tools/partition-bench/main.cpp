// partition-bench: compat, LPT, Karmarkar-Karp, MULTIFIT, balanced and the
// dynamic schedule on named instance families or on your own suite's
// durations, against the strongest lower bound and, where computable, the
// exact optimum. The scoring is testr/partition_bench.hpp; this is its
// command line: instances from families or files, a table, JSON.
#include <testr/partition_bench.hpp>

#include "inputs.hpp"
#include "rows.hpp"
#include "svg.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using partition_bench::row;

const char* usage =
    "usage: partition-bench [--family NAME]... [--suites DIR] [--times FILE | --durations FILE]\n"
    "                       [--workers M[,M...]] [--seeds N] [--noise SIGMA] [--start-cost S]\n"
    "                       [--json FILE|-] [--svg FILE]\n"
    "  --family NAME      a named family (repeatable; default all): uniform, lognormal, few per worker,\n"
    "                     lpt worst case, one dominant, grouped; 'real suites' (every recorded suite)\n"
    "                     or suite:NAME (one): real-suite shapes, a suite's recorded durations (seed 0)\n"
    "                     and reruns of it (each test x exp(N(0, 0.25)))\n"
    "  --suites DIR       the recorded suites, NAME.json each (default: the source tree's\n"
    "                     bench/data/suites, else the installed share/testr/suites)\n"
    "  --times FILE       one instance: the estimates of a times.tsv (testr-mini's duration store)\n"
    "  --durations FILE   one instance: a JSON list of seconds, e.g. [1.5, 0.2, 3], or an object\n"
    "                     with one as \"seconds\" (a recorded suite's file)\n"
    "  --workers M,...    worker counts (default 4,16,64)\n"
    "  --seeds N          instances per family and worker count (default 10)\n"
    "  --noise SIGMA      real duration = estimate x exp(N(0, SIGMA)) for the noisy columns (default 0.3)\n"
    "  --start-cost S     seconds per runner start in the dynamic simulation (default 0)\n"
    "  --json FILE        also write the results as JSON ('-': stdout, no table)\n"
    "  --svg FILE         also draw them: grouped bars per worker count, exact and noisy\n";

double cpu_seconds() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

int fail(const std::string& message) {
    std::fprintf(stderr, "partition-bench: %s\n", message.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> families;
    std::string times_path, durations_path, json_path, svg_path, suites_dir;
    std::vector<std::size_t> worker_counts{4, 16, 64};
    int seeds = 10;
    double noise = 0.3, start_cost = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) { std::fprintf(stderr, "partition-bench: %s needs a value\n%s", a.c_str(), usage); std::exit(2); }
            return argv[++i];
        };
        if (a == "--family") families.push_back(value());
        else if (a == "--times") times_path = value();
        else if (a == "--durations") durations_path = value();
        else if (a == "--seeds") seeds = std::max(1, std::atoi(value().c_str()));
        else if (a == "--noise") noise = std::atof(value().c_str());
        else if (a == "--start-cost") start_cost = std::atof(value().c_str());
        else if (a == "--json") json_path = value();
        else if (a == "--svg") svg_path = value();
        else if (a == "--suites") suites_dir = value();
        else if (a == "--workers") {
            worker_counts.clear();
            std::stringstream list(value());
            for (std::string w; std::getline(list, w, ',');)
                if (std::strtoul(w.c_str(), nullptr, 10) > 0) worker_counts.push_back(std::strtoul(w.c_str(), nullptr, 10));
            if (worker_counts.empty()) { std::fprintf(stderr, "partition-bench: no worker count in --workers\n"); return 2; }
        } else if (a == "--help" || a == "-h") { std::fputs(usage, stdout); return 0; }
        else { std::fprintf(stderr, "partition-bench: unknown argument '%s'\n%s", a.c_str(), usage); return 2; }
    }
    // The recorded suites: asked for by --suites, else wherever they are.
    std::vector<partition_bench::suite> suites;
    const bool suites_asked = !suites_dir.empty();
    if (!suites_asked)
        for (const char* dir : {PARTITION_BENCH_SOURCE_SUITES, PARTITION_BENCH_INSTALLED_SUITES})
            if (std::filesystem::is_directory(dir)) { suites_dir = dir; break; }
    if (!suites_dir.empty()) {
        std::string error;
        suites = partition_bench::read_suites(suites_dir, error);
        if (!error.empty()) return fail(error);
    }
    auto recorded = [&](const std::string& name) -> const partition_bench::suite* {
        for (const auto& s : suites)
            if ("suite:" + s.name == name) return &s;
        return nullptr;
    };
    std::vector<std::string> named;
    for (auto& f : families) {
        if (f == "real suites") {
            if (suites.empty()) return fail("no recorded suites (in '" + suites_dir + "'; --suites DIR)");
            for (const auto& s : suites) named.push_back("suite:" + s.name);
        } else if (recorded(f) || !testr::bench::family(f, 2, 0).seconds.empty()) {
            named.push_back(f);
        } else {
            return fail("no family named '" + f + "'" + (f.rfind("suite:", 0) == 0 ? " in '" + suites_dir + "'" : ""));
        }
    }
    families = named;

    // Each source: a name and, per (workers, seed), an instance.
    std::vector<double> file_seconds;
    std::string file_source;
    if (!times_path.empty()) {
        if (auto e = partition_bench::read_times(times_path, file_seconds); !e.empty()) return fail(e);
        file_source = times_path;
    } else if (!durations_path.empty()) {
        if (auto e = partition_bench::read_durations(durations_path, file_seconds); !e.empty()) return fail(e);
        file_source = durations_path;
    } else if (families.empty()) {
        families = testr::bench::family_names();
        for (const auto& s : suites) families.push_back("suite:" + s.name);
    }

    const auto algorithms = testr::bench::builtin_partitioners();
    std::vector<row> rows;
    auto run_source = [&](const std::string& source, std::size_t m, auto make) {
        std::vector<row> r(algorithms.size() + 1);
        for (std::size_t a = 0; a <= algorithms.size(); ++a)
            r[a] = {source, a < algorithms.size() ? algorithms[a].first : partition_bench::dynamic_name, m};
        const int n = file_seconds.empty() ? seeds : 1;
        for (int seed = 0; seed < n; ++seed) {
            const testr::bench::instance in = make(static_cast<std::uint64_t>(seed));
            testr::bench::assignment balanced_plan;
            double bound = 0;
            for (std::size_t a = 0; a < algorithms.size(); ++a) {
                const auto s = testr::bench::evaluate(algorithms[a].second, in, cpu_seconds, 1);
                auto plan = algorithms[a].second(in.seconds, in.workers, in.group);
                const auto noisy = testr::bench::simulate_noise(in, plan, noise, static_cast<std::uint64_t>(seed) + 1, start_cost);
                bound = s.lower_bound;
                if (algorithms[a].first == "balanced") balanced_plan = plan;
                row& x = r[a];
                ++x.instances;
                x.exact += s.optimum.has_value();
                x.invalid += !s.valid;
                x.mean_ratio += s.ratio;
                x.max_ratio = std::max(x.max_ratio, s.ratio);
                x.mean_us += s.seconds_per_call * 1e6;
                x.noisy_ratio += bound > 0 ? noisy.static_makespan / bound : 1;
            }
            const auto dyn = testr::bench::simulate_noise(in, balanced_plan, noise, static_cast<std::uint64_t>(seed) + 1, start_cost);
            row& d = r.back();
            ++d.instances;
            d.noisy_ratio += bound > 0 ? dyn.dynamic_makespan / bound : 1;
        }
        for (auto& x : r) {
            x.mean_ratio /= double(x.instances);
            x.mean_us /= double(x.instances);
            x.noisy_ratio /= double(x.instances);
            rows.push_back(x);
        }
    };
    for (std::size_t m : worker_counts) {
        if (!file_seconds.empty()) {
            run_source(file_source, m, [&](std::uint64_t) { return testr::bench::instance{"file", m, file_seconds, {}}; });
            continue;
        }
        for (const auto& f : families)
            run_source(f, m, [&](std::uint64_t seed) {
                if (const auto* s = recorded(f)) return testr::bench::shaped(f, s->seconds, m, seed);
                return testr::bench::family(f, m, seed);
            });
    }

    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : rows) {
        nlohmann::json j{{"source", x.source}, {"workers", x.workers}, {"algorithm", x.algorithm},
                         {"instances", x.instances}, {"noisy_makespan_over_bound", x.noisy_ratio}};
        if (x.algorithm != partition_bench::dynamic_name)
            j.update({{"mean_ratio", x.mean_ratio}, {"max_ratio", x.max_ratio}, {"mean_us_per_call", x.mean_us},
                      {"exact_optimum_known", x.exact}, {"invalid", x.invalid}});
        out.push_back(j);
    }
    if (!svg_path.empty()) {
        std::ofstream f(svg_path);
        f << partition_bench::render_svg(rows, noise, file_seconds.empty() ? seeds : 1);
        if (!f) return fail("cannot write '" + svg_path + "'");
    }
    if (json_path == "-") {
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::printf("ratio: makespan / exact optimum where known (exact column), else / lower bound; "
                "noisy: real = estimate x exp(N(0, %g)), makespan / bound\n", noise);
    std::printf("%-20s %4s %-20s | %7s %7s | %10s | %6s | %7s\n", "source", "m", "algorithm", "mean", "max",
                "us/call", "exact", "noisy");
    for (const auto& x : rows) {
        if (x.algorithm == partition_bench::dynamic_name)
            std::printf("%-20.20s %4zu %-20s | %7s %7s | %10s | %6s | %7.4f\n", x.source.c_str(), x.workers,
                        x.algorithm.c_str(), "", "", "", "", x.noisy_ratio);
        else
            std::printf("%-20.20s %4zu %-20s | %7.4f %7.4f | %10.1f | %3zu/%-2zu | %7.4f%s\n", x.source.c_str(),
                        x.workers, x.algorithm.c_str(), x.mean_ratio, x.max_ratio, x.mean_us, x.exact, x.instances,
                        x.noisy_ratio, x.invalid ? "  INVALID" : "");
    }
    if (!json_path.empty()) {
        std::ofstream f(json_path);
        f << out.dump(2) << "\n";
        if (!f) return fail("cannot write '" + json_path + "'");
    }
    return 0;
}
