// Tests of the subunit v1 reader (adapters/subunit_v1.hpp) against
// python-subunit's own v1 parser (tests/legacy/v1_oracle.py, subunit-1to2's
// conversion): on the runs a real testr stored, on every prefix of one, on
// hand-made streams, and on bad input the reference cannot read.
#include "subunit_v1.hpp"

#include "legacy/legacy_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

namespace su = testr::subunit;
using namespace legacy_test;

namespace {

std::vector<std::string> ours(std::string_view v1, std::size_t split = std::string_view::npos) {
    std::vector<std::string> lines;
    su::v1::decoder d([&](const su::event_view& e) { lines.push_back(canonical(e)); });
    if (split == std::string_view::npos) {
        d.feed(v1);
    } else {
        d.feed(v1.substr(0, split));
        d.feed(v1.substr(split));
    }
    d.finish();
    return lines;
}

std::vector<std::string> reference(const fs::path& file) {
    const auto r = run(python() + " " + shell_quote(helper("v1_oracle.py").string()) + " dump " + shell_quote(file.string()));
    REQUIRE(r.exit_code == 0);
    return lines_of(r.out);
}

std::vector<std::string> reference_text(std::string_view v1) {
    temp_dir t;
    write_file(t / "stream", v1);
    return reference(t / "stream");
}

bool has_parser_error(const std::vector<std::string>& lines) {
    return std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("id=\"subunit.parser\" status=fail") != std::string::npos &&
               l.find("file=\"Parser%20Error\"") != std::string::npos;
    });
}

std::string parser_message(std::string_view v1) {
    std::string message;
    su::v1::decoder d([&](const su::event_view& e) {
        if (e.file_name == "Parser Error") message = std::string(e.file_bytes);
    });
    d.feed(v1);
    d.finish();
    return message;
}

}  // namespace

TEST_CASE("every stream a real testr stored reads as python-subunit reads it") {
    const fs::path repo = testr_fixture() / ".testrepository";
    int files = 0;
    for (const char* name : {"0", "1", "2", "3", "4", "failing"}) {
        CAPTURE(name);
        const std::string v1 = read_file(repo / name);
        REQUIRE(!v1.empty());
        check_same_lines(ours(v1), reference(repo / name));
        ++files;
    }
    CHECK(files == 6);
}

TEST_CASE("a stored run cut at every byte reads as the reference reads it, or is reported") {
    // Run 1 has multipart details with several parts, a "]" inside a body,
    // tags and times: every state of the parser is cut somewhere.
    const fs::path file = testr_fixture() / ".testrepository" / "1";
    const std::string v1 = read_file(file);
    const auto r = run(python() + " " + shell_quote(helper("v1_oracle.py").string()) + " cuts " + shell_quote(file.string()));
    REQUIRE(r.exit_code == 0);
    const auto all = lines_of(r.out);
    std::size_t compared = 0, reported = 0, at = 0;
    for (std::size_t n = 0; n <= v1.size(); ++n) {
        REQUIRE(at < all.size());
        REQUIRE(all[at] == "== " + std::to_string(n));
        std::vector<std::string> want;
        for (++at; at < all.size() && !all[at].starts_with("== "); ++at) want.push_back(all[at]);
        const std::string_view prefix = std::string_view(v1).substr(0, n);
        const auto got = ours(prefix);
        CAPTURE(n);
        if (want.size() == 1 && want[0].starts_with("ERROR ")) {
            // The reference raises (a cut time or chunk header); ours says so.
            CHECK(has_parser_error(got));
            ++reported;
        } else {
            check_same_lines(got, want);
            ++compared;
        }
        // Fed in two pieces, split anywhere, the same events.
        if (n % 7 == 0) check_same_lines(ours(prefix, n / 2), got);
    }
    MESSAGE(compared << " prefixes identical to the reference, " << reported << " reported where it raises");
    CHECK(compared > v1.size() / 2);
    CHECK(reported > 0);
}

TEST_CASE("hand-made streams: every command spelling, details, tags and times as the reference") {
    const std::string streams[] = {
        // Simple details, with a quoted "]" line; outcomes of each kind.
        "time: 2024-02-29 23:59:59.5Z\n"
        "test: a\nfailure: a [\nline one\n ]quoted\n]\n"
        "testing: b\nerror: b [\ntrace\n]\n"
        "test c\nskip c [\nwhy\n]\n"
        "test: d\nsuccess: d [\nmsg\n]\n"
        "test: e\nxfail: e [\nexpected\n]\n"
        "test: f\nuxsuccess: f [\nsurprise\n]\n"
        "test: g\nsuccessful: g\n"
        "test: h\nuxsuccess: h\n",
        // Tags: stream-wide, per test, removals; unicode whitespace splits.
        "tags: one two\ntest: t1\ntags: inner -one\nsuccess: t1\n"
        "tags: -two three\xC2\xA0" "four\ntest: t2\nsuccess: t2\n",
        // Time zones, fractions, trailing text after a time.
        "time: 2024-01-01 01:00:00+01:00\ntest: z\n"
        "time: 2024-01-01T00:00:01.123456789-00:30 and more\nsuccess: z\n",
        // Progress is dropped; "s:" and ":" are skip to the reference.
        "progress: +3\nprogress: push\nprogress: 12\ntest: p\ns: p\n"
        "test: q\n: q\n",
        // Non-protocol text everywhere, and outcomes for another test.
        "hello\n  indented\ntest: x\nnoise\nsuccess: y\nsuccess: x\ntrailing words\n",
        // Multipart: a repeated name keeps its place, takes the last bytes;
        // an empty detail; lengths on the line of the previous body.
        "test: m\nfailure: m [ multipart\n"
        "Content-Type: text/plain\nlog\n3\r\nabc0\r\n"
        "Content-Type: application/octet-stream\nempty\n0\r\n"
        "X text/x-log;charset=utf8\nlog\n2\r\nxy3\r\nz\nw0\r\n"
        "]\n",
        // Lost connections: in a test, in each kind of details.
        "test: lost\n",
        "test: lost2\nfailure: lost2 [\npartial",
        "test: lost3\nskip: lost3 [ multipart\nContent-Type: text/plain\nr\n5\r\nab",
        // A last line without a newline loses its last byte, as in the reference.
        "test: cut\nsuccess: cut",
    };
    for (const auto& s : streams) {
        CAPTURE(s);
        check_same_lines(ours(s), reference_text(s));
    }
}

TEST_CASE("input the reference raises on is reported with its line and offset, and reading goes on") {
    struct bad {
        std::string stream, message;
        bool reference_raises = true;  // else it reads on to a lost connection
    };
    const bad cases[] = {
        {"test: a\ntime: 2024-13-01 00:00:00Z\nsuccess: a\n", "bad time '2024-13-01 00:00:00Z': not a valid date and time (line 2, byte offset 8)"},
        {"time: 2024-01-01\ntest: a\nsuccess: a\n", "bad time '2024-01-01': no hh:mm:ss time of day (line 1, byte offset 0)"},
        {"time: 1969-12-31 23:59:59Z\ntest: a\nsuccess: a\n", "bad time '1969-12-31 23:59:59Z': outside the seconds a v2 timestamp holds (1970-2106) (line 1, byte offset 0)"},
        {"test: a\nfailure: a [ multipart\nContent-Type: text/plain\nn\nzz\r\n]\ntest: b\nsuccess: b\n",
         "chunk length holds a byte that is not hex (line 5, byte offset 58)", false},
        {"test: a\nfailure: a [ multipart\nContent-Type: text/plain\nn\n3\n]\n", "chunk header is not hex digits then CRLF (line 5, byte offset 58)"},
        {"test: a\nfailure: a [ multipart\nnospace\n]\n", "MIME line has no space before the type (line 3, byte offset 31)"},
        {"test: a\nfailure: a [ multipart\nContent-Type: a/b/c\n]\n", "invalid MIME type (line 3, byte offset 31)"},
        {"test: \xff\xfe\n", "test id is not UTF-8 or holds a NUL byte (line 1, byte offset 0)"},
        {"tags: \xc3\n", "tags are not UTF-8 or hold a NUL byte (line 1, byte offset 0)"},
        {"progress: many\n", "bad progress value (line 1, byte offset 0)"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.stream);
        CHECK(parser_message(c.stream) == c.message);
        if (!c.reference_raises) continue;
        // The reference gives up on each of these; it must really raise, or
        // the case tests nothing.
        temp_dir t;
        write_file(t / "s", c.stream);
        const auto r = run(python() + " " + shell_quote(helper("v1_oracle.py").string()) + " cuts " +
                           shell_quote(t / "s") + " | tail -1");
        CHECK(r.out.starts_with("ERROR "));
    }
    // After a broken detail, the test still gets its outcome at "]", and
    // the next test is read.
    const auto lines = ours("test: a\nfailure: a [ multipart\nContent-Type: text/plain\nn\nzz\r\nmore\n]\ntest: b\nsuccess: b\n");
    REQUIRE(lines.size() == 6);
    CHECK(lines[3].starts_with("id=\"a\" status=fail"));
    CHECK(lines[5].starts_with("id=\"b\" status=success"));
}

TEST_CASE("to_v2 writes what the v2 decoder reads back as the same events") {
    const std::string v1 = read_file(testr_fixture() / ".testrepository" / "1");
    std::vector<std::string> back;
    su::decoder d([&](const su::event_view& e, std::string_view) { back.push_back(canonical(e)); });
    d.feed(su::v1::to_v2(v1));
    d.finish();
    check_same_lines(back, ours(v1));
}

TEST_CASE("real runs with random bytes changed, cut and repeated: events always encodable, offsets in range") {
    // What a fuzzer would do, deterministically: every state of the
    // parser meets bytes it does not expect. The promise checked: no crash,
    // every event one the v2 encoder takes, every error naming a line of
    // the input.
    const std::string v1 = read_file(testr_fixture() / ".testrepository" / "1");
    std::mt19937 rng(18);
    static constexpr char raw[] = "\n\r ]:[0123456789abcdefABCDEF\xC3\xA9\xB3\0-\t/";
    const std::string specials(raw, sizeof raw - 1);  // with its NUL
    std::size_t errors = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string s = v1;
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < edits; ++k) {
            const std::size_t at = rng() % s.size();
            switch (rng() % 4) {
            case 0: s[at] = specials[rng() % specials.size()]; break;
            case 1: s.erase(at, 1 + rng() % 16); break;
            case 2: s.insert(at, s.substr(rng() % s.size(), 1 + rng() % 64)); break;
            default: s[at] = static_cast<char>(rng() % 256); break;
            }
            if (s.empty()) s = "x";
        }
        const std::size_t lines = static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
        su::v1::decoder d([&](const su::event_view& e) {
            std::string out;
            REQUIRE_MESSAGE(su::encode(e, out).has_value(), canonical(e));
            if (e.file_name == "Parser Error") {
                ++errors;
                const std::string m(e.file_bytes);
                const auto line_at = m.rfind("(line ");
                REQUIRE(line_at != std::string::npos);
                const std::size_t line = std::stoul(m.substr(line_at + 6));
                const std::size_t offset = std::stoul(m.substr(m.rfind("byte offset ") + 12));
                CHECK(line >= 1);
                CHECK(line <= lines);
                CHECK(offset < s.size());
            }
        });
        // Fed in random pieces, as from a pipe.
        for (std::size_t at = 0; at < s.size();) {
            const std::size_t n = std::min<std::size_t>(s.size() - at, 1 + rng() % 300);
            d.feed(std::string_view(s).substr(at, n));
            at += n;
        }
        d.finish();
    }
    MESSAGE(errors << " parser errors reported over 3000 damaged streams");
    CHECK(errors > 100);
}
