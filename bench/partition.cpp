// bench/partition: predicted makespan / lower bound and speed of the compat
// and balanced partitioners over generated instance families (adversarial,
// few per worker, moderate, grouped, dominated) and at scale.
//
//   build/bench/partition [--json FILE] [--seeds N] [--no-python]
//
// Ratios use the strongest sound lower bound (testr::makespan_lower_bound),
// or the exact optimum from testr/partition_bench.hpp where its search
// settles, so 1.000 means provably optimal. To score another partitioner,
// or your own suite's durations, use tools/partition-bench.
#include <testr/partition.hpp>
#include <testr/partition_bench.hpp>

#include <nlohmann/json.hpp>

#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <map>
#include <sys/resource.h>
#include <unistd.h>

namespace {

// CPU time of this thread, not wall time: the machine the figures come from
// is shared with other builds, and a descheduled partitioner is not a slow one.
double cpu_ms() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

// Minor page faults so far: each is a fresh page the call touches, a few
// microseconds apiece on a VM, and how many there are depends on what the
// allocator still holds from earlier calls, not on the partitioner alone.
long page_faults() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

struct instance {
    std::vector<std::string> ids;
    std::vector<double> durations;
    std::vector<std::string> group_of;  // empty = ungrouped
    std::size_t workers;
};

struct sample {
    double compat_ratio, balanced_ratio, compat_ms, balanced_ms;
    long balanced_faults;
    bool exact;  // the bound is the exact optimum
};

struct stats {
    double mean = 0, p95 = 0, max = 0;
};

stats summarize(std::vector<double> v) {
    stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    s.p95 = v[std::min(v.size() - 1, std::size_t(std::ceil(0.95 * double(v.size())) - 1))];
    s.max = v.back();
    return s;
}

std::vector<std::string> make_ids(std::size_t n) {
    std::vector<std::string> ids;
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        ids.push_back("project.module_" + std::to_string(i % 97) + ".TestCase_" + std::to_string(i / 97) +
                      ".test_behaviour_" + std::to_string(i));
    return ids;
}

sample measure(const instance& in) {
    auto by_pos = [&](std::size_t i, std::string_view) { return std::optional<double>(in.durations[i]); };
    std::unordered_map<std::string_view, std::string_view> key_of;
    for (std::size_t i = 0; i < in.group_of.size(); ++i) key_of.emplace(in.ids[i], in.group_of[i]);
    auto by_group = [&](std::string_view id) { return key_of.find(id)->second; };
    std::vector<std::string_view> keys(in.group_of.begin(), in.group_of.end());

    std::vector<double> weights;
    if (keys.empty()) {
        weights = in.durations;
    } else {
        std::map<std::string_view, double> sums;
        for (std::size_t i = 0; i < keys.size(); ++i) sums[keys[i]] += in.durations[i];
        for (auto& [k, v] : sums) weights.push_back(v);
    }
    double lb = testr::makespan_lower_bound(weights, in.workers);
    bool exact = false;

    sample s{};
    for (auto algo : {testr::partition_algorithm::compat, testr::partition_algorithm::balanced}) {
        const long f0 = page_faults();
        const double t0 = cpu_ms();
        auto plan = keys.empty() ? testr::partition(in.ids, in.workers, by_pos, testr::no_groups{}, {.algorithm = algo})
                                 : testr::partition(in.ids, in.workers, by_pos, by_group, {.algorithm = algo});
        const double ms = cpu_ms() - t0;
        const long faults = page_faults() - f0;
        if (!plan) {
            std::fprintf(stderr, "partition failed: %s\n", plan.error().message.c_str());
            std::exit(1);
        }
        if (algo == testr::partition_algorithm::compat) { s.compat_ratio = plan->makespan(); s.compat_ms = ms; }
        else { s.balanced_ratio = plan->makespan(); s.balanced_ms = ms; s.balanced_faults = faults; }
    }
    if (weights.size() <= 40 && in.workers <= 8) {
        if (auto opt = testr::bench::exact_optimum(weights, in.workers, std::min(s.compat_ratio, s.balanced_ratio), lb)) {
            lb = *opt;
            exact = true;
        }
    }
    s.compat_ratio /= lb;
    s.balanced_ratio /= lb;
    s.exact = exact;
    return s;
}

struct family_result {
    std::string family, variant;
    std::size_t workers;
    std::vector<sample> samples;
};

double python_time(const instance& in, const std::string& root) {
    nlohmann::json durations = nlohmann::json::object();
    for (std::size_t i = 0; i < in.ids.size(); ++i) durations[in.ids[i]] = in.durations[i];
    nlohmann::json j{{"ids", in.ids}, {"durations", durations}, {"concurrency", in.workers}};
    char path[] = "/tmp/testr-bench-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    std::ofstream(path) << j.dump();
    std::string cmd = "/usr/bin/python3 " + root + "/bench/partition_python.py " + path;
    FILE* p = popen(cmd.c_str(), "r");
    double t = -1;
    if (p && std::fscanf(p, "%lf", &t) != 1) t = -1;
    if (p) pclose(p);
    unlink(path);
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    std::string json_path;
    int seeds = 30;
    bool with_python = true;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--json" && i + 1 < argc) json_path = argv[++i];
        else if (a == "--seeds" && i + 1 < argc) seeds = std::atoi(argv[++i]);
        else if (a == "--no-python") with_python = false;
        else {
            std::fprintf(stderr, "usage: %s [--json FILE] [--seeds N] [--no-python]\n", argv[0]);
            return 2;
        }
    }
    const std::string root = std::getenv("TESTR_SOURCE_ROOT") ? std::getenv("TESTR_SOURCE_ROOT") : ".";
    std::vector<family_result> results;
    const std::vector<std::size_t> worker_counts{4, 8, 16, 32, 64};

    auto run_family = [&](const std::string& family, const std::string& variant, std::size_t m, auto make) {
        family_result fr{family, variant, m, {}};
        for (int seed = 0; seed < seeds; ++seed) {
            std::mt19937_64 rng(std::hash<std::string>{}(family + variant) ^ (m * 1000003u) ^ std::uint64_t(seed));
            fr.samples.push_back(measure(make(rng)));
        }
        results.push_back(std::move(fr));
    };

    for (auto m : worker_counts) {
        run_family("adversarial", "graham", m, [m](std::mt19937_64& rng) {
            instance in{{}, {}, {}, m};
            for (std::size_t v = 2 * m - 1; v > m; --v) in.durations.insert(in.durations.end(), {double(v), double(v)});
            in.durations.insert(in.durations.end(), {double(m), double(m), double(m)});
            std::shuffle(in.durations.begin(), in.durations.end(), rng);
            in.ids = make_ids(in.durations.size());
            return in;
        });
        for (auto [lo, family] : {std::pair{1.0, std::string("few")}, std::pair{20.0, std::string("few")}}) {
            (void)family;
            for (double per : {2.0, 2.5, 3.0, 5.0, 10.0}) {
                std::string fam = per <= 3.0 ? "few per worker" : "moderate";
                char variant[64];
                std::snprintf(variant, sizeof variant, "U[%g,100] n/m=%g", lo, per);
                run_family(fam, variant, m, [m, lo = lo, per](std::mt19937_64& rng) {
                    instance in{{}, {}, {}, m};
                    std::uniform_real_distribution<double> u(lo, 100);
                    auto n = std::size_t(std::llround(per * double(m)));
                    for (std::size_t i = 0; i < n; ++i) in.durations.push_back(u(rng));
                    in.ids = make_ids(n);
                    return in;
                });
            }
        }
        for (std::size_t g : {2u, 3u, 5u}) {
            run_family("grouped", "G=" + std::to_string(g) + "m", m, [m, g](std::mt19937_64& rng) {
                instance in{{}, {}, {}, m};
                std::uniform_int_distribution<std::size_t> per(50, 100);
                std::lognormal_distribution<double> d(-1.0, 1.0);
                std::size_t n = 0;
                for (std::size_t w = 0; w < m; ++w) n += per(rng);
                std::uniform_int_distribution<std::size_t> which(0, g * m - 1);
                for (std::size_t i = 0; i < n; ++i) {
                    in.durations.push_back(d(rng));
                    in.group_of.push_back("group" + std::to_string(which(rng)));
                }
                in.ids = make_ids(n);
                return in;
            });
        }
        run_family("dominated", "one long test", m, [m](std::mt19937_64& rng) {
            instance in{{}, {}, {}, m};
            std::uniform_real_distribution<double> u(1, 100);
            double total = 0;
            for (std::size_t i = 0; i < 5 * m; ++i) { in.durations.push_back(u(rng)); total += in.durations.back(); }
            in.durations.push_back(total / double(m) * 1.5);
            in.ids = make_ids(in.durations.size());
            return in;
        });
    }

    std::printf("%-16s %-20s %4s | %-23s | %-23s | %9s %9s %7s\n", "family", "variant", "m", "compat mean/p95/max",
                "balanced mean/p95/max", "compat ms", "bal. ms", "exact");
    nlohmann::json out = nlohmann::json::array();
    for (auto& fr : results) {
        std::vector<double> c, b, ct, bt;
        for (auto& s : fr.samples) { c.push_back(s.compat_ratio); b.push_back(s.balanced_ratio); ct.push_back(s.compat_ms); bt.push_back(s.balanced_ms); }
        auto cs = summarize(c), bs = summarize(b), cts = summarize(ct), bts = summarize(bt);
        std::size_t worse = 0, exact = 0;
        for (auto& s : fr.samples) worse += s.balanced_ratio > s.compat_ratio * (1 + 1e-12);
        for (auto& s : fr.samples) exact += s.exact;
        std::printf("%-16s %-20s %4zu | %.4f %.4f %.4f   | %.4f %.4f %.4f   | %9.3f %9.3f %5zu/%zu%s\n",
                    fr.family.c_str(), fr.variant.c_str(), fr.workers, cs.mean, cs.p95, cs.max, bs.mean, bs.p95, bs.max,
                    cts.mean, bts.mean, exact, fr.samples.size(), worse ? "  WORSE THAN COMPAT" : "");
        out.push_back({{"family", fr.family}, {"variant", fr.variant}, {"workers", fr.workers},
                       {"seeds", fr.samples.size()},
                       {"compat", {{"mean", cs.mean}, {"p95", cs.p95}, {"max", cs.max}, {"mean_ms", cts.mean}}},
                       {"balanced", {{"mean", bs.mean}, {"p95", bs.p95}, {"max", bs.max}, {"mean_ms", bts.mean}}},
                       {"balanced_worse_than_compat", worse}, {"bound_is_exact_optimum", exact}});
    }

    std::printf("\nscale (lognormal durations; best of 3 runs; faults: the best balanced run's page faults)\n"
                "%10s %4s | %10s %10s %8s | %8s %8s\n",
                "n", "m", "compat ms", "bal. ms", "faults", "compat", "balanced");
    nlohmann::json scale = nlohmann::json::array();
    for (std::size_t n : {1'000u, 10'000u, 100'000u, 1'000'000u}) {
        for (std::size_t m : {16u, 64u}) {
            std::mt19937_64 rng(n + m);
            std::lognormal_distribution<double> d(-1.0, 1.2);
            instance in{make_ids(n), {}, {}, m};
            for (std::size_t i = 0; i < n; ++i) in.durations.push_back(d(rng));
            sample best = measure(in);
            for (int r = 0; r < 2; ++r) {
                sample s = measure(in);
                best.compat_ms = std::min(best.compat_ms, s.compat_ms);
                if (s.balanced_ms < best.balanced_ms) {
                    best.balanced_ms = s.balanced_ms;
                    best.balanced_faults = s.balanced_faults;
                }
            }
            double py = (with_python && n == 100'000 && m == 16) ? python_time(in, root) : -1;
            std::printf("%10zu %4zu | %10.2f %10.2f %8ld | %8.5f %8.5f", n, m, best.compat_ms, best.balanced_ms,
                        best.balanced_faults, best.compat_ratio, best.balanced_ratio);
            if (py > 0) std::printf("   python original: %.1f ms (%.0fx balanced)", py * 1e3, py * 1e3 / best.balanced_ms);
            std::printf("\n");
            scale.push_back({{"n", n}, {"workers", m}, {"compat_ms", best.compat_ms}, {"balanced_ms", best.balanced_ms},
                             {"balanced_page_faults", best.balanced_faults},
                             {"compat_ratio", best.compat_ratio}, {"balanced_ratio", best.balanced_ratio},
                             {"python_ms", py > 0 ? nlohmann::json(py * 1e3) : nlohmann::json(nullptr)}});
        }
    }
    if (!json_path.empty()) {
        std::ofstream(json_path) << nlohmann::json{{"families", out}, {"scale", scale}}.dump(2) << "\n";
    }
    return 0;
}
