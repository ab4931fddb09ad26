// Tests of include/testr/command_template.hpp: a differential test against
// testrepository's own TestCommand/TestListingFixture (driven by
// tests/config/command_oracle.py) over hand-picked and random configs and
// id lists, and real /bin/sh runs showing hostile ids arrive intact with
// nothing in them executed.
#include <testr/command_template.hpp>

#include "support/command.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using test_support::temp_dir;
using nlohmann::json;

namespace {

struct command_case {
    std::map<std::string, std::string> conf;  // .testr.conf's [DEFAULT]
    std::optional<std::vector<std::string>> ids;
    std::vector<std::string> args;
    std::string provision_output;
};

// testrepository's answer for each case, in one interpreter run.
std::vector<json> python_build(const std::vector<command_case>& cases) {
    json input = json::array();
    for (const auto& c : cases) {
        json j{{"conf", c.conf}, {"args", c.args}, {"provision_output", c.provision_output}};
        j["ids"] = c.ids ? json(*c.ids) : json(nullptr);
        input.push_back(std::move(j));
    }
    temp_dir dir;
    test_support::write_file(dir / "cases.json", input.dump());
    const auto out = test_support::run(test_support::python() + " " + test_support::source_file("tests/config/command_oracle.py") + " < " +
                                      testr::shell_quote(dir / "cases.json"));
    REQUIRE(out.exit_code == 0);
    std::vector<json> results;
    std::istringstream lines(out.out);
    for (std::string line; std::getline(lines, line);) results.push_back(json::parse(line));
    REQUIRE(results.size() == cases.size());
    return results;
}

std::optional<std::string> conf_value(const command_case& c, const std::string& key) {
    const auto found = c.conf.find(key);
    if (found == c.conf.end()) return std::nullopt;
    return found->second;
}

testr::command_settings settings_of(const command_case& c) {
    return {c.conf.at("test_command"), conf_value(c, "test_id_option"), conf_value(c, "test_list_option"),
            conf_value(c, "test_id_list_default"), c.args};
}

bool is_safe_word(const std::string& word) { return testr::shell_quote(word) == word; }

struct tally {
    int identical = 0;      // commands equal to the original's
    int quoted = 0;         // ids needing quotes: ours quotes, the original does not
    int errors = 0;         // the same error in both
    int refused_ids = 0;    // ids with line breaks for $IDFILE: ours refuses
};

void expect_same_error(const json& py, const std::string& key, const testr::result<std::string>& ours, tally& t) {
    CHECK_FALSE(ours.has_value());
    if (!ours) CHECK(ours.error().message == py.at(key).get<std::string>());
    ++t.errors;
}

// One case: ours against the original's run command, id file and listing.
void compare(const command_case& c, const json& py, tally& t) {
    CAPTURE(py.dump());
    const auto settings = settings_of(c);
    const bool args_safe = std::all_of(c.args.begin(), c.args.end(), is_safe_word);
    const std::string idfile = py.at("dir").get<std::string>() + "/failing.list";
    std::vector<std::string_view> ids;
    if (c.ids) ids.assign(c.ids->begin(), c.ids->end());
    const auto run = testr::run_command_for(settings, c.ids ? &ids : nullptr, idfile);
    const auto list = testr::list_command(settings);

    if (py.contains("error")) {
        CHECK_FALSE(run.has_value());
        if (!run) CHECK(run.error().message == py.at("error").get<std::string>());
        expect_same_error(py, "error", list, t);
        return;
    }
    if (py.contains("list_error")) {
        expect_same_error(py, "list_error", list, t);
    } else {
        REQUIRE_MESSAGE(list.has_value(), list.error().message);
        if (args_safe) CHECK(*list == py.at("list").get<std::string>());
        else CHECK(*list != py.at("list").get<std::string>());
    }

    const bool ids_safe = !c.ids || std::all_of(c.ids->begin(), c.ids->end(), is_safe_word);
    const bool has_line_break = c.ids && std::any_of(c.ids->begin(), c.ids->end(), [](const std::string& id) {
        return id.find_first_of("\r\n") != std::string::npos;
    });
    if (!run) {
        // The only refusal the original lacks: an id that would break the
        // one-id-per-line file.
        CHECK(has_line_break);
        CHECK(run.error().message.find("line break") != std::string::npos);
        ++t.refused_ids;
        return;
    }
    const std::string py_run = py.at("run").get<std::string>();
    const auto& tc = settings.test_command;
    const bool idlist_used = tc.find("$IDLIST") != std::string::npos ||
                             (tc.find("$IDOPTION") != std::string::npos &&
                              settings.test_id_option->find("$IDLIST") != std::string::npos);
    if (args_safe && (ids_safe || !idlist_used)) {
        CHECK(run->command == py_run);
        ++t.identical;
    } else {
        CHECK(run->command != py_run);
        for (const auto& id : *c.ids) {
            if (!is_safe_word(id) && idlist_used) CHECK(run->command.find(testr::shell_quote(id)) != std::string::npos);
        }
        ++t.quoted;
    }
    // The original writes the id file whenever it has ids; ours asks for it
    // only when the command reads it — and then with the same lines.
    const bool py_has_ids = !py.at("idfile").is_null();
    CHECK(py_has_ids == (c.ids.has_value() || !settings.test_id_list_default.value_or("").empty()));
    if (py_has_ids) {
        std::string lines;
        for (const auto& id : c.ids ? *c.ids : run->default_ids) lines += id + "\n";
        CHECK(lines == py.at("idfile").get<std::string>());
        CHECK(run->needs_idfile == (run->command.find(idfile) != std::string::npos));
    } else {
        CHECK_FALSE(run->needs_idfile);
    }
}

// --- random cases -----------------------------------------------------------

class random_case {
public:
    explicit random_case(std::uint32_t seed) : rng_(seed) {}

    command_case next() {
        command_case c;
        c.conf["test_command"] = command();
        maybe(c, "test_id_option", {"--load-list $IDFILE", "$IDLIST", "--ids $IDLIST --file $IDFILE $IDOPTION $LISTOPT",
                                    "", "--x=$IDFILEZ", "-f $IDFILE -- $IDLIST"});
        maybe(c, "test_list_option", {"--list", "--list $IDLIST", "", "--list $IDOPTION"});
        if (chance(0.4)) {
            maybe(c, "test_id_list_default", {"tests", "a.b c.d", "multi\nline  default", "", "$(find . -name x)"});
        }
        if (chance(0.85)) c.ids = ids();
        if (chance(0.15)) c.args = chance(0.6) ? std::vector<std::string>{"--verbose"} : std::vector<std::string>{"-k", "a b"};
        return c;
    }

private:
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

    void maybe(command_case& c, const char* key, const std::vector<std::string>& values) {
        if (chance(0.8)) c.conf[key] = values[pick(values.size())];
    }
    std::string command() {
        static const std::vector<std::string> pieces{
            "python -m subunit.run", "$IDOPTION", "$IDLIST", "$IDFILE", "$LISTOPT", "$IDLISTX", "$$IDFILE", "$",
            "$IDOPTIONS", "${PYTHON:-python}", "discover -t ./ .", "--", "$idlist"};
        std::string text = "run";
        for (std::size_t n = pick(5); n-- > 0;) text += " " + pieces[pick(pieces.size())];
        return text;
    }
    std::vector<std::string> ids() {
        static const std::vector<std::string> safe{
            "pkg.mod.Class.test_x", "tests/a.py::test_b", "x=1", "t@h%2+3,4-5", "a:b", "UPPER_lower.09"};
        static const std::vector<std::string> unsafe{
            "has space", "quote'd", "dq\"", "$(touch pwned)", "`id`", "a;b", "a|b", "*", "~home", "",
            "tab\there", "back\\slash", "caf\xc3\xa9", "new\nline", "x[1]", "a&&b", "{a,b}", "#c"};
        std::vector<std::string> out;
        for (std::size_t n = pick(6); n-- > 0;) {
            out.push_back(chance(0.8) ? safe[pick(safe.size())] : unsafe[pick(unsafe.size())]);
        }
        return out;
    }

    std::mt19937 rng_;
};

std::vector<command_case> hand_cases() {
    const std::string tc = "python -m subunit.run discover . $LISTOPT $IDOPTION";
    return {
        {{{"test_command", tc}, {"test_id_option", "--load-list $IDFILE"}, {"test_list_option", "--list"}},
         std::vector<std::string>{"a.b.test_1", "a.b.test_2"}, {}, ""},
        {{{"test_command", tc}, {"test_id_option", "--load-list $IDFILE"}, {"test_list_option", "--list"}},
         std::nullopt, {}, ""},
        {{{"test_command", tc}, {"test_list_option", "--list"}}, std::nullopt, {}, ""},
        {{{"test_command", tc}, {"test_id_option", "--load-list $IDFILE"}}, std::nullopt, {}, ""},
        {{{"test_command", "run $IDLIST"}}, std::nullopt, {}, ""},
        {{{"test_command", "run $IDLIST $IDOPTION"}, {"test_id_option", "$IDLIST"}, {"test_id_list_default", "x  y\nz"}},
         std::nullopt, {}, ""},
        {{{"test_command", "run $IDLIST"}, {"test_id_list_default", ""}}, std::nullopt, {}, ""},
        {{{"test_command", "run $IDFILE"}}, std::vector<std::string>{}, {}, ""},
        {{{"test_command", "run $IDLIST $LISTOPT"}, {"test_list_option", "--list $IDLIST"},
          {"test_id_list_default", "d1 d2"}},
         std::vector<std::string>{"a b", "$(touch x)"}, {"-v"}, ""},
        {{{"test_command", "run $IDLIST $IDFILE"}}, std::vector<std::string>{"one\ntwo"}, {}, ""},
        {{{"test_command", "run $IDLIST"}}, std::vector<std::string>{"one\ntwo", "it's"}, {}, ""},
    };
}

// Runs `command` through /bin/sh in `dir`; its stdout.
std::string shell(const temp_dir& dir, const std::string& command) {
    const auto out = test_support::run("cd " + testr::shell_quote(dir.path()) + " && " + command);
    CHECK(out.exit_code == 0);
    return out.out;
}

const std::vector<std::string>& hostile_ids() {
    static const std::vector<std::string> ids{
        "pkg.mod.test_plain", "with space", "  lead and trail  ", "it's", "dq\"x", "$(touch canary1)",
        "`touch canary2`", "; touch canary3", "a|touch canary4", "*", "?", "~", "$HOME", "${HOME}", "a\\b",
        "tab\tx", "new\nline", "", "-n", "&", ">canary5", "<x", "!x", "#x", "x=1 y=2", "caf\xc3\xa9"};
    return ids;
}

}  // namespace

TEST_CASE("shell_quote: shlex.quote's decisions, and the shell reads every word back") {
    std::vector<std::string> words = hostile_ids();
    for (int c = 1; c < 128; ++c) words.push_back(std::string("a") + static_cast<char>(c) + "b");
    temp_dir dir;
    test_support::write_file(dir / "words.json", json(words).dump());
    const auto out = test_support::run(test_support::python() + " " + test_support::source_file("tests/config/command_oracle.py") +
                                      " --quote < " + testr::shell_quote(dir / "words.json"));
    REQUIRE(out.exit_code == 0);
    const auto python = json::parse(out.out).get<std::vector<std::string>>();
    REQUIRE(python.size() == words.size());
    std::string script = "printf '%s\\0'";
    for (std::size_t i = 0; i < words.size(); ++i) {
        CAPTURE(words[i]);
        const std::string ours = testr::shell_quote(words[i]);
        CHECK((ours == words[i]) == (python[i] == words[i]));
        if (words[i].find('\'') == std::string::npos) CHECK(ours == python[i]);
        script += " " + ours;
    }
    // Every word comes back from the shell unchanged (NUL-separated).
    const std::string back = shell(dir, script);
    std::string expected;
    for (const auto& w : words) expected += w + std::string(1, '\0');
    CHECK(back == expected);
}

TEST_CASE("commands are testrepository's, on hand-picked cases") {
    const auto cases = hand_cases();
    const auto python = python_build(cases);
    tally t;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        CAPTURE(i);
        compare(cases[i], python[i], t);
    }
    CHECK(t.identical >= 5);
    CHECK(t.errors >= 2);
    CHECK(t.refused_ids == 1);
}

TEST_CASE("commands are testrepository's, on random configs and id lists") {
    const std::uint32_t seed = std::random_device{}();
    CAPTURE(seed);
    random_case gen(seed);
    std::vector<command_case> cases;
    for (int i = 0; i < 500; ++i) cases.push_back(gen.next());
    const auto python = python_build(cases);
    tally t;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        CAPTURE(i);
        compare(cases[i], python[i], t);
    }
    MESSAGE("identical " << t.identical << ", quoted " << t.quoted << ", same error " << t.errors
                         << ", refused ids " << t.refused_ids);
    CHECK(t.identical >= 150);
    CHECK(t.quoted >= 25);
    CHECK(t.errors >= 25);
}

TEST_CASE("the instance hooks are substituted as the original does") {
    command_case c{{{"test_command", "run $IDLIST $LISTOPT"},
                    {"test_list_option", "--list"},
                    {"instance_provision", "prov $INSTANCE_COUNT $INSTANCE_COUNTS"},
                    {"instance_execute", "ssh $INSTANCE_ID $COMMAND -- $FILES $INSTANCE_IDS"},
                    {"instance_dispose", "drop $INSTANCE_IDS $INSTANCE_ID"}},
                   std::vector<std::string>{"t1", "t2"},
                   {},
                   "i-1"};
    command_case several = c;
    several.provision_output = "i-c i-a\ni-b";
    const auto python = python_build({c, several});
    const auto ran = python[0].at("ran").get<std::vector<std::string>>();
    REQUIRE(ran.size() == 4);
    const std::string idfile = python[0].at("dir").get<std::string>() + "/failing.list";
    const auto settings = settings_of(c);
    std::vector<std::string_view> ids{"t1", "t2"};
    CHECK(testr::instance_provision_command(c.conf.at("instance_provision"), 1) == ran[0]);
    const auto list = testr::list_command(settings);
    REQUIRE(list.has_value());
    CHECK(testr::instance_execute_command(c.conf.at("instance_execute"), "i-1", *list, "") == ran[1]);
    const auto run = testr::run_command_for(settings, &ids, idfile);
    REQUIRE(run.has_value());
    CHECK(testr::instance_execute_command(c.conf.at("instance_execute"), "i-1", run->command, idfile) == ran[2]);
    CHECK(testr::instance_dispose_command(c.conf.at("instance_dispose"), {"i-1"}) == ran[3]);

    const auto ran_several = python[1].at("ran").get<std::vector<std::string>>();
    REQUIRE(ran_several.size() == 4);
    CHECK(testr::instance_dispose_command(c.conf.at("instance_dispose"), {"i-c", "i-a", "i-b"}) == ran_several[3]);
    // Ids from a provisioning script are quoted like test ids.
    CHECK(testr::instance_execute_command("x $INSTANCE_ID $FILES", "a;b", "cmd", "/t/a b") == "x 'a;b' '/t/a b'");
}

TEST_CASE("hostile ids reach the command intact through $IDLIST, $IDFILE and $IDOPTION, and nothing runs") {
    temp_dir dir;
    std::vector<std::string> line_ids;  // all but the one with a line break, for $IDFILE
    for (const auto& id : hostile_ids()) {
        if (id.find('\n') == std::string::npos) line_ids.push_back(id);
    }
    const auto views = [](const std::vector<std::string>& ids) {
        return std::vector<std::string_view>(ids.begin(), ids.end());
    };
    const std::string idfile = dir / "id list's file";  // needs quoting itself

    SUBCASE("$IDLIST") {
        const testr::command_settings settings{"printf '%s\\0' $IDLIST", std::nullopt, std::nullopt, std::nullopt, {}};
        const auto ids = views(hostile_ids());
        const auto run = testr::run_command_for(settings, &ids, idfile);
        REQUIRE(run.has_value());
        CHECK_FALSE(run->needs_idfile);
        CHECK(run->receives_ids);
        std::string expected;
        for (const auto& id : hostile_ids()) expected += id + std::string(1, '\0');
        CHECK(shell(dir, run->command) == expected);
    }
    SUBCASE("$IDOPTION holding $IDFILE and $IDLIST, plus extra arguments") {
        const testr::command_settings settings{"printf '%s\\0' $IDOPTION; cat", "--load-list $IDFILE --ids $IDLIST",
                                               std::nullopt, std::nullopt, {"a b", "$(touch canary6)"}};
        const auto ids = views(line_ids);
        const auto run = testr::run_command_for(settings, &ids, idfile);
        REQUIRE(run.has_value());
        CHECK(run->needs_idfile);
        std::string file;
        for (const auto& id : line_ids) file += id + "\n";
        test_support::write_file(idfile, file);
        std::string expected = "--load-list" + std::string(1, '\0') + idfile + std::string(1, '\0') + "--ids" +
                               std::string(1, '\0');
        for (const auto& id : line_ids) expected += id + std::string(1, '\0');
        expected += "a b" + std::string(1, '\0') + "$(touch canary6)" + std::string(1, '\0');
        // `cat` gets the extra arguments as file names: feed it nothing.
        const testr::command_settings plain{"printf '%s\\0' $IDOPTION", settings.test_id_option, std::nullopt,
                                            std::nullopt, settings.extra_args};
        const auto printed = testr::run_command_for(plain, &ids, idfile);
        REQUIRE(printed.has_value());
        CHECK(shell(dir, printed->command) == expected);
        const testr::command_settings reader{"cat $IDFILE", std::nullopt, std::nullopt, std::nullopt, {}};
        const auto read = testr::run_command_for(reader, &ids, idfile);
        REQUIRE(read.has_value());
        CHECK(shell(dir, read->command) == file);
    }
    // None of the ids' commands ran.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        CHECK(entry.path().filename().string().rfind("canary", 0) != 0);
    }
}

TEST_CASE("ids a command cannot carry are refused, naming the id") {
    const testr::command_settings with_file{"run $IDFILE", std::nullopt, std::nullopt, std::nullopt, {}};
    const testr::command_settings with_list{"run $IDLIST", std::nullopt, std::nullopt, std::nullopt, {}};
    const std::vector<std::string_view> broken{"fine", "bad\rid"};
    const auto refused = testr::run_command_for(with_file, &broken, "/tmp/f");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("'bad\rid'") != std::string::npos);
    CHECK(testr::run_command_for(with_list, &broken, "/tmp/f").has_value());  // quoted, so fine

    const std::string nul("a\0b", 3);
    const std::vector<std::string_view> with_nul{nul};
    CHECK_FALSE(testr::run_command_for(with_list, &with_nul, "/tmp/f").has_value());
    const testr::command_settings nul_command{std::string("run\0x", 5), std::nullopt, std::nullopt, std::nullopt, {}};
    CHECK_FALSE(testr::run_command_for(nul_command, nullptr, "/tmp/f").has_value());
}

TEST_CASE("receives_ids tells when the ids do not reach the command") {
    const std::vector<std::string_view> ids{"a"};
    const testr::command_settings none{"run all", std::nullopt, std::nullopt, std::nullopt, {}};
    const auto run = testr::run_command_for(none, &ids, "/tmp/f");
    REQUIRE(run.has_value());
    CHECK_FALSE(run->receives_ids);
    CHECK(run->command == "run all");
    const testr::command_settings unused_option{"run $IDOPTION", "--fixed", std::nullopt, std::nullopt, {}};
    const auto fixed = testr::run_command_for(unused_option, &ids, "/tmp/f");
    REQUIRE(fixed.has_value());
    CHECK_FALSE(fixed->receives_ids);
    CHECK(fixed->command == "run --fixed");
}
