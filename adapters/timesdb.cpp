// timesdb.cpp - loading, updating and writing the duration store.
//
// Speed matters (a million records load in well under 100 ms): the file is
// read in one go into a buffer the database keeps, records are parsed with
// string_view and from_chars, ids without escapes are views into that
// buffer, and the id index is a flat open-addressing table, since a
// node-based std::unordered_map costs one allocation per record.
#include "timesdb.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "file_lock.hpp"

namespace testr::timesdb {
namespace {

constexpr std::string_view signature_prefix = "# testr-mini times v";
constexpr std::string_view column_comment = "# estimate_s\tlast_s\truns\tlast_status\ttest_id\n";
constexpr std::string_view pass_word = "pass";
constexpr std::string_view fail_word = "fail";
constexpr int seconds_decimals = 6;

/// Stable storage for ids that do not view the loaded file: unescaped ones
/// and ones added since loading. Blocks never move, so views stay valid.
class id_arena {
public:
    std::string_view copy(std::string_view s) {
        if (s.size() > left_) {
            const std::size_t size = std::max(s.size(), block_size);
            blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
            next_ = blocks_.back().get();
            left_ = size;
        }
        char* dest = next_;
        std::memcpy(dest, s.data(), s.size());
        next_ += s.size();
        left_ -= s.size();
        return {dest, s.size()};
    }

private:
    static constexpr std::size_t block_size = 64 * 1024;
    std::vector<std::unique_ptr<char[]>> blocks_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
};

std::string parent_directory(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == 0x7f || c == '\\'; }

/// Reads one "<seconds>\t" field; false if malformed or out of range.
bool read_seconds(std::string_view& rest, double& out) {
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
    const std::size_t used = static_cast<std::size_t>(end - rest.data());
    // !(x >= 0) also catches NaN; inf fails the upper bound.
    if (ec != std::errc{} || used == rest.size() || *end != '\t' || !(out >= 0) || out > max_seconds)
        return false;
    rest.remove_prefix(used + 1);
    return true;
}

void append_seconds(std::string& out, double seconds) {
    char buf[48];  // max_seconds with 6 decimals needs 17
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, seconds, std::chars_format::fixed, seconds_decimals);
    out.append(buf, end);
}

/// Folds one duration into a record; see smoothing and outlier_factor.
void fold(test_times& t, double seconds, bool passed) {
    if (t.runs == 0) {
        t.estimate = seconds;
    } else {
        const double high = std::max(t.estimate, outlier_floor_seconds) * outlier_factor;
        const double low = t.estimate / outlier_factor;
        t.estimate += smoothing * (std::clamp(seconds, low, high) - t.estimate);
    }
    t.last = seconds;
    if (t.runs != std::numeric_limits<std::uint32_t>::max()) ++t.runs;
    t.last_passed = passed;
}

}  // namespace

struct database::impl {
    std::unique_ptr<char[]> text;  // the loaded file; ids without escapes view it
    id_arena arena;
    std::vector<entry> entries;
    // Open addressing with linear probing, at most half full. A slot is 0
    // when empty, else (high 32 bits of the id's hash) << 32 | (entry index
    // + 1), so most mismatches are rejected without touching the entry.
    std::vector<std::uint64_t> slots = std::vector<std::uint64_t>(16, 0);
    std::vector<warning> warnings;
    std::size_t skipped_lines = 0;

    static std::size_t hash(std::string_view id) { return std::hash<std::string_view>{}(id); }
    static std::uint64_t tag(std::size_t h) { return static_cast<std::uint64_t>(h >> 32) << 32; }

    static std::size_t entry_index(std::uint64_t slot) { return (slot & 0xffffffffULL) - 1; }

    /// Index of the slot holding `id`, or of the empty slot where it would go.
    std::size_t probe(std::string_view id, std::size_t h) const {
        const std::size_t mask = slots.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            const std::uint64_t slot = slots[i];
            if (slot == 0) return i;
            if ((slot & ~0xffffffffULL) == tag(h) && entries[entry_index(slot)].id == id) return i;
        }
    }
    std::uint64_t& slot_for(std::string_view id, std::size_t h) { return slots[probe(id, h)]; }

    const entry* find(std::string_view id) const {
        const std::uint64_t slot = slots[probe(id, hash(id))];
        return slot == 0 ? nullptr : &entries[entry_index(slot)];
    }

    void rehash(std::size_t capacity) {
        slots.assign(capacity, 0);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const std::size_t h = hash(entries[i].id);
            slot_for(entries[i].id, h) = tag(h) | (i + 1);
        }
    }

    void reserve(std::size_t n) {
        if (n * 2 > slots.size()) rehash(std::bit_ceil(n * 2));
    }

    /// Inserts `id` (which must already live in stable storage) or returns
    /// its existing entry; a later line for an id replaces an earlier one.
    entry& upsert_stable(std::string_view id) {
        reserve(entries.size() + 1);
        const std::size_t h = hash(id);
        std::uint64_t& slot = slot_for(id, h);
        if (slot != 0) return entries[entry_index(slot)];
        entries.push_back({id, {}});
        slot = tag(h) | entries.size();
        return entries.back();
    }

    void warn(std::string_view path, std::size_t line, std::string_view why) {
        if (++skipped_lines > max_warnings) return;
        warnings.push_back({line, std::string(path) + ":" + std::to_string(line) + ": skipped line: " + std::string(why)});
    }

    void finish_warnings(std::string_view path) {
        if (skipped_lines <= max_warnings) return;
        warnings.push_back({0, std::string(path) + ": " + std::to_string(skipped_lines - max_warnings) +
                                   " more lines skipped"});
    }

    /// Parses one record line (without its newline); null or what is wrong.
    const char* parse_record(std::string_view line) {
        test_times t;
        if (!read_seconds(line, t.estimate)) return "bad estimate (field 1)";
        if (!read_seconds(line, t.last)) return "bad last duration (field 2)";
        const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), t.runs);
        const std::size_t used = static_cast<std::size_t>(end - line.data());
        if (ec != std::errc{} || used == line.size() || *end != '\t' || t.runs == 0) return "bad run count (field 3)";
        line.remove_prefix(used + 1);
        if (line.starts_with(pass_word)) {
            t.last_passed = true;
        } else if (!line.starts_with(fail_word)) {
            return "bad status (field 4, pass or fail)";
        }
        line.remove_prefix(pass_word.size());
        if (line.empty() || line[0] != '\t') return "bad status (field 4, pass or fail)";
        line.remove_prefix(1);
        std::string_view id = line;
        if (id.find('\\') != std::string_view::npos) {
            const auto plain = unescape_id(id);
            if (!plain) return "bad escape sequence in test id (field 5)";
            id = arena.copy(*plain);
        }
        upsert_stable(id).times = t;
        return nullptr;
    }

    /// Parses `text` (size bytes); see timesdb::parse for the rules.
    result<void, io_error> parse(std::size_t size, std::string_view path) {
        const std::string_view all(text.get(), size);
        if (all.empty()) return {};
        const std::size_t first_end = all.find('\n');
        const std::string_view first = all.substr(0, first_end);
        if (auto refused = check_signature(first, first_end == std::string_view::npos, path)) return unexpected{*refused};
        if (first_end == std::string_view::npos) return {};

        // Roughly 60 bytes a line: sizing up front avoids rehashing.
        reserve(size / 64);
        entries.reserve(size / 64);
        std::size_t line_number = 1;
        std::size_t pos = first_end + 1;
        while (pos < all.size()) {
            ++line_number;
            const std::size_t end = all.find('\n', pos);
            if (end == std::string_view::npos) {
                // Writers end every line; a missing newline means the file
                // was cut short, so the last field may be a truncated id.
                warn(path, line_number, "incomplete last line (no newline; file cut short?)");
                break;
            }
            const std::string_view line = all.substr(pos, end - pos);
            pos = end + 1;
            if (line.empty() || line[0] == '#') continue;
            if (const char* why = parse_record(line)) warn(path, line_number, why);
        }
        finish_warnings(path);
        return {};
    }

    /// Accepts "# testr-mini times v1"; an incomplete prefix of it (a file
    /// cut short) is an empty store with a warning; anything else is refused.
    std::optional<io_error> check_signature(std::string_view first, bool cut_short, std::string_view path) {
        const std::string current = std::string(signature_prefix) + std::to_string(format_version);
        if (first == current) return std::nullopt;
        if (cut_short && std::string_view(current).starts_with(first)) {
            warn(path, 1, "incomplete signature line (file cut short?)");
            return std::nullopt;
        }
        const std::string action = "use times database";
        if (first.starts_with(signature_prefix)) {
            const std::string_view digits = first.substr(signature_prefix.size());
            int version = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
            if (ec == std::errc{} && end == digits.data() + digits.size() && version > format_version) {
                return content_error(std::string(path), action,
                                     "it is format v" + std::to_string(version) + ", written by a newer testr-mini; this one reads v" +
                                         std::to_string(format_version) + " only and leaves the file untouched");
            }
        }
        return content_error(std::string(path), action,
                             "line 1 is not the signature '" + current +
                                 "'; not a testr-mini times file, or damaged: refusing to read or overwrite it");
    }
};

database::database() : impl_(std::make_unique<impl>()) {}
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

std::size_t database::size() const noexcept { return impl_->entries.size(); }

const test_times* database::find(std::string_view id) const noexcept {
    const entry* e = impl_->find(id);
    return e == nullptr ? nullptr : &e->times;
}

std::optional<double> database::estimate(std::string_view id) const noexcept {
    const entry* e = impl_->find(id);
    if (e == nullptr) return std::nullopt;
    return e->times.estimate;
}

namespace {
template <class Id>
lookup_result lookup_all(const database& db, std::span<const Id> ids) {
    lookup_result out;
    out.known.reserve(ids.size());
    for (const Id& id : ids) {
        if (const test_times* t = db.find(id)) {
            out.known.emplace(id, t->estimate);
        } else {
            out.unknown.push_back(id);
        }
    }
    return out;
}
}  // namespace

lookup_result database::lookup(std::span<const std::string_view> ids) const { return lookup_all(*this, ids); }
lookup_result database::lookup(std::span<const std::string> ids) const { return lookup_all(*this, ids); }

std::span<const entry> database::entries() const noexcept { return impl_->entries; }

const std::vector<warning>& database::warnings() const noexcept { return impl_->warnings; }

database::add_result database::add(const sample& s) {
    if (!std::isfinite(s.seconds)) return add_result::rejected;
    const double seconds = std::clamp(s.seconds, 0.0, max_seconds);
    impl& d = *impl_;
    d.reserve(d.entries.size() + 1);
    const std::size_t h = impl::hash(s.id);
    std::uint64_t& slot = d.slot_for(s.id, h);
    add_result result = add_result::updated;
    if (slot == 0) {
        d.entries.push_back({d.arena.copy(s.id), {}});
        slot = impl::tag(h) | d.entries.size();
        result = add_result::inserted;
    }
    fold(d.entries[impl::entry_index(slot)].times, seconds, s.passed);
    return result;
}

std::string database::serialize() const {
    std::size_t id_bytes = 0;
    for (const entry& e : impl_->entries) id_bytes += e.id.size();
    std::string out;
    out.reserve(64 + id_bytes + impl_->entries.size() * 40);
    out.append(signature_prefix).append(std::to_string(format_version)).append("\n").append(column_comment);
    char runs[16];
    for (const entry& e : impl_->entries) {
        append_seconds(out, e.times.estimate);
        out.push_back('\t');
        append_seconds(out, e.times.last);
        out.push_back('\t');
        out.append(runs, std::to_chars(runs, runs + sizeof runs, e.times.runs).ptr);
        out.push_back('\t');
        out.append(e.times.last_passed ? pass_word : fail_word);
        out.push_back('\t');
        escape_id(e.id, out);
        out.push_back('\n');
    }
    return out;
}

result<database, io_error> parse(std::string_view content, std::string_view path) {
    database db;
    db.impl_->text = std::make_unique_for_overwrite<char[]>(content.size());
    std::memcpy(db.impl_->text.get(), content.data(), content.size());
    if (auto parsed = db.impl_->parse(content.size(), path); !parsed) return unexpected{std::move(parsed).error()};
    return db;
}

result<database, io_error> open(const std::string& path) {
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int err = errno;
        if (err != ENOENT) return unexpected{errno_error(path, "open times database", err)};
        // No file yet is normal for a fresh repository; no directory is not.
        const std::string dir = parent_directory(path);
        struct stat st;
        if (::stat(dir.c_str(), &st) != 0) return unexpected{errno_error(dir, "find repository directory", errno)};
        return database{};
    }
    auto fail_with = [&](const char* action) {
        const int err = errno;
        ::close(fd);
        return unexpected{errno_error(path, action, err)};
    };
    struct stat st;
    if (::fstat(fd, &st) != 0) return fail_with("stat times database");
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return fail_with("read times database");
    }
    // The file is only ever replaced by rename, never changed in place, so
    // its size stays put; still, stop at whatever read reports as the end.
    const std::size_t capacity = static_cast<std::size_t>(st.st_size);
    database db;
    db.impl_->text = std::make_unique_for_overwrite<char[]>(capacity);
    std::size_t size = 0;
    while (size < capacity) {
        const ssize_t n = ::read(fd, db.impl_->text.get() + size, capacity - size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_with("read times database");
        if (n == 0) break;
        size += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (auto parsed = db.impl_->parse(size, path); !parsed) return unexpected{std::move(parsed).error()};
    return db;
}

result<record_report, io_error> record(const std::string& path, std::span<const sample> run) {
    auto lock = lock_file(path + ".lock");
    if (!lock) return unexpected{std::move(lock).error()};
    remove_stale_temporaries(path);  // safe: every writer of path holds this lock
    auto db = open(path);
    if (!db) return unexpected{std::move(db).error()};

    record_report report;
    report.warnings = db->warnings();
    for (const sample& s : run) {
        switch (db->add(s)) {
            case database::add_result::inserted: ++report.added; break;
            case database::add_result::updated: ++report.updated; break;
            case database::add_result::rejected: ++report.rejected; break;
        }
    }
    if (auto written = write_file_atomically(path, db->serialize()); !written)
        return unexpected{std::move(written).error()};
    return report;
}

void escape_id(std::string_view id, std::string& out) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const auto c = static_cast<unsigned char>(id[i]);
        if (!needs_escape(c)) continue;
        out.append(id, plain_from, i - plain_from);
        plain_from = i + 1;
        switch (c) {
            case '\\': out.append("\\\\"); break;
            case '\t': out.append("\\t"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            default:
                out.append("\\x");
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xf]);
        }
    }
    out.append(id, plain_from, std::string_view::npos);
}

std::optional<std::string> unescape_id(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        if (++i == text.size()) return std::nullopt;
        switch (text[i]) {
            case '\\': out.push_back('\\'); break;
            case 't': out.push_back('\t'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 'x': {
                if (i + 2 >= text.size()) return std::nullopt;
                const int high = hex_value(text[i + 1]);
                const int low = hex_value(text[i + 2]);
                if (high < 0 || low < 0) return std::nullopt;
                out.push_back(static_cast<char>(high << 4 | low));
                i += 2;
                break;
            }
            default: return std::nullopt;
        }
    }
    return out;
}

}  // namespace testr::timesdb
