// native_detail.hpp - what the per-framework parts of native_format share.
// Internal to the testr_native library.
#pragma once

#include "native_format.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace testr::native {

/// Common machinery: splits the output into lines, keeps the running test's
/// output and traceback, and emits the events. Each framework reads lines.
struct output_decoder::impl {
    impl(handler on_event, clock_fn now);
    virtual ~impl() = default;

    void feed(std::string_view bytes);
    void finish(std::string_view why);
    void abandon();

    /// One line of output with its '\n' (none for the last, unterminated one).
    virtual void line(std::string_view text) = 0;
    /// Framework state to forget between runs.
    virtual void reset() {}

    // --- for the frameworks ---
    void begin(std::string_view id, std::string_view raw);
    /// Ends the running test; `duration`, when known, fixes the final time.
    void end(subunit::status s, std::string_view raw,
             std::optional<std::chrono::nanoseconds> duration = std::nullopt);
    /// A test that never ran but is reported (disabled, skipped by decorator).
    void not_run(std::string_view id, std::string_view reason, std::string_view raw);
    /// Output outside any test.
    void stray(std::string_view text);

    handler on_event;
    clock_fn now;
    std::string partial;       // the unterminated end of the last chunk
    bool in_test = false;
    std::string id;
    subunit::timestamp started;
    std::string out;           // what the running test printed
    std::string traceback;     // its failure messages
    std::size_t completed = 0;

private:
    void emit_file(std::string_view name, std::string_view content);
};

/// Decoders per framework.
std::unique_ptr<output_decoder::impl> make_gtest_decoder(output_decoder::handler, clock_fn);
std::unique_ptr<output_decoder::impl> make_xml_decoder(framework, output_decoder::handler, clock_fn);

/// Listings per framework.
result<std::vector<listed_test>> parse_gtest_listing(std::string_view output);
result<std::vector<listed_test>> parse_doctest_listing(std::string_view output);
result<std::vector<listed_test>> parse_catch2_listing(std::string_view output);

/// Calls fn(line, number) for each line (without '\n' or a trailing '\r').
template <class Fn>
void for_each_line(std::string_view text, Fn fn) {
    std::size_t number = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        fn(line, ++number);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

/// XML text with the five entities and numeric references decoded.
std::string xml_unescape(std::string_view text);
/// The value of attribute `name` in a start tag's text, unescaped.
std::optional<std::string> xml_attribute(std::string_view tag, std::string_view name);

}  // namespace testr::native
