// native_format.cpp - framework names, argv pieces, selection splitting and
// the decoder machinery every framework shares. docs/native.md.
#include "native_detail.hpp"

#include <testr/detail/text_scan.hpp>

#include <cstdint>
#include <utility>

namespace testr::native {

std::optional<framework> parse_framework(std::string_view name) noexcept {
    if (name == "gtest") return framework::gtest;
    if (name == "doctest") return framework::doctest;
    if (name == "catch2") return framework::catch2;
    return std::nullopt;
}

std::string_view to_string(framework f) noexcept {
    switch (f) {
    case framework::gtest: return "gtest";
    case framework::doctest: return "doctest";
    case framework::catch2: return "catch2";
    }
    return "?";
}

std::vector<std::string> list_args(framework f) {
    switch (f) {
    case framework::gtest: return {"--gtest_list_tests"};
    // The XML listing carries names verbatim (the text one has banners that
    // a name could imitate).
    case framework::doctest: return {"--list-test-cases", "--reporters=xml", "--no-version=true"};
    case framework::catch2: return {"--list-test-names-only"};
    }
    return {};
}

result<std::vector<listed_test>> parse_listing(framework f, std::string_view output) {
    switch (f) {
    case framework::gtest: return parse_gtest_listing(output);
    case framework::doctest: return parse_doctest_listing(output);
    case framework::catch2: return parse_catch2_listing(output);
    }
    return fail("unknown framework");
}

std::vector<std::string> run_args(framework f) {
    switch (f) {
    case framework::gtest: return {"--gtest_color=no"};
    case framework::doctest:
        return {"--reporters=xml", "--duration=true", "--case-sensitive=true", "--no-version=true"};
    case framework::catch2: return {"--reporter", "xml", "--durations", "yes"};
    }
    return {};
}

std::vector<std::string> file_args(framework f, std::string_view path) {
    if (f == framework::catch2) return {"--input-file", std::string(path)};
    return {};
}

namespace {

// GoogleTest's filter has no escape: `:` separates patterns, the first `-`
// starts the negative ones, `*` and `?` are wildcards. `?` matches the
// reserved character itself (and any other in its place).
std::string gtest_pattern(std::string_view id) {
    std::string p(id);
    for (auto& c : p)
        if (c == '*' || c == '?' || c == ':' || c == '-') c = '?';
    return p;
}

// doctest splits its filter list on commas unless escaped with a backslash,
// and reads `\\` as one backslash; `*` and `?` stay wildcards (each also
// matches itself).
std::string doctest_pattern(std::string_view id) {
    std::string p;
    for (char c : id) {
        if (c == ',' || c == '\\') p += '\\';
        p += c;
    }
    return p;
}

// Catch2 reads each line of its input file as one quoted test name;
// inside quotes a backslash escapes the next character.
std::string catch2_line(std::string_view id) {
    std::string p = "\"";
    for (char c : id) {
        if (c == '"' || c == '\\' || c == '*' || c == ',' || c == '[' || c == ']' || c == '~')
            p += '\\';
        p += c;
    }
    p += "\"\n";
    return p;
}

}  // namespace

result<std::vector<invocation>> select(framework f, std::span<const std::string> ids,
                                       std::size_t max_arg_bytes) {
    std::vector<invocation> out;
    if (ids.empty()) return out;
    for (const auto& id : ids) {
        if (id.empty()) return fail("cannot select an empty test id");
        if (id.find('\n') != std::string::npos || id.find('\r') != std::string::npos)
            return fail("cannot select a test id holding a line break: '" + detail::excerpt(id) + "'");
    }
    if (f == framework::catch2) {
        // One file holds any number of names: one invocation.
        invocation inv;
        for (const auto& id : ids) {
            auto t = detail::trim(id);
            if (t.size() != id.size())
                return fail("Catch2 trims the names it reads from a file; cannot select '" + id + "'");
            inv.file_contents += catch2_line(id);
        }
        out.push_back(std::move(inv));
        return out;
    }
    const std::string_view prefix = f == framework::gtest ? "--gtest_filter=" : "--test-case=";
    const char sep = f == framework::gtest ? ':' : ',';
    std::string arg;
    auto flush = [&] {
        if (arg.empty()) return;
        out.push_back(invocation{{std::string(prefix) + arg}, {}});
        arg.clear();
    };
    for (const auto& id : ids) {
        auto p = f == framework::gtest ? gtest_pattern(id) : doctest_pattern(id);
        if (prefix.size() + p.size() > max_arg_bytes)
            return fail("test id too long for one command-line argument (" + std::to_string(p.size()) +
                        " bytes): '" + detail::excerpt(id) + "'");
        if (!arg.empty() && prefix.size() + arg.size() + 1 + p.size() > max_arg_bytes) flush();
        if (!arg.empty()) arg += sep;
        arg += p;
    }
    flush();
    return out;
}

// --- decoder machinery ------------------------------------------------------

namespace {

subunit::timestamp system_now() { return subunit::to_timestamp(std::chrono::system_clock::now()); }

subunit::timestamp plus(subunit::timestamp t, std::chrono::nanoseconds d) {
    const auto total = static_cast<std::int64_t>(t.nanoseconds) + d.count();
    auto secs = total / 1'000'000'000;
    auto nanos = total % 1'000'000'000;
    if (nanos < 0) {
        nanos += 1'000'000'000;
        --secs;
    }
    return {t.seconds + secs, static_cast<std::uint32_t>(nanos)};
}

constexpr std::string_view text_mime = "text/plain;charset=utf8";

}  // namespace

output_decoder::impl::impl(handler h, clock_fn clk) : on_event(std::move(h)), now(std::move(clk)) {
    if (!now) now = system_now;
}

void output_decoder::impl::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        auto nl = bytes.find('\n');
        if (nl == std::string_view::npos) {
            partial.append(bytes);
            return;
        }
        if (partial.empty()) {
            line(bytes.substr(0, nl + 1));
        } else {
            partial.append(bytes.substr(0, nl + 1));
            std::string whole = std::move(partial);
            partial.clear();
            line(whole);
        }
        bytes.remove_prefix(nl + 1);
    }
}

void output_decoder::impl::finish(std::string_view why) {
    if (!partial.empty()) {
        std::string rest = std::move(partial);
        partial.clear();
        line(rest);
    }
    if (in_test) {
        if (!traceback.empty() && traceback.back() != '\n') traceback += '\n';
        traceback += "test did not finish: the binary stopped while it was running";
        if (!why.empty()) {
            traceback += " (";
            traceback += why;
            traceback += ')';
        }
        traceback += '\n';
        end(subunit::status::fail, {});
    }
    reset();
    completed = 0;
}

void output_decoder::impl::abandon() {
    if (!partial.empty()) {
        std::string rest = std::move(partial);
        partial.clear();
        line(rest);
    }
    if (in_test) {
        if (!out.empty()) emit_file("stdout", out);
        if (!traceback.empty()) emit_file("traceback", traceback);
        in_test = false;
        out.clear();
        traceback.clear();
    }
    reset();
    completed = 0;
}

void output_decoder::impl::emit_file(std::string_view name, std::string_view content) {
    subunit::event_view e;
    e.test_id = id;
    e.file_name = name;
    e.mime_type = text_mime;
    e.file_bytes = content;
    e.eof = true;
    on_event(e, {});
}

void output_decoder::impl::begin(std::string_view test, std::string_view raw) {
    id.assign(test);
    out.clear();
    traceback.clear();
    in_test = true;
    started = now();
    subunit::event_view e;
    e.test_id = id;
    e.test_status = subunit::status::inprogress;
    e.time = started;
    on_event(e, raw);
}

void output_decoder::impl::end(subunit::status s, std::string_view raw,
                               std::optional<std::chrono::nanoseconds> duration) {
    if (!in_test) return;
    if (!out.empty()) emit_file("stdout", out);
    if (!traceback.empty()) emit_file("traceback", traceback);
    subunit::event_view e;
    e.test_id = id;
    e.test_status = s;
    e.time = duration ? plus(started, *duration) : now();
    in_test = false;
    ++completed;
    on_event(e, raw);
    out.clear();
    traceback.clear();
}

void output_decoder::impl::not_run(std::string_view test, std::string_view reason, std::string_view raw) {
    begin(test, {});
    if (!reason.empty()) {
        subunit::event_view e;
        e.test_id = id;
        e.file_name = "reason";
        e.mime_type = text_mime;
        e.file_bytes = reason;
        e.eof = true;
        on_event(e, {});
    }
    end(subunit::status::skip, raw, std::chrono::nanoseconds{0});
}

void output_decoder::impl::stray(std::string_view text) {
    if (text.empty()) return;
    subunit::event_view e;
    e.file_name = "stdout";
    e.mime_type = text_mime;
    e.file_bytes = text;
    on_event(e, text);
}

void report_not_run(std::string_view id, std::string_view reason, const subunit::decoder::handler& on_event,
                    subunit::timestamp at) {
    subunit::event_view e;
    e.test_id = id;
    e.test_status = subunit::status::inprogress;
    e.time = at;
    on_event(e, {});
    subunit::event_view r;
    r.test_id = id;
    r.file_name = "reason";
    r.mime_type = text_mime;
    r.file_bytes = reason;
    r.eof = true;
    on_event(r, {});
    e.test_status = subunit::status::skip;
    on_event(e, {});
}

output_decoder::output_decoder(framework f, handler on_event, clock_fn now)
    : impl_(f == framework::gtest ? make_gtest_decoder(std::move(on_event), std::move(now))
                                  : make_xml_decoder(f, std::move(on_event), std::move(now))) {}
output_decoder::~output_decoder() = default;
output_decoder::output_decoder(output_decoder&&) noexcept = default;
output_decoder& output_decoder::operator=(output_decoder&&) noexcept = default;

void output_decoder::feed(std::string_view bytes) { impl_->feed(bytes); }
void output_decoder::finish(std::string_view why) { impl_->finish(why); }
void output_decoder::abandon() { impl_->abandon(); }
bool output_decoder::running() const noexcept { return impl_->in_test; }
std::size_t output_decoder::completed() const noexcept { return impl_->completed; }

// --- XML helpers --------------------------------------------------------------

std::string xml_unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out += text[i];
            continue;
        }
        auto semi = text.find(';', i);
        if (semi == std::string_view::npos || semi - i > 10) {
            out += '&';
            continue;
        }
        auto ent = text.substr(i + 1, semi - i - 1);
        std::uint32_t cp = 0;
        bool known = true;
        if (ent == "lt") cp = '<';
        else if (ent == "gt") cp = '>';
        else if (ent == "amp") cp = '&';
        else if (ent == "quot") cp = '"';
        else if (ent == "apos") cp = '\'';
        else if (ent.size() > 1 && ent[0] == '#') {
            const bool hex = ent[1] == 'x' || ent[1] == 'X';
            auto digits = ent.substr(hex ? 2 : 1);
            cp = 0;
            known = !digits.empty();
            for (char c : digits) {
                int v = c >= '0' && c <= '9' ? c - '0'
                        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (v < 0 || cp > 0x10FFFF) { known = false; break; }
                cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
            }
            known = known && cp <= 0x10FFFF;
        } else {
            known = false;
        }
        if (!known) {
            out += '&';
            continue;
        }
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
        i = semi;
    }
    return out;
}

std::optional<std::string> xml_attribute(std::string_view tag, std::string_view name) {
    std::size_t pos = 0;
    while ((pos = tag.find(name, pos)) != std::string_view::npos) {
        const bool starts = pos > 0 && (tag[pos - 1] == ' ' || tag[pos - 1] == '\t');
        const auto after = pos + name.size();
        if (starts && after + 1 < tag.size() && tag[after] == '=' && tag[after + 1] == '"') {
            auto close = tag.find('"', after + 2);
            if (close == std::string_view::npos) return std::nullopt;
            return xml_unescape(tag.substr(after + 2, close - after - 2));
        }
        pos = after;
    }
    return std::nullopt;
}

}  // namespace testr::native
