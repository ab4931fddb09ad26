// tools/testr-mini/upgrade_command.cpp - see upgrade_command.hpp.
#include "upgrade_command.hpp"

#include <cstdio>
#include <string>
#include <unistd.h>

#include "legacy_repository.hpp"

namespace testr::cli {

int upgrade_command(const app& a) {
    auto r = legacy::upgrade(a.here);
    if (!r) throw cli_error(r.error().message);
    std::string out;
    if (r->finished_earlier) {
        out = "Finished an interrupted upgrade: .testrepository is format 2; the original is in " + r->kept + ".\n";
    } else {
        out = r->from_stestr ? "Made .testrepository (format 2) from stestr's .stestr"
                             : "Upgraded .testrepository to format 2";
        out += ", keeping runs: " + std::to_string(r->runs) + " (same ids), failing tests: " +
               std::to_string(r->failing) + ", durations: " + std::to_string(r->durations) + ".\n";
        out += r->from_stestr ? r->kept + " is left as it is, for stestr.\n"
                              : "The original is in " + r->kept +
                                    " (testr reads only that one; remove it when you no longer need it).\n";
    }
    if (!a.quiet) write_stdout(out);
    return exit_ok;
}

void offer_upgrade(const app& a) {
    auto r = repo::open(a.here);
    if (r && r->format == 2) return;
    if (!r && r.error().code != repo::repo_errc::bad_format) {
        // No .testrepository: stestr's .stestr may be there instead.
        auto s = legacy::open_stestr(a.here);
        if (!s) {
            // A stestr project with no repository at all: `stestr run`
            // creates its own, so this run creates ours.
            if (r.error().code == repo::repo_errc::not_found && ::access((a.here + "/.testr.conf").c_str(), F_OK) != 0 &&
                ::access((a.here + "/.stestr.conf").c_str(), F_OK) == 0) {
                auto made = repo::init(a.here);
                if (!made) throw cli_error(made.error().message);
                if (!a.quiet)
                    std::fprintf(stderr, "testr-mini: created %s for this stestr project (stestr run creates .stestr)\n",
                                 made->path().c_str());
            }
            return;
        }
        r = std::move(*s);
    }
    if (!r || r->format != 1) return;
    const std::string why = legacy::read_only(*r).message;
    if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDERR_FILENO) != 1) throw cli_error(why);
    std::fprintf(stderr, "testr-mini: %s\nUpgrade now? [y/N] ", why.c_str());
    std::fflush(stderr);
    char answer[16] = {};
    if (!std::fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
        throw cli_error("not upgraded; " + r->path() + " is as it was.");
    upgrade_command(a);
}

}  // namespace testr::cli
