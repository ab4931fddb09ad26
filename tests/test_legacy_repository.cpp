// Tests of testrepository's format 1 (adapters/legacy_repository.hpp,
// adapters/testr_dbm.hpp) on a repository the real testr wrote
// (tests/legacy/make_testr_repo.py): the durations against Python's own dbm,
// every read-only command against what testr printed, the upgrade, and the
// upgrade killed at every step.
#include "legacy_repository.hpp"
#include "subunit_v1.hpp"
#include "testr_config.hpp"
#include "testr_dbm.hpp"
#include "timesdb.hpp"

#include "legacy/legacy_support.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <csignal>
#include <map>

namespace lg = testr::legacy;
namespace repo = testr::repo;
using namespace legacy_test;

namespace {

fs::path copy_of_fixture(const temp_dir& t) {
    const fs::path project = t / "project";
    fs::copy(testr_fixture(), project, fs::copy_options::recursive);
    return project;
}

std::string testr_mini() { return env_or("TESTR_MINI", "testr-mini"); }

struct cli_result {
    int exit_code;
    std::string out;
};
cli_result mini(const fs::path& project, const std::string& args) {
    const auto r = run("cd " + shell_quote(project.string()) + " && " + shell_quote(testr_mini()) + " " + args + " 2>&1");
    return {r.exit_code, r.out};
}

// What every read-only command prints, as testr printed it before (saved
// by make_testr_repo.py as testr-<name>.out / .rc).
void check_commands_agree_with_testr(const fs::path& project) {
    const std::pair<const char*, const char*> commands[] = {
        {"last", "last"},       {"failing --list", "failing-list"}, {"failing", "failing"},
        {"slowest", "slowest"}, {"slowest --all", "slowest-all"},
    };
    for (const auto& [args, name] : commands) {
        CAPTURE(args);
        const auto ours = mini(project, args);
        CHECK(ours.out == read_file(project / (std::string("testr-") + name + ".out")));
        CHECK(std::to_string(ours.exit_code) + "\n" == read_file(project / (std::string("testr-") + name + ".rc")));
    }
    // testr's stats is one line; ours says more after it.
    const auto stats = mini(project, "stats");
    CHECK(stats.exit_code == 0);
    CHECK(stats.out.starts_with(read_file(project / "testr-stats.out")));
    CHECK(stats.out.find("\ntests_with_history=8\n") != std::string::npos);  // testr's 8 durations
    // last --subunit: the same events as testr's own v1-to-v2 conversion.
    temp_dir t;
    const auto subunit = run("cd " + shell_quote(project.string()) + " && " + shell_quote(testr_mini()) +
                             " last --subunit > " + shell_quote(t / "ours"));
    CHECK(subunit.exit_code == 0);
    const std::string dump = python() + " " + shell_quote((source_root() / "tests/subunit/dump.py").string()) + " ";
    CHECK(run(dump + shell_quote(t / "ours")).out ==
          run(dump + shell_quote((project / "testr-last-subunit.out").string())).out);
    const auto timeline = mini(project, "last --timeline " + shell_quote(t / "t.svg"));
    CHECK(timeline.exit_code == 0);
    CHECK(timeline.out.find("(6 test runs, 2 workers") != std::string::npos);
}

// Every file of a directory, by name.
std::map<std::string, std::string> files_of(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) files[e.path().filename().string()] = read_file(e.path());
    return files;
}

// The repository is whole: the original, byte for byte, or the complete
// upgrade of it (checked against an uninterrupted upgrade's files).
enum class found { original, upgraded };
found check_whole(const fs::path& project, const std::map<std::string, std::string>& original,
                  const std::map<std::string, std::string>& upgraded) {
    const auto now = files_of(project / ".testrepository");
    if (now.at("format") == "1\n") {
        CHECK(now == original);
        return found::original;
    }
    REQUIRE(now.at("format") == "2\n");
    CHECK(now == upgraded);
    return found::upgraded;
}

}  // namespace

TEST_CASE("testr's times.dbm.db reads through libdb as Python's dbm reads it") {
    const fs::path base = testr_fixture() / ".testrepository" / "times.dbm";
    auto ours = lg::read_times_dbm(base.string());
    REQUIRE_MESSAGE(ours.has_value(), (ours ? "" : ours.error()));
    const auto ref = run(python() + " -c " +
                         shell_quote("import dbm, sys\nd = dbm.open(sys.argv[1], 'r')\n"
                                     "print(dbm.whichdb(sys.argv[1]))\n"
                                     "for k in d.keys(): sys.stdout.buffer.write(k + b'\\t' + d[k] + b'\\n')\n") +
                         " " + shell_quote(base.string()));
    REQUIRE(ref.exit_code == 0);
    auto lines = lines_of(ref.out);
    REQUIRE(!lines.empty());
    CHECK(lines.front() == "dbm.ndbm");  // Debian's Python: Berkeley DB's ndbm
    lines.erase(lines.begin());
    std::map<std::string, double> want;
    for (const auto& l : lines) want[l.substr(0, l.find('\t'))] = std::strtod(l.substr(l.find('\t') + 1).c_str(), nullptr);
    std::map<std::string, double> got;
    for (const auto& d : *ours) got[d.id] = d.seconds;
    CHECK(got == want);
    CHECK(got.size() == 8);
    CHECK(got.count("pkg.test_mix.T.test_unicode_d\xC3\xA9tail") == 1);
}

TEST_CASE("a times database libdb cannot read, or of another dbm, is a clear error") {
    temp_dir t;
    const std::string base = t / "times.dbm";
    CHECK(lg::read_times_dbm(base).value().empty());  // none yet: testr makes it on the first run
    write_file(base + ".db", std::string(4096, 'x'));
    auto bad = lg::read_times_dbm(base);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().starts_with(base + ".db: cannot open as a Berkeley DB file"));
    fs::remove(base + ".db");
    write_file(base, "GDBM");
    bad = lg::read_times_dbm(base);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().find("the durations are in gdbm") != std::string::npos);
    // Every truncation of the real file: an error or the entries, never a crash.
    const std::string real = read_file(testr_fixture() / ".testrepository" / "times.dbm.db");
    fs::remove(base);
    std::size_t errors = 0;
    for (std::size_t n = 0; n < real.size(); n += 512) {
        write_file(base + ".db", std::string_view(real).substr(0, n));
        if (!lg::read_times_dbm(base)) ++errors;
    }
    CHECK(errors > 0);
}

TEST_CASE("a dbm.dumb store (what stestr's Python picks) reads as Python reads it") {
    temp_dir t;
    const std::string base = t / "times.dbm";
    // Keys repr() must escape, Latin-1 and UTF-8 bytes, a key written twice.
    const auto made = run(python() + " -c " +
                          shell_quote("import dbm.dumb, sys\nd = dbm.dumb.open(sys.argv[1], 'c')\n"
                                      "keys = [b\"a'b\", b'x\"y', b'new\\nline\\ttab', 'd\\u00e9'.encode(), b'\\x7f\\x80\\xff',"
                                      " b'back\\\\slash', b'both\\'\"']\n"
                                      "for i, k in enumerate(keys): d[k] = str(0.25 * i + 1e-05)\n"
                                      "d[keys[0]] = '7.5'\nd.close()\n"
                                      "d = dbm.dumb.open(sys.argv[1], 'r')\n"
                                      "for k in d.keys(): sys.stdout.write(k.hex() + ' ' + d[k].decode() + '\\n')\n") +
                          " " + shell_quote(base));
    REQUIRE(made.exit_code == 0);
    std::map<std::string, double> want;
    for (const auto& l : lines_of(made.out)) {
        const std::string hex = l.substr(0, l.find(' '));
        std::string key;
        for (std::size_t i = 0; i < hex.size(); i += 2) key += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
        want[key] = std::strtod(l.substr(l.find(' ') + 1).c_str(), nullptr);
    }
    REQUIRE(want.size() == 7);
    auto ours = lg::read_times_dbm(base);
    REQUIRE_MESSAGE(ours.has_value(), (ours ? "" : ours.error()));
    std::map<std::string, double> got;
    for (const auto& d : *ours) got[d.id] = d.seconds;
    CHECK(got == want);
    CHECK(got.at("a'b") == 7.5);
    // A broken index line is named.
    write_file(base + ".dir", "'k', (0, 99999)\n");
    auto bad = lg::read_times_dbm(base);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error() == base + ".dir:1: the value lies past the end of " + base + ".dat");
    write_file(base + ".dir", "'ok', (0, 3)\nk, (0, 3)\n");
    bad = lg::read_times_dbm(base);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error() == base + ".dir:2: not a dbm.dumb index line");
}

TEST_CASE("every read-only command on testr's format-1 repository prints what testr printed") {
    temp_dir t;
    const fs::path project = copy_of_fixture(t);
    const auto before = files_of(project / ".testrepository");
    check_commands_agree_with_testr(project);
    // Writing is refused, and nothing was touched.
    const auto load = mini(project, "load < /dev/null");
    CHECK(load.exit_code == 3);
    CHECK(load.out.find("testr-mini upgrade") != std::string::npos);
    CHECK(files_of(project / ".testrepository") == before);
}

TEST_CASE("upgrade keeps every run id, event, failing test and duration, and the original beside") {
    temp_dir t;
    const fs::path project = copy_of_fixture(t);
    const auto original = files_of(project / ".testrepository");
    const auto up = mini(project, "upgrade");
    CHECK(up.exit_code == 0);
    CHECK(up.out.find("keeping runs: 5 (same ids), failing tests: 2, durations: 8.") != std::string::npos);
    const auto now = files_of(project / ".testrepository");
    CHECK(now.at("format") == "2\n");
    CHECK(now.at("next-stream") == original.at("next-stream"));
    for (const char* id : {"0", "1", "2", "3", "4"}) CHECK(now.at(id) == testr::subunit::v1::to_v2(original.at(id)));
    CHECK(now.at("failing") == testr::subunit::v1::to_v2(original.at("failing")));
    CHECK(files_of(project / ".testrepository.format-1") == original);
    // Durations: each of testr's, as the estimate of a test run once.
    auto db = testr::timesdb::open((project / ".testrepository" / "times.tsv").string());
    REQUIRE(db.has_value());
    auto dbm = lg::read_times_dbm((project / ".testrepository.format-1" / "times.dbm").string());
    REQUIRE(dbm.has_value());
    CHECK(db->size() == dbm->size());
    for (const auto& d : *dbm) {
        CAPTURE(d.id);
        REQUIRE(db->find(d.id) != nullptr);
        CHECK(db->find(d.id)->estimate == doctest::Approx(d.seconds).epsilon(1e-6));
        CHECK(db->find(d.id)->last_passed == (d.id != "pkg.test_mix.T.test_error" && d.id != "pkg.test_mix.T.test_fail"));
    }
    // The commands still print what testr printed before the upgrade.
    check_commands_agree_with_testr(project);
    // And the new repository takes runs.
    const auto load = mini(project, "load < /dev/null");
    CHECK(load.exit_code == 0);
    CHECK(read_file(project / ".testrepository" / "next-stream") == "6\n");
    // Once is enough.
    CHECK(mini(project, "upgrade").exit_code == 3);
}

TEST_CASE("an upgrade killed at any step leaves the old or the new repository, and finishes when rerun") {
    temp_dir t;
    const fs::path reference_project = copy_of_fixture(t);
    const auto original = files_of(reference_project / ".testrepository");
    REQUIRE(lg::upgrade(reference_project.string()).has_value());
    const auto upgraded = files_of(reference_project / ".testrepository");

    static int kill_at = 0;
    static int reached = 0;
    int originals = 0, upgrades = 0;
    for (kill_at = 1;; ++kill_at) {
        CAPTURE(kill_at);
        temp_dir k;
        const fs::path project = copy_of_fixture(k);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            reached = 0;
            lg::detail::upgrade_fault = [](lg::detail::upgrade_stage) {
                if (++reached == kill_at) std::raise(SIGKILL);
            };
            (void)lg::upgrade(project.string());
            std::_Exit(0);  // ran to the end: no step left to kill at
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        if (!killed) {
            CHECK(files_of(project / ".testrepository") == upgraded);
            break;
        }
        (check_whole(project, original, upgraded) == found::original ? originals : upgrades) += 1;
        // Rerun where something is left to do: a build to redo, a swap to finish.
        if (fs::exists(project / ".testrepository.upgrading") || read_file(project / ".testrepository/format") == "1\n") {
            auto again = lg::upgrade(project.string());
            REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().message));
        }
        CHECK(files_of(project / ".testrepository") == upgraded);
        CHECK(files_of(project / ".testrepository.format-1") == original);
        CHECK_FALSE(fs::exists(project / ".testrepository.upgrading"));
    }
    MESSAGE("killed at " << kill_at - 1 << " steps: " << originals << " left the original, " << upgrades
                         << " the upgrade");
    CHECK(kill_at > 8);  // a step per file written, then the swap and the rename
    CHECK(originals > 5);
    CHECK(upgrades >= 2);
}

namespace {

std::vector<std::string> sorted_lines(const std::string& text) {
    auto lines = lines_of(text);
    std::sort(lines.begin(), lines.end());
    return lines;
}

// id -> final status, from a v2 stream read back with python-subunit.
std::map<std::string, std::string> outcomes(const fs::path& stream) {
    const auto r = run(python() + " " + shell_quote((source_root() / "tests/subunit/dump.py").string()) + " " +
                       shell_quote(stream.string()));
    REQUIRE(r.exit_code == 0);
    std::map<std::string, std::string> out;
    for (const auto& l : lines_of(r.out)) {
        const auto id_at = l.find("id=\""), status_at = l.find(" status=");
        if (id_at != 0) continue;
        const std::string id = l.substr(4, status_at - 5);
        const std::string status = l.substr(status_at + 8, l.find(' ', status_at + 1) - status_at - 8);
        if (status != "none" && status != "inprogress" && status != "exists") out[id] = status;
    }
    return out;
}

}  // namespace

TEST_CASE("a .stestr.conf project runs as stestr runs it, and .stestr/ reads like testr's repository") {
    temp_dir t;
    const fs::path project = t / "stestr-project";
    fs::create_directories(project);
    fs::copy(testr_fixture() / "pkg", project / "pkg", fs::copy_options::recursive);
    fs::remove_all(project / "pkg" / "__pycache__");
    write_file(project / ".stestr.conf", "[DEFAULT]\ntest_path=./pkg\ntop_dir=./\nparallel_class=True\n");
    const std::string env = "PYTHON=" + shell_quote(python()) + " ";
    const std::string in = "cd " + shell_quote(project.string()) + " && " + env;

    const auto stestr_run = run(in + "stestr run >/dev/null 2>&1");
    REQUIRE(stestr_run.exit_code == 1);  // the suite has failures
    const auto stestr_failing = run(in + "stestr failing --list 2>/dev/null");
    REQUIRE(run(in + "stestr last --subunit > ../stestr.v2 2>/dev/null").exit_code == 0);
    const auto stestr_outcomes = outcomes(t / "stestr.v2");
    REQUIRE(stestr_outcomes.size() == 8);

    // Before testr-mini has a repository of its own: stestr's is read.
    const auto failing = run(in + shell_quote(testr_mini()) + " failing --list");
    CHECK(failing.exit_code == 1);
    CHECK(sorted_lines(failing.out) == sorted_lines(stestr_failing.out));
    REQUIRE(run(in + shell_quote(testr_mini()) + " last --subunit > ../read.v2").exit_code == 0);
    CHECK(outcomes(t / "read.v2") == stestr_outcomes);
    const auto slowest = run(in + shell_quote(testr_mini()) + " slowest");
    CHECK(slowest.exit_code == 0);
    CHECK(slowest.out.find("pkg.test_mix.T.test_slow") != std::string::npos);
    const auto refused = run(in + shell_quote(testr_mini()) + " run 2>&1");
    CHECK(refused.exit_code == 3);
    CHECK(refused.out.find("is stestr's repository") != std::string::npos);

    // Its own repository: the same tests, outcomes and exit status as stestr run.
    REQUIRE(run(in + shell_quote(testr_mini()) + " init").exit_code == 0);
    const auto ours = run(in + shell_quote(testr_mini()) + " run --parallel >/dev/null 2>&1");
    CHECK(ours.exit_code == stestr_run.exit_code);
    REQUIRE(run(in + shell_quote(testr_mini()) + " last --subunit > ../ours.v2").exit_code == 0);
    CHECK(outcomes(t / "ours.v2") == stestr_outcomes);
    CHECK(sorted_lines(run(in + shell_quote(testr_mini()) + " failing --list").out) == sorted_lines(stestr_failing.out));
    // parallel_class: one class, so one worker, as stestr's own worker balance says.
    const auto plan = run(in + shell_quote(testr_mini()) + " plan --concurrency 2");
    CHECK(plan.out.find("worker-0: 8 tests") != std::string::npos);

    // Both files: .testr.conf is used, and the choice is said.
    write_file(project / ".testr.conf", read_file(testr_fixture() / ".testr.conf"));
    const auto both = run(in + shell_quote(testr_mini()) + " list-tests 2>&1 >/dev/null");
    CHECK(both.out == "testr-mini: using .testr.conf; .stestr.conf is also here and not read (move .testr.conf away "
                      "to use it)\n");
}

TEST_CASE("load_stestr builds stestr's runner line, and says what is missing") {
    temp_dir t;
    const std::string path = t / ".stestr.conf";
    write_file(path, "[DEFAULT]\ntest_path=./tests\ngroup_regex=([^.]+\\.)\n");
    auto c = testr::config::load_stestr(path);
    REQUIRE(c.has_value());
    CHECK(c->get("test_command") ==
          "${PYTHON:-python3} -m stestr.subunit_runner.run discover -t \"./\" \"./tests\" $LISTOPT $IDOPTION");
    CHECK(c->get("test_list_option") == "--list");
    CHECK(c->get("test_id_option") == "--load-list $IDFILE");
    CHECK(c->get("group_regex") == "([^.]+\\.)");
    write_file(path, "[DEFAULT]\ntest_path=t\ntop_dir=src\nparallel_class=yes\ngroup_regex=x\ntest_command=run $IDOPTION\n");
    c = testr::config::load_stestr(path);
    REQUIRE(c.has_value());
    CHECK(c->get("group_regex") == "([^\\.]*\\.)*");  // parallel_class wins, as in stestr
    CHECK(c->get("test_command") == "run $IDOPTION");
    write_file(path, "[DEFAULT]\ntop_dir=src\n");
    CHECK(testr::config::load_stestr(path).error().what() ==
          path + ": No test_path can be found in either the command line options nor in the specified config file " +
              path + ".");
    write_file(path, "[DEFAULT]\ntest_path=t\nparallel_class=maybe\n");
    CHECK(testr::config::load_stestr(path).error().what() == path + ":3: Not a boolean: maybe");
}

TEST_CASE("failing before the first run: what testr says, with testr's exit status") {
    temp_dir t;
    for (const char* tool : {"testr", "mini"}) {
        const fs::path project = t / tool;
        fs::create_directories(project);
        write_file(project / ".testr.conf", "[DEFAULT]\ntest_command=true\n");
        const std::string prog = std::string(tool) == "testr" ? "testr" : shell_quote(testr_mini());
        const std::string in = "cd " + shell_quote(project.string()) + " && " + prog;
        REQUIRE(run(in + " init").exit_code == 0);
        const auto plain = run(in + " failing 2>&1");
        CAPTURE(tool);
        CHECK(plain.exit_code == 3);
        CHECK(plain.out.find("No tests in repository") != std::string::npos);
        const auto list = run(in + " failing --list");
        CHECK(list.exit_code == 0);
        CHECK(list.out.empty());
        const auto stream = run(in + " failing --subunit");
        CHECK(stream.exit_code == 0);
        CHECK(stream.out.empty());
    }
}

TEST_CASE("upgrade makes .testrepository from stestr's .stestr, which stays as it was, whatever step it is killed at") {
    temp_dir t;
    const fs::path made = t / "made";
    fs::create_directories(made);
    fs::copy(testr_fixture() / "pkg", made / "pkg", fs::copy_options::recursive);
    fs::remove_all(made / "pkg" / "__pycache__");
    write_file(made / ".stestr.conf", "[DEFAULT]\ntest_path=./pkg\n");
    const std::string in = "cd " + shell_quote(made.string()) + " && PYTHON=" + shell_quote(python()) + " ";
    REQUIRE(run(in + "stestr run >/dev/null 2>&1").exit_code == 1);
    const auto stestr_failing = run(in + "stestr failing --list 2>/dev/null").out;
    REQUIRE(run(in + "stestr last --subunit > ../stestr.v2 2>/dev/null").exit_code == 0);
    const auto stestr_files = files_of(made / ".stestr");

    auto copy = [&](const std::string& name) {
        const fs::path p = t / name;
        fs::copy(made, p, fs::copy_options::recursive);
        return p;
    };
    const fs::path whole = copy("whole");
    const auto up = mini(whole, "upgrade");
    CHECK(up.exit_code == 0);
    CHECK(up.out.find("from stestr's .stestr, keeping runs: 1 (same ids), failing tests: 2, durations: 8.") !=
          std::string::npos);
    const auto upgraded = files_of(whole / ".testrepository");
    CHECK(files_of(whole / ".stestr") == stestr_files);
    CHECK(sorted_lines(mini(whole, "failing --list").out) == sorted_lines(stestr_failing));
    REQUIRE(run("cd " + shell_quote(whole.string()) + " && " + shell_quote(testr_mini()) + " last --subunit > ../ours.v2")
                .exit_code == 0);
    CHECK(outcomes(t / "ours.v2") == outcomes(t / "stestr.v2"));
    auto db = testr::timesdb::open((whole / ".testrepository" / "times.tsv").string());
    REQUIRE(db.has_value());
    CHECK(db->size() == 8);

    static int kill_at = 0;
    static int reached = 0;
    int absent = 0;
    for (kill_at = 1; kill_at < 100; ++kill_at) {
        CAPTURE(kill_at);
        const fs::path project = copy("kill-" + std::to_string(kill_at));
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            lg::detail::upgrade_fault = [](lg::detail::upgrade_stage) {
                if (++reached == kill_at) std::raise(SIGKILL);
            };
            (void)lg::upgrade(project.string());
            std::_Exit(0);
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        CHECK(files_of(project / ".stestr") == stestr_files);
        if (fs::exists(project / ".testrepository")) {
            CHECK(files_of(project / ".testrepository") == upgraded);
        } else {
            ++absent;
            REQUIRE(lg::upgrade(project.string()).has_value());
            CHECK(files_of(project / ".testrepository") == upgraded);
        }
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) break;
    }
    MESSAGE("killed at " << kill_at - 1 << " steps, " << absent << " before the new repository was in place");
    CHECK(absent >= 4);
}
