// Tests of the .testr.conf reader (adapters/testr_config.hpp): a
// differential test against Python's own configparser (the reader
// testrepository uses, run by tests/config/configparser_oracle.py) over
// hand-written tricky files and a few hundred random ones, plus load()'s
// file handling and command_settings_of.
#include "testr_config.hpp"

#include "support/command.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace cfg = testr::config;
using test_support::temp_dir;

namespace {

struct oracle_result {
    bool ok = false;
    std::map<std::string, std::string> values;
    std::string kind;                 // Python's exception class
    std::optional<std::size_t> line;  // where Python reports one
};

// Python's verdict on each file, in one interpreter run.
std::vector<oracle_result> python_read(const std::vector<std::string>& paths) {
    std::string command = test_support::python() + " " + test_support::source_file("tests/config/configparser_oracle.py");
    for (const auto& p : paths) command.append(" ").append(testr::shell_quote(p));
    const auto out = test_support::run(command);
    REQUIRE(out.exit_code == 0);
    std::vector<oracle_result> results;
    std::istringstream lines(out.out);
    for (std::string line; std::getline(lines, line);) {
        const auto j = nlohmann::json::parse(line);
        oracle_result r;
        r.ok = j.at("ok").get<bool>();
        if (r.ok) {
            r.values = j.at("values").get<std::map<std::string, std::string>>();
        } else {
            r.kind = j.at("kind").get<std::string>();
            if (!j.at("line").is_null()) r.line = j.at("line").get<std::size_t>();
        }
        results.push_back(std::move(r));
    }
    REQUIRE(results.size() == paths.size());
    return results;
}

struct comparison {
    int both_ok = 0;
    int both_failed = 0;
    std::map<std::string, int> failures;  // by Python's exception class
};

// Writes every text to a file, has Python and testr::config read each, and
// checks they agree: the same values, or both an error on the same line.
comparison compare_with_python(const std::vector<std::string>& texts) {
    temp_dir dir;
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        paths.push_back(dir / ("case-" + std::to_string(i) + ".conf"));
        test_support::write_file(paths.back(), texts[i]);
    }
    const auto python = python_read(paths);
    comparison counts;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        CAPTURE(i);
        CAPTURE(texts[i]);
        const auto ours = cfg::load(paths[i]);
        if (python[i].ok) {
            CHECK_MESSAGE(ours.has_value(), (ours ? "" : ours.error().what()));
            if (!ours) continue;
            CHECK(std::map<std::string, std::string>(ours->values.begin(), ours->values.end()) == python[i].values);
            ++counts.both_ok;
        } else {
            CAPTURE(python[i].kind);
            CHECK_FALSE(ours.has_value());
            if (ours.has_value()) continue;
            if (python[i].line) CHECK(ours.error().line == *python[i].line);
            CHECK(ours.error().path == paths[i]);
            ++counts.both_failed;
            ++counts.failures[python[i].kind];
        }
    }
    return counts;
}

const std::vector<std::string>& tricky_files() {
    static const std::vector<std::string> files = {
        // the usual
        "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t ./ . $LISTOPT $IDOPTION\n"
        "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n",
        // separators, case, spaces in keys, first delimiter wins
        "[DEFAULT]\nKey: v1\nOTHER = v2\nkey with spaces=v3\na:b=c\nd=e:f\n  g  :  spaced  value  \n",
        // continuation, kept empty lines, trailing empty lines dropped
        "[DEFAULT]\na = x\n  y\n\n  z\n\n\n",
        "[DEFAULT]\na = x\n# comment inside\n  y\n    ; indented comment\n  z\nb = 2\n",
        "[DEFAULT]\na =\n  cont\nb =\n",
        "[DEFAULT]\na = 1\n  [x]\n  b = 2\n",
        "  [DEFAULT]\n  a = 1\n  b = 2\n   c = 3\n",
        "[DEFAULT]\n\ta = 1\n\t\tmore\n\tb = 2\n",
        // interpolation
        "[DEFAULT]\na = 100%%\nb = %(c)s and %(A)s\nc = see %%(a)s\n",
        "[DEFAULT]\nx = %(missing)s\n",
        "[DEFAULT]\nx = 50%\n",
        "[DEFAULT]\nx = %x\n",
        "[DEFAULT]\nx = %(\n",
        "[DEFAULT]\nx = %()s\n",
        "[DEFAULT]\nx = %(y)d\ny = 1\n",
        "[DEFAULT]\nx = %(y)\ny = 1\n",
        "[DEFAULT]\na b = 1\nx = %(a b)s\n",
        "[DEFAULT]\nx = multi\n  %(y)s\n  line\ny = Y%%\n",
        "[DEFAULT]\nself = %(self)s\n",
        // a chain 10 deep works, 11 does not (MAX_INTERPOLATION_DEPTH)
        "[DEFAULT]\nk0 = %%\nk1 = %(k0)s\nk2 = %(k1)s\nk3 = %(k2)s\nk4 = %(k3)s\nk5 = %(k4)s\n"
        "k6 = %(k5)s\nk7 = %(k6)s\nk8 = %(k7)s\nk9 = %(k8)s\n",
        "[DEFAULT]\nk0 = %%\nk1 = %(k0)s\nk2 = %(k1)s\nk3 = %(k2)s\nk4 = %(k3)s\nk5 = %(k4)s\n"
        "k6 = %(k5)s\nk7 = %(k6)s\nk8 = %(k7)s\nk9 = %(k8)s\nk10 = %(k9)s\n",
        // [DEFAULT] is the only section testr reads; others must still parse
        "[DEFAULT]\na = 1\n[other]\nb = %(nope)s\na = 2\n",
        "[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n",
        "[default]\na = 1\n",
        // headers
        "[a]b]\nk = v\n[DEFAULT]\nk = w\n",
        "[ x ] trailing\nk = v\n",
        "[DEFAULT]\n[]\n",
        // errors with lines
        "a = 1\n[DEFAULT]\n",
        "# comment\n\n  ; another\nnot a header\n",
        "[DEFAULT]\na = 1\nA = 2\n",
        "[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n",
        "[x]\na = 1\n[x]\n",
        "[DEFAULT]\nnoseparator\nb = 1\n",
        "[DEFAULT]\nok = 1\nbad one\nbad two\n",
        "[DEFAULT]\nbad\na = 1\na = 2\n",
        "[DEFAULT]\n= value\n",
        "[DEFAULT]\n= 1\n= 2\n",
        "[DEFAULT]\nbad\n  continues a?\n",
        // line endings
        "[DEFAULT]\r\na = 1\r\n  2\r\nb = 3",
        "[DEFAULT]\ra = 1\r  2\rb = 3\r",
        "[DEFAULT]\n\r\na = 1\r\r  2\n",
        // Python's whitespace: form feed, vertical tab, \x1c..\x1f, Unicode spaces
        "[DEFAULT]\na = 1\n\f\vcont\n\x1c\x1f" "b\x1e= 2\x1d\n",
        "[DEFAULT]\n\xc2\xa0" "a = v\xe3\x80\x80\nb = 1\n\xe3\x80\x80" "cont\n",
        "[DEFAULT]\na = 1\n\xe2\x80\x83\n\xe2\x80\x83" "x\n",
        "[DEFAULT]\na = caf\xc3\xa9 \xe2\x82\xac\n",
        // encodings
        "[DEFAULT]\na = \xff\n",
        "[DEFAULT]\na = \xed\xa0\x80\n",
        "\xef\xbb\xbf[DEFAULT]\na = 1\n",
        std::string("[DEFAULT]\na = x\0y\n", 18),
        // nothing
        "",
        "\n\n# only comments\n",
    };
    return files;
}

// --- random files --------------------------------------------------------

class random_conf {
public:
    explicit random_conf(std::uint32_t seed) : rng_(seed) {}

    std::string next() {
        keys_.clear();
        in_option_ = false;
        std::string text;
        if (chance(0.9)) text += indent() + "[DEFAULT]" + eol();
        const int lines = pick(1, 14);
        for (int i = 0; i < lines; ++i) text += line();
        if (chance(0.2) && !text.empty() && text.back() == '\n') text.pop_back();
        return text;
    }

private:
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    template <class T>
    const T& one_of(const std::vector<T>& items) {
        return items[static_cast<std::size_t>(pick(0, static_cast<int>(items.size()) - 1))];
    }

    std::string eol() {
        static const std::vector<std::string> endings{"\n", "\n", "\n", "\n", "\r\n", "\r"};
        return one_of(endings);
    }
    std::string indent() {
        static const std::vector<std::string> blanks{"", "", "", " ", "  ", "\t", "    ", "\f", "\xc2\xa0"};
        return one_of(blanks);
    }
    std::string key() {
        static const std::vector<std::string> pool{"test_command", "test_id_option", "Test_List_Option", "a",
                                                   "B", "key two", "group_regex", "k3", "filter_tags", "x-y"};
        if (!keys_.empty() && chance(0.04)) return one_of(keys_);  // a duplicate
        std::string k = one_of(pool);
        if (chance(0.3)) k += std::to_string(pick(0, 99));
        keys_.push_back(k);
        return k;
    }
    std::string value() {
        static const std::vector<std::string> pieces{
            "word", "$IDOPTION", "--list", "a b", "=", ":", "#", ";", "[x]", " ", "\t", "%%", "%%(a)s",
            "\xc3\xa9", "\xe3\x80\x80", "x", "python -m subunit.run", "$LISTOPT", "'q'", "\"dq\""};
        std::string v;
        const int n = pick(0, 5);
        for (int i = 0; i < n; ++i) {
            if (chance(0.12)) v += reference();
            else v += one_of(pieces);
        }
        return v;
    }
    std::string reference() {
        if (chance(0.03)) return "%";
        if (chance(0.03)) return "%(";
        if (!keys_.empty() && chance(0.9)) return "%(" + one_of(keys_) + ")s";
        return "%(nokey)s";
    }
    std::string line() {
        const int kind = pick(0, 99);
        // Continuation lines mostly follow an option, indented deeper.
        if (kind >= 45 && kind < 65 && (in_option_ || chance(0.1))) {
            return (chance(0.9) ? option_indent_ : indent()) + (chance(0.5) ? "  " : "\t") + "cont " + value() + eol();
        }
        if (kind < 65) {
            static const std::vector<std::string> seps{"=", " = ", ":", ": ", " :", "\t=\t"};
            option_indent_ = indent();
            in_option_ = true;
            return option_indent_ + key() + one_of(seps) + value() + eol();
        }
        if (kind < 75) return indent() + (chance(0.5) ? "#" : ";") + value() + eol();
        if (kind < 85) return indent() + eol();
        if (kind < 91) {
            static const std::vector<std::string> headers{"[DEFAULT]", "[other]", "[DEFAULT]", "[s]x]", "[DEFAULT]", "[]"};
            if (chance(0.5)) keys_.clear();
            in_option_ = false;
            return indent() + one_of(headers) + eol();
        }
        if (kind < 95) return indent() + "no separator here" + eol();
        return indent() + one_of(std::vector<std::string>{"= v", "%(x)s = 1", "[x] = 1"}) + eol();
    }

    std::mt19937 rng_;
    std::vector<std::string> keys_;
    std::string option_indent_;
    bool in_option_ = false;
};

}  // namespace

TEST_CASE("tricky .testr.conf files read exactly as Python's configparser reads them") {
    const auto counts = compare_with_python(tricky_files());
    // The set holds both kinds; a harness that agreed by failing everything
    // would stop here.
    CHECK(counts.both_ok >= 25);
    CHECK(counts.both_failed >= 15);
}

TEST_CASE("random .testr.conf files read exactly as Python's configparser reads them") {
    const std::uint32_t seed = std::random_device{}();
    CAPTURE(seed);
    random_conf gen(seed);
    std::vector<std::string> texts;
    for (int i = 0; i < 600; ++i) texts.push_back(gen.next());
    const auto counts = compare_with_python(texts);
    std::string kinds;
    for (const auto& [kind, n] : counts.failures) kinds += " " + kind + "=" + std::to_string(n);
    MESSAGE("random files: " << counts.both_ok << " read, " << counts.both_failed << " rejected by both:" << kinds);
    CHECK(counts.both_ok >= 90);
    CHECK(counts.both_failed >= 200);
}

TEST_CASE("values, lines and lookups") {
    const auto conf = cfg::parse("[DEFAULT]\nTest_Command = run\n  --all\n\n  --x\n\nPct = 5%%\n", "t.conf");
    REQUIRE(conf.has_value());
    CHECK(conf->get("test_command") == "run\n--all\n\n--x");
    CHECK(conf->get("TEST_COMMAND") == conf->get("test_command"));
    CHECK(conf->get("pct") == "5%");
    CHECK_FALSE(conf->get("absent").has_value());
    CHECK(conf->line_of("test_command") == 2);
    CHECK(conf->line_of("pct") == 7);
    CHECK(conf->line_of("absent") == 0);
}

TEST_CASE("errors name the file and line") {
    const auto dup = cfg::parse("[DEFAULT]\na = 1\n\na = 2\n", "/p/.testr.conf");
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().what().rfind("/p/.testr.conf:4: ", 0) == 0);
    const auto interp = cfg::parse("[DEFAULT]\nok = 1\nbad = %(nope)s\n", "c");
    REQUIRE_FALSE(interp.has_value());
    CHECK(interp.error().line == 3);
    CHECK(interp.error().message.find("nope") != std::string::npos);
    const auto utf = cfg::parse("[DEFAULT]\na = 1\nb = \xc3(\n", "c");
    REQUIRE_FALSE(utf.has_value());
    CHECK(utf.error().what() == "c:3: invalid UTF-8 at byte offset 20");
}

TEST_CASE("load: a missing or unreadable file is the original's 'No .testr.conf config file'") {
    temp_dir dir;
    const auto missing = cfg::load(dir / ".testr.conf");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().line == 0);
    CHECK(missing.error().what().find(dir / ".testr.conf") == 0);
    CHECK(missing.error().message.find("No .testr.conf config file") != std::string::npos);
    const auto directory = cfg::load(dir.path());
    CHECK_FALSE(directory.has_value());

    test_support::write_file(dir / ".testr.conf", "[DEFAULT]\ntest_command=true\n");
    const auto loaded = cfg::load(dir / ".testr.conf");
    REQUIRE(loaded.has_value());
    CHECK(loaded->path == dir / ".testr.conf");
    CHECK(loaded->get("test_command") == "true");
}

TEST_CASE("command_settings_of takes the command keys, and requires test_command") {
    const auto conf = cfg::parse(
        "[DEFAULT]\ntest_command=run $IDOPTION\ntest_id_option=--load-list $IDFILE\ntest_id_list_default=\n", "c");
    REQUIRE(conf.has_value());
    const auto settings = cfg::command_settings_of(*conf);
    REQUIRE(settings.has_value());
    CHECK(settings->test_command == "run $IDOPTION");
    CHECK(settings->test_id_option == "--load-list $IDFILE");
    CHECK_FALSE(settings->test_list_option.has_value());
    CHECK(settings->test_id_list_default == "");

    const auto none = cfg::parse("[DEFAULT]\ntest_id_option=x\n", "c");
    REQUIRE(none.has_value());
    const auto missing = cfg::command_settings_of(*none);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().what() == "c: No test_command option present in .testr.conf");
}
