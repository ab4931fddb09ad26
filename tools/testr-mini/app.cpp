// tools/testr-mini/app.cpp - see app.hpp.
#include "app.hpp"

#include "fd_io.hpp"
#include "legacy_repository.hpp"
#include "signals.hpp"

#include <testr/detail/py_text.hpp>

#include <cerrno>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <utility>
#include <unistd.h>

namespace testr::cli {

repo::repository app::open_repository() const {
    auto r = repo::open(here);
    // A stestr project without testr-mini's own repository: read stestr's.
    if (!r && r.error().code == repo::repo_errc::not_found)
        if (auto s = legacy::open_stestr(here)) return *s;
    if (!r) throw cli_error(r.error().message);
    return *r;
}

repo::repository app::open_or_init_repository(bool force_init) const {
    auto r = repo::open(here);
    if (!r && force_init && r.error().code == repo::repo_errc::not_found) {
        auto created = repo::init(here);
        // Another process's init won the race: its repository appeared
        // whole (init renames it into place), so open that one.
        if (!created && created.error().code == repo::repo_errc::exists)
            if (auto theirs = repo::open(here)) return *theirs;
        if (!created) throw cli_error(created.error().message);
        return *created;
    }
    if (!r) throw cli_error(r.error().message);
    return *r;
}

config::testr_conf app::load_config() const {
    const unsigned interrupts = process::interrupt_count();
    auto c = config::load_project(here);
    // A FIFO named .testr.conf may never be written: its read waits until
    // an interrupt, which is the user's answer, not a config error.
    if (!c && process::interrupt_count() != interrupts)
        throw cli_error("interrupted (" + process::signal_name(process::last_interrupt_signal()) + ") while reading " +
                            c.error().path + "; nothing was run or stored",
                        exit_interrupted);
    if (!c) throw cli_error(c.error().what());
    if (!c->note.empty() && !quiet) std::fprintf(stderr, "testr-mini: %s\n", c->note.c_str());
    return std::move(c->conf);
}

int put_stdout(std::string_view bytes) noexcept { return fd_io::write_all(STDOUT_FILENO, bytes); }

void write_stdout(std::string_view bytes) {
    const int err = put_stdout(bytes);
    // A closed pipe (`| head`) is the reader's choice, not our error.
    if (err == EPIPE) throw cli_error("stdout closed", exit_error);
    if (err) throw cli_error(std::string("cannot write to stdout: ") + std::strerror(err));
}

void write_stored_report(std::string_view bytes, unsigned id) noexcept {
    const int err = put_stdout(bytes);
    if (err == EPIPE) std::fprintf(stderr, "testr-mini: stdout closed; run %u is stored all the same\n", id);
    else if (err)
        std::fprintf(stderr, "testr-mini: cannot write to stdout: %s; run %u is stored all the same\n", std::strerror(err),
                     id);
}

unsigned latest_run(const repo::repository& r) {
    auto latest = repo::latest_id(r);
    if (!latest) throw cli_error(latest.error().message);
    if (!*latest) throw cli_error("No tests in repository");
    return **latest;
}

run_summary stored_summary(const repo::repository& r, unsigned id) {
    auto bytes = repo::read_run(r, id);
    if (!bytes) throw cli_error(bytes.error().message);
    auto s = summarize(bytes->view());
    if (!s) throw cli_error("run " + std::to_string(id) + ": " + s.error());
    return std::move(*s);
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    for (auto w : detail::py_split(text)) words.emplace_back(w);
    return words;
}

std::vector<std::string> filter_tags(const app& a) {
    auto conf = config::load(a.here + "/.testr.conf");
    if (!conf) return {};
    auto tags = conf->get("filter_tags");
    return tags ? split_words(*tags) : std::vector<std::string>{};
}

}  // namespace testr::cli
