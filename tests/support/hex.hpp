// tests/support/hex.hpp - bytes as lowercase hex: how tests hand arbitrary
// (not necessarily UTF-8) strings to Python oracles and name them in messages.
#pragma once

#include <string>
#include <string_view>

namespace test_support {

inline std::string hex(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        out += digits[u >> 4];
        out += digits[u & 15];
    }
    return out;
}

}  // namespace test_support
