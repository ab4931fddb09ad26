// tools/testr-mini/prestart.cpp - see prestart.hpp.
#include "prestart.hpp"

#include <algorithm>
#include <cstdio>

#include <testr/command_template.hpp>

#include "atomic_file.hpp"
#include "file_bytes.hpp"
#include "prepare.hpp"
#include "runner_commands.hpp"

namespace testr::cli {

namespace {

constexpr const char* refused_file = "prestart-refused";

bool says_no(std::string value) {
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
    return value == "0" || value == "no" || value == "false" || value == "off";
}

/// The remembered refusal's reason, when it is this test_command's.
std::optional<std::string> remembered(const prepared& p) {
    if (!p.repository) return std::nullopt;
    auto bytes = read_file_bytes(p.repository->file(refused_file));
    if (!bytes) return std::nullopt;
    const std::string_view text = bytes->view();
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos || text.substr(0, nl) != p.settings.test_command) return std::nullopt;
    std::string why(text.substr(nl + 1));
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return why;
}

}  // namespace

prestart_choice choose_prestart(const run_options& o, const prepared& p, bool listed) {
    auto off = [](std::string why) { return prestart_choice{false, std::move(why)}; };
    if (!o.prestart) return off("run --no-prestart");
    if (auto v = p.conf.get("test_prestart"); v && says_no(*v)) return off("test_prestart=" + *v + " in .testr.conf");
    if (!listed) return off("the tests are not listed, so the runner takes no ids");
    if (p.concurrency.answer.per_test) return off("one runner per test (concurrency per test)");
    if (p.environments) return off("instance_execute passes the id file to another environment");
    if (p.native) return off("a C++ test binary suite (test_format): its runners are shell scripts over the binaries");
    const std::vector<std::string_view> none;
    auto probe = run_command_for(p.settings, &none, "IDFILE");
    if (!probe || !probe->needs_idfile) return off("test_command takes no $IDFILE");
    if (probe->lists_ids) return off("test_command spells the ids on its command line ($IDLIST)");
    if (auto why = remembered(p))
        return off("this test_command did not read its id pipe before (" + *why + "; .testrepository/" +
                   refused_file + " remembers it)");
    return {true, {}};
}

std::unique_ptr<prestart_backend> prestart_runners(const std::string& here, const prepared& p) {
    if (!p.prestart.on) return nullptr;
    prestart_options opts;
    opts.slots = p.concurrency.answer.workers;
    // Long enough for a heavy import on a loaded machine, short enough that
    // a runner that will never read its pipe costs one wait, not a hang.
    const double start = p.repository ? repo::start_cost(*p.repository).value_or(0) : 0;
    opts.patience = std::max(10.0, 4 * start);
    auto backend = std::make_unique<prestart_backend>(
        [settings = p.settings, here](unsigned slot, const std::string& idfile) {
            return prestarted_runner(settings, here, slot, idfile);
        },
        opts);
    if (auto ok = backend->prestart(); !ok) {
        std::fprintf(stderr, "testr-mini: warning: %s; the runners start when their tests are known\n",
                     ok.error().message.c_str());
        return nullptr;
    }
    return backend;
}

void remember_refusal(const prepared& p, const std::string& why, bool tests_ran) {
    if (why.empty() || !tests_ran || !p.repository || remembered(p)) return;
    const std::string path = p.repository->file(refused_file);
    std::fprintf(stderr,
                 "testr-mini: note: %s; its tests ran with a plain id file. Runners of this test_command will no "
                 "longer be started ahead (remembered in %s; delete it to try again).\n",
                 why.c_str(), path.c_str());
    if (auto ok = write_file_atomically(path, p.settings.test_command + "\n" + why + "\n"); !ok)
        std::fprintf(stderr, "testr-mini: warning: %s\n", ok.error().message().c_str());
}

}  // namespace testr::cli
