// timesdb.cpp - loading, looking up, appending to and compacting the
// duration store.
//
// A v2 file is mapped, not parsed: its sorted section is ordered by a
// stable hash of the id and a fixed-width fence table says where each hash
// bucket starts, so a lookup reads one fence entry and the few lines of one
// bucket. Only the log (records appended since the last compaction, kept
// short by record()) is parsed on open, into an in-memory overlay: a flat
// open-addressing table (timesdb_index.hpp) over an entry array, which also
// holds everything added since and, for a v1 file, every record.
#include "timesdb.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "atomic_file.hpp"
#include "fd_io.hpp"
#include "file_bytes.hpp"
#include "file_lock.hpp"
#include "timesdb_index.hpp"

namespace testr::timesdb {
namespace {

constexpr std::string_view signature_prefix = "# testr-mini times v";
constexpr std::string_view column_comment = "# estimate_s\tlast_s\truns\tlast_status\ttest_id\n";
constexpr std::string_view fence_comment =
    "# fence: where each bucket's records start, then where they end (hex byte offsets from the first record)\n";
constexpr std::string_view log_comment = "# log: records appended since, in batches each closed by \"# end <bytes> <crc32>\"\n";
constexpr std::string_view end_prefix = "# end ";
constexpr std::string_view pass_word = "pass";
constexpr std::string_view fail_word = "fail";
constexpr int seconds_decimals = 6;
constexpr std::size_t fence_width = 10;  // hex digits: offsets below 1 TiB
constexpr std::size_t records_per_bucket = 4;

std::string signature(int version) { return std::string(signature_prefix) + std::to_string(version) + "\n"; }

/// Line 3 of a v2 file. Fixed width, so a writer can reserve it before it
/// knows the numbers, and a reader finds the sections from it alone.
std::string layout_line(std::size_t records, std::size_t bytes, std::size_t buckets) {
    char buf[96];
    const int n = std::snprintf(buf, sizeof buf, "# sorted records=%013zu bytes=%015zu buckets=%010zu\n", records, bytes,
                                buckets);
    return std::string(buf, static_cast<std::size_t>(n));
}
const std::size_t layout_size = layout_line(0, 0, 1).size();

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

/// Parses a record line (without its newline) into `t` and the id field as
/// written (still escaped); null or what is wrong.
const char* parse_line(std::string_view line, test_times& t, std::string_view& id_field) {
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
    id_field = line.substr(1);
    return nullptr;
}

/// The id field of a record line: after the fourth tab.
std::string_view id_field_of(std::string_view line) {
    std::size_t at = 0;
    for (int i = 0; i < 4; ++i) {
        at = line.find('\t', at);
        if (at == std::string_view::npos) return {};
        ++at;
    }
    return line.substr(at);
}

/// Appends `seconds` (in [0, max_seconds]) with exactly 6 decimals. Whole
/// microseconds below 10^15 are exact in a double, so rounding once to an
/// integer and printing its digits is what "%.6f" prints (but for a value
/// within an ulp of half a microsecond) at a fraction of the cost; this was
/// most of a record's formatting.
void append_seconds(std::string& out, double seconds) {
    std::uint64_t micros = static_cast<std::uint64_t>(std::llround(seconds * 1e6));
    char buf[32];
    char* const end = buf + sizeof buf;
    char* p = end;
    for (int i = 0; i < seconds_decimals; ++i, micros /= 10) *--p = static_cast<char>('0' + micros % 10);
    *--p = '.';
    do {
        *--p = static_cast<char>('0' + micros % 10);
        micros /= 10;
    } while (micros != 0);
    out.append(p, end);
}

void append_record(std::string& out, const test_times& t, std::string_view id) {
    append_seconds(out, t.estimate);
    out.push_back('\t');
    append_seconds(out, t.last);
    out.push_back('\t');
    char runs[16];
    out.append(runs, std::to_chars(runs, runs + sizeof runs, t.runs).ptr);
    out.push_back('\t');
    out.append(t.last_passed ? pass_word : fail_word);
    out.push_back('\t');
    escape_id(id, out);
    out.push_back('\n');
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

std::uint32_t crc_of(std::string_view bytes) { return libdeflate_crc32(0, bytes.data(), bytes.size()); }

std::string end_line(std::size_t bytes, std::uint32_t crc) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof buf, "# end %zu %08x\n", bytes, crc);
    return std::string(buf, static_cast<std::size_t>(n));
}

bool parse_decimal(std::string_view s, std::size_t& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
}

/// Value of each lower-case hex digit; 0x10 for any other byte.
constexpr std::array<std::uint8_t, 256> hex_digits = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& x : t) x = 0x10;
    for (int c = 0; c < 10; ++c) t[static_cast<std::size_t>('0' + c)] = static_cast<std::uint8_t>(c);
    for (int c = 0; c < 6; ++c) t[static_cast<std::size_t>('a' + c)] = static_cast<std::uint8_t>(10 + c);
    return t;
}();

/// The sorted section of a v2 file, mapped: records in (hash, id) order and
/// the fence table giving each hash bucket's first record.
struct sorted_section {
    std::string_view records;  // whole lines
    const char* fence = nullptr;
    std::size_t count = 0, buckets = 1;
    int shift = 64;  // bucket of hash h: h >> shift (64: one bucket)

    std::size_t bucket_of(std::uint64_t h) const noexcept { return shift >= 64 ? 0 : static_cast<std::size_t>(h >> shift); }

    /// Fence entry b, or npos when it is not hex. Without a branch per
    /// digit: a hex letter or a digit is a coin toss for the predictor.
    std::size_t fence_at(std::size_t b) const noexcept {
        const auto* p = reinterpret_cast<const unsigned char*>(fence + b * (fence_width + 1));
        std::size_t v = 0;
        unsigned bad = 0;
        for (std::size_t i = 0; i < fence_width; ++i) {
            const unsigned d = hex_digits[p[i]];
            bad |= d;
            v = v << 4 | (d & 0xF);
        }
        return (bad & 0x10) != 0 ? std::string_view::npos : v;
    }

    const char* fence_address(std::uint64_t h) const noexcept { return fence + bucket_of(h) * (fence_width + 1); }

    /// Brings into cache what find() will read for the ids whose hashes
    /// are hash_at(0..n-1): their fence entries, then their buckets' first
    /// lines. Loads, not prefetches: a prefetch is dropped when its page is
    /// missing from the TLB, the common case in a 100 MB mapping read at
    /// ~1 KB strides (measured: prefetches left the misses where they were).
    /// Each in a tight loop of its own, so that the misses, TLB walks
    /// included, overlap; spread through the lookup loop they would be
    /// waited for one by one.
    template <class HashAt>
    void warm(std::size_t n, HashAt&& hash_at) const noexcept {
        if (count == 0) return;
        for (std::size_t j = 0; j < n; ++j) touch(fence_address(hash_at(j)));
        for (std::size_t j = 0; j < n; ++j) {
            const std::size_t lo = fence_at(bucket_of(hash_at(j)));
            if (lo < records.size()) touch(records.data() + lo);
        }
        // A bucket holds ~4 records of ~100 bytes; the rest of its lines
        // are on a page the TLB now knows.
        for (std::size_t j = 0; j < n; ++j) {
            const std::size_t lo = fence_at(bucket_of(hash_at(j)));
            for (std::size_t at = 64; at < 384 && lo < records.size() && at < records.size() - lo; at += 64)
                __builtin_prefetch(records.data() + lo + at);
        }
    }
    static void touch(const char* p) noexcept { asm volatile("" ::"r"(*reinterpret_cast<const volatile char*>(p))); }

    /// The line of the record whose id field reads `escaped`, or empty.
    std::string_view find(std::string_view escaped, std::uint64_t h) const noexcept {
        if (count == 0) return {};
        const std::size_t b = bucket_of(h);
        const std::size_t lo = fence_at(b), hi = fence_at(b + 1);
        if (lo > hi || hi > records.size()) return {};
        std::size_t pos = lo;
        while (pos < hi) {
            const std::size_t nl = records.find('\n', pos);
            if (nl == std::string_view::npos || nl >= hi) break;
            const std::string_view line = records.substr(pos, nl - pos);
            // The id is last: a cheap test of its tail rules most lines out.
            // The id is last and holds no tab once escaped.
            if (line.size() > escaped.size() && line.ends_with(escaped) && line[line.size() - escaped.size() - 1] == '\t')
                return line;
            pos = nl + 1;
        }
        return {};
    }
};

/// One record for writing: its times and raw id, with the id's hash.
struct keyed {
    std::uint64_t hash;
    std::string_view id;
    const test_times* times;
};

/// An id read soon: both ends, as an id of ~75 bytes spans two lines.
void prefetch_id(std::string_view id) noexcept {
    if (id.empty()) return;
    __builtin_prefetch(id.data());
    __builtin_prefetch(id.data() + id.size() - 1);
}

/// The top bits of a hash that order_by_bucket sorts on for n elements.
int bucket_bits(std::size_t n) noexcept { return std::clamp(static_cast<int>(std::bit_width(n)) - 2, 1, 24); }

bool key_less(std::uint64_t ha, std::string_view a, std::uint64_t hb, std::string_view b) {
    return ha != hb ? ha < hb : a < b;
}

}  // namespace

struct database::impl {
    file_bytes text;
    id_arena arena;
    // The overlay: for a v1 file every record; for a v2 file the log's
    // records; plus everything add() touched.
    std::vector<entry> entries;
    std::vector<std::uint64_t> hashes;    // per entry: id_hash of its id
    std::vector<std::uint8_t> in_sorted;  // per entry: its id also has a record in the sorted section
    std::vector<std::uint8_t> changed;    // per entry: add() changed it
    std::vector<std::size_t> changed_order;
    std::size_t in_sorted_count = 0;
    detail::id_table index;
    sorted_section sorted;
    std::size_t log_records = 0;
    bool v2 = false;          // the layout checked out: sorted section + log
    bool torn_tail = false;   // bytes after the last complete batch
    std::vector<warning> warnings;
    std::size_t skipped_lines = 0;
    // What const lookups materialised: records parsed from the sorted
    // section for find(), and the whole store for entries().
    std::deque<test_times> found;
    std::vector<entry> all;
    bool all_valid = false;
    std::string scratch;
    // record(): the run's ids, copied in bucket order (see add_run).
    std::unique_ptr<char[]> run_ids;


    std::size_t overlay_find(std::string_view id, std::uint64_t h) const {
        return index.find(id, h, entries);
    }

    std::string_view escaped(std::string_view id) {
        if (detail::next_to_escape(id, 0) == std::string_view::npos) return id;
        scratch.clear();
        escape_id(id, scratch);
        return scratch;
    }

    /// The record of `id` (hash h) in the sorted section, parsed.
    std::optional<test_times> sorted_find(std::string_view id, std::uint64_t h) {
        if (sorted.count == 0) return std::nullopt;
        const std::string_view line = sorted.find(escaped(id), h);
        if (line.empty()) return std::nullopt;
        test_times t;
        std::string_view field;
        if (parse_line(line, t, field) != nullptr) return std::nullopt;
        return t;
    }

    std::size_t insert(std::string_view id, std::uint64_t h, const test_times& t, bool in_sorted_section) {
        if (index.full(entries.size())) rebuild_index(2 * (entries.size() + 1));
        const std::size_t pos = entries.size();
        entries.push_back({id, t});
        hashes.push_back(h);
        in_sorted.push_back(in_sorted_section);
        changed.push_back(0);
        in_sorted_count += in_sorted_section;
        index.insert(entries[pos].id, h, pos, entries);
        return pos;
    }

    /// Indexes every entry afresh, with room for `room` ids.
    void rebuild_index(std::size_t room) {
        index.reset(room);
        for (std::size_t i = 0; i < entries.size(); ++i)
            index.insert(entries[i].id, hashes[i], i, entries);
    }

    void reserve(std::size_t n) {
        entries.reserve(n);
        hashes.reserve(n);
        in_sorted.reserve(n);
        changed.reserve(n);
    }

    void warn(std::string_view path, std::size_t line, std::string_view why) {
        if (++skipped_lines > max_warnings) return;
        warnings.push_back({line, std::string(path) + ":" + std::to_string(line) + ": skipped line: " + std::string(why)});
    }

    /// A warning about the file as a whole: not a skipped line, so not
    /// counted against max_warnings.
    void note(std::string_view path, std::size_t line, std::string message) {
        warnings.push_back({line, std::string(path) + ":" + std::to_string(line) + ": " + std::move(message)});
    }

    void finish_warnings(std::string_view path) {
        if (skipped_lines <= max_warnings) return;
        warnings.push_back({0, std::string(path) + ": " + std::to_string(skipped_lines - max_warnings) +
                                   " more lines skipped"});
    }

    /// An id field as the raw id: a view of the file when nothing was
    /// escaped, else unescaped into the arena. Empty optional when malformed.
    std::optional<std::string_view> raw_id(std::string_view field) {
        if (field.find('\\') == std::string_view::npos) return field;
        const auto plain = unescape_id(field);
        if (!plain) return std::nullopt;
        return arena.copy(*plain);
    }

    /// Reads every record line of `body` (line `first_line` on) into the
    /// overlay, a later line for an id replacing an earlier one. In v1 files
    /// and in fallback reads, fence lines (bare hex) are skipped too.
    void read_lines(std::string_view body, std::size_t first_line, std::string_view path, bool require_newline) {
        std::size_t line_number = first_line - 1;
        std::size_t pos = 0;
        while (pos < body.size()) {
            ++line_number;
            const std::size_t end = body.find('\n', pos);
            if (end == std::string_view::npos) {
                // Writers end every line; a missing newline means the file
                // was cut short, so the last field may be a truncated id.
                if (require_newline) warn(path, line_number, "incomplete last line (no newline; file cut short?)");
                break;
            }
            const std::string_view line = body.substr(pos, end - pos);
            pos = end + 1;
            if (line.empty() || line[0] == '#') continue;
            if (line.size() == fence_width && line.find_first_not_of("0123456789abcdef") == std::string_view::npos) continue;
            test_times t;
            std::string_view field;
            if (const char* why = parse_line(line, t, field)) {
                warn(path, line_number, why);
                continue;
            }
            const auto id = raw_id(field);
            if (!id) {
                warn(path, line_number, "bad escape sequence in test id (field 5)");
                continue;
            }
            put(*id, t);
        }
    }

    /// Sets the record of `id` to `t` in the overlay (a log line, or a line
    /// of a file read in full).
    void put(std::string_view id, const test_times& t) {
        const std::uint64_t h = detail::id_table::hash(id);
        const std::size_t pos = overlay_find(id, h);
        if (pos != detail::id_table::npos) {
            entries[pos].times = t;
            return;
        }
        insert(id, h, t, sorted.count != 0 && sorted_find(id, h).has_value());
    }

    /// Checks line 3 and the sections it describes against the file.
    bool read_layout(std::string_view all, std::size_t at) {
        if (all.size() - at < layout_size) return false;
        const std::string_view line = all.substr(at, layout_size);
        if (!line.starts_with("# sorted records=") || line.back() != '\n') return false;
        std::size_t count = 0, bytes = 0, buckets = 0;
        if (!parse_decimal(line.substr(17, 13), count) || line.substr(30, 7) != " bytes=" ||
            !parse_decimal(line.substr(37, 15), bytes) || line.substr(52, 9) != " buckets=" ||
            !parse_decimal(line.substr(61, 10), buckets))
            return false;
        if (buckets == 0 || !std::has_single_bit(buckets) || bytes > all.size()) return false;
        // Every record is a line of its own: a count past the bytes is a lie
        // that entries() would reserve memory for.
        if (count > bytes) return false;
        const std::size_t records_at = at + layout_size;
        const std::size_t fence_at = records_at + bytes;
        if (all.size() - records_at < bytes + fence_comment.size()) return false;
        if (all.substr(fence_at, fence_comment.size()) != fence_comment) return false;
        const std::size_t table_at = fence_at + fence_comment.size();
        const std::size_t table_bytes = (buckets + 1) * (fence_width + 1);
        if ((all.size() - table_at) / (fence_width + 1) < buckets + 1) return false;
        if (all.size() - table_at - table_bytes < log_comment.size()) return false;
        if (all.substr(table_at + table_bytes, log_comment.size()) != log_comment) return false;
        sorted.records = all.substr(records_at, bytes);
        sorted.fence = all.data() + table_at;
        sorted.count = count;
        sorted.buckets = buckets;
        sorted.shift = 64 - std::countr_zero(buckets);
        if (sorted.fence_at(0) != 0 || sorted.fence_at(buckets) != bytes || (bytes > 0 && all[fence_at - 1] != '\n') ||
            (count == 0) != (bytes == 0)) {
            sorted = {};
            return false;
        }
        return true;
    }

    /// Applies the log's complete batches; see docs/timesdb.md (Appending).
    void read_log(std::string_view all, std::size_t at, std::size_t first_line, std::string_view path) {
        std::size_t batch_start = at, batch_line = first_line, pos = at, line_number = first_line;
        std::size_t committed_end = at;
        while (pos < all.size()) {
            const std::size_t end = all.find('\n', pos);
            if (end == std::string_view::npos) break;
            const std::string_view line = all.substr(pos, end - pos);
            if (line.starts_with(end_prefix)) {
                const std::string_view rest = line.substr(end_prefix.size());
                const std::size_t space = rest.find(' ');
                std::size_t bytes = 0, crc = 0;
                const std::string_view crc_text = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
                const bool parsed = space != std::string_view::npos && parse_decimal(rest.substr(0, space), bytes) &&
                                    crc_text.size() == 8 &&
                                    std::from_chars(crc_text.data(), crc_text.data() + 8, crc, 16).ptr == crc_text.data() + 8;
                const std::string_view batch = all.substr(batch_start, pos - batch_start);
                if (parsed && bytes == batch.size() && crc == crc_of(batch)) {
                    read_lines(batch, batch_line, path, true);
                    log_records += static_cast<std::size_t>(std::count(batch.begin(), batch.end(), '\n'));
                } else {
                    note(path, batch_line,
                         "skipped a batch of appended records (lines " + std::to_string(batch_line) + "-" +
                             std::to_string(line_number) + "): its size or checksum does not match");
                }
                committed_end = end + 1;
                batch_start = end + 1;
                batch_line = line_number + 1;
            }
            pos = end + 1;
            ++line_number;
        }
        // Bytes after the last batch are one being appended right now, or
        // one whose writer died: not (yet) part of the store either way.
        torn_tail = committed_end != all.size();
    }

    /// Parses `text`; see timesdb::parse for the rules.
    result<void, io_error> parse(std::string_view path) {
        const std::string_view all = text.view();
        if (all.empty()) return {};
        const std::size_t first_end = all.find('\n');
        const std::string_view first = all.substr(0, first_end);
        int version = 0;
        if (auto refused = check_signature(first, first_end == std::string_view::npos, path, version))
            return unexpected{*refused};
        if (first_end == std::string_view::npos) return {};
        const std::size_t body_at = first_end + 1;
        if (version == 2) {
            const std::size_t layout_at = all.substr(body_at).starts_with(column_comment) ? body_at + column_comment.size() : body_at;
            if (read_layout(all, layout_at)) {
                v2 = true;
                const std::size_t log_at = static_cast<std::size_t>(sorted.fence - all.data()) +
                                           (sorted.buckets + 1) * (fence_width + 1) + log_comment.size();
                const std::size_t log_line = 3 + sorted.count + 1 + (sorted.buckets + 1) + 1 + 1;
                reserve(64);
                read_log(all, log_at, log_line, path);
                finish_warnings(path);
                return {};
            }
            note(path, 3,
                 "the layout line does not match the file (edited by hand, or damaged): read in full, "
                 "the next record rewrites it");
        }
        if (version == 1)
            note(path, 1, "format v1 (no index): read in full; the next recorded run rewrites it as v" +
                              std::to_string(format_version));
        // v1, or a v2 file whose layout cannot be trusted: every line.
        // The writer's lines are at least 27 bytes: reserving for that many
        // only claims address space.
        const std::size_t max_records = all.size() / 27 + 1;
        reserve(max_records);
        detail::advise_huge_pages(entries.data(), max_records * sizeof(entry));
        index.reset(max_records);
        read_lines(all.substr(body_at), 2, path, true);
        finish_warnings(path);
        return {};
    }

    /// Accepts "# testr-mini times v1" and "... v2"; an incomplete prefix of
    /// the current one (a file cut short) is an empty store with a warning;
    /// anything else is refused.
    std::optional<io_error> check_signature(std::string_view first, bool cut_short, std::string_view path, int& version) {
        for (int v : {format_version, 1}) {
            if (std::string_view(signature(v)).substr(0, signature(v).size() - 1) == first) {
                version = v;
                return std::nullopt;
            }
        }
        const std::string current = signature(format_version).substr(0, signature(format_version).size() - 1);
        if (cut_short && std::string_view(current).starts_with(first)) {
            warn(path, 1, "incomplete signature line (file cut short?)");
            return std::nullopt;
        }
        const std::string action = "use times database";
        if (first.starts_with(signature_prefix)) {
            const std::string_view digits = first.substr(signature_prefix.size());
            int newer = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), newer);
            if (ec == std::errc{} && end == digits.data() + digits.size() && newer > format_version) {
                return content_error(std::string(path), action,
                                     "it is format v" + std::to_string(newer) + ", written by a newer testr-mini; this one reads v1 and v" +
                                         std::to_string(format_version) + " only and leaves the file untouched");
            }
        }
        return content_error(std::string(path), action,
                             "line 1 is not the signature '" + current +
                                 "'; not a testr-mini times file, or damaged: refusing to read or overwrite it");
    }

    /// How many ids lookup() and add_run() fetch for at once (see warm):
    /// enough misses in flight, few enough that what they fetch stays cached.
    static constexpr std::size_t ahead = 32;

    /// The sorted section's line for `id` (hash h), or empty.
    std::string_view sorted_line(std::string_view id, std::uint64_t h) {
        return sorted.count == 0 ? std::string_view{} : sorted.find(escaped(id), h);
    }

    template <class Id>
    lookup_result lookup(std::span<const Id> ids) {
        std::unique_ptr<char[]> copy;
        const auto order = in_bucket_order<std::uint32_t>(
            ids.size(), [&](std::size_t i) { return std::string_view(ids[i]); },
            [](std::size_t i) { return static_cast<std::uint32_t>(i); }, copy);
        lookup_result out;
        out.estimates.resize(ids.size());
        const std::size_t n = order.size();
        for (std::size_t k = 0; k < n; ++k) {
            if (k % ahead == 0) warm(order, k);
            const auto& [h, id, i] = order[k];
            const std::size_t pos = overlay_find(id, h);
            if (pos != detail::id_table::npos) {
                out.estimates[i] = entries[pos].times.estimate;
            } else if (const auto t = sorted_find(id, h)) {
                out.estimates[i] = t->estimate;
            }
        }
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (!out.estimates[i]) out.unknown.push_back(ids[i]);
        return out;
    }

    /// Orders `v` by the top bits of key(element), a hash: the order of the
    /// sorted section's buckets, so that many lookups sweep the file front
    /// to back instead of taking a TLB miss and a cache miss apiece. Stable
    /// (equal hashes keep their order), in passes of 8 bits, each reading
    /// and writing the array in sequence. Only as many bits as leave ~4
    /// elements per slice: within a slice that small, order no longer
    /// changes which lines are read.
    template <class T, class Key>
    static void order_by_bucket(std::vector<T>& v, Key&& key) {
        std::vector<T> scratch;
        order_by_bucket(std::span<T>(v), key, bucket_bits(v.size()), 64, scratch);
    }

    /// The same on bits [64 - bits, high) only, for a part of the array
    /// already grouped by the bits above.
    template <class T, class Key>
    static void order_by_bucket(std::span<T> v, Key&& key, int bits, int high, std::vector<T>& scratch) {
        if (scratch.size() < v.size()) scratch.resize(v.size());
        std::span<T> from = v, to(scratch.data(), v.size());
        for (int low = 64 - bits; low < high; low += 8) {
            const int width = std::min(8, high - low);
            const std::uint64_t mask = (std::uint64_t{1} << width) - 1;
            std::array<std::size_t, 257> starts{};
            for (const T& e : from) ++starts[((key(e) >> low) & mask) + 1];
            for (std::size_t d = 1; d < starts.size(); ++d) starts[d] += starts[d - 1];
            for (const T& e : from) to[starts[(key(e) >> low) & mask]++] = e;
            std::swap(from, to);
        }
        if (from.data() != v.data()) std::copy(from.begin(), from.end(), v.begin());
    }

    template <class T>
    struct hashed {
        std::uint64_t hash;
        std::string_view id;  // a view of the copy
        T value;
    };

    /// The ids id_of(0..n-1) with their hashes and value_of(i), in the
    /// order of order_by_bucket. The ids are copied into `copy`, grouped by
    /// their hash's top byte: through views of the caller's, they would be
    /// read at random from here on (a TLB miss apiece, which prefetching
    /// does not hide); within a group they fit in cache. Ids that come
    /// grouped so already (see group_of) are viewed where they are.
    template <class T, class IdOf, class ValueOf>
    static std::vector<hashed<T>> in_bucket_order(std::size_t n, IdOf&& id_of, ValueOf&& value_of,
                                                  std::unique_ptr<char[]>& copy) {
        std::vector<std::uint64_t> hash(n);
        std::array<std::size_t, 257> starts{}, id_starts{};
        bool grouped = true;
        for (std::size_t i = 0; i < n; ++i) {
            hash[i] = detail::id_table::hash(id_of(i));
            grouped = grouped && (i == 0 || hash[i] >> 56 >= hash[i - 1] >> 56);
            ++starts[(hash[i] >> 56) + 1];
            id_starts[(hash[i] >> 56) + 1] += std::string_view(id_of(i)).size();
        }
        for (std::size_t d = 1; d < starts.size(); ++d) starts[d] += starts[d - 1], id_starts[d] += id_starts[d - 1];
        const std::array<std::size_t, 257> group = starts;
        if (!grouped) copy = std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(1, id_starts[256]));
        std::vector<hashed<T>> order(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::string_view id = id_of(i);
            const std::size_t g = hash[i] >> 56;
            if (grouped) {
                order[i] = {hash[i], id, value_of(i)};
                continue;
            }
            char* at = copy.get() + id_starts[g];
            if (!id.empty()) std::memcpy(at, id.data(), id.size());
            id_starts[g] += id.size();
            order[starts[g]++] = {hash[i], {at, id.size()}, value_of(i)};
        }
        std::vector<hashed<T>> scratch;
        const int bits = bucket_bits(n);
        for (std::size_t g = 0; g < 256 && bits > 8; ++g)
            order_by_bucket(std::span<hashed<T>>(order).subspan(group[g], group[g + 1] - group[g]),
                            [](const hashed<T>& e) { return e.hash; }, bits, 56, scratch);
        return order;
    }

    /// What the next `ahead` elements of `order`, from k on, will read: the
    /// sorted section, the overlay's index, their ids.
    template <class T>
    void warm(const std::vector<hashed<T>>& order, std::size_t k) const noexcept {
        const std::size_t n = std::min(ahead, order.size() - k);
        sorted.warm(n, [&](std::size_t j) { return order[k + j].hash; });
        for (std::size_t j = 0; j < n; ++j) {
            index.prefetch(order[k + j].hash);
            prefetch_id(order[k + j].id);
        }
    }

    /// `borrow`: keep a view of s.id instead of a copy (record() only,
    /// whose samples outlive its database).
    /// `in_sorted_section`: the sorted section's record of s.id, already
    /// looked up by the caller.
    add_result add(const sample& s, std::uint64_t h, bool borrow = false,
                   const std::optional<test_times>* in_sorted_section = nullptr);

    /// add() for a whole run in bucket order (see order_by_bucket), the
    /// index sized for it up front.
    void add_run(std::span<const sample> run, record_report& report) {
        if (index.full(entries.size() + run.size())) rebuild_index(entries.size() + run.size());
        reserve(entries.size() + run.size());
        // The samples themselves are reordered, not indices to them: read
        // through indices in hash order, each would be a cache miss. A
        // sample of an id seen twice in the run is folded in run order all
        // the same (the ordering is stable).
        struct outcome {
            double seconds;
            bool passed;
        };
        const auto order = in_bucket_order<outcome>(
            run.size(), [&](std::size_t i) { return run[i].id; },
            [&](std::size_t i) { return outcome{run[i].seconds, run[i].passed}; }, run_ids);
        auto count = [&report](add_result r) {
            switch (r) {
                case add_result::inserted: ++report.added; break;
                case add_result::updated: ++report.updated; break;
                case add_result::rejected: ++report.rejected; break;
            }
        };
        const std::size_t n = order.size();
        for (std::size_t k = 0; k < n; ++k) {
            if (k % ahead == 0) warm(order, k);
            const std::uint64_t h = order[k].hash;
            sample s{order[k].id, order[k].value.seconds, order[k].value.passed};
            std::optional<test_times> stored;
            if (const std::string_view line = sorted_line(s.id, h); !line.empty()) {
                test_times t;
                std::string_view field;
                if (parse_line(line, t, field) == nullptr) stored = t;
                // The file's copy of an id written as is: read in order from
                // here on (when formatting the batch), not from the caller's.
                if (field.size() == s.id.size()) s.id = field;
            }
            count(add(s, h, true, &stored));
        }
    }

    /// In (hash, id) order: by bucket first, then each small slice sorted in
    /// place (a sort of the whole array compares each element ~20 times).
    static void sort_keyed(std::vector<keyed>& v) {
        const int shift = 64 - bucket_bits(v.size());
        // Records a run added are already in bucket order (add_run's): the
        // radix passes, and their scratch copy of the array, are skipped.
        const bool grouped = std::is_sorted(v.begin(), v.end(), [shift](const keyed& a, const keyed& b) {
            return (a.hash >> shift) < (b.hash >> shift);
        });
        if (!grouped) order_by_bucket(v, [](const keyed& e) { return e.hash; });
        auto less = [](const keyed& a, const keyed& b) { return key_less(a.hash, a.id, b.hash, b.id); };
        for (std::size_t i = 0; i < v.size();) {
            std::size_t j = i + 1;
            while (j < v.size() && (v[j].hash >> shift) == (v[i].hash >> shift)) ++j;
            std::sort(v.begin() + static_cast<std::ptrdiff_t>(i), v.begin() + static_cast<std::ptrdiff_t>(j), less);
            i = j;
        }
    }

    /// Every record with its hash, in (hash, id) order: the sorted section
    /// with the overlay's updates in place, merged with the overlay's own.
    template <class Visit>
    void each_sorted(Visit&& visit) const {
        // The overlay's records in (hash, id) order: those of ids the
        // sorted section lacks, merged in, and those of ids it has, matched
        // to its lines by the same merge (an index probe per line would be
        // a cache miss apiece).
        std::vector<keyed> extra, updated;
        extra.reserve(entries.size() - in_sorted_count);
        updated.reserve(in_sorted_count);
        for (std::size_t i = 0; i < entries.size(); ++i)
            (in_sorted[i] ? updated : extra).push_back({hashes[i], entries[i].id, &entries[i].times});
        sort_keyed(extra);
        sort_keyed(updated);
        // The ids are read in hash order, i.e. at random: fetched ahead.
        auto visit_extra = [&](std::size_t k) {
            if (k + ahead < extra.size()) {
                prefetch_id(extra[k + ahead].id);
                __builtin_prefetch(extra[k + ahead].times);
            }
            visit(extra[k].hash, extra[k].id, extra[k].times, std::string_view{});
        };
        std::size_t next = 0, up = 0;
        std::string plain;
        const std::string_view recs = sorted.records;
        for (std::size_t pos = 0; pos < recs.size();) {
            const std::size_t nl = recs.find('\n', pos);
            const std::string_view line = recs.substr(pos, nl - pos);
            pos = nl + 1;
            std::string_view id = id_field_of(line);
            if (id.find('\\') != std::string_view::npos) {
                plain = unescape_id(id).value_or(std::string(id));
                id = plain;
            }
            const std::uint64_t h = detail::id_table::hash(id);
            while (next < extra.size() && key_less(extra[next].hash, extra[next].id, h, id)) visit_extra(next++);
            while (up < updated.size() && key_less(updated[up].hash, updated[up].id, h, id)) ++up;
            const bool changed_here = up < updated.size() && updated[up].hash == h && updated[up].id == id;
            visit(h, id, changed_here ? updated[up].times : nullptr, line);
        }
        for (; next < extra.size(); ++next) visit_extra(next);
    }

    /// Formats the compacted file (see serialize) into `out`, handing it to
    /// flush(out) (0 or an errno) and emptying it each time it passes
    /// `chunk` bytes, and at the end; patch(bytes, offset) then overwrites
    /// the already handed-on bytes at `offset` (the layout line). Returns
    /// the first errno, or 0.
    template <class Flush, class Patch>
    int serialize_to(std::string& out, std::size_t chunk, Flush&& flush, Patch&& patch) const;
};

database::database() : impl_(std::make_unique<impl>()) {}
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

std::size_t database::size() const noexcept {
    return impl_->sorted.count + impl_->entries.size() - impl_->in_sorted_count;
}

const test_times* database::find(std::string_view id) const {
    impl& d = *impl_;
    const std::uint64_t h = detail::id_table::hash(id);
    const std::size_t pos = d.overlay_find(id, h);
    if (pos != detail::id_table::npos) return &d.entries[pos].times;
    const auto t = d.sorted_find(id, h);
    if (!t) return nullptr;
    return &d.found.emplace_back(*t);
}

std::optional<double> database::estimate(std::string_view id) const {
    impl& d = *impl_;
    const std::uint64_t h = detail::id_table::hash(id);
    const std::size_t pos = d.overlay_find(id, h);
    if (pos != detail::id_table::npos) return d.entries[pos].times.estimate;
    if (const auto t = d.sorted_find(id, h)) return t->estimate;
    return std::nullopt;
}

lookup_result database::lookup(std::span<const std::string_view> ids) const { return impl_->lookup(ids); }
lookup_result database::lookup(std::span<const std::string> ids) const { return impl_->lookup(ids); }

std::span<const entry> database::entries() const {
    impl& d = *impl_;
    if (d.sorted.count == 0) return d.entries;
    if (d.all_valid) return d.all;
    d.all.clear();
    d.all.reserve(size());
    std::vector<std::uint8_t> placed(d.entries.size());
    const std::string_view recs = d.sorted.records;
    for (std::size_t pos = 0; pos < recs.size();) {
        const std::size_t nl = recs.find('\n', pos);
        const std::string_view line = recs.substr(pos, nl - pos);
        pos = nl + 1;
        test_times t;
        std::string_view field;
        if (parse_line(line, t, field) != nullptr) continue;
        const auto id = d.raw_id(field);
        if (!id) continue;
        const std::size_t o = d.overlay_find(*id, detail::id_table::hash(*id));
        if (o != detail::id_table::npos) {
            placed[o] = 1;
            d.all.push_back(d.entries[o]);
        } else {
            d.all.push_back({*id, t});
        }
    }
    for (std::size_t i = 0; i < d.entries.size(); ++i)
        if (!placed[i]) d.all.push_back(d.entries[i]);
    d.all_valid = true;
    return d.all;
}

const std::vector<warning>& database::warnings() const noexcept { return impl_->warnings; }

database::add_result database::add(const sample& s) { return impl_->add(s, detail::id_table::hash(s.id)); }

database::add_result database::impl::add(const sample& s, std::uint64_t h, bool borrow,
                                         const std::optional<test_times>* in_sorted_section) {
    if (!std::isfinite(s.seconds)) return add_result::rejected;
    const double seconds = std::clamp(s.seconds, 0.0, max_seconds);
    impl& d = *this;
    d.all_valid = false;
    std::size_t pos = d.overlay_find(s.id, h);
    bool fresh = false;
    if (pos == detail::id_table::npos) {
        const auto stored = in_sorted_section != nullptr ? *in_sorted_section : d.sorted_find(s.id, h);
        fresh = !stored;
        pos = d.insert(borrow ? s.id : d.arena.copy(s.id), h, stored.value_or(test_times{}), stored.has_value());
    }
    fold(d.entries[pos].times, seconds, s.passed);
    if (!d.changed[pos]) {
        d.changed[pos] = 1;
        d.changed_order.push_back(pos);
    }
    return fresh ? add_result::inserted : add_result::updated;
}

database::add_result database::put(std::string_view id, const test_times& t) {
    auto in_range = [](double s) { return s >= 0 && s <= max_seconds; };  // false for NaN
    if (t.runs == 0 || !in_range(t.estimate) || !in_range(t.last)) return add_result::rejected;
    impl& d = *impl_;
    d.all_valid = false;
    const std::uint64_t h = detail::id_table::hash(id);
    std::size_t pos = d.overlay_find(id, h);
    bool fresh = false;
    if (pos == detail::id_table::npos) {
        const bool stored = d.sorted.count != 0 && d.sorted_find(id, h).has_value();
        fresh = !stored;
        pos = d.insert(d.arena.copy(id), h, t, stored);
    }
    d.entries[pos].times = t;
    if (!d.changed[pos]) {
        d.changed[pos] = 1;
        d.changed_order.push_back(pos);
    }
    return fresh ? add_result::inserted : add_result::updated;
}

namespace {
/// Bytes serialize_to() and append_batch() format before handing them on.
constexpr std::size_t write_chunk = std::size_t{1} << 20;
}  // namespace

template <class Flush, class Patch>
int database::impl::serialize_to(std::string& out, std::size_t chunk, Flush&& flush, Patch&& patch) const {
    const std::size_t count = entries.size() - in_sorted_count + sorted.count;
    const std::size_t buckets = std::bit_ceil(std::max<std::size_t>(1, count / records_per_bucket));
    const int shift = 64 - std::countr_zero(buckets);
    out.append(signature(format_version)).append(column_comment);
    const std::size_t layout_at = out.size();
    out.append(layout_size, ' ');
    const std::size_t records_at = out.size();
    std::vector<std::size_t> fence;
    fence.reserve(buckets + 1);
    std::size_t written = 0, flushed = 0;
    int err = 0;
    auto hand_on = [&] {
        flushed += out.size();
        if (err == 0) err = flush(out);
        out.clear();
    };
    each_sorted([&](std::uint64_t h, std::string_view id, const test_times* t, std::string_view line) {
        const std::size_t b = shift >= 64 ? 0 : static_cast<std::size_t>(h >> shift);
        while (fence.size() <= b) fence.push_back(flushed + out.size() - records_at);
        if (t != nullptr) {
            append_record(out, *t, id);
        } else {
            out.append(line).push_back('\n');
        }
        ++written;
        if (out.size() >= chunk) hand_on();
    });
    const std::size_t bytes = flushed + out.size() - records_at;
    while (fence.size() <= buckets) fence.push_back(bytes);
    out.append(fence_comment);
    char hex[fence_width + 2];
    for (std::size_t f : fence) {
        std::snprintf(hex, sizeof hex, "%010zx\n", f);
        out.append(hex, fence_width + 1);
        if (out.size() >= chunk) hand_on();
    }
    out.append(log_comment);
    // Line 3 needs the section's size, known only now: written last, in
    // place of the spaces that held its room.
    const std::string layout = layout_line(written, bytes, buckets);
    if (flushed <= layout_at) {
        out.replace(layout_at - flushed, layout_size, layout);
        hand_on();
        return err;
    }
    hand_on();
    return err != 0 ? err : patch(layout, layout_at);
}

std::string database::serialize() const {
    const impl& d = *impl_;
    std::size_t id_bytes = 0;
    for (const entry& e : d.entries) id_bytes += e.id.size();
    std::string out, whole;
    out.reserve(256 + d.sorted.records.size() + id_bytes + d.entries.size() * 40 +
                (d.sorted.buckets + d.entries.size() / records_per_bucket + 2) * (fence_width + 1));
    // One chunk, never handed on before the end: nothing to patch later.
    d.serialize_to(out, SIZE_MAX, [&](std::string& all) {
        whole = std::move(all);
        return 0;
    }, [](std::string_view, std::size_t) { return 0; });
    return whole;
}

result<void, io_error> database::save(const std::string& path) const {
    return write_file_atomically(path, [this](int fd) {
        std::string out;
        out.reserve(write_chunk + 4096);
        return impl_->serialize_to(out, write_chunk, [fd](std::string& chunk) { return fd_io::write_all(fd, chunk); },
                                   [fd](std::string_view bytes, std::size_t at) { return fd_io::pwrite_all(fd, bytes, at); });
    });
}

std::uint8_t group_of(std::string_view id) noexcept { return static_cast<std::uint8_t>(detail::id_table::hash(id) >> 56); }

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

namespace {

/// Appends a batch of `count` records (format(i, out) appends record i's
/// line) and its end line to `path`, then fsyncs. Written in chunks of
/// ~1 MiB as they are formatted, the CRC kept on the way: a 10^6-record
/// batch is ~100 MB, which as one string cost more in page faults than
/// its formatting. A failure or crash part-way leaves a torn tail that
/// readers ignore and the next record() compacts away; the file is never
/// truncated, since a reader may have mapped the bytes past the old end.
template <class Format>
result<void, io_error> append_batch(const std::string& path, std::size_t count, Format&& format) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return unexpected{errno_error(path, "append to times database", errno)};
    auto fault = [fd](detail::append_stage stage) {
        if (detail::append_fault_hook != nullptr) detail::append_fault_hook(stage, fd);
    };
    fault(detail::append_stage::opened);
    bool halved = false;
    auto put = [&](std::string_view bytes) {
        if (halved) return fd_io::write_all(fd, bytes);
        // The first chunk in two halves, with the fault point between.
        halved = true;
        const std::size_t half = bytes.size() / 2;
        if (int err = fd_io::write_all(fd, bytes.substr(0, half))) return err;
        fault(detail::append_stage::half_written);
        return fd_io::write_all(fd, bytes.substr(half));
    };
    std::string buf;
    buf.reserve(std::min(write_chunk, count * 128) + 4096);
    std::uint32_t crc = 0;
    std::size_t body = 0;
    int err = 0;
    for (std::size_t i = 0; i < count && err == 0; ++i) {
        format(i, buf);
        if (buf.size() < write_chunk) continue;
        crc = libdeflate_crc32(crc, buf.data(), buf.size());
        body += buf.size();
        err = put(buf);
        buf.clear();
    }
    if (err == 0) {
        crc = libdeflate_crc32(crc, buf.data(), buf.size());
        body += buf.size();
        buf.append(end_line(body, crc));
        err = put(buf);
    }
    if (err == 0) {
        fault(detail::append_stage::written);
        err = fd_io::fsync_retrying(fd);
    }
    if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err != 0) return unexpected{errno_error(path, "append to times database", err)};
    return {};
}

}  // namespace

result<record_report, io_error> record(const std::string& path, std::span<const sample> run) {
    auto lock = lock_file(path + ".lock");
    if (!lock) return unexpected{std::move(lock).error()};
    remove_stale_temporaries(path);  // safe: every writer of path holds this lock
    auto db = open(path);
    if (!db) return unexpected{std::move(db).error()};

    record_report report;
    report.warnings = db->warnings();
    database::impl& d = *db->impl_;
    d.add_run(run, report);
    const std::size_t log_after = d.log_records + d.changed_order.size();
    report.compacted = !d.v2 || d.torn_tail || !d.warnings.empty() ||
                       log_after > std::max(min_log_records, d.sorted.count);
    if (report.compacted) {
        if (auto written = db->save(path); !written)
            return unexpected{std::move(written).error()};
        return report;
    }
    if (d.changed_order.empty()) return report;
    auto appended = append_batch(path, d.changed_order.size(), [&d](std::size_t i, std::string& out) {
        const entry& e = d.entries[d.changed_order[i]];
        append_record(out, e.times, e.id);
    });
    if (!appended) return unexpected{std::move(appended).error()};
    return report;
}

}  // namespace testr::timesdb
