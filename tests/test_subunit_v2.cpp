// Tests of the subunit v2 codec (adapters/subunit_v2.hpp): against the real
// python3-subunit reader, writer and tools, on random events, on every
// truncation of a stream, on corrupt packets, and on the kept fuzz inputs.
#include "subunit_v2.hpp"

#include "../fuzz/subunit_check.hpp"
#include "subunit/support.hpp"

#include <doctest/doctest.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <sys/wait.h>

namespace fs = std::filesystem;
namespace su = testr::subunit;
using su::event;
using su::status;
using namespace subunit_test;

namespace {

fs::path helper(const char* name) { return source_root() / "tests" / "subunit" / name; }

std::vector<std::string> canonical(const std::vector<event>& events) {
    std::vector<std::string> lines;
    for (const auto& e : events) lines.push_back(subunit_test::canonical(e));
    return lines;
}

// Our "Parser Error" messages are the reference's plus the packet's offset;
// strips that suffix after checking it, so the rest compares exactly.
std::vector<std::string> without_offsets(std::vector<std::string> lines, std::vector<std::uint64_t>& offsets) {
    static const std::regex suffix("%20\\(packet%20at%20byte%20offset%20([0-9]+)\\)\"");
    for (auto& l : lines) {
        std::smatch m;
        if (l.find("file=\"Parser%20Error\"") != std::string::npos && std::regex_search(l, m, suffix)) {
            offsets.push_back(std::stoull(m[1].str()));
            l = m.prefix().str() + "\"" + m.suffix().str();
        }
    }
    return lines;
}

// Events exactly as decoded (stdout batches not merged).
std::vector<event> decode_exact(std::string_view stream) {
    std::vector<event> events;
    su::decoder d([&](const su::event_view& e, std::string_view) { events.push_back(su::to_event(e)); });
    d.feed(stream);
    d.finish();
    return events;
}

std::string encode_all(const std::vector<event>& events) {
    std::string out;
    for (const auto& e : events) {
        auto r = su::encode(e, out);
        REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
    }
    return out;
}

// Rewrites the CRC of a whole packet after its bytes were patched.
std::string with_crc(std::string packet) {
    const auto crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(packet.data()), static_cast<uInt>(packet.size() - 4)));
    for (int i = 0; i < 4; ++i) packet[packet.size() - 4 + i] = static_cast<char>(crc >> (24 - 8 * i));
    return packet;
}

event test_event(std::string id, status st) {
    event e;
    e.test_id = std::move(id);
    e.test_status = st;
    return e;
}

// --- random events --------------------------------------------------------

struct generator {
    std::mt19937_64 rng;
    explicit generator(std::uint64_t seed) : rng(seed) {}

    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }
    bool coin() { return below(2) == 1; }

    // Valid UTF-8 of 1- to 4-byte characters, no NUL.
    std::string text(std::size_t max_chars) {
        static const std::array<const char*, 8> pieces = {"a", "Z", ".", "_", "\xc3\xb3", "\xc2\xb3",
                                                          "\xe6\xb5\x8b", "\xf0\x9f\x98\x80"};
        std::string s;
        for (std::size_t i = below(max_chars + 1); i > 0; --i) {
            if (below(3) == 0) {
                s += pieces[below(pieces.size())];
            } else {
                s += static_cast<char>('!' + below(94));
            }
        }
        return s;
    }

    std::optional<std::string> maybe_text(std::size_t max_chars) {
        return coin() ? std::optional<std::string>(text(max_chars)) : std::nullopt;
    }

    event next() {
        event e;
        e.test_id = maybe_text(80);
        e.test_status = static_cast<status>(below(8));
        for (std::size_t i = below(4); i > 0; --i) e.tags.push_back(text(12));
        if (coin()) e.time = su::timestamp{static_cast<std::int64_t>(below(std::size_t{1} << 32)),
                                           static_cast<std::uint32_t>(below(1'000'000'000))};
        e.mime_type = maybe_text(30);
        if (below(4) == 0) {
            e.file_name = text(20);
            // Sizes around the 1-, 2- and 3-byte varint limits.
            static const std::array<std::size_t, 6> sizes = {0, 5, 63, 64, 16383, 20000};
            for (std::size_t i = sizes[below(sizes.size())]; i > 0; --i) e.file_bytes += static_cast<char>(below(256));
        }
        e.eof = coin();
        e.route_code = maybe_text(6);
        e.runnable = coin();
        return e;
    }
};

}  // namespace

// --- interoperability with python3-subunit -----------------------------------

TEST_CASE("a python-written stream decodes to the events python's reader gives") {
    temp_dir tmp;
    const fs::path stream_file = tmp / "python.subunit";
    REQUIRE(run(python() + " " + shell_quote(helper("write_fixture.py")) + " " + shell_quote(stream_file)).exit_code == 0);
    const std::string stream = read_file(stream_file);
    const auto reference = run(python() + " " + shell_quote(helper("dump.py")) + " " + shell_quote(stream_file));
    REQUIRE(reference.exit_code == 0);
    const auto expected = lines_of(reference.out);
    REQUIRE(expected.size() > 20);

    std::vector<std::uint64_t> offsets;
    const auto ours = without_offsets(canonical(decode_exact(stream)), offsets);
    check_same_lines(ours, expected);
    // The corrupt packet of the fixture follows the "not.runnable" packet.
    REQUIRE(offsets.size() == 1);
    CHECK(stream.substr(offsets[0], 1) == "\xb3");
    CHECK(stream.substr(offsets[0] + 5, 10) == "corrupt.me");

    // Fed in pieces as from a pipe, the same events arrive; only the batching
    // of non-packet bytes may differ, so neighbouring stdout events merge.
    const auto merged = su::check::decode(stream).events;
    for (const std::vector<std::size_t>& chunks : std::vector<std::vector<std::size_t>>{{1}, {2, 5}, {4096}, {65536, 3}}) {
        const auto pieces = su::check::decode(stream, chunks);
        CHECK(pieces.raw == stream);
        check_same_lines(canonical(pieces.events), canonical(merged));
    }
}

TEST_CASE("the encoder writes the bytes python-subunit's writer writes") {
    temp_dir tmp;
    const fs::path stream_file = tmp / "python.subunit";
    REQUIRE(run(python() + " " + shell_quote(helper("write_fixture.py")) + " " + shell_quote(stream_file)).exit_code == 0);
    const std::string stream = read_file(stream_file);
    std::size_t packets = 0;
    su::decoder d([&](const su::event_view& e, std::string_view raw) {
        if (raw.empty() || raw[0] != '\xb3' || (e.test_id && *e.test_id == "subunit.parser")) return;
        std::string again;
        REQUIRE(su::encode(e, again));
        CHECK(again == raw);
        ++packets;
    });
    d.feed(stream);
    d.finish();
    CHECK(packets == 19);
}

TEST_CASE("python's reader and the subunit tools read what the encoder writes") {
    temp_dir tmp;
    generator gen(42);
    SUBCASE("python's reader gives the events we wrote, field by field") {
        std::vector<event> events;
        for (int i = 0; i < 400; ++i) events.push_back(gen.next());
        event big = test_event("big.file \xe6\xb5\x8b", status::fail);
        big.file_name = "log";
        big.mime_type = "text/plain";
        big.tags = {"worker-2"};
        big.route_code = "1";
        big.eof = true;
        big.time = su::timestamp{1700000000, 1500};
        for (std::size_t i = 0; i < 9 * 1024 * 1024; ++i) big.file_bytes += static_cast<char>('a' + i % 26);
        events.insert(events.begin() + 200, big);
        const std::string stream = encode_all(events);
        write_file(tmp / "ours.subunit", stream);
        const auto reference = run(python() + " " + shell_quote(helper("dump.py")) + " " +
                                   shell_quote(tmp / "ours.subunit"));
        REQUIRE(reference.exit_code == 0);
        const auto decoded = decode_exact(stream);
        check_same_lines(canonical(decoded), lines_of(reference.out));
        // Decoded, the big event is three chunks of one file; the rest is what we wrote.
        REQUIRE(decoded.size() == events.size() + 2);
        std::string joined;
        for (std::size_t i = 200; i < 203; ++i) {
            joined += decoded[i].file_bytes;
            CHECK(decoded[i].test_id == big.test_id);
            CHECK(decoded[i].test_status == (i == 202 ? status::fail : status::none));
            CHECK(decoded[i].eof == (i == 202));
        }
        CHECK(joined == big.file_bytes);
        std::vector<event> rest(decoded.begin(), decoded.begin() + 200);
        rest.insert(rest.end(), decoded.begin() + 203, decoded.end());
        events.erase(events.begin() + 200);
        CHECK(rest == events);
    }
    SUBCASE("subunit-ls, subunit-stats and subunit-filter") {
        static const std::array<status, 5> finals = {status::success, status::fail, status::skip, status::xfail,
                                                     status::uxsuccess};
        std::vector<event> events;
        std::vector<std::string> ids, worker1;
        std::map<std::string, int> counts;
        for (int i = 0; i < 60; ++i) {
            const std::string id = "pkg.t\xc3\xa9st_" + std::to_string(i) + (i % 7 == 0 ? ".\xe6\xb5\x8b" : "");
            const status st = finals[gen.below(finals.size())];
            const std::string worker = "worker-" + std::to_string(i % 3);
            event start = test_event(id, status::inprogress);
            start.time = su::timestamp{1700000000 + i, 0};
            start.tags = {worker};
            event end = start;
            end.test_status = st;
            end.time->nanoseconds = 250'000'000;
            events.push_back(start);
            if (st == status::fail) {
                event tb = start;
                tb.test_status = status::none;
                tb.time.reset();
                tb.file_name = "traceback";
                tb.mime_type = "text/x-traceback;charset=utf8";
                tb.file_bytes = "Traceback (most recent call last):\nAssertionError: " + id + "\n";
                tb.eof = true;
                events.push_back(tb);
            }
            events.push_back(end);
            ids.push_back(id);
            // subunit-filter never filters out an unexpected success (see
            // TestResultFilter.addUnexpectedSuccess in subunit/test_results.py).
            if (i % 3 == 1 || st == status::uxsuccess) {
                worker1.push_back(id + " " + std::string(su::to_string(st)) + " " + worker);
            }
            ++counts[std::string(su::to_string(st))];
        }
        const fs::path file = tmp / "tools.subunit";
        write_file(file, encode_all(events));
        const std::string in = " < " + shell_quote(file);

        const auto ls = run("subunit-ls --no-passthrough" + in);
        CHECK(ls.exit_code == (counts["fail"] > 0 ? 1 : 0));
        CHECK(lines_of(ls.out) == ids);

        const auto stats = run("subunit-stats --no-passthrough" + in);
        char expected_stats[256];
        std::snprintf(expected_stats, sizeof expected_stats,
                      "Total tests:   %5d\nPassed tests:  %5d\nFailed tests:  %5d\nSkipped tests: %5d\n"
                      "Seen tags: worker-0, worker-1, worker-2\n",
                      60, counts["success"] + counts["xfail"] + counts["uxsuccess"], counts["fail"], counts["skip"]);
        CHECK(stats.out == expected_stats);

        // subunit-filter re-synthesises the stream; decode its output with ours.
        const auto filtered = run("subunit-filter -s --xfail --no-passthrough --with-tag=worker-1" + in);
        std::vector<std::string> got;
        for (const auto& e : decode_exact(filtered.out)) {
            if (e.test_status > status::inprogress && e.tags.size() == 1) {
                got.push_back(*e.test_id + " " + std::string(su::to_string(e.test_status)) + " " + e.tags[0]);
            } else if (e.test_status > status::inprogress) {
                FAIL_CHECK("tags lost or added: " << canonical(e));
            }
        }
        check_same_lines(got, worker1);
    }
}

// --- properties -------------------------------------------------------------

TEST_CASE("thousands of random events survive encode and decode unchanged") {
    generator gen(7);
    std::vector<event> events;
    for (int i = 0; i < 5000; ++i) events.push_back(gen.next());
    const std::string stream = encode_all(events);
    std::vector<event> decoded;
    std::string raw;
    std::size_t index = 0;
    su::decoder d([&](const su::event_view& e, std::string_view r) {
        decoded.push_back(su::to_event(e));
        raw += r;
        // Each packet is exactly what encoding its event gives.
        std::string again;
        REQUIRE(su::encode(events.at(index++), again));
        CHECK(again == r);
    });
    // Random chunk sizes, so packets split everywhere, headers included.
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = 1 + gen.below(gen.coin() ? 8 : 100000);
        d.feed(std::string_view(stream).substr(at, n));
        at += n;
    }
    d.finish();
    CHECK(raw == stream);
    CHECK(decoded.size() == events.size());
    CHECK((decoded == events));
    // Borrowing and copying back changes nothing, and encodes the same.
    for (std::size_t i = 0; i < 200; ++i) {
        const su::event_view v = su::to_view(events[i]);
        CHECK(su::to_event(v) == events[i]);
        std::string a, b;
        REQUIRE(su::encode(v, a));
        REQUIRE(su::encode(events[i], b));
        CHECK(a == b);
    }
}

TEST_CASE("the codec's CRC-32 is zlib's on every buffer and every packet") {
    // The codec sums with libdeflate; every other subunit implementation
    // (python-subunit included) with zlib's crc32(). Lengths around the
    // word, vector and fold widths libdeflate switches between, and then
    // the packets of random events, whose trailing CRC must be zlib's.
    std::mt19937_64 rng(21);
    std::string buf(70000, '\0');
    for (auto& c : buf) c = static_cast<char>(rng());
    auto zlib_crc = [](const char* p, std::size_t n) {
        return static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
    };
    std::size_t compared = 0;
    for (std::size_t n = 0; n <= 1100; ++n) {
        for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{7}, n * 13 % 64}) {
            REQUIRE(libdeflate_crc32(0, buf.data() + offset, n) == zlib_crc(buf.data() + offset, n));
            ++compared;
        }
    }
    for (std::size_t n : {4095u, 4096u, 4097u, 65535u, 65536u, 69999u}) {
        CHECK(libdeflate_crc32(0, buf.data(), n) == zlib_crc(buf.data(), n));
    }
    CHECK(compared == 4 * 1101);

    generator gen(21);
    std::size_t packets = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string out;
        REQUIRE(su::encode(gen.next(), out));
        su::decoder d([&](const su::event_view&, std::string_view raw) {
            REQUIRE(raw.size() > 4);
            const auto* p = reinterpret_cast<const unsigned char*>(raw.data() + raw.size() - 4);
            const std::uint32_t stored = std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 |
                                         std::uint32_t{p[2]} << 8 | p[3];
            CHECK(stored == zlib_crc(raw.data(), raw.size() - 4));
            ++packets;
        });
        d.feed(out);
        d.finish();
    }
    CHECK(packets >= 3000);
}

TEST_CASE("a stream cut at every byte length gives clean events or a subunit.parser failure") {
    std::vector<event> events;
    event tb = test_event("t\xc3\xa9st.one", status::none);
    tb.file_name = "traceback";
    tb.file_bytes = std::string(70, 'x');  // a 2-byte length varint
    tb.tags = {"worker-0", "a"};
    tb.time = su::timestamp{1700000000, 123};
    events = {test_event("t\xc3\xa9st.one", status::inprogress), tb, test_event("t\xc3\xa9st.one", status::fail)};
    const std::string stream = encode_all({events[0]}) + "text \xc3\xb3\xe2\x80\xb3 more\n" +
                               encode_all({events[1], events[2]}) + "tail \xf0\x9f\x98\x80";
    const auto full = su::check::decode(stream).events;
    REQUIRE(full.size() == 5);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        CAPTURE(cut);
        const std::string_view prefix = std::string_view(stream).substr(0, cut);
        const auto got = su::check::decode(prefix);
        CHECK(got.raw == prefix);
        const auto one_by_one = su::check::decode(prefix, {1});
        CHECK((one_by_one.events == got.events));
        // Either a prefix of the full events, the last text possibly cut ...
        std::size_t same = 0;
        while (same < got.events.size() && same < full.size() && got.events[same] == full[same]) ++same;
        if (same == got.events.size()) continue;
        const event& last = got.events.back();
        if (same + 1 == got.events.size() && last.file_name == std::optional<std::string>("stdout") &&
            full[same].file_bytes.starts_with(last.file_bytes)) {
            continue;
        }
        // ... or those followed by one truncated-packet failure.
        REQUIRE(same + 2 == got.events.size());
        CHECK(got.events[same].file_name == std::optional<std::string>("Packet data"));
        CHECK(prefix.ends_with(got.events[same].file_bytes));
        CHECK(got.events[same + 1].test_status == status::fail);
        CHECK(got.events[same + 1].file_bytes.starts_with("Truncated packet"));
        CHECK(su::check::problems(prefix) == "");
    }
}

// --- corrupt input ----------------------------------------------------------

TEST_CASE("a corrupt packet becomes a subunit.parser failure and decoding carries on") {
    const std::string before = encode_all({test_event("before", status::success)});
    const std::string after = encode_all({test_event("after", status::success)});
    const std::string good = encode_all({test_event("abc", status::success)});  // id at bytes 4..7
    event tagged = test_event("t", status::none);
    tagged.tags = {"xy"};
    const std::string good_tags = encode_all({tagged});  // tags at bytes 6..9
    event filed = test_event("f", status::none);
    filed.file_name = "n";
    filed.file_bytes = "12";
    const std::string good_file = encode_all({filed});  // byte count at 8

    struct corruption {
        const char* name;
        std::string bytes;     // the corrupt packet
        std::size_t reported;  // how many of its bytes the failure carries
        const char* message;
    };
    auto patched = [](std::string p, std::size_t at, char c) {
        p[at] = c;
        return with_crc(p);
    };
    std::string bad_crc = good;
    bad_crc.back() ^= 0x5A;
    const std::vector<corruption> cases = {
        {"bad CRC", bad_crc, good.size(), "Bad checksum - calculated (0x"},
        {"4-byte length", "\xb3\x29\x03\xc0\x00\x00\x10" + std::string(9, 'z'), 7, "packet length takes 4 bytes"},
        {"length shorter than a packet", std::string("\xb3\x29\x03\x05", 4), 4, "packet length 5 is shorter"},
        {"test id not UTF-8", patched(good, 5, '\xff'), good.size(), "test id at packet byte 4 is not UTF-8"},
        {"NUL in a tag", patched(good_tags, 8, '\0'), good_tags.size(), "tag at packet byte 7 is not UTF-8 or holds a NUL"},
        {"test id past the end", patched(good, 4, '\x3f'), good.size(), "test id at packet byte 5 claims 63 bytes"},
        {"file bytes past the end", patched(good_file, 8, '\x09'), good_file.size(), "file content at packet byte 9"},
        {"unknown version", patched(good, 1, '\x39'), good.size(), "unsupported packet version 3"},
        {"bytes after the fields", with_crc(good.substr(0, 3) + char(good[3] + 1) + good.substr(4, 4) + "!" +
                                            good.substr(8)),
         good.size() + 1, "1 bytes after the last field"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        const std::string stream = before + c.bytes + after;
        const auto events = decode_exact(stream);
        REQUIRE(events.size() >= 4);
        CHECK(events[0] == decode_exact(before)[0]);
        CHECK(events[1].test_id == std::optional<std::string>("subunit.parser"));
        CHECK(events[1].file_name == std::optional<std::string>("Packet data"));
        CHECK(events[1].mime_type == std::optional<std::string>("application/octet-stream"));
        CHECK(events[1].file_bytes == c.bytes.substr(0, c.reported));
        CHECK(events[2].test_status == status::fail);
        CHECK(events[2].file_name == std::optional<std::string>("Parser Error"));
        CHECK(events[2].file_bytes.find(c.message) != std::string::npos);
        CHECK(events[2].file_bytes.ends_with("(packet at byte offset " + std::to_string(before.size()) + ")"));
        CHECK(events.back() == decode_exact(after)[0]);
        CHECK(su::check::problems(stream) == "");
    }
}

TEST_CASE("memory stays bounded by the packet limit whatever lengths the input claims") {
    // Headers claiming the largest length, over and over, fed as from a pipe:
    // each failure must arrive once its claimed bytes have, not at the end.
    std::string junk;
    while (junk.size() < 20 * 1024 * 1024) junk += std::string("\xb3\x20\x00\xbf\xff\xff", 6) + std::string(1000, 'j');
    std::size_t failures = 0, biggest = 0;
    std::uint64_t first_failure_at = 0;
    su::decoder* self = nullptr;
    su::decoder d([&](const su::event_view& e, std::string_view) {
        biggest = std::max(biggest, e.file_bytes.size());
        if (e.file_name == std::optional<std::string_view>("Parser Error")) {
            if (failures++ == 0) first_failure_at = self->offset();
        }
    });
    self = &d;
    for (std::size_t at = 0; at < junk.size(); at += 65536) d.feed(std::string_view(junk).substr(at, 65536));
    d.finish();
    CHECK(failures >= 5);
    CHECK(biggest <= su::max_packet_size);
    CHECK(first_failure_at <= su::max_packet_size + 65536);
}

TEST_CASE("bytes between packets become stdout events, UTF-8 characters kept whole") {
    const std::string packet = encode_all({test_event("x", status::success)});
    SUBCASE("0xB3 inside a character is text, after it a signature") {
        const std::string text = "\xc3\xb3\xc2\xb3 \xe2\x80\xb3";  // "ó³ ″": 0xB3 ends each character
        const auto events = decode_exact(text + packet + "\xed\xb3" + packet);
        REQUIRE(events.size() == 4);
        CHECK(events[0].file_bytes == text);
        CHECK(events[1].test_id == std::optional<std::string>("x"));
        // 0xED wants 0x80..0x9F next: 0xB3 breaks the character but, as in
        // the reference, is not taken for a signature.
        CHECK(events[2].file_bytes == "\xed\xb3");
        CHECK(events[3].test_id == std::optional<std::string>("x"));
    }
    SUBCASE("a character split between two feeds arrives whole") {
        std::vector<std::string> texts;
        su::decoder d([&](const su::event_view& e, std::string_view) { texts.emplace_back(e.file_bytes); });
        d.feed("ab\xf0\x9f");
        d.feed("\x98");
        d.feed("\x80" "cd\xe6");
        d.finish();
        CHECK(texts == std::vector<std::string>{"ab", "\xf0\x9f\x98\x80" "cd", "\xe6"});
    }
    SUBCASE("at most 1 MiB per stdout event, like the reference") {
        const auto events = decode_exact(std::string(2'500'000, 'y') + packet);
        REQUIRE(events.size() == 4);
        CHECK(events[0].file_bytes.size() == 1024 * 1024);
        CHECK(events[1].file_bytes.size() == 1024 * 1024);
        CHECK(events[2].file_bytes.size() == 2'500'000 - 2 * 1024 * 1024);
        CHECK(events[3].test_id == std::optional<std::string>("x"));
    }
}

// --- encoder ----------------------------------------------------------------

TEST_CASE("the encoder refuses what cannot be encoded and leaves the output alone") {
    std::vector<event> bad;
    using namespace std::string_literals;
    for (const std::string& id : {"nul\0id"s, "\xc0\x80"s, "\xed\xa0\x80"s, "\xf5\x80\x80\x80"s, "cut \xe6\xb5"s}) {
        bad.push_back(test_event(id, status::success));
    }
    event bad_tag = test_event("ok", status::none);
    bad_tag.tags = {"fine", std::string("\0", 1)};
    bad.push_back(bad_tag);
    event orphan_bytes = test_event("ok", status::none);
    orphan_bytes.file_bytes = "no name";
    bad.push_back(orphan_bytes);
    event early = test_event("ok", status::none);
    early.time = su::timestamp{-1, 0};
    bad.push_back(early);
    event too_many_ns = test_event("ok", status::none);
    too_many_ns.time = su::timestamp{0, 1'000'000'000};
    bad.push_back(too_many_ns);
    bad.push_back(test_event(std::string(5 * 1024 * 1024, 'i'), status::none));  // no file bytes to spread
    for (const auto& e : bad) {
        CAPTURE(canonical(e).substr(0, 80));
        std::string out = "kept";
        const auto r = su::encode(e, out);
        CHECK_FALSE(r.has_value());
        CHECK(out == "kept");
    }
}

TEST_CASE("the encoder picks the smallest length varint") {
    // Signature, flags, length, then an id string of n bytes, then the CRC.
    for (std::size_t n : {1, 54, 55, 56, 16372, 16373, 16374, 100000}) {
        CAPTURE(n);
        std::string out;
        REQUIRE(su::encode(test_event(std::string(n, 'q'), status::success), out));
        const std::size_t id_len = n < 64 ? 1 : n < 16384 ? 2 : 3;
        const std::size_t base = 1 + 2 + id_len + n + 4;
        const std::size_t len_len = base + 1 < 64 ? 1 : base + 2 < 16384 ? 2 : 3;
        CHECK(out.size() == base + len_len);
        CHECK((std::size_t{static_cast<unsigned char>(out[3])} >> 6) == len_len - 1);
        CHECK(decode_exact(out) == std::vector<event>{test_event(std::string(n, 'q'), status::success)});
    }
}

TEST_CASE("a file too big for one packet is spread over chunks of the same file") {
    event e = test_event("big", status::fail);
    e.file_name = "out";
    e.eof = true;
    e.tags = {"worker-1"};
    e.file_bytes.resize(3 * su::max_packet_size + 5, 'b');
    std::string out;
    REQUIRE(su::encode(e, out));
    const auto events = decode_exact(out);
    REQUIRE(events.size() == 4);
    std::string joined;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const bool last = i + 1 == events.size();
        CHECK(events[i].test_status == (last ? status::fail : status::none));
        CHECK(events[i].eof == last);
        CHECK(events[i].tags == e.tags);
        CHECK(events[i].file_name == e.file_name);
        joined += events[i].file_bytes;
    }
    CHECK(joined == e.file_bytes);
}

TEST_CASE("durations, timestamps and status names") {
    CHECK(su::elapsed({100, 900'000'000}, {102, 100'000'000}) == std::chrono::milliseconds(1200));
    CHECK(su::elapsed({102, 0}, {100, 500}) == -std::chrono::nanoseconds(1'999'999'500));
    const auto t = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789));
    CHECK(su::to_timestamp(t) == su::timestamp{1'700'000'000, 123'456'789});
    CHECK(su::to_timestamp(std::chrono::system_clock::time_point(-std::chrono::nanoseconds(1))) ==
          su::timestamp{-1, 999'999'999});
    for (int i = 0; i < 8; ++i) {
        const auto s = static_cast<status>(i);
        CHECK(su::parse_status(su::to_string(s)) == s);
    }
    CHECK(su::to_string(status::uxsuccess) == "uxsuccess");
    CHECK_FALSE(su::parse_status("passed").has_value());
}

// --- kept fuzz inputs --------------------------------------------------------

TEST_CASE("every input kept from fuzzing decodes keeping every promise") {
    std::size_t regressions = 0;
    for (const char* kept : {"corpus-regressions", "seeds"}) {
        for (const auto& entry : fs::directory_iterator(source_root() / "fuzz" / kept)) {
            if (!entry.is_regular_file() || entry.path().filename() == "README") continue;
            CAPTURE(entry.path().string());
            CHECK(su::check::problems(read_file(entry.path())) == "");
            regressions += kept[0] == 'c';
        }
    }
    CHECK(regressions >= 2);
}
