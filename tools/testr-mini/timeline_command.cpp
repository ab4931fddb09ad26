// tools/testr-mini/timeline_command.cpp - see timeline_command.hpp.
#include "timeline_command.hpp"

#include <cstdio>

#include "atomic_file.hpp"
#include "repository.hpp"
#include "timeline_svg.hpp"

namespace testr::cli {

int timeline_command(const app& a, const std::string& path, std::optional<unsigned> id) {
    repo::repository r = a.open_repository();
    if (!id) id = latest_run(r);
    auto bytes = repo::read_run(r, *id);
    if (!bytes) throw cli_error(bytes.error().message);
    const timeline t = timeline_from_stream(bytes->view());
    const std::string svg = render_timeline_svg(t.bars, t.workers, "testr-mini run " + std::to_string(*id), t.seconds);
    if (auto ok = write_file_atomically(path, svg); !ok) throw cli_error(ok.error().message());
    if (!a.quiet) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.3f", t.seconds);
        write_stdout("Timeline of run " + std::to_string(*id) + " (" + std::to_string(t.bars.size()) + " test runs, " +
                     std::to_string(t.workers) + " workers, " + secs + " s) written to " + path + "\n");
    }
    return exit_ok;
}

}  // namespace testr::cli
