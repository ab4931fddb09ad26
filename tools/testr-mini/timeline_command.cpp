// tools/testr-mini/timeline_command.cpp - see timeline_command.hpp.
#include "timeline_command.hpp"

#include <cinttypes>
#include <cstdio>

#include "atomic_file.hpp"
#include "file_bytes.hpp"
#include "repository.hpp"
#include "timeline_svg.hpp"

namespace testr::cli {

namespace {

std::string span_file(const repo::repository& r, unsigned id) { return r.file(std::to_string(id) + ".span"); }

/// "SECONDS.NANOSECONDS SECONDS.NANOSECONDS\n" since the epoch; nullopt
/// when missing or not that (a run stored by `load`, or by testr).
std::optional<run_span> read_run_span(const repo::repository& r, unsigned id) {
    auto bytes = read_file_bytes(span_file(r, id));
    if (!bytes) return std::nullopt;
    const std::string text(bytes->view());
    std::int64_t s0 = 0, s1 = 0;
    std::uint32_t n0 = 0, n1 = 0;
    int used = 0;
    if (std::sscanf(text.c_str(), "%" SCNd64 ".%9" SCNu32 " %" SCNd64 ".%9" SCNu32 "\n%n", &s0, &n0, &s1, &n1, &used) != 4 ||
        static_cast<std::size_t>(used) != text.size() || n0 > 999999999 || n1 > 999999999)
        return std::nullopt;
    return run_span{{s0, n0}, {s1, n1}};
}

}  // namespace

void record_run_span(const repo::repository& r, unsigned id, std::chrono::system_clock::time_point began,
                     std::chrono::system_clock::time_point ended) {
    const auto b = subunit::to_timestamp(began), e = subunit::to_timestamp(ended);
    char text[96];
    std::snprintf(text, sizeof text, "%" PRId64 ".%09" PRIu32 " %" PRId64 ".%09" PRIu32 "\n", b.seconds, b.nanoseconds,
                  e.seconds, e.nanoseconds);
    if (auto ok = replace_file_unsynced(span_file(r, id), text); !ok)
        std::fprintf(stderr, "testr-mini: warning: run %u was stored, but not when it began and ended: %s\n", id,
                     ok.error().message().c_str());
}

int timeline_command(const app& a, const std::string& path, std::optional<unsigned> id) {
    repo::repository r = a.open_repository();
    if (!id) id = latest_run(r);
    auto bytes = repo::read_run(r, *id);
    if (!bytes) throw cli_error(bytes.error().message);
    const timeline t = timeline_from_stream(bytes->view(), read_run_span(r, *id));
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
