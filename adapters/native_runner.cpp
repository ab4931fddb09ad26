// native_runner.cpp - see native_runner.hpp.
#include "native_runner.hpp"

#include <charconv>
#include <chrono>
#include <testr/command_template.hpp>

#include "signals.hpp"

namespace testr::native {

int failure_exit_limit(framework f) noexcept { return f == framework::catch2 ? 125 : 1; }

std::string runner_script(const runner_plan& plan) {
    const std::string limit = std::to_string(failure_exit_limit(plan.format));
    std::string s = "rc=0\n";
    for (const auto& seg : plan.segments) {
        // The braces keep a command made of several (cd dir && bin ...)
        // under one redirection.
        s += "{ " + seg.command + "\n} 2>&1\n";
        s += "s=$?\nprintf '\\n%s %s\\n' " + shell_quote(plan.marker) + " \"$s\"\n";
        s += "[ \"$s\" -le " + limit + " ] || rc=$s\n";
    }
    s += "exit $rc\n";
    return s;
}

namespace {

/// What the shell's $? says about a process.
std::string describe_shell_status(int s) {
    if (s > 128 && s < 128 + 65) {
        const int sig = s - 128;
        return "killed by " + process::signal_name(sig) + " (exit status " + std::to_string(s) + ")";
    }
    if (s == 127) return "exit status 127: the shell could not find the command";
    if (s == 126) return "exit status 126: the shell could not run the command";
    return "exit status " + std::to_string(s);
}

class reader final : public stream_reader {
public:
    reader(runner_plan plan, subunit::decoder::handler emit)
        : plan_(std::move(plan)),
          emit_(std::move(emit)),
          decoder_(plan_.format, [this](const subunit::event_view& e, std::string_view raw) { forward(e, raw); }) {}

    void feed(std::string_view bytes) override {
        report_not_run_once();
        while (!bytes.empty()) {
            auto nl = bytes.find('\n');
            if (nl == std::string_view::npos) {
                pending_.append(bytes);
                return;
            }
            if (pending_.empty()) {
                line(bytes.substr(0, nl + 1));
            } else {
                pending_.append(bytes.substr(0, nl + 1));
                std::string whole = std::move(pending_);
                pending_.clear();
                line(whole);
            }
            bytes.remove_prefix(nl + 1);
        }
    }

    bool finish(const process::exit_status* status, bool stopped) override {
        report_not_run_once();
        if (held_blank_) decoder_.feed("\n");
        held_blank_ = false;
        if (!pending_.empty()) decoder_.feed(pending_);
        pending_.clear();
        // No marker: the runner itself was stopped or killed while this
        // process ran. Whoever ended it reports how the test ended; the
        // test keeps what it printed.
        const bool was_running = decoder_.running();
        decoder_.abandon();
        if (stopped || !status) return true;
        if (ended_ == plan_.segments.size()) return unexplained_;
        return unexplained_ || !was_running;
    }

private:
    void report_not_run_once() {
        if (not_run_done_) return;
        not_run_done_ = true;
        const auto at = subunit::to_timestamp(std::chrono::system_clock::now());
        for (const auto& id : plan_.not_run) report_not_run(id, "disabled", emit_, at);
    }

    void line(std::string_view text) {
        if (text.starts_with(plan_.marker) && text.size() > plan_.marker.size() && text[plan_.marker.size()] == ' ') {
            held_blank_ = false;  // the shell's own, before the marker
            end_segment(text.substr(plan_.marker.size() + 1));
            return;
        }
        if (held_blank_) decoder_.feed("\n");
        held_blank_ = text == "\n";
        if (!held_blank_) decoder_.feed(text);
    }

    void end_segment(std::string_view status_text) {
        int s = 0;
        while (!status_text.empty() && (status_text.back() == '\n' || status_text.back() == '\r'))
            status_text.remove_suffix(1);
        std::from_chars(status_text.data(), status_text.data() + status_text.size(), s);
        const bool was_running = decoder_.running();
        decoder_.finish(describe_shell_status(s));
        // doctest and Catch2 catch the signal, fail the test they were in
        // and die: that test explains the status.
        if (s > failure_exit_limit(plan_.format) && !was_running && !last_failed_) unexplained_ = true;
        last_failed_ = false;
        ++ended_;
        if (segment_ + 1 < plan_.segments.size()) ++segment_;
    }

    void forward(const subunit::event_view& e, std::string_view raw) {
        if (e.test_id && e.test_status != subunit::status::inprogress && e.test_status != subunit::status::none &&
            e.test_status != subunit::status::exists)
            last_failed_ = e.test_status == subunit::status::fail;
        const std::string& prefix = plan_.segments.empty() ? empty_ : plan_.segments[segment_].prefix;
        if (!e.test_id || prefix.empty()) {
            emit_(e, raw);
            return;
        }
        subunit::event_view copy = e;
        id_.assign(prefix).append(*e.test_id);
        copy.test_id = id_;
        emit_(copy, raw);
    }

    runner_plan plan_;
    subunit::decoder::handler emit_;
    output_decoder decoder_;
    std::string pending_;
    std::string id_;
    const std::string empty_;
    std::size_t segment_ = 0;
    std::size_t ended_ = 0;  // processes whose marker line came
    bool held_blank_ = false;
    bool not_run_done_ = false;
    bool unexplained_ = false;
    bool last_failed_ = false;  // the last test this process reported failed
};

}  // namespace

reader_factory runner_reader(runner_plan plan) {
    return [plan = std::move(plan)](subunit::decoder::handler emit) -> std::unique_ptr<stream_reader> {
        return std::make_unique<reader>(plan, std::move(emit));
    };
}

}  // namespace testr::native
