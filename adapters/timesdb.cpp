// timesdb.cpp - loading, updating and writing the duration store.
//
// Speed matters (a million records load in well under 100 ms): the file is
// mapped, not copied (file_bytes), and the database keeps the mapping, so
// ids without escapes are views into it; numbers in the writer's own form
// skip the general from_chars; the id index is a flat open-addressing table
// (timesdb_index.hpp) built in a second pass with prefetching, since a
// node-based std::unordered_map costs an allocation and a cache miss per
// record.
#include "timesdb.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <sys/stat.h>

#include "atomic_file.hpp"
#include "file_bytes.hpp"
#include "file_lock.hpp"
#include "timesdb_index.hpp"

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

/// Reads one "<seconds>\t" field; false if malformed or out of range.
bool read_seconds(std::string_view& rest, double& out) {
    // Fast path for what writers produce, "<digits>.<6 digits>\t": the
    // general from_chars is the biggest cost of loading a large file.
    const char* p = rest.data();
    const char* const end = p + rest.size();
    std::uint64_t whole = 0;
    const char* const whole_start = p;
    while (p < end && p - whole_start < 10 && static_cast<unsigned>(*p - '0') < 10) whole = whole * 10 + static_cast<unsigned>(*p++ - '0');
    if (p != whole_start && end - p > 7 && *p == '.') {
        std::uint64_t micros = 0;
        int digits = 0;
        for (; digits < seconds_decimals && static_cast<unsigned>(p[1 + digits] - '0') < 10; ++digits)
            micros = micros * 10 + static_cast<unsigned>(p[1 + digits] - '0');
        if (digits == seconds_decimals && p[1 + digits] == '\t') {
            out = static_cast<double>(whole) + static_cast<double>(micros) / 1e6;
            rest.remove_prefix(static_cast<std::size_t>(p + 2 + digits - rest.data()));
            return out <= max_seconds;
        }
    }
    // Anything else a person may have typed: "2", "1e-3", "0.5".
    const auto [num_end, ec] = std::from_chars(rest.data(), end, out);
    const std::size_t used = static_cast<std::size_t>(num_end - rest.data());
    // !(x >= 0) also catches NaN; inf fails the upper bound.
    if (ec != std::errc{} || used == rest.size() || *num_end != '\t' || !(out >= 0) || out > max_seconds)
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
    file_bytes text;
    id_arena arena;
    std::vector<entry> entries;
    detail::id_table index;
    std::vector<warning> warnings;
    std::size_t skipped_lines = 0;

    static constexpr std::size_t prefetch_distance = 16;

    const entry* find(std::string_view id) const {
        const std::size_t pos = index.find(id, detail::id_table::hash(id), entries);
        return pos == detail::id_table::npos ? nullptr : &entries[pos];
    }

    /// Indexes entries loaded with their hashes. A later line for an id
    /// replaces an earlier one (hand edits); the duplicate entry is dropped.
    void build_index(const std::vector<std::uint64_t>& hashes) {
        index.reset(entries.size());
        std::vector<bool> dropped;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i + prefetch_distance < entries.size()) index.prefetch(hashes[i + prefetch_distance]);
            const std::size_t holder = index.insert(entries[i].id, hashes[i], i, entries);
            if (holder == i) continue;
            entries[holder].times = entries[i].times;
            dropped.resize(entries.size());
            dropped[i] = true;
        }
        if (dropped.empty()) return;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (!dropped[i]) entries[kept++] = entries[i];
        entries.resize(kept);
        rebuild_index(entries.size());
    }

    /// Indexes every entry afresh, with room for `room` ids.
    void rebuild_index(std::size_t room) {
        index.reset(room);
        for (std::size_t i = 0; i < entries.size(); ++i)
            index.insert(entries[i].id, detail::id_table::hash(entries[i].id), i, entries);
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
    const char* parse_record(std::string_view line, std::vector<std::uint64_t>& hashes) {
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
        entries.push_back({id, t});
        hashes.push_back(detail::id_table::hash(id));  // while the id is in cache
        return nullptr;
    }

    /// Parses `text`; see timesdb::parse for the rules.
    result<void, io_error> parse(std::string_view path) {
        const std::string_view all = text.view();
        const std::size_t size = all.size();
        if (all.empty()) return {};
        const std::size_t first_end = all.find('\n');
        const std::string_view first = all.substr(0, first_end);
        if (auto refused = check_signature(first, first_end == std::string_view::npos, path)) return unexpected{*refused};
        if (first_end == std::string_view::npos) return {};

        // The writer's lines are at least 27 bytes: reserving for that many
        // only claims address space (hand-written shorter lines merely make
        // the vectors grow).
        const std::size_t max_records = size / 27 + 1;
        entries.reserve(max_records);
        detail::advise_huge_pages(entries.data(), max_records * sizeof(entry));
        std::vector<std::uint64_t> hashes;
        hashes.reserve(max_records);
        detail::advise_huge_pages(hashes.data(), max_records * sizeof(std::uint64_t));
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
            if (const char* why = parse_record(line, hashes)) warn(path, line_number, why);
        }
        finish_warnings(path);
        build_index(hashes);
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
lookup_result lookup_all(const detail::id_table& index, std::span<const entry> entries, std::span<const Id> ids) {
    constexpr std::size_t ahead = 16;
    std::vector<std::uint64_t> hashes(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) hashes[i] = detail::id_table::hash(ids[i]);
    lookup_result out;
    out.estimates.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i + ahead < ids.size()) index.prefetch(hashes[i + ahead]);
        const std::size_t pos = index.find(ids[i], hashes[i], entries);
        if (pos == detail::id_table::npos) {
            out.unknown.push_back(ids[i]);
        } else {
            out.estimates[i] = entries[pos].times.estimate;
        }
    }
    return out;
}
}  // namespace

lookup_result database::lookup(std::span<const std::string_view> ids) const {
    return lookup_all(impl_->index, impl_->entries, ids);
}
lookup_result database::lookup(std::span<const std::string> ids) const {
    return lookup_all(impl_->index, impl_->entries, ids);
}

std::span<const entry> database::entries() const noexcept { return impl_->entries; }

const std::vector<warning>& database::warnings() const noexcept { return impl_->warnings; }

database::add_result database::add(const sample& s) {
    if (!std::isfinite(s.seconds)) return add_result::rejected;
    const double seconds = std::clamp(s.seconds, 0.0, max_seconds);
    impl& d = *impl_;
    const std::uint64_t h = detail::id_table::hash(s.id);
    std::size_t pos = d.index.find(s.id, h, d.entries);
    const bool fresh = pos == detail::id_table::npos;
    if (fresh) {
        if (d.index.full(d.entries.size())) d.rebuild_index(2 * (d.entries.size() + 1));
        pos = d.entries.size();
        d.entries.push_back({d.arena.copy(s.id), {}});
        d.index.insert(d.entries[pos].id, h, pos, d.entries);
    }
    fold(d.entries[pos].times, seconds, s.passed);
    return fresh ? add_result::inserted : add_result::updated;
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
    db.impl_->text = file_bytes::copy_of(content);
    if (auto parsed = db.impl_->parse(path); !parsed) return unexpected{std::move(parsed).error()};
    return db;
}

result<database, io_error> open(const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) {
        if (bytes.error().code != ENOENT) return unexpected{std::move(bytes).error()};
        // No file yet is normal for a fresh repository; no directory is not.
        const std::filesystem::path parent = std::filesystem::path(path).parent_path();
        const std::string dir = parent.empty() ? std::string(".") : parent.string();
        struct stat st;
        if (::stat(dir.c_str(), &st) != 0) return unexpected{errno_error(dir, "find repository directory", errno)};
        return database{};
    }
    database db;
    db.impl_->text = std::move(bytes).value();
    if (auto parsed = db.impl_->parse(path); !parsed) return unexpected{std::move(parsed).error()};
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

}  // namespace testr::timesdb
