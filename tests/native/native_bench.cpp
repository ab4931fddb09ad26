// native_bench FRAMEWORK BINARY: what running a test binary through
// adapters/native_format.hpp costs beside running it directly. Prints one
// JSON object: tests, invocations, and wall milliseconds for the direct run
// (output read and dropped), the listing, the adapter's run (selection of
// every listed test, output decoded) and the decoding alone.
#include "native_format.hpp"
#include "process.hpp"

#include <chrono>
#include <cstdio>
#include <string>

using clk = std::chrono::steady_clock;

static double ms(clk::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

static bool run(const std::vector<std::string>& argv, const std::function<void(std::string_view)>& on) {
    testr::process::loop loop;
    bool ok = true;
    testr::process::callbacks cb;
    cb.on_output = [&](testr::process::child_id, testr::process::stream, std::string_view b) { on(b); };
    auto id = loop.spawn(argv, {}, cb);
    if (!id) return false;
    ok = loop.run().has_value();
    return ok;
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: native_bench gtest|doctest|catch2 BINARY\n");
        return 2;
    }
    auto f = testr::native::parse_framework(argv[1]);
    if (!f) return 2;
    const std::string bin = argv[2];
    auto with = [&](std::vector<std::string> a, const std::vector<std::string>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    auto t0 = clk::now();
    run(with({bin}, testr::native::run_args(*f)), [](std::string_view) {});
    auto direct = clk::now() - t0;

    std::string listing;
    t0 = clk::now();
    run(with({bin}, testr::native::list_args(*f)), [&](std::string_view b) { listing.append(b); });
    auto listed = testr::native::parse_listing(*f, listing);
    auto list_time = clk::now() - t0;
    if (!listed) {
        std::fprintf(stderr, "%s\n", listed.error().message.c_str());
        return 1;
    }
    std::vector<std::string> ids;
    for (auto& t : listed.value()) ids.push_back(t.id);

    std::size_t results = 0;
    clk::duration decode{};
    testr::native::output_decoder dec(*f, [&](const testr::subunit::event_view& e, std::string_view) {
        if (e.test_id && !e.file_name && e.test_status != testr::subunit::status::inprogress) ++results;
    });
    auto sel = testr::native::select(*f, ids);
    if (!sel) return 1;
    t0 = clk::now();
    for (auto& inv : sel.value()) {
        // Catch2's file selection is not measured here.
        run(with(with({bin}, testr::native::run_args(*f)), inv.args), [&](std::string_view b) {
            auto d0 = clk::now();
            dec.feed(b);
            decode += clk::now() - d0;
        });
        dec.finish();
    }
    auto adapter = clk::now() - t0;
    std::printf("{\"tests\": %zu, \"results\": %zu, \"invocations\": %zu, \"direct_ms\": %.1f, \"list_ms\": %.1f, "
                "\"adapter_run_ms\": %.1f, \"decode_ms\": %.1f}\n",
                ids.size(), results, sel.value().size(), ms(direct), ms(list_time), ms(adapter), ms(decode));
    return 0;
}
