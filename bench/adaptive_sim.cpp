// bench/adaptive_sim.cpp - the dynamic scheduler on a fake clock, beside the
// static partitioning and testrepository's, over the generated families of
// tests/schedule_sim.hpp: makespan / ideal, mean and worst over seeds.
//
//   build/bench/adaptive_sim [--seeds N] [--planned F] [--chunk-factor F] [--hedge F] [--guessed-planned F] [--min-chunk S]
//                          [--start S]   (a runner's start cost; default 0.1 s, expensive 0.5 s) [--stagger F]
#include "../tests/schedule_sim.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    std::size_t seeds = 20;
    testr::dynamic_options opt;
    double start = -1;
    for (int a = 1; a + 1 < argc; a += 2) {
        if (!std::strcmp(argv[a], "--seeds")) seeds = std::strtoul(argv[a + 1], nullptr, 10);
        else if (!std::strcmp(argv[a], "--planned")) opt.planned_fraction = std::atof(argv[a + 1]);
        else if (!std::strcmp(argv[a], "--chunk-factor")) opt.chunk_factor = std::atof(argv[a + 1]);
        else if (!std::strcmp(argv[a], "--min-chunk")) opt.min_chunk = std::atof(argv[a + 1]);
        else if (!std::strcmp(argv[a], "--hedge")) opt.hedge = std::atof(argv[a + 1]);
        else if (!std::strcmp(argv[a], "--start")) start = std::atof(argv[a + 1]);
        else if (!std::strcmp(argv[a], "--stagger")) opt.stagger = std::atof(argv[a + 1]);
        else if (!std::strcmp(argv[a], "--guessed-planned")) opt.guessed_planned_fraction = std::atof(argv[a + 1]);
        else { std::fprintf(stderr, "usage: %s [--seeds N] [--planned F] [--chunk-factor F] [--hedge F] [--guessed-planned F] [--min-chunk S] [--start S] [--stagger F]\n", argv[0]); return 2; }
    }
    std::printf("| family | workers | dynamic mean | dynamic worst | runners/worker | static mean | static worst | original mean | original worst |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& family : sim::families()) {
        for (std::size_t workers : {4u, 8u}) {
            double sum[3] = {}, worst[3] = {}, runners = 0;
            for (std::size_t seed = 1; seed <= seeds; ++seed) {
                auto s = sim::make_suite(family, workers, seed, start);
                sim::outcome o[3] = {sim::run_dynamic(s, workers, opt), sim::run_static(s, workers),
                                     sim::run_original(s, workers)};
                for (int k = 0; k < 3; ++k) {
                    sum[k] += o[k].ratio;
                    worst[k] = std::max(worst[k], o[k].ratio);
                }
                runners += static_cast<double>(o[0].runners) / static_cast<double>(workers);
            }
            const double n = static_cast<double>(seeds);
            std::printf("| %s | %zu | %.3f | %.3f | %.2f | %.3f | %.3f | %.3f | %.3f |\n", family.c_str(), workers,
                        sum[0] / n, worst[0], runners / n, sum[1] / n, worst[1], sum[2] / n, worst[2]);
        }
    }
}
