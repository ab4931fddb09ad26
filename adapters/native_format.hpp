// native_format.hpp - C++ test binaries (GoogleTest, doctest, Catch2) as
// test runners: how to list their tests, how to select some, and how to turn
// what they print into subunit v2 events, live.
//
// Nothing here starts a process: the caller runs the binary with the argv
// pieces given here and feeds its output (stdout and stderr merged, so what a
// test prints on either lands in that test) to an output_decoder.
// docs/native.md describes each framework's mapping.
#pragma once

#include "subunit_v2.hpp"

#include <testr/result.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace testr::native {

enum class framework : std::uint8_t { gtest, doctest, catch2 };

/// "gtest", "doctest", "catch2" (the `test_format=` values); nullopt otherwise.
std::optional<framework> parse_framework(std::string_view name) noexcept;
std::string_view to_string(framework f) noexcept;

/// One test as the binary's listing names it.
struct listed_test {
    std::string id;     ///< what select() takes and the decoder reports
    bool disabled = false;  ///< gtest DISABLED_: listed, but the binary runs it only when asked
    std::string note;   ///< gtest "GetParam() = 3" / "TypeParam = int"; else empty
};

/// Arguments appended to the binary's command to make it list its tests.
std::vector<std::string> list_args(framework f);

/// The tests in a listing's output (stdout). Fails, naming the line, on
/// output that is not that framework's listing (e.g. a gtest binary run as
/// doctest).
result<std::vector<listed_test>> parse_listing(framework f, std::string_view output);

/// Arguments appended to every run so that its output is what the decoder
/// reads (gtest: no colour; doctest and Catch2: the XML reporter with
/// durations; doctest: case-sensitive names).
std::vector<std::string> run_args(framework f);

/// One process's worth of selection.
struct invocation {
    std::vector<std::string> args;  ///< appended after run_args()
    /// Catch2: the selection goes in a file (its --input-file); the caller
    /// writes these bytes to a file and appends file_args(f, path). Empty
    /// for the frameworks that take the selection on the command line.
    std::string file_contents;
};

/// Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN);
/// stay well below it.
inline constexpr std::size_t default_max_arg_bytes = 96 * 1024;

/// Selects exactly `ids` (in the binary's own order, which the frameworks
/// keep whatever the filter's order), split into as many invocations as
/// needed so that no argument exceeds `max_arg_bytes`. No ids: no
/// invocation. Fails on an id the framework cannot select (one holding a
/// newline, or longer than max_arg_bytes on its own).
///
/// A gtest id holding a character the filter syntax reserves (`*?:-`) is
/// matched by `?` at that position, so it may also select a neighbour that
/// differs only there; GoogleTest's own names never hold them.
result<std::vector<invocation>> select(framework f, std::span<const std::string> ids,
                                       std::size_t max_arg_bytes = default_max_arg_bytes);

/// The arguments that pass an invocation's file_contents, written to `path`.
std::vector<std::string> file_args(framework f, std::string_view path);

/// The clock stamped on events; the system clock unless a test supplies one.
using clock_fn = std::function<subunit::timestamp()>;

/// Reports a test that is not run as skipped (inprogress, file "reason",
/// skip, both stamped `at`): what a run path does for listed tests marked
/// disabled, which GoogleTest does not run (and, when a whole suite is
/// disabled, does not mention) even when its filter names them.
void report_not_run(std::string_view id, std::string_view reason, const subunit::decoder::handler& on_event,
                    subunit::timestamp at);

/// Streaming reader of one run's output (stdout and stderr merged).
///
/// Calls the handler, in order, for each test as it goes:
///   - inprogress (test id, time) when the test starts;
///   - file "stdout" (text/plain;charset=utf8, eof) with what the test
///     printed, when it printed anything;
///   - file "traceback" (text/plain;charset=utf8, eof) with its failure
///     messages, each starting "FILE:LINE: ", when it has any;
///   - the final status (success, fail, skip) with its time. doctest and
///     Catch2 report each test's duration and buffer their output, so there
///     the final time is the start time plus that duration; GoogleTest
///     flushes each line and ends its result line with " (N ms)": the start
///     time plus that, or the line's arrival time without it.
///   - gtest only: a selected disabled test that GoogleTest mentions
///     ("[ DISABLED ]") is reported as skipped, with a "reason" file.
/// Output outside any test that is not the framework's own chatter becomes
/// a file "stdout" event with no test id. `raw` is the output text the event
/// was read from (the protocol line for status events; empty for
/// attachments, whose bytes are their content).
///
/// feed() takes chunks split anywhere. finish(why) ends the stream: a test
/// still running (the binary crashed, hung and was killed, or exited
/// mid-test) is reported as failing, its traceback saying it did not finish
/// and `why` (e.g. "killed by signal 11"), with what it printed attached.
/// The decoder is then ready for another run. The handler must not call
/// back into the decoder.
class output_decoder {
public:
    using handler = subunit::decoder::handler;

    output_decoder(framework f, handler on_event, clock_fn now = {});
    ~output_decoder();
    output_decoder(output_decoder&&) noexcept;
    output_decoder& operator=(output_decoder&&) noexcept;

    void feed(std::string_view bytes);
    void finish(std::string_view why = {});
    /// Ends the stream like finish(), but a test still running gets only
    /// what it printed (file "stdout", and "traceback" with its failure
    /// messages so far), no final status: for a caller that reports how
    /// the test ended itself (a timeout it imposed).
    void abandon();
    /// A test has started and not ended.
    bool running() const noexcept;

    /// Tests whose final status has been reported since the last finish().
    std::size_t completed() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace testr::native
