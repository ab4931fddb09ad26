// tools/testr-mini/ui/json_text.cpp - see json_text.hpp.
#include "json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <system_error>

namespace testr::cli {

namespace {

bool starts_number(char c) { return (c >= '0' && c <= '9') || c == '-'; }
bool in_number(char c) { return starts_number(c) || c == '+' || c == '.' || c == 'e' || c == 'E'; }

/// `json` with every float token of 16 or more digits in its shortest form.
std::string with_shortest_numbers(std::string json) {
    // Built only once a number needs rewriting, as few ever do.
    std::string out;
    std::size_t copied = 0;
    const std::size_t n = json.size();
    for (std::size_t i = 0; i < n;) {
        const char c = json[i];
        if (c == '"') {
            // To the quote that ends it: one after an even run of backslashes.
            for (;;) {
                const void* q = std::memchr(json.data() + i + 1, '"', n - i - 1);
                if (!q) return json;  // not what a dump writes: left as it is
                const std::size_t k = static_cast<const char*>(q) - json.data();
                std::size_t slashes = 0;
                while (json[k - 1 - slashes] == '\\') ++slashes;
                i = k;
                if (slashes % 2 == 0) break;
            }
            ++i;
            continue;
        }
        if (!starts_number(c)) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < n && in_number(json[end])) ++end;
        const std::string_view token(json.data() + i, end - i);
        double value = 0;
        char shortest[32];
        // Grisu2 is off only where it writes 16 or 17 digits: a shorter
        // token is already shortest, and parsing it would double the cost.
        if (token.size() >= 17 && token.find_first_of(".eE") != std::string_view::npos) {
            const auto read = std::from_chars(token.data(), token.data() + token.size(), value);
            const auto written = std::to_chars(shortest, shortest + sizeof shortest, value);
            const std::string_view text(shortest, written.ec == std::errc() ? written.ptr - shortest : 0);
            if (read.ec == std::errc() && read.ptr == token.data() + token.size() && !text.empty() &&
                text.size() < token.size()) {
                out.append(json, copied, i - copied);
                out += text;
                // 1.0 is shortest as "1": a float must still read as one.
                if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
                copied = end;
            }
        }
        i = end;
    }
    if (copied == 0) return json;
    out.append(json, copied, std::string::npos);
    return out;
}

}  // namespace

double json_milliseconds(double seconds) { return std::isfinite(seconds) ? std::round(seconds * 1000) / 1000 : 0; }

double json_microseconds(double seconds) { return std::round(seconds * 1e6) / 1e6; }

std::string json_text(const nlohmann::json& j, int indent, bool replace_invalid) {
    using handler = nlohmann::json::error_handler_t;
    const handler on_invalid = replace_invalid ? handler::replace : handler::strict;
    return with_shortest_numbers(j.dump(indent, ' ', false, on_invalid)) + "\n";
}

}  // namespace testr::cli
