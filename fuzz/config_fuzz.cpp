// fuzz/config_fuzz.cpp - libFuzzer target for the .testr.conf parser
// (configparser's rules, %-interpolation) and the command settings read
// from it. Built and run by scripts/fuzz. Promises: no crash or sanitizer
// report; every key the parser reports is found again by get() and has a
// line; an error names a line within the text.
#include "testr_config.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void broken(const char* promise) {
    std::fprintf(stderr, "config parser: %s\n", promise);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto conf = testr::config::parse(text, ".testr.conf");
    if (!conf) {
        // Lines as Python's splitlines() breaks them (configparser's reading):
        // at least one per \n, \r, \v, \f or \x1c-\x1e, and U+0085, U+2028-9.
        std::size_t lines = 1;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            lines += c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e) ||
                     (c == 0x85 && i > 0) || (c == 0xa8 || c == 0xa9);
        }
        if (conf.error().line > lines) broken("an error names a line past the end of the text");
        return 0;
    }
    for (const auto& [key, line] : conf->lines) {
        if (!conf->get(key)) broken("a key it parsed is not found by get()");
        if (line == 0 || conf->line_of(key) != line) broken("a key it parsed has no line");
    }
    (void)testr::config::command_settings_of(*conf);
    return 0;
}
