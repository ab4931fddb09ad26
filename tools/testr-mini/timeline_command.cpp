// tools/testr-mini/timeline_command.cpp - see timeline_command.hpp.
#include "timeline_command.hpp"

#include "atomic_file.hpp"
#include "run_summary.hpp"
#include "timeline_svg.hpp"

namespace testr::cli {

int timeline_command(const app& a, const std::string& path, std::optional<unsigned> id) {
    repo::repository r = a.open_repository();
    if (!id) id = latest_run(r);
    const run_summary run = stored_summary(r, *id);
    const auto origin = run.first_time();
    std::vector<timeline_bar> bars;
    std::size_t workers = 0;
    for (const auto& t : run.tests()) {
        if (!t.started || !t.stopped || !origin) continue;
        timeline_bar b;
        b.worker = t.worker < 0 ? 0u : static_cast<unsigned>(t.worker);
        b.start = std::chrono::duration<double>(subunit::elapsed(*origin, *t.started)).count();
        b.stop = std::chrono::duration<double>(subunit::elapsed(*origin, *t.stopped)).count();
        b.id = t.id;
        b.status = t.status;
        workers = std::max<std::size_t>(workers, b.worker + 1);
        bars.push_back(std::move(b));
    }
    const std::string svg = render_timeline_svg(bars, workers, "testr-mini run " + std::to_string(*id));
    if (auto ok = write_file_atomically(path, svg); !ok) throw cli_error(ok.error().message());
    if (!a.quiet)
        write_stdout("Timeline of run " + std::to_string(*id) + " (" + std::to_string(bars.size()) + " tests, " +
                     std::to_string(workers) + " workers) written to " + path + "\n");
    return exit_ok;
}

}  // namespace testr::cli
