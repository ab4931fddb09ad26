// adapters/junit_report.hpp - a run as JUnit XML, built from its events as
// they happen, for CI test tabs (GitLab, Jenkins, CircleCI...).
//
// An observer like any other: `run` adds it beside the stream sink, `last`
// and `load` feed it the events they decode. The document is rewritten
// atomically now and then during a run, so an interrupted or killed run
// leaves a complete, readable report of what had finished; it is streamed
// into the temporary file, never held whole. Mapping rules (suites,
// classname/name, file, xfail, retries, caps, the two schemas):
// docs/reports.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io_error.hpp"
#include "run_events.hpp"
#include "subunit_v2.hpp"
#include <testr/result.hpp>

namespace testr {

/// Which consumers' rules the document follows.
enum class junit_schema {
    /// What GitLab, CircleCI and Jenkins read, beyond Jenkins' schema:
    /// `file` and `<properties>` on testcases, skip reasons as `message`,
    /// `skipped` totals on the root, retries as Surefire's children.
    full,
    /// Valid under Jenkins' JUnit schema (junit-4.xsd), retried or not:
    /// what `full` adds beyond it is left out or said in text.
    jenkins,
};

struct junit_options {
    std::string path;  ///< the file written
    /// Per test and per element (failure text, system-out, system-err):
    /// bytes kept; the rest is cut with a note saying how much.
    std::size_t output_cap = 1 << 20;
    /// While results arrive: rewritten at the first one, then at most this
    /// often (seconds), and on an interrupt; 0: only by write().
    double rewrite_every = 2.0;
    /// Where `file` attributes are looked up (a Python module path that
    /// exists under it); empty: no `file` attributes.
    std::string source_root;
    /// A directory under source_root the modules live in ("src"): looked up
    /// there, and named with it ("src/pkg/mod.py"), as CI systems read
    /// paths from the checkout's top.
    std::string module_dir;
    /// For a classname no module file is found for: the file, with
    /// `{classname}` and `{path}` (the classname, dots as slashes) filled
    /// in; empty: no `file` attribute.
    std::string file_template;
    junit_schema schema = junit_schema::full;
};

class junit_report final : public run_observer {
public:
    explicit junit_report(junit_options options);

    void on(const events::stream_event& e) override;
    void on(const events::interrupted&) override;

    /// Every testcase is of this CI shard (`shard-K`): a run's own events
    /// get the tag only as they are stored, after observers see them.
    void set_shard(std::string_view tag) { default_shard_ = intern(tag); }

    /// The whole document, as it stands.
    std::string render() const;
    /// The document as render() makes it, handed to `emit` piece by piece
    /// (tens of KiB); stops at the first non-zero `emit` returns (an
    /// errno) and returns it.
    int render_to(const std::function<int(std::string_view)>& emit) const;
    /// Streams the document into a temporary beside the path, then renames
    /// it over the path.
    result<void, io_error> write();
    /// The first failed periodic rewrite, if any (write() reports its own).
    const std::optional<std::string>& rewrite_error() const noexcept { return rewrite_error_; }

private:
    // Most tests attach nothing: their text lives apart, only when there
    // is some, so a record per test stays small (100,000-test runs).
    struct attempt_text {
        std::string traceback, reason, out, err;
        std::size_t dropped_traceback = 0, dropped_reason = 0, dropped_out = 0, dropped_err = 0;
    };
    struct attempt_record {
        subunit::status status = subunit::status::none;  // none: no end event (yet)
        std::optional<subunit::timestamp> start, last;
        std::unique_ptr<attempt_text> text;
    };
    struct testcase {
        std::string id;
        std::uint16_t worker = 0, shard = 0;  ///< 1 + index in tags_; 0: none
        bool open = false;                    ///< `current` has no final status yet
        std::uint32_t attempts = 0;           ///< earlier.size() + 1 once it has begun
        attempt_record current;               ///< the last attempt
        std::vector<attempt_record> earlier;
    };

    attempt_record& open_attempt(testcase& t);
    void keep(std::string& into, std::size_t& dropped, std::string_view bytes) const;
    const std::string& file_for(std::string_view classname) const;
    std::uint16_t intern(std::string_view tag);

    junit_options options_;
    std::deque<testcase> tests_;  // a deque: index_ views the ids in place
    std::unordered_map<std::string_view, std::size_t> index_;
    std::vector<std::string> tags_;  // the worker-N and shard-K tags seen
    std::string hostname_;
    std::chrono::steady_clock::time_point last_write_{};
    bool written_ = false;  // the first result writes at once
    std::uint16_t default_shard_ = 0;
    std::optional<std::string> rewrite_error_;
    mutable std::unordered_map<std::string, std::string> files_;  // classname -> file ("" none)
};

}  // namespace testr
