// subunit_v1.cpp - the subunit v1 reader: python-subunit's line protocol
// state machine, its chunked detail bodies and iso8601 times, with the
// reference's exceptions turned into "subunit.parser" reports.
#include "subunit_v1.hpp"

#include "subunit_wire.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace testr::subunit::v1 {

namespace {

namespace utf8 = wire::utf8;

// bytes.split() and bytes.strip() whitespace.
bool ascii_space(unsigned char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

// str.split() splits on Unicode whitespace: the ASCII set, the separators
// 0x1C-0x1F, and these code points.
std::size_t unicode_space(std::string_view s, std::size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return ascii_space(c) || (c >= 0x1C && c <= 0x1F) ? 1 : 0;
    if (c != 0xC2 && (c < 0xE1 || c > 0xE3)) return 0;  // the lead bytes of the wide ones
    static constexpr std::string_view wide[] = {"\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80",
                                                "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84",
                                                "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88",
                                                "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9",
                                                "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"};
    for (std::string_view w : wide)
        if (s.substr(i, w.size()) == w) return w.size();
    return 0;
}

// The line without its last byte, as the reference's line[...:-1] takes it
// (a newline, or the last byte of an unterminated last line).
std::string_view chop(std::string_view s) noexcept { return s.empty() ? s : s.substr(0, s.size() - 1); }

bool digits(std::string_view s, std::size_t at, std::size_t n) noexcept {
    if (s.size() < at + n) return false;
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(at + n),
                       [](char c) { return c >= '0' && c <= '9'; });
}
int number(std::string_view s, std::size_t at, std::size_t n) noexcept {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// subunit's iso8601.parse_date on `s` (a prefix match), then the checks of
// datetime() and of the v2 timestamp field. Empty on success, else why not.
std::string parse_time(std::string_view s, timestamp& out) {
    std::size_t i = 0;
    if (!digits(s, 0, 4)) return "no four-digit year";
    const int year = number(s, 0, 4);
    i = 4;
    auto one_or_two = [&](int& v) {
        if (i >= s.size() || s[i] != '-' || !digits(s, i + 1, 1)) return false;
        const std::size_t n = digits(s, i + 1, 2) ? 2 : 1;
        v = number(s, i + 1, n);
        i += 1 + n;
        return true;
    };
    int month = 0, day = 0;
    if (!one_or_two(month) || !one_or_two(day)) return "no month and day";
    // Any one character (but a newline) separates the date from the time.
    if (i >= s.size() || s[i] == '\n' || !digits(s, i + 1, 2) || s.size() < i + 6 || s[i + 3] != ':' ||
        !digits(s, i + 4, 2) || s.size() < i + 9 || s[i + 6] != ':' || !digits(s, i + 7, 2))
        return "no hh:mm:ss time of day";
    const int hour = number(s, i + 1, 2), minute = number(s, i + 4, 2), second = number(s, i + 7, 2);
    i += 9;
    std::int64_t micro = 0;
    if (i + 1 < s.size() && s[i] == '.' && digits(s, i + 1, 1)) {
        std::size_t n = 1;
        while (digits(s, i + 1 + n, 1)) ++n;
        // As the reference: int(float("0." + digits) * 1e6), truncated.
        const std::string text = "0." + std::string(s.substr(i + 1, n));
        micro = static_cast<std::int64_t>(std::strtod(text.c_str(), nullptr) * 1e6);
        i += 1 + n;
    }
    int offset_minutes = 0;
    if (i + 6 <= s.size() && (s[i] == '+' || s[i] == '-') && digits(s, i + 1, 2) && s[i + 3] == ':' &&
        digits(s, i + 4, 2)) {
        offset_minutes = number(s, i + 1, 2) * 60 + number(s, i + 4, 2);
        if (s[i] == '-') offset_minutes = -offset_minutes;
    }
    static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1 ||
        day > month_days[month - 1] + (month == 2 && leap(year) ? 1 : 0) || hour > 23 || minute > 59 || second > 59)
        return "not a valid date and time";
    if (offset_minutes <= -24 * 60 || offset_minutes >= 24 * 60) return "time zone offset of a day or more";
    const std::int64_t seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                                 hour * 3600 + minute * 60 + second - offset_minutes * 60;
    if (seconds < 0 || seconds >= (std::int64_t{1} << 32)) return "outside the seconds a v2 timestamp holds (1970-2106)";
    out = {seconds, static_cast<std::uint32_t>(micro * 1000)};
    return {};
}

// int() of the reference on a progress value (already stripped).
bool python_int(std::string_view s) noexcept {
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
    if (s.empty() || s.front() == '_' || s.back() == '_') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '_' ? s[i + 1] == '_' : (s[i] < '0' || s[i] > '9')) return false;
    }
    return true;
}

constexpr std::string_view traceback_mime = "text/x-traceback; charset=\"utf8\"";
constexpr std::string_view remote_error_mime = "text/x-traceback; charset=\"utf8\"; language=\"python\"";

}  // namespace

decoder::decoder(handler on_event) : on_event_(std::move(on_event)) {}

void decoder::feed(std::string_view bytes) {
    fed_ += bytes.size();
    while (!bytes.empty()) {
        const std::size_t nl = bytes.find('\n');
        if (nl == std::string_view::npos) {
            partial_.append(bytes);
            return;
        }
        if (partial_.empty()) {
            line(bytes.substr(0, nl + 1));
        } else {
            partial_.append(bytes.substr(0, nl + 1));
            line(partial_);
            partial_.clear();
        }
        bytes.remove_prefix(nl + 1);
    }
}

void decoder::finish() {
    if (!partial_.empty()) {
        line(partial_);
        partial_.clear();
    }
    if (state_ != state::outside) lost_connection();
    flush_stdout();
    tags_.clear();
    now_.reset();
    fed_ = line_at_ = line_no_ = 0;
}

void decoder::line(std::string_view l) {
    ++line_no_;
    line_ = l;
    if (state_ == state::simple_details || state_ == state::multipart_details) {
        details_line(l);
    } else {
        command_line(l);
    }
    line_at_ += l.size();
}

void decoder::command_line(std::string_view l) {
    // bytes.split(None, 1): a command, whitespace, then something more.
    if (l.empty() || ascii_space(static_cast<unsigned char>(l[0]))) return stdout_line(l);
    std::size_t end = 0;
    while (end < l.size() && !ascii_space(static_cast<unsigned char>(l[end]))) ++end;
    std::size_t more = end;
    while (more < l.size() && ascii_space(static_cast<unsigned char>(l[more]))) ++more;
    if (more == l.size()) return stdout_line(l);
    const std::size_t offset = end + 1;
    std::string_view cmd = l.substr(0, end);
    while (!cmd.empty() && cmd.back() == ':') cmd.remove_suffix(1);

    if (cmd == "test" || cmd == "testing") {
        if (state_ != state::outside) return stdout_line(l);
        const std::string_view name = chop(l.substr(offset));
        if (!utf8::valid_string(name)) return bad_line("test id is not UTF-8 or holds a NUL byte");
        test_.assign(name);
        state_ = state::in_test;
        event_view e;
        e.test_id = test_;
        e.test_status = status::inprogress;
        e.time = now_;
        emit(e);
        test_tags_ = tags_;
        return;
    }
    if (cmd == "error" || cmd == "failure") return outcome(cmd, l, offset);
    if (cmd == "progress") return progress_line(l.substr(offset));
    // The reference tests `cmd in b"skip"`: any part of the word is skip.
    if (std::string_view("skip").find(cmd) != std::string_view::npos) return outcome("skip", l, offset);
    if (cmd == "success" || cmd == "successful") return outcome("success", l, offset);
    if (cmd == "tags") return tags_line(l.substr(offset));
    if (cmd == "time") return time_line(chop(l.substr(offset)));
    if (cmd == "xfail" || cmd == "uxsuccess") return outcome(cmd, l, offset);
    stdout_line(l);
}

void decoder::outcome(std::string_view cmd, std::string_view l, std::size_t offset) {
    // Outside a test an outcome is just text.
    if (state_ != state::in_test) return stdout_line(l);
    const std::string_view name = chop(l.substr(offset));
    // A NUL cannot match the test's id (checked at `test:`): just text.
    if (name.find('\0') != std::string_view::npos) return stdout_line(l);
    if (!utf8::valid_string(name)) return bad_line("test id is not UTF-8");
    if (cmd == "error" || cmd == "failure") {
        outcome_ = status::fail;
    } else if (cmd == "skip") {
        outcome_ = status::skip;
    } else if (cmd == "success") {
        outcome_ = status::success;
    } else if (cmd == "xfail") {
        outcome_ = status::xfail;
    } else {
        outcome_ = status::uxsuccess;
    }
    outcome_label_ = cmd == "error" ? "error" : cmd == "failure" ? "failure" : cmd == "skip" ? "skip"
                     : cmd == "success" ? "success" : cmd == "xfail" ? "xfail" : "uxsuccess";
    simple_.clear();
    details_.clear();
    if (name == test_) {
        report_outcome();
    } else if (name.size() == test_.size() + 2 && name.starts_with(test_) && name.ends_with(" [")) {
        state_ = state::simple_details;
    } else if (name.size() == test_.size() + 12 && name.starts_with(test_) && name.ends_with(" [ multipart")) {
        state_ = state::multipart_details;
        part_ = part_state::content_type;
    } else {
        stdout_line(l);
    }
}

void decoder::details_line(std::string_view l) {
    if (state_ == state::simple_details) {
        if (l == "]\n") {
            // The reference names a simple detail by its outcome.
            const bool plain = outcome_ == status::skip || outcome_ == status::success;
            details_.push_back({outcome_ == status::skip ? "reason" : plain ? "message" : "traceback",
                                std::string(plain ? "text/plain" : traceback_mime), std::move(simple_)});
            simple_.clear();
            return report_outcome();
        }
        simple_.append(l.starts_with(" ]") ? l.substr(1) : l);
        return;
    }
    switch (part_) {
    case part_state::skip:
        if (l == "]\n") report_outcome();
        return;
    case part_state::content_type: {
        if (l == "]\n") return report_outcome();
        const std::string_view text = chop(l);
        const std::size_t space = text.find(' ');
        if (!utf8::valid_string(text)) return bad_detail("MIME line is not UTF-8 or holds a NUL byte");
        if (space == std::string_view::npos) return bad_detail("MIME line has no space before the type");
        const std::string_view type = text.substr(space + 1);
        if (std::count(type.begin(), type.end(), '/') != 1) return bad_detail("invalid MIME type");
        part_mime_.assign(type);
        part_ = part_state::name;
        return;
    }
    case part_state::name: {
        const std::string_view name = chop(l);
        if (!utf8::valid_string(name)) return bad_detail("detail name is not UTF-8 or holds a NUL byte");
        part_name_.assign(name);
        part_bytes_.clear();
        length_line_.clear();
        part_ = part_state::chunk_length;
        return;
    }
    case part_state::chunk_length:
    case part_state::chunk_body:
        return chunk_bytes(l);
    }
}

// HTTP chunked encoding, read byte by byte across lines: a body may hold
// newlines, and the next chunk's length follows a body on the same line.
void decoder::chunk_bytes(std::string_view l) {
    while (!l.empty()) {
        if (part_ == part_state::chunk_body) {
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, l.size()));
            part_bytes_.append(l.substr(0, take));
            l.remove_prefix(take);
            chunk_left_ -= take;
            if (chunk_left_ == 0) part_ = part_state::chunk_length;
            continue;
        }
        const char c = l.front();
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex && c != '\r' && c != '\n') return bad_detail("chunk length holds a byte that is not hex");
        length_line_ += c;
        l.remove_prefix(1);
        if (c != '\n') {
            if (length_line_.size() > 18) return bad_detail("chunk length longer than 16 hex digits");
            continue;
        }
        const std::string_view text = length_line_;
        if (text.size() < 3 || !text.ends_with("\r\n") || text.substr(0, text.size() - 2).find('\r') != std::string::npos)
            return bad_detail("chunk header is not hex digits then CRLF");
        chunk_left_ = std::strtoull(length_line_.c_str(), nullptr, 16);
        length_line_.clear();
        if (chunk_left_ > 0) {
            part_ = part_state::chunk_body;
            continue;
        }
        end_detail();
        // The reference feeds whole lines, so "0\r\n" always ends one.
        return;
    }
}

void decoder::end_detail() {
    auto same = std::find_if(details_.begin(), details_.end(), [&](const detail& d) { return d.name == part_name_; });
    if (same != details_.end()) {
        same->mime = std::move(part_mime_);
        same->bytes = std::move(part_bytes_);
    } else {
        details_.push_back({std::move(part_name_), std::move(part_mime_), std::move(part_bytes_)});
    }
    part_name_.clear();
    part_mime_.clear();
    part_bytes_.clear();
    part_ = part_state::content_type;
}

void decoder::report_outcome() {
    for (const detail& d : details_) {
        event_view f;
        f.test_id = test_;
        f.file_name = d.name;
        f.file_bytes = d.bytes;
        f.mime_type = d.mime;
        f.eof = true;
        f.time = now_;
        emit(f);
    }
    event_view e;
    e.test_id = test_;
    e.test_status = outcome_;
    e.tags.assign(test_tags_.begin(), test_tags_.end());
    e.time = now_;
    emit(e);
    details_.clear();
    test_tags_.clear();
    state_ = state::outside;
}

void decoder::lost_connection() {
    std::string what = "lost connection during ";
    if (state_ != state::in_test) what.append(outcome_label_).append(" report of ");
    const std::string message = "testtools.testresult.real._StringException: " + what + "test '" + test_ + "'\n";
    details_.assign(1, {"traceback", std::string(remote_error_mime), message});
    outcome_ = status::fail;
    report_outcome();
}

void decoder::tags_line(std::string_view rest) {
    if (!utf8::valid_string(rest)) return bad_line("tags are not UTF-8 or hold a NUL byte");
    std::set<std::string>& tags = state_ == state::in_test ? test_tags_ : tags_;
    std::size_t i = 0;
    std::vector<std::string_view> added, gone;
    while (i < rest.size()) {
        if (const std::size_t w = unicode_space(rest, i)) {
            i += w;
            continue;
        }
        std::size_t end = i;
        while (end < rest.size() && unicode_space(rest, end) == 0) ++end;
        const std::string_view tag = rest.substr(i, end - i);
        (tag[0] == '-' ? gone : added).push_back(tag[0] == '-' ? tag.substr(1) : tag);
        i = end;
    }
    // As the reference: all additions, then all removals.
    for (auto t : added) tags.emplace(t);
    for (auto t : gone) tags.erase(std::string(t));
}

void decoder::time_line(std::string_view value) {
    timestamp t;
    if (std::string why = parse_time(value, t); !why.empty())
        return bad_line("bad time '" + std::string(value.substr(0, 60)) + "': " + why);
    now_ = t;
}

void decoder::progress_line(std::string_view rest) {
    while (!rest.empty() && ascii_space(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
    while (!rest.empty() && ascii_space(static_cast<unsigned char>(rest.back()))) rest.remove_suffix(1);
    // Progress has no v2 equivalent: checked, then dropped as the reference drops it.
    if (rest != "push" && rest != "pop" && !python_int(rest)) bad_line("bad progress value");
}

void decoder::stdout_line(std::string_view l) { stdout_.append(l); }

void decoder::flush_stdout() {
    if (stdout_.empty()) return;
    event_view e;
    e.file_name = "stdout";
    e.file_bytes = stdout_;
    on_event_(e);
    stdout_.clear();
}

void decoder::bad_line(const std::string& why) {
    const std::string_view l = line_;
    flush_stdout();
    event_view e;
    e.test_id = "subunit.parser";
    e.eof = true;
    e.file_name = "Packet data";
    e.file_bytes = l;
    e.mime_type = "application/octet-stream";
    on_event_(e);
    const std::string message =
        why + " (line " + std::to_string(line_no_) + ", byte offset " + std::to_string(line_at_) + ")";
    e.test_status = status::fail;
    e.file_name = "Parser Error";
    e.file_bytes = message;
    e.mime_type = "text/plain;charset=utf8";
    on_event_(e);
}

void decoder::bad_detail(const std::string& why) {
    const std::string_view l = line_;
    bad_line(why);
    part_name_.clear();
    part_mime_.clear();
    part_bytes_.clear();
    length_line_.clear();
    // The closing "]" still ends the test; a broken line that is it does so now.
    part_ = part_state::skip;
    if (l == "]\n") report_outcome();
}

void decoder::emit(const event_view& e) {
    flush_stdout();
    on_event_(e);
}

std::string to_v2(std::string_view v1) {
    std::string out;
    decoder d([&](const event_view& e) {
        if (!encode(e, out)) {
            // Every string was checked on the way in; this is a last resort
            // so that no event vanishes silently.
            event_view err;
            err.test_id = "subunit.parser";
            err.test_status = status::fail;
            err.eof = true;
            err.file_name = "Parser Error";
            err.file_bytes = "an event read from subunit v1 could not be written as v2";
            err.mime_type = "text/plain;charset=utf8";
            (void)encode(err, out);
        }
    });
    d.feed(v1);
    d.finish();
    return out;
}

}  // namespace testr::subunit::v1
