// fuzz/subunit_decoder_fuzz.cpp - libFuzzer target for the subunit v2
// decoder. Built and run by scripts/fuzz-subunit (clang-14, not part of the
// meson build); a crash, a sanitizer report or a broken promise (see
// subunit_check.hpp) stops the run and the input is kept in
// fuzz/corpus-regressions/, which tests/test_subunit_v2.cpp replays.
#include "subunit_check.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

// A random packet almost never has a valid CRC, so its fields would never be
// parsed. For inputs whose first byte is odd, rewrite the CRC of everything
// that looks like a packet, so mutations reach the field parser.
std::string with_fixed_crcs(std::string s) {
    for (std::size_t i = 1; i + 4 <= s.size();) {
        const auto* p = reinterpret_cast<const unsigned char*>(s.data() + i);
        const std::size_t width = 1 + (p[3] >> 6);
        std::size_t length = p[3] & 0x3F;
        for (std::size_t k = 1; k < width && i + 3 + k < s.size(); ++k) length = length << 8 | p[3 + k];
        if (p[0] != 0xB3 || width == 4 || length < 3 + width + 4 || length > s.size() - i) {
            ++i;
            continue;
        }
        const auto crc = static_cast<std::uint32_t>(crc32(0L, p, static_cast<uInt>(length - 4)));
        for (int k = 0; k < 4; ++k) s[i + length - 4 + k] = static_cast<char>(crc >> (24 - 8 * k));
        i += length;
    }
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    if (size > 0 && (data[0] & 1)) input = with_fixed_crcs(std::move(input));
    const std::string problem = testr::subunit::check::problems(input);
    if (!problem.empty()) {
        std::fprintf(stderr, "subunit decoder: %s\n", problem.c_str());
        std::abort();
    }
    return 0;
}
