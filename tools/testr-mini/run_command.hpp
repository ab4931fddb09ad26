// tools/testr-mini/run_command.hpp - `run`: prepare, plan, execute, commit,
// report.
#pragma once

#include <chrono>
#include <memory>

#include "app.hpp"
#include "prestart_backend.hpp"
#include "run_options.hpp"

namespace testr::cli {

int run_tests(const app& a, const run_options& o);

struct prepared;
struct run_reports;
/// One run of what `p` selected: planned, executed, committed, reported
/// (on the console and into `reports`); the exit status `run` gives it.
/// `prestarted`: its runners, already starting since `began` (else they
/// start here, when `p` says so).
int run_once(const app& a, const run_options& o, const prepared& p, const run_reports& reports,
             std::unique_ptr<prestart_backend> prestarted = nullptr,
             std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now());

}  // namespace testr::cli
