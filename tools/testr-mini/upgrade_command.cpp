// tools/testr-mini/upgrade_command.cpp - see upgrade_command.hpp.
#include "upgrade_command.hpp"

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

}  // namespace testr::cli
