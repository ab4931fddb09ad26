// testr/concurrency.hpp - how many workers `run --parallel` starts.
//
// Order, as in testrepository: an explicit --concurrency N (N > 0), else the
// `test_run_concurrency` callout, else the CPUs this process may use (see
// cpu_limit.hpp), else 1. The core spawns nothing: the caller runs the
// callout and hands over what it printed and how it ended.
//
// Unlike testrepository, a callout answer of 0 means one partition per test,
// as the seed document says (docs/compat.md, "Concurrency").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cpu_limit.hpp"
#include "detail/text_scan.hpp"
#include "result.hpp"

namespace testr {

/// Upper bound on a callout's answer: far beyond any useful worker count, low
/// enough to catch a callout that prints a byte count or a timestamp.
inline constexpr unsigned max_concurrency = 65536;

/// What the `test_run_concurrency` command did, as captured by the caller.
struct callout_output {
    std::string out;      ///< everything it wrote to stdout
    std::string err;      ///< everything it wrote to stderr
    int exit_code = 0;    ///< exit status when it exited normally
    int term_signal = 0;  ///< the signal that killed it, 0 if none
    /// The caller's name for term_signal ("SIGTERM"), shown beside the
    /// number; the core asks no system tables.
    std::string signal_name = {};
};

/// A worker count, or "one partition per test" (the answer 0).
struct concurrency_answer {
    bool per_test = false;
    unsigned workers = 0;  ///< > 0 unless per_test

    static concurrency_answer one_per_test() { return {true, 0}; }
    static concurrency_answer of(unsigned n) { return {false, n}; }
    friend bool operator==(const concurrency_answer&, const concurrency_answer&) = default;
};

enum class concurrency_error_kind {
    exit_status,   ///< the callout exited non-zero
    signal,        ///< the callout was killed by a signal
    empty_output,  ///< nothing (or a blank first line) on stdout
    not_a_number,  ///< first line is not a decimal integer
    negative,      ///< first line is a negative integer
    out_of_range,  ///< first line exceeds max_concurrency
};

struct concurrency_error {
    concurrency_error_kind kind;
    std::string message;  ///< names the setting, what it printed and what is expected
};

namespace detail {

inline unexpected<concurrency_error> callout_failure(concurrency_error_kind kind, std::string what) {
    return {concurrency_error{kind, "test_run_concurrency " + std::move(what)}};
}

inline std::string stderr_suffix(std::string_view err) {
    const auto body = trim(err);
    if (body.empty()) return " (it wrote nothing to stderr)";
    return ", stderr: '" + excerpt(body, 2000) + "'";
}

}  // namespace detail

/// Interprets the callout's result: it must have exited 0 and printed, on
/// the first line of stdout, a decimal integer >= 0 (surrounding blanks
/// ignored, later lines ignored). 0 means one partition per test.
inline result<concurrency_answer, concurrency_error> interpret_callout(const callout_output& run) {
    using kind = concurrency_error_kind;
    constexpr std::string_view expected =
        "; it must print a whole number >= 0 on its first line (0 = one partition per test)";
    if (run.term_signal != 0) {
        const std::string name = run.signal_name.empty() ? std::string() : " (" + run.signal_name + ")";
        return detail::callout_failure(kind::signal, "was killed by signal " + std::to_string(run.term_signal) + name +
                                                         detail::stderr_suffix(run.err));
    }
    if (run.exit_code != 0)
        return detail::callout_failure(kind::exit_status, "failed: exit code " + std::to_string(run.exit_code) +
                                                              detail::stderr_suffix(run.err));
    const auto line = detail::trim(detail::first_line(run.out));
    if (line.empty()) {
        const auto what = detail::trim(run.out).empty() ? std::string("printed nothing on stdout")
                                                        : std::string("printed a blank first line");
        return detail::callout_failure(kind::empty_output, what + std::string(expected));
    }
    const auto shown = "printed '" + detail::excerpt(line) + "'";
    auto digits = line;
    const bool minus = digits.front() == '-';
    if (minus || digits.front() == '+') digits.remove_prefix(1);
    const auto number = detail::parse_u64(digits);
    if (number.status == detail::number_status::not_a_number)
        return detail::callout_failure(kind::not_a_number, shown + std::string(expected));
    if (minus && (number.status == detail::number_status::too_large || number.value != 0))
        return detail::callout_failure(kind::negative, shown + ": a worker count cannot be negative" +
                                                           std::string(expected));
    if (number.status == detail::number_status::too_large || number.value > max_concurrency)
        return detail::callout_failure(kind::out_of_range,
                                       shown + ": more than the " + std::to_string(max_concurrency) +
                                           " workers testr-mini supports");
    if (number.value == 0) return concurrency_answer::one_per_test();
    return concurrency_answer::of(static_cast<unsigned>(number.value));
}

/// Which rung of the resolution order decided.
enum class concurrency_source { option, callout, cpu_count, fallback };

/// "--concurrency", "test_run_concurrency", "cpu count", "default".
constexpr std::string_view to_string(concurrency_source source) {
    switch (source) {
        case concurrency_source::option: return "--concurrency";
        case concurrency_source::callout: return "test_run_concurrency";
        case concurrency_source::cpu_count: return "cpu count";
        case concurrency_source::fallback: return "default";
    }
    return "default";
}

struct concurrency_plan {
    concurrency_answer answer;
    concurrency_source source;
    friend bool operator==(const concurrency_plan&, const concurrency_plan&) = default;
};

using callout_result = result<concurrency_answer, concurrency_error>;

/// The worker plan. `explicit_n` is --concurrency (0 = not given); `callout`
/// is interpret_callout()'s verdict when test_run_concurrency is configured
/// (nullopt otherwise); `detected` is detect_cpus().count (0 = unknown).
/// A failed callout is an error, not a silent fall-through, unless an
/// explicit N made it irrelevant.
inline result<concurrency_plan, concurrency_error> resolve_concurrency(
    unsigned explicit_n, const std::optional<callout_result>& callout, unsigned detected) {
    if (explicit_n > 0) return concurrency_plan{concurrency_answer::of(explicit_n), concurrency_source::option};
    if (callout) {
        if (!*callout) return unexpected<concurrency_error>{callout->error()};
        return concurrency_plan{callout->value(), concurrency_source::callout};
    }
    if (detected > 0) return concurrency_plan{concurrency_answer::of(detected), concurrency_source::cpu_count};
    return concurrency_plan{concurrency_answer::of(1), concurrency_source::fallback};
}

}  // namespace testr
