// The adapters consumer: built by tests/consumer/run.sh through the meson
// subproject, pkg-config and CMake (testr::adapters), linked against the
// installed libtestr-adapters.a. A subunit round trip, a duration store
// parsed from text, and a child process.
#include <cstdio>
#include <string>

#include "process.hpp"
#include "subunit_v2.hpp"
#include "timesdb.hpp"

int main() {
    testr::subunit::event e;
    e.test_id = "pkg.test_one";
    e.test_status = testr::subunit::status::success;
    std::string bytes;
    if (!testr::subunit::encode(e, bytes)) return 1;
    int seen = 0;
    testr::subunit::decoder d([&](const testr::subunit::event_view& v, std::string_view) {
        seen += v.test_id == std::string_view("pkg.test_one") && v.test_status == testr::subunit::status::success;
    });
    d.feed(bytes);
    d.finish();

    testr::timesdb::database db;
    db.add({"pkg.test_one", 0.5, true});
    auto back = testr::timesdb::parse(db.serialize(), "memory");
    if (!back || !back->estimate("pkg.test_one")) return 1;

    auto child = testr::process::run_capture({"/bin/echo", "hello"});
    if (!child || child->out != "hello\n") return 1;
    std::printf("adapters consumer ok: %d event, estimate %g s, child said %s", seen,
                *back->estimate("pkg.test_one"), child->out.c_str());
    return seen == 1 ? 0 : 1;
}
