// detail/utf8.hpp: the validator against an independent decoder written
// from the definition (code point arithmetic), exhaustively for every string
// of up to 3 bytes and for every 4-byte lead/second-byte pair; and against
// Python's strict "utf-8" codec (tests/config/utf8_oracle.py) on random strings.
#include <testr/command_template.hpp>
#include <testr/detail/utf8.hpp>

#include "support/command.hpp"
#include "support/files.hpp"
#include "support/hex.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Length of the character at s[pos] by decoding it: the lead byte's high
// bits give the length, the value must need that length, must not be a
// surrogate, must not pass U+10FFFF.
std::size_t reference_length(std::string_view s, std::size_t pos) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
    const unsigned lead = b(0);
    std::size_t len = 0;
    std::uint32_t value = 0;
    if ((lead & 0x80) == 0) return 1;
    if ((lead & 0xE0) == 0xC0) len = 2, value = lead & 0x1F;
    else if ((lead & 0xF0) == 0xE0) len = 3, value = lead & 0x0F;
    else if ((lead & 0xF8) == 0xF0) len = 4, value = lead & 0x07;
    else return 0;
    if (pos + len > s.size()) return 0;
    for (std::size_t i = 1; i < len; ++i) {
        if ((b(i) & 0xC0) != 0x80) return 0;
        value = (value << 6) | (b(i) & 0x3F);
    }
    static constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < least[len] || (value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return 0;
    return len;
}

std::size_t reference_first_invalid(std::string_view s) {
    for (std::size_t pos = 0; pos < s.size();) {
        const auto n = reference_length(s, pos);
        if (n == 0) return pos;
        pos += n;
    }
    return std::string_view::npos;
}

using test_support::hex;

}  // namespace

TEST_CASE("every string of 1 to 3 bytes: same verdict as the reference decoder") {
    std::size_t valid = 0, wrong = 0;
    std::string s;
    for (std::uint32_t n = 0; n < (1U << 24); ++n) {
        for (const std::size_t len : {1U, 2U, 3U}) {
            if (len < 3 && (n >> (8 * len)) != 0) continue;
            s.assign(len, '\0');
            for (std::size_t i = 0; i < len; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
            const auto got = testr::detail::first_invalid_utf8(s);
            if (got != reference_first_invalid(s)) {
                if (++wrong < 10) CHECK_MESSAGE(false, "wrong verdict for " << hex(s));
            }
            if (got == std::string_view::npos) ++valid;
        }
    }
    CHECK(wrong == 0);
    // 128 + (128^2 + 1920) + (128^3 + 2*128*1920 + 61440 - 2048): ASCII, 2-byte
    // and 3-byte characters in every combination.
    CHECK(valid > 2000000);
}

TEST_CASE("4-byte leads: every first two bytes, with good and bad tails, inside longer strings") {
    std::size_t wrong = 0;
    for (unsigned b0 = 0xE0; b0 <= 0xFF; ++b0)
        for (unsigned b1 = 0; b1 <= 0xFF; ++b1)
            for (const unsigned b2 : {0x41U, 0x80U, 0xBFU, 0xC0U})
                for (const unsigned b3 : {0x80U, 0xBFU, 0x7FU})
                    for (const std::string_view prefix : {"", "abcdefghij", "\xc3\xa9xyzxyzxy"}) {
                        std::string s(prefix);
                        for (const unsigned b : {b0, b1, b2, b3}) s += static_cast<char>(b);
                        s += "tail";
                        if (testr::detail::first_invalid_utf8(s) != reference_first_invalid(s)) {
                            if (++wrong < 10) CHECK_MESSAGE(false, "wrong verdict for " << hex(s));
                        }
                    }
    CHECK(wrong == 0);
    CHECK(testr::detail::valid_utf8("\xf0\x9f\x98\x80"));    // U+1F600
    CHECK(testr::detail::valid_utf8("\xf4\x8f\xbf\xbf"));    // U+10FFFF
    CHECK_FALSE(testr::detail::valid_utf8("\xf4\x90\x80\x80"));  // U+110000
    CHECK_FALSE(testr::detail::valid_utf8("\xed\xa0\x80"));     // U+D800
    CHECK_FALSE(testr::detail::valid_utf8("\xc0\xaf"));         // overlong '/'
    CHECK(testr::detail::valid_utf8(std::string_view("a\0b", 3)));
    CHECK(testr::detail::utf8_char_length("ab", 2) == 0);
}

TEST_CASE("random strings: the first invalid byte is where Python's codec stops") {
    const std::uint32_t seed = std::random_device{}();
    CAPTURE(seed);
    std::mt19937 rng(seed);
    static const std::vector<std::string> pieces{
        "a", "test_x.", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf",
        "\xee\x80\x80", "\x00", "\x7f", "        "};
    std::vector<std::string> cases;
    for (int i = 0; i < 3000; ++i) {
        std::string s;
        const int parts = std::uniform_int_distribution<int>(0, 12)(rng);
        for (int k = 0; k < parts; ++k) {
            if (std::bernoulli_distribution(0.15)(rng))
                s += static_cast<char>(std::uniform_int_distribution<int>(0x80, 0xFF)(rng));
            else
                s += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
        }
        if (!s.empty() && std::bernoulli_distribution(0.2)(rng)) s.pop_back();  // truncate a character
        cases.push_back(std::move(s));
    }
    test_support::temp_dir dir;
    std::string input;
    for (const auto& s : cases) input += hex(s) + "\n";
    test_support::write_file(dir / "cases.hex", input);
    const auto out = test_support::run(test_support::python() + " " + test_support::source_file("tests/config/utf8_oracle.py") + " < " +
                                      testr::shell_quote(dir / "cases.hex"));
    REQUIRE(out.exit_code == 0);
    std::istringstream lines(out.out);
    std::size_t invalid = 0, i = 0;
    for (long long expected; lines >> expected; ++i) {
        REQUIRE(i < cases.size());
        CAPTURE(hex(cases[i]));
        const auto got = testr::detail::first_invalid_utf8(cases[i]);
        CHECK(got == (expected < 0 ? std::string_view::npos : static_cast<std::size_t>(expected)));
        invalid += expected >= 0;
    }
    CHECK(i == cases.size());
    CHECK(invalid > 500);
    CHECK(invalid < 2800);
}

TEST_CASE("utf8_tail cuts at most max bytes off the end, never inside a character") {
    using testr::detail::utf8_tail;
    const std::string id = "pkg.caf\xc3\xa9.test_\xe6\x97\xa5\xf0\x9f\x98\x80";  // é (2), 日 (3), 😀 (4)
    CHECK(utf8_tail(id, 100) == id);
    CHECK(utf8_tail(id, 4) == "\xf0\x9f\x98\x80");
    CHECK(utf8_tail(id, 6) == "\xf0\x9f\x98\x80");  // 2 bytes of 日 are left out, not cut
    CHECK(utf8_tail(id, 7) == "\xe6\x97\xa5\xf0\x9f\x98\x80");
    CHECK(utf8_tail(id, 3).empty());
    // Every cut of every length starts where a valid character does.
    for (std::size_t max = 0; max <= id.size(); ++max) {
        const auto tail = utf8_tail(id, max);
        CHECK(tail.size() <= max);
        CHECK(testr::detail::valid_utf8(tail));
        CHECK(std::string_view(id).ends_with(tail));
    }
}
