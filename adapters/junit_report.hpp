// adapters/junit_report.hpp - a run as JUnit XML, built from its events as
// they happen, for CI test tabs (GitLab, Jenkins, CircleCI...).
//
// An observer like any other: `run` adds it beside the stream sink, `last`
// and `load` feed it the events they decode. The document is rewritten
// atomically now and then during a run, so an interrupted or killed run
// leaves a complete, readable report of what had finished. Mapping rules
// (suites, classname/name, file, xfail, retries, caps): docs/reports.md.
#pragma once

#include <chrono>
#include <cstddef>
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
};

class junit_report final : public run_observer {
public:
    explicit junit_report(junit_options options);

    void on(const events::stream_event& e) override;
    void on(const events::interrupted&) override;

    /// Every testcase is of this CI shard (`shard-K`): a run's own events
    /// get the tag only as they are stored, after observers see them.
    void set_shard(std::string tag) { shard_ = std::move(tag); }

    /// The whole document, as it stands.
    std::string render() const;
    /// Writes render() to the path atomically.
    result<void, io_error> write();
    /// The first failed periodic rewrite, if any (write() reports its own).
    const std::optional<std::string>& rewrite_error() const noexcept { return rewrite_error_; }

private:
    struct attempt_record {
        subunit::status status = subunit::status::none;  // none: no end event (yet)
        std::optional<subunit::timestamp> start, last;
        std::string traceback, reason, out, err;
        std::size_t dropped_traceback = 0, dropped_out = 0, dropped_err = 0;
    };
    struct testcase {
        std::string id;
        std::string worker;
        std::string shard;  ///< the shard-K tag of a CI shard's events
        std::vector<attempt_record> attempts;  // the last one may be open
        bool open = false;
    };

    attempt_record& open_attempt(testcase& t);
    void keep(std::string& into, std::size_t& dropped, std::string_view bytes) const;
    const std::string& file_for(std::string_view classname) const;

    junit_options options_;
    std::vector<testcase> tests_;
    std::unordered_map<std::string, std::size_t> index_;
    std::string hostname_;
    std::chrono::steady_clock::time_point last_write_{};
    bool written_ = false;  // the first result writes at once
    std::string shard_;
    std::optional<std::string> rewrite_error_;
    mutable std::unordered_map<std::string, std::string> files_;  // classname -> file ("" none)
};

}  // namespace testr
