// subunit_v2.cpp - event helpers and the subunit v2 encoder.
#include "subunit_v2.hpp"

#include "subunit_wire.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <array>

namespace testr::subunit {

namespace {

constexpr std::array<std::string_view, 8> status_names = {
    "none", "exists", "inprogress", "success", "uxsuccess", "skip", "fail", "xfail"};

// Packet bytes around the fields: signature, flags, CRC (the length varint
// comes on top).
constexpr std::size_t frame_size = 1 + 2 + 4;

// The whole packet size for `fields` bytes of fields, with the smallest
// length varint that can count itself; 0 when no 3-byte varint can.
constexpr std::size_t packet_size(std::size_t fields) noexcept {
    const std::size_t base = frame_size + fields;
    for (std::size_t n = 1; n <= 3; ++n) {
        if (base + n < (std::size_t{1} << (8 * n - 2))) return base + n;
    }
    return 0;
}

char* put_u16(char* p, std::uint16_t v) noexcept {
    p[0] = static_cast<char>(v >> 8);
    p[1] = static_cast<char>(v);
    return p + 2;
}

char* put_u32(char* p, std::uint32_t v) noexcept {
    p[0] = static_cast<char>(v >> 24);
    p[1] = static_cast<char>(v >> 16);
    p[2] = static_cast<char>(v >> 8);
    p[3] = static_cast<char>(v);
    return p + 4;
}

// The size prefix marks a varint's length in its top two bits.
char* put_varint(char* p, std::uint32_t v) noexcept {
    switch (wire::varint_size(v)) {
    case 1: *p = static_cast<char>(v); return p + 1;
    case 2: return put_u16(p, static_cast<std::uint16_t>(v | 0x4000));
    case 3:
        put_u16(p, static_cast<std::uint16_t>((v | 0x800000) >> 8));
        p[2] = static_cast<char>(v);
        return p + 3;
    default: return put_u32(p, v | 0xC0000000u);
    }
}

char* put_string(char* p, std::string_view s) noexcept {
    p = put_varint(p, static_cast<std::uint32_t>(s.size()));
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

// Strings longer than a packet are refused before their size is taken, so
// every varint below fits its 30 bits.
std::size_t string_size(std::string_view s) noexcept {
    return wire::varint_size(static_cast<std::uint32_t>(s.size())) + s.size();
}

// What every packet of one event shares: the fields except the file bytes,
// their size on the wire, and the flags they set; or why they cannot be
// encoded. Plain values, so the hot path builds no error objects.
template <class String>
struct layout {
    const basic_event<String>& e;
    std::size_t fixed = 0;  // bytes of every field but the file bytes and their count
    std::uint16_t flags = wire::version_2;
    const char* bad_string = nullptr;  // which string field is not encodable
    bool bad_time = false, orphan_bytes = false;

    bool ok() const noexcept { return !bad_string && !bad_time && !orphan_bytes; }
};

// Sizes and flags are summed in locals, not through `l`: g++ 12's partial
// redundancy elimination otherwise made the encoder a tenth slower at -O3.
template <class String>
layout<String> plan(const basic_event<String>& e) noexcept {
    layout<String> l{e};
    std::size_t fixed = 0;
    std::uint16_t flags = wire::version_2;
    const char* bad = nullptr;
    auto add = [&bad](std::string_view s, const char* what) -> std::size_t {
        if (s.size() <= max_packet_size && wire::utf8::valid_string(s)) return string_size(s);
        if (!bad) bad = what;
        return 0;
    };
    if (e.time) {
        l.bad_time = e.time->seconds < 0 || e.time->seconds > 0xFFFFFFFFLL || e.time->nanoseconds >= 1'000'000'000u;
        flags |= wire::flag_timestamp;
        fixed += 4 + wire::varint_size(e.time->nanoseconds);
    }
    if (e.test_id) {
        flags |= wire::flag_test_id;
        fixed += add(*e.test_id, "test id");
    }
    if (!e.tags.empty()) {
        flags |= wire::flag_tags;
        fixed += wire::varint_size(static_cast<std::uint32_t>(std::min(e.tags.size(), max_packet_size)));
        for (const auto& t : e.tags) fixed += add(t, "tag");
        if (e.tags.size() > max_packet_size && !bad) bad = "tag list";
    }
    if (e.runnable) flags |= wire::flag_runnable;
    if (e.mime_type) {
        flags |= wire::flag_mime_type;
        fixed += add(*e.mime_type, "mime type");
    }
    if (e.file_name) {
        flags |= wire::flag_file_content;
        fixed += add(*e.file_name, "file name");
    } else {
        l.orphan_bytes = !std::string_view(e.file_bytes).empty();
    }
    if (e.route_code) {
        flags |= wire::flag_route_code;
        fixed += add(*e.route_code, "route code");
    }
    l.fixed = fixed;
    l.flags = flags;
    l.bad_string = bad;
    return l;
}

template <class String>
[[gnu::cold, gnu::noinline]] unexpected<error> refusal(const layout<String>& l) {
    if (l.bad_time) {
        return fail("subunit: timestamp " + std::to_string(l.e.time->seconds) + "s " +
                    std::to_string(l.e.time->nanoseconds) + "ns is outside 1970..2106 or has nanoseconds >= 10^9");
    }
    if (l.orphan_bytes) return fail("subunit: file bytes without a file name");
    return fail("subunit: the " + std::string(l.bad_string) +
                " is not valid UTF-8, holds a NUL byte or is longer than a packet");
}

// Appends one packet: the event's fields with `chunk` as the file bytes.
template <class String>
void put_packet(const layout<String>& l, std::string_view chunk, status st, bool eof, std::string& out) {
    const auto& e = l.e;
    std::size_t fields = l.fixed;
    if (e.file_name) fields += string_size(chunk);
    const std::size_t size = packet_size(fields);
    const std::size_t start = out.size();
    out.resize(start + size);
    char* p = out.data() + start;
    *p++ = static_cast<char>(wire::signature);
    p = put_u16(p, static_cast<std::uint16_t>(l.flags | (eof ? wire::flag_eof : 0) | static_cast<std::uint16_t>(st)));
    p = put_varint(p, static_cast<std::uint32_t>(size));
    if (e.time) {
        p = put_u32(p, static_cast<std::uint32_t>(e.time->seconds));
        p = put_varint(p, e.time->nanoseconds);
    }
    if (e.test_id) p = put_string(p, *e.test_id);
    if (!e.tags.empty()) {
        p = put_varint(p, static_cast<std::uint32_t>(e.tags.size()));
        for (const auto& t : e.tags) p = put_string(p, t);
    }
    if (e.mime_type) p = put_string(p, *e.mime_type);
    if (e.file_name) {
        p = put_string(p, *e.file_name);
        p = put_string(p, chunk);
    }
    if (e.route_code) p = put_string(p, *e.route_code);
    put_u32(p, libdeflate_crc32(0, out.data() + start, size - 4));
}

template <class String>
result<void> encode_event(const basic_event<String>& e, std::string& out) {
    const auto l = plan(e);
    if (!l.ok()) return refusal(l);
    const std::string_view bytes = e.file_bytes;
    if (packet_size(l.fixed + (e.file_name ? string_size(bytes) : 0)) != 0) {
        put_packet(l, bytes, e.test_status, e.eof, out);
        return {};
    }
    // Too big for one packet: only file bytes can be spread over several.
    // A chunk's count takes 3 bytes, its packet's length another 3.
    const std::size_t room = max_packet_size - frame_size - 3 - 3;
    if (!e.file_name || l.fixed >= room) {
        return fail("subunit: event of " + std::to_string(l.fixed) +
                    " bytes without its file bytes does not fit in a " +
                    std::to_string(max_packet_size) + "-byte packet");
    }
    const std::size_t chunk = room - l.fixed;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        const bool last = bytes.size() - at <= chunk;
        put_packet(l, bytes.substr(at, chunk), last ? e.test_status : status::none, last && e.eof, out);
    }
    return {};
}

}  // namespace

std::string_view to_string(status s) noexcept {
    return status_names[static_cast<std::size_t>(s) & 7];
}

std::optional<status> parse_status(std::string_view name) noexcept {
    for (std::size_t i = 0; i < status_names.size(); ++i) {
        if (status_names[i] == name) return static_cast<status>(i);
    }
    return std::nullopt;
}

std::chrono::nanoseconds elapsed(const timestamp& from, const timestamp& to) noexcept {
    return std::chrono::seconds(to.seconds - from.seconds) +
           std::chrono::nanoseconds(std::int64_t{to.nanoseconds} - std::int64_t{from.nanoseconds});
}

timestamp to_timestamp(std::chrono::system_clock::time_point t) noexcept {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    auto seconds = ns / 1'000'000'000;
    auto rest = ns % 1'000'000'000;
    if (rest < 0) {  // before 1970: keep nanoseconds non-negative
        rest += 1'000'000'000;
        --seconds;
    }
    return {seconds, static_cast<std::uint32_t>(rest)};
}

event to_event(const event_view& v) {
    auto own = [](const std::optional<std::string_view>& s) {
        return s ? std::optional<std::string>(std::in_place, *s) : std::nullopt;
    };
    event e;
    e.test_id = own(v.test_id);
    e.test_status = v.test_status;
    e.tags.assign(v.tags.begin(), v.tags.end());
    e.time = v.time;
    e.mime_type = own(v.mime_type);
    e.file_name = own(v.file_name);
    e.file_bytes = v.file_bytes;
    e.eof = v.eof;
    e.route_code = own(v.route_code);
    e.runnable = v.runnable;
    return e;
}

event_view to_view(const event& e) {
    auto borrow = [](const std::optional<std::string>& s) {
        return s ? std::optional<std::string_view>(*s) : std::nullopt;
    };
    event_view v;
    v.test_id = borrow(e.test_id);
    v.test_status = e.test_status;
    v.tags.assign(e.tags.begin(), e.tags.end());
    v.time = e.time;
    v.mime_type = borrow(e.mime_type);
    v.file_name = borrow(e.file_name);
    v.file_bytes = e.file_bytes;
    v.eof = e.eof;
    v.route_code = borrow(e.route_code);
    v.runnable = e.runnable;
    return v;
}

result<void> encode(const event& e, std::string& out) {
    return encode_event(e, out);
}

result<void> encode(const event_view& e, std::string& out) {
    return encode_event(e, out);
}

}  // namespace testr::subunit
