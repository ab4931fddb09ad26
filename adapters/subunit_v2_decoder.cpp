// subunit_v2_decoder.cpp - the streaming subunit v2 decoder.
//
// Hot path: a chunk is scanned in place; a complete packet is checked and
// parsed straight from the caller's buffer into a reused event_view. Only an
// unfinished packet (or character) at the end of a chunk is copied, and only
// the bytes it still needs are copied onto it from the next chunk.
#include "subunit_v2.hpp"

#include "subunit_wire.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace testr::subunit {

namespace {

namespace utf8 = wire::utf8;
namespace dfa = testr::detail::utf8_dfa;

// The reference batches at most 1 MiB of non-subunit bytes per event.
constexpr std::size_t text_batch = 1024 * 1024;

std::uint32_t be16(const unsigned char* p) noexcept { return std::uint32_t{p[0]} << 8 | p[1]; }
std::uint32_t be32(const unsigned char* p) noexcept { return be16(p) << 16 | be16(p + 2); }

// What the first bytes of a packet tell.
struct header {
    enum kind_t { need_more, bad, ok } kind;
    std::size_t size;  // need_more: bytes needed to decide; bad: bytes to skip; ok: packet size
};

std::size_t length_width(const unsigned char* p) noexcept { return 1 + (p[3] >> 6); }

std::size_t claimed_length(const unsigned char* p) noexcept {
    std::size_t length = p[3] & 0x3F;
    for (std::size_t i = 1; i < length_width(p); ++i) length = length << 8 | p[3 + i];
    return length;
}

header read_header(std::string_view d) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(d.data());
    if (d.size() < 4) return {header::need_more, 4};
    const std::size_t head = 3 + length_width(p);
    if (d.size() < head) return {header::need_more, head};
    if (head == 7 || claimed_length(p) < head + 4) return {header::bad, head};
    return {header::ok, claimed_length(p)};
}

// Why read_header said bad; error paths are kept out of the hot code.
[[gnu::cold, gnu::noinline]] std::string header_problem(std::string_view d) {
    const auto* p = reinterpret_cast<const unsigned char*>(d.data());
    if (length_width(p) == 4) return "packet length takes 4 bytes, the maximum is 3";
    return "packet length " + std::to_string(claimed_length(p)) + " is shorter than its header and CRC";
}

// Reads the fields of a packet whose CRC checked out. Leaves the reason in
// `error` when a field is broken.
class field_reader {
public:
    field_reader(std::string_view packet, std::size_t first) noexcept
        : p_(reinterpret_cast<const unsigned char*>(packet.data())), pos_(first), end_(packet.size() - 4) {}

    bool varint(std::uint32_t& v) {
        if (pos_ >= end_ || std::size_t{1} + (p_[pos_] >> 6) > end_ - pos_) return past_end("varint");
        const std::size_t width = 1 + (p_[pos_] >> 6);
        v = p_[pos_] & 0x3F;
        for (std::size_t i = 1; i < width; ++i) v = v << 8 | p_[pos_ + i];
        pos_ += width;
        return true;
    }

    bool bytes(std::size_t n, std::string_view& out, const char* what) {
        if (n > end_ - pos_) return overlong(what, n);
        out = {reinterpret_cast<const char*>(p_ + pos_), n};
        pos_ += n;
        return true;
    }

    bool string(std::string_view& out, const char* what) {
        const std::size_t at = pos_;
        std::uint32_t n = 0;
        if (!varint(n) || !bytes(n, out, what)) return false;
        return utf8::valid_string(out) || not_text(what, at);
    }

    bool timestamp(subunit::timestamp& t) {
        if (end_ - pos_ < 4) return past_end("timestamp");
        t.seconds = be32(p_ + pos_);
        pos_ += 4;
        return varint(t.nanoseconds);
    }

    bool done() { return pos_ == end_ || broken(std::to_string(end_ - pos_) + " bytes after the last field"); }

    bool fits(std::size_t items) const noexcept { return items <= end_ - pos_; }

    [[gnu::cold, gnu::noinline]] bool broken(std::string why) {
        error = std::move(why);
        return false;
    }

    std::string error;

private:
    [[gnu::cold, gnu::noinline]] bool past_end(const char* what) {
        return broken(std::string(what) + " at packet byte " + std::to_string(pos_) + " runs past the end");
    }
    [[gnu::cold, gnu::noinline]] bool overlong(const char* what, std::size_t n) {
        return broken(std::string(what) + " at packet byte " + std::to_string(pos_) + " claims " +
                      std::to_string(n) + " bytes, " + std::to_string(end_ - pos_) + " available");
    }
    [[gnu::cold, gnu::noinline]] bool not_text(const char* what, std::size_t at) {
        return broken(std::string(what) + " at packet byte " + std::to_string(at) + " is not UTF-8 or holds a NUL byte");
    }

    const unsigned char* p_;
    std::size_t pos_, end_;
};

bool read_fields(field_reader& r, std::uint32_t flags, event_view& e) {
    if (flags & wire::flag_timestamp) {
        if (!r.timestamp(e.time.emplace())) return false;
    }
    if (flags & wire::flag_test_id) {
        if (!r.string(e.test_id.emplace(), "test id")) return false;
    }
    if (flags & wire::flag_tags) {
        std::uint32_t count = 0;
        if (!r.varint(count)) return false;
        // Each tag takes at least a byte: a bigger count is a lie, not a reason to allocate.
        if (!r.fits(count)) return r.broken("tag count " + std::to_string(count) + " exceeds the packet");
        e.tags.resize(count);
        for (auto& t : e.tags) {
            if (!r.string(t, "tag")) return false;
        }
    }
    if (flags & wire::flag_mime_type) {
        if (!r.string(e.mime_type.emplace(), "mime type")) return false;
    }
    if (flags & wire::flag_file_content) {
        std::uint32_t n = 0;
        if (!r.string(e.file_name.emplace(), "file name") || !r.varint(n) ||
            !r.bytes(n, e.file_bytes, "file content")) {
            return false;
        }
    }
    if (flags & wire::flag_route_code) {
        if (!r.string(e.route_code.emplace(), "route code")) return false;
    }
    return r.done();
}

// Back to "nothing set", keeping the tag vector's capacity unless a packet
// of many tiny tags blew it up.
void clear(event_view& e) {
    e.test_id.reset();
    e.test_status = status::none;
    if (e.tags.capacity() > 4096) {
        std::vector<std::string_view>().swap(e.tags);
    }
    e.tags.clear();
    e.time.reset();
    e.mime_type.reset();
    e.file_name.reset();
    e.file_bytes = {};
    e.eof = false;
    e.route_code.reset();
    e.runnable = true;
}

std::string at_offset(std::string message, std::uint64_t at) {
    return std::move(message) + " (packet at byte offset " + std::to_string(at) + ")";
}

// Worded as the reference words it, so its message is a prefix of ours.
[[gnu::cold, gnu::noinline]] std::string bad_checksum(std::uint32_t computed, std::uint32_t stored) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "Bad checksum - calculated (0x%x), stored (0x%x)", computed, stored);
    return buf;
}

}  // namespace

decoder::decoder(handler on_event) : on_event_(std::move(on_event)) {}

void decoder::feed(std::string_view in) {
    std::uint64_t in_at = fed_;
    fed_ += in.size();
    // Complete a pending packet from the front of `in`, copying only the
    // bytes it still needs; what is left of `in` is then scanned in place.
    while (!pending_.empty()) {
        const header h = read_header(pending_);
        const std::size_t want = h.kind == header::bad ? pending_.size() : h.size;
        if (want > pending_.size()) {
            if (in.empty()) return;
            const std::size_t take = std::min(want - pending_.size(), in.size());
            pending_.append(in.substr(0, take));
            in.remove_prefix(take);
            in_at += take;
            continue;
        }
        base_ = fed_ - in.size() - pending_.size();
        pending_.erase(0, scan(pending_));
    }
    base_ = in_at;
    const std::size_t used = scan(in);
    pending_.assign(in.substr(used));
}

void decoder::finish() {
    if (!pending_.empty()) {
        const header h = read_header(pending_);
        std::string what = h.kind == header::ok
                               ? "Truncated packet: the stream ends after " + std::to_string(pending_.size()) +
                                     " of its " + std::to_string(h.size) + " bytes"
                               : "Truncated packet: the stream ends inside its header";
        base_ = fed_ - pending_.size();
        emit_error(pending_, at_offset(std::move(what), base_));
    }
    if (!tail_.empty()) emit_text(tail_);
    pending_.clear();
    tail_.clear();
    utf8_state_ = dfa::between;
    fed_ = 0;
}

// Decodes what `data` (at stream offset base_) completes; returns how much
// of it was used. The rest is the start of a packet.
std::size_t decoder::scan(std::string_view data) {
    std::size_t pos = 0;
    while (pos < data.size()) {
        if (utf8_state_ != dfa::between || static_cast<unsigned char>(data[pos]) != wire::signature) {
            pos = scan_text(data, pos);
            continue;
        }
        // Find the run of complete packets starting here and sum them all
        // before parsing any: the CRC runs faster back to back than
        // interleaved with the parsing. Each packet is summed exactly once.
        struct packet {
            std::size_t at, size;
            std::uint32_t crc;
        };
        std::array<packet, 64> run;  // left uninitialised: only [0, count) is read
        std::size_t count = 0, end = pos;
        while (count < run.size() && end < data.size() && static_cast<unsigned char>(data[end]) == wire::signature) {
            const header h = read_header(data.substr(end));
            if (h.kind != header::ok || h.size > data.size() - end) break;
            run[count++] = {end, h.size, 0};
            end += h.size;
        }
        for (std::size_t i = 0; i < count; ++i) {
            run[i].crc = libdeflate_crc32(0, data.data() + run[i].at, run[i].size - 4);
        }
        for (std::size_t i = 0; i < count; ++i) {
            emit_packet(data.substr(run[i].at, run[i].size), base_ + run[i].at, run[i].crc);
        }
        if (count > 0) {
            pos = end;
            continue;
        }
        const std::string_view rest = data.substr(pos);
        const header h = read_header(rest);
        if (h.kind != header::bad) return pos;  // the start of a packet still coming
        emit_error(rest.substr(0, h.size), at_offset(header_problem(rest), base_ + pos));
        pos += h.size;
    }
    return pos;
}

// Scans one run of non-packet bytes from `pos` and emits it; returns where
// the run ends: at a signature between characters, at the batch limit, or at
// the end of `data` (where an unfinished character moves into tail_).
std::size_t decoder::scan_text(std::string_view data, std::size_t pos) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t n = data.size(), start = pos;
    const std::size_t limit = std::min(n, start + text_batch - tail_.size());
    bool char_in_tail = !tail_.empty();
    std::size_t char_start = start;
    std::uint8_t st = utf8_state_;
    while (pos < n) {
        const unsigned char b = p[pos];
        if (st == dfa::between) {
            if (b == wire::signature || pos >= limit) break;
            if (b < 0x80) {
                ++pos;
                while (pos + 8 <= limit && utf8::plain8(p + pos)) pos += 8;
                continue;
            }
            const std::uint8_t next = dfa::start(b);
            if (next != dfa::invalid) {
                st = next;
                char_start = pos;
                char_in_tail = false;
            }
            ++pos;
        } else if (dfa::accepts(st, b)) {
            st = dfa::after[st];
            ++pos;
        } else {
            // A broken character ends here. The byte that broke it is looked
            // at afresh, except 0xB3: the reference never takes it for a
            // signature in the middle of a character.
            st = dfa::between;
            if (b == wire::signature) ++pos;
        }
    }
    utf8_state_ = st;
    std::size_t end = pos;
    if (pos == n && st != dfa::between) {
        if (char_in_tail) {
            tail_.append(data.substr(start));
            return n;
        }
        end = char_start;
    }
    const std::string_view text = data.substr(start, end - start);
    if (!tail_.empty()) {
        scratch_.assign(tail_).append(text);
        tail_.clear();
        emit_text(scratch_);
    } else if (!text.empty()) {
        emit_text(text);
    }
    tail_.assign(data.substr(end, pos - end));
    return pos;
}

void decoder::emit_text(std::string_view text) {
    clear(ev_);
    ev_.file_name = "stdout";
    ev_.file_bytes = text;
    on_event_(ev_, text);
}

void decoder::emit_packet(std::string_view packet, std::uint64_t at, std::uint32_t computed) {
    const auto* p = reinterpret_cast<const unsigned char*>(packet.data());
    const std::uint32_t stored = be32(p + packet.size() - 4);
    if (stored != computed) {
        emit_error(packet, at_offset(bad_checksum(computed, stored), at));
        return;
    }
    const std::uint32_t flags = be16(p + 1);
    if ((flags & 0xF000) != wire::version_2) {
        emit_error(packet, at_offset("unsupported packet version " + std::to_string(flags >> 12), at));
        return;
    }
    clear(ev_);
    field_reader r(packet, 3 + length_width(p));
    if (!read_fields(r, flags, ev_)) {
        emit_error(packet, at_offset(std::move(r.error), at));
        return;
    }
    ev_.test_status = static_cast<status>(flags & wire::status_mask);
    ev_.eof = (flags & wire::flag_eof) != 0;
    ev_.runnable = (flags & wire::flag_runnable) != 0;
    on_event_(ev_, packet);
}

[[gnu::cold]] void decoder::emit_error(std::string_view bytes, std::string message) {
    clear(ev_);
    ev_.test_id = "subunit.parser";
    ev_.eof = true;
    ev_.file_name = "Packet data";
    ev_.file_bytes = bytes;
    ev_.mime_type = "application/octet-stream";
    on_event_(ev_, bytes);
    clear(ev_);
    ev_.test_id = "subunit.parser";
    ev_.test_status = status::fail;
    ev_.eof = true;
    ev_.file_name = "Parser Error";
    ev_.file_bytes = message;
    ev_.mime_type = "text/plain;charset=utf8";
    on_event_(ev_, {});
}

}  // namespace testr::subunit
