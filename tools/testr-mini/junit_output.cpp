// tools/testr-mini/junit_output.cpp - see junit_output.hpp.
#include "junit_output.hpp"

#include <cstdio>

#include "subunit_v2.hpp"

namespace testr::cli {

std::unique_ptr<junit_report> make_junit(const app& a, const std::string& path, bool live) {
    junit_options o;
    o.path = path;
    o.source_root = a.here;
    // Optional: a report can be written where .testr.conf is unreadable.
    if (auto conf = config::load_project(a.here)) {
        o.module_dir = conf->conf.get("junit_module_dir").value_or("");
        while (o.module_dir.size() > 1 && o.module_dir.back() == '/') o.module_dir.pop_back();
        o.file_template = conf->conf.get("junit_file").value_or("");
    }
    o.rewrite_every = live ? 2.0 : 0;
    o.schema = a.junit_schema == "jenkins" ? junit_schema::jenkins : junit_schema::full;
    return std::make_unique<junit_report>(std::move(o));
}

bool finish_junit(junit_report& report, const std::string& path) {
    auto ok = report.write();
    if (ok && !report.rewrite_error()) return true;
    const std::string why = ok ? *report.rewrite_error() : ok.error().message();
    std::fprintf(stderr, "testr-mini: cannot write the JUnit report %s: %s\n", path.c_str(), why.c_str());
    return false;
}

void junit_of_stream(const app& a, const std::string& path, std::string_view stream) {
    auto report = make_junit(a, path, false);
    subunit::decoder decoder([&](const subunit::event_view& e, std::string_view raw) {
        report->on(events::stream_event{0, e, raw});
    });
    decoder.feed(stream);
    decoder.finish();
    if (auto ok = report->write(); !ok) throw cli_error("cannot write the JUnit report: " + ok.error().message());
}

}  // namespace testr::cli
