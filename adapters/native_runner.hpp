// native_runner.hpp - a C++ test binary (GoogleTest, doctest, Catch2) as a
// worker_pool runner: the shell script that runs one or more processes of
// it in a slot, and the stream_reader turning their joined output into
// events with the suite's ids.
//
// One runner may be handed tests of several binaries; each binary (and
// each piece of a selection too long for one command line) is its own
// process, run one after the other by the runner's shell. After each, the
// shell prints a marker line with that process's exit status, so the reader
// knows where one process's output ends: a test still running there is
// failed with that status (the binary crashed under it), and the next
// process's ids take their own binary's prefix. docs/cpp.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "native_format.hpp"
#include "worker_pool.hpp"

namespace testr::native {

/// One process of a runner.
struct segment {
    std::string command;  ///< shell command running the binary, selection included
    std::string prefix;   ///< prepended to each id the binary reports ("bin::"); may be empty
};

struct runner_plan {
    framework format = framework::gtest;
    std::vector<segment> segments;
    /// Ids (with their prefix) reported as skipped before anything runs:
    /// selected tests the binary would not run (gtest's disabled ones).
    std::vector<std::string> not_run;
    /// Starts the line the shell prints after each process; unique to the
    /// run, so a test's output cannot pass for it by chance.
    std::string marker;
};

/// The highest exit status by which the framework says "tests failed"
/// rather than "I crashed": 1 for GoogleTest and doctest; Catch2 exits
/// with the number of failures, up to what a shell can tell from a signal.
int failure_exit_limit(framework f) noexcept;

/// The runner's shell script: each segment with stderr joined to stdout,
/// then the marker line; the script exits 0 unless a process exited above
/// failure_exit_limit (then with the last such status), so the engine
/// re-runs the tests a crash left unreported.
std::string runner_script(const runner_plan& plan);

/// The reader for a runner built from `plan` (see runner_script).
reader_factory runner_reader(runner_plan plan);

}  // namespace testr::native
