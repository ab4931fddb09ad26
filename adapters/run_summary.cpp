// run_summary.cpp - folding events into test records and testr's counts.
//
// A test's "life" mirrors testtools' _StreamToTestRecord: it begins with any
// event for an id that has no life open, and ends with the first event that
// carries a final status (an outcome or `exists`). testr counts lives, not
// ids, so the counters are kept per ending and per still-open life.
#include "run_summary.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <unordered_map>

namespace testr {
namespace {

using subunit::status;

bool earlier(const subunit::timestamp& a, const subunit::timestamp& b) noexcept {
    return a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds;
}

double to_seconds(const subunit::timestamp& from, const subunit::timestamp& to) noexcept {
    return static_cast<double>(subunit::elapsed(from, to).count()) / 1e9;
}

}  // namespace

void attachment::append(std::string_view more) {
    if (head_size == 0) {
        if (bytes.size() + more.size() <= keep_head + 2 * keep_tail) {
            bytes.append(more);
            return;
        }
        head_size = keep_head;  // from here on: the head, then the latest bytes
        if (bytes.size() < keep_head) {
            const std::size_t fill = keep_head - bytes.size();
            bytes.append(more.substr(0, fill));
            more.remove_prefix(fill);
        }
    }
    const std::size_t tail = bytes.size() - head_size;
    if (more.size() >= keep_tail) {
        dropped += tail + (more.size() - keep_tail);
        bytes.resize(head_size);
        bytes.append(more.substr(more.size() - keep_tail));
        return;
    }
    bytes.append(more);
    // Cut back to keep_tail only once the tail doubled: each byte is moved
    // at most once, so appending stays linear.
    if (tail + more.size() > 2 * keep_tail) {
        const std::size_t cut = tail + more.size() - keep_tail;
        bytes.erase(head_size, cut);
        dropped += cut;
    }
}

std::string attachment::shown() const {
    if (dropped == 0) return bytes;
    std::string out = bytes.substr(0, head_size);
    if (!out.ends_with('\n')) out += '\n';
    out += "[testr-mini: " + std::to_string(dropped) + " bytes of " + name +
           " left out here; the stored run has them all: testr-mini last --subunit]\n";
    return out.append(bytes, head_size);
}

namespace {

/// Appends a chunk to the attachment of that name, creating it if new.
void merge_file(std::vector<attachment>& files, const subunit::event_view& e) {
    if (e.file_bytes.empty()) return;  // testtools ignores empty chunks too
    auto it = std::find_if(files.begin(), files.end(), [&](const attachment& a) { return a.name == *e.file_name; });
    if (it == files.end()) {
        files.push_back({std::string(*e.file_name), std::string(e.mime_type.value_or("")), {}});
        it = files.end() - 1;
    }
    it->append(e.file_bytes);
}

std::optional<subunit::timestamp> time_of(bool set, std::int64_t seconds, std::uint32_t nanos) {
    if (!set) return std::nullopt;
    return subunit::timestamp{seconds, nanos};
}

const std::vector<attachment> no_attachments;

}  // namespace

std::optional<double> test_record::seconds() const {
    if (!started || !stopped) return std::nullopt;
    return to_seconds(*started, *stopped);
}

double run_summary::seconds_of(const flat_record& r) noexcept {
    return to_seconds({r.started_s, r.started_ns}, {r.stopped_s, r.stopped_ns});
}

std::optional<double> test_view::seconds() const {
    if (!started || !stopped) return std::nullopt;
    return to_seconds(*started, *stopped);
}

std::vector<std::string_view> test_view::tags() const {
    std::vector<std::string_view> out;
    const auto& r = owner->recs_[number];
    if (r.first_tag == run_summary::npos) return out;
    out.push_back(owner->tag_names_[r.first_tag]);
    if (auto it = owner->extras_.find(number); it != owner->extras_.end())
        for (std::uint32_t t : it->second.tags) out.push_back(owner->tag_names_[t]);
    return out;
}

const std::vector<attachment>& test_view::attachments() const {
    const auto it = owner->extras_.find(number);
    return it == owner->extras_.end() ? no_attachments : it->second.files;
}

test_record test_view::record() const {
    test_record r{std::string(id), status, started, stopped, {}, attachments(), worker};
    for (std::string_view t : tags()) r.tags.emplace_back(t);
    return r;
}

bool is_outcome(status s) noexcept {
    return s == status::success || s == status::uxsuccess || s == status::skip || s == status::fail ||
           s == status::xfail;
}

bool is_failure(status s) noexcept { return s == status::fail || s == status::inprogress || s == status::none; }

test_view run_summary::at(std::uint32_t n) const {
    const flat_record& r = recs_[n];
    return {id_of(r),
            r.status,
            time_of(r.has_started, r.started_s, r.started_ns),
            time_of(r.has_stopped, r.stopped_s, r.stopped_ns),
            r.worker,
            n,
            this};
}

std::uint32_t run_summary::record_for(std::string_view id) {
    const auto [number, added] = index_.insert(id, [this](std::uint32_t n) { return id_of(recs_[n]); });
    if (added) {
        flat_record& r = recs_.emplace_back();
        r.id_at = ids_.size();
        r.id_size = static_cast<std::uint32_t>(id.size());
        ids_.append(id);
    }
    return number;
}

std::uint32_t run_summary::intern_tag(std::string_view tag) {
    const auto [number, added] = tag_index_.insert(tag, [this](std::uint32_t n) -> std::string_view { return tag_names_[n]; });
    if (added) {
        tag_names_.emplace_back(tag);
        tag_worker_.push_back(worker_number(tag));
    }
    return number;
}

void run_summary::add_completion(status s, const std::vector<std::string_view>& tags) {
    const auto count = static_cast<std::uint32_t>(tags.size());
    auto same = [&](std::uint32_t first) {
        for (std::uint32_t k = 0; k < count; ++k)
            if (tag_names_[tags_[first + k]] != tags[k]) return false;
        return true;
    };
    if (!completions_.empty()) {
        const completion& last = completions_.back();
        if (last.tag_count == count && same(last.first_tag)) {
            completions_.push_back({s, last.first_tag, count});
            return;
        }
    }
    completions_.push_back({s, static_cast<std::uint32_t>(tags_.size()), count});
    for (std::string_view t : tags) tags_.push_back(intern_tag(t));
}

namespace {
/// Below this many names a record's tags and files are searched in place.
constexpr std::size_t index_from = 16;
}  // namespace

void run_summary::add_tags(std::uint32_t i, const std::vector<std::string_view>& tags) {
    for (std::string_view tag : tags) {
        const std::uint32_t t = intern_tag(tag);
        flat_record& r = recs_[i];
        if (r.first_tag == npos) {
            r.first_tag = t;
        } else {
            if (r.first_tag == t) continue;
            extras& x = extras_[i];
            if (x.tags.size() < index_from) {
                if (std::find(x.tags.begin(), x.tags.end(), t) != x.tags.end()) continue;
            } else {
                // Keyed by the tag's name, as the interned table is.
                auto tag_of = [&](std::uint32_t n) -> std::string_view { return tag_names_[x.tags[n]]; };
                if (x.tag_index.size() == 0)
                    for (std::uint32_t n = 0; n < x.tags.size(); ++n) x.tag_index.insert(tag_of(n), tag_of);
                if (!x.tag_index.insert(tag, tag_of).second) continue;
            }
            x.tags.push_back(t);
        }
        if (r.worker < 0) r.worker = tag_worker_[t];
    }
}

void run_summary::add_file(std::uint32_t i, const subunit::event_view& e) {
    if (e.file_bytes.empty()) return;  // testtools ignores empty chunks too
    extras& x = extras_[i];
    if (x.files.size() < index_from) return merge_file(x.files, e);
    auto name_of = [&x](std::uint32_t n) -> std::string_view { return x.files[n].name; };
    if (x.file_index.size() == 0)
        for (const attachment& old : x.files) x.file_index.insert(old.name, name_of);
    const auto [n, added] = x.file_index.insert(*e.file_name, name_of);
    if (added) x.files.push_back({std::string(*e.file_name), std::string(e.mime_type.value_or("")), {}});
    x.files[n].append(e.file_bytes);
}

std::uint32_t run_summary::add(const subunit::event_view& e) {
    if (e.time) {
        if (!first_time_ || earlier(*e.time, *first_time_)) first_time_ = e.time;
        if (!last_time_ || earlier(*last_time_, *e.time)) last_time_ = e.time;
    }
    if (!e.test_id) {
        if (e.file_name && keep_attachments_) merge_file(stray_, e);
        return npos;
    }
    const std::uint32_t i = record_for(*e.test_id);
    if (!e.tags.empty()) add_tags(i, e.tags);
    if (e.file_name && keep_attachments_) add_file(i, e);
    flat_record& r = recs_[i];

    const status s = e.test_status;
    if (s == status::exists) {
        // Ends an open life without an outcome; a listing never hides an
        // earlier outcome.
        if (r.open) {
            r.open = false;
            r.status = is_outcome(r.earlier) ? r.earlier : status::exists;
        } else if (!is_outcome(r.status)) {
            r.status = status::exists;
        }
        return i;
    }
    // Any event opens a life when none is open; an outcome ends it.
    if (!r.open) {
        r.open = true;
        r.has_started = e.time.has_value();
        if (e.time) r.started_s = e.time->seconds, r.started_ns = e.time->nanoseconds;
        r.has_stopped = false;
        r.earlier = r.status;
        r.status = status::none;
    }
    if (s == status::inprogress) {
        if (!r.has_started && e.time) {
            r.has_started = true;
            r.started_s = e.time->seconds, r.started_ns = e.time->nanoseconds;
        }
        r.status = s;
    } else if (is_outcome(s)) {
        r.open = false;
        r.has_stopped = e.time.has_value();
        if (e.time) r.stopped_s = e.time->seconds, r.stopped_ns = e.time->nanoseconds;
        r.status = s;
        add_completion(s, e.tags);
    }
    return i;
}

void run_summary::reserve(std::uint64_t stream_bytes) {
    // A guess from the usual inprogress + outcome packets of 100+ bytes a
    // test (a low guess just grows); each id is in the stream at least once.
    const auto bytes = static_cast<std::size_t>(std::min<std::uint64_t>(stream_bytes, std::uint64_t{1} << 40));
    recs_.reserve(bytes / 100);
    ids_.reserve(bytes / 2);
}

void run_summary::clear() {
    recs_.clear();
    ids_.clear();
    index_.clear();
    tag_names_.clear();
    tag_worker_.clear();
    tag_index_.clear();
    completions_.clear();
    tags_.clear();
    stray_.clear();
    first_time_.reset();
    last_time_.reset();
    extras_.clear();
}

std::optional<test_view> run_summary::find(std::string_view id) const {
    const std::uint32_t n = index_.find(id, [this](std::uint32_t i) { return id_of(recs_[i]); });
    if (n == detail::record_index::npos) return std::nullopt;
    return at(n);
}

void run_summary::set_filter_tags(std::vector<std::string> tags) { filter_tags_ = std::move(tags); }

bool run_summary::is_filtered(const completion& c) const {
    // testr's CLITestResult: only these outcomes can be filtered away; a
    // failure always counts.
    if (c.status == status::fail || filter_tags_.empty()) return false;
    const auto first = tags_.begin() + c.first_tag;
    return std::any_of(first, first + c.tag_count, [&](std::uint32_t tag) {
        return std::find(filter_tags_.begin(), filter_tags_.end(), tag_names_[tag]) != filter_tags_.end();
    });
}

std::size_t run_summary::incomplete() const {
    return static_cast<std::size_t>(std::count_if(recs_.begin(), recs_.end(), [](const flat_record& r) { return r.open; }));
}

std::size_t run_summary::count_outcome(status s) const {
    return static_cast<std::size_t>(
        std::count_if(completions_.begin(), completions_.end(), [&](const completion& c) { return c.status == s; }));
}

std::size_t run_summary::total() const {
    const auto kept = std::count_if(completions_.begin(), completions_.end(),
                                    [&](const completion& c) { return !is_filtered(c); });
    return static_cast<std::size_t>(kept) + incomplete();
}

std::size_t run_summary::failures() const { return count_outcome(status::fail) + incomplete(); }
std::size_t run_summary::skips() const { return count_outcome(status::skip); }

attempt_counts run_summary::by_last_attempt() const {
    attempt_counts c;
    for (const flat_record& r : recs_) {
        if (r.status == status::exists) continue;
        ++c.tests;
        c.failures += is_failure(r.status);
        c.skips += r.status == status::skip;
    }
    return c;
}

std::optional<double> run_summary::wall_seconds() const {
    if (!first_time_ || !last_time_) return std::nullopt;
    return to_seconds(*first_time_, *last_time_);
}

result<run_summary, std::string> summarize(std::string_view stream_bytes) {
    run_summary summary;
    summary.reserve(stream_bytes.size());
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view) { summary.add(e); });
    dec.feed(stream_bytes);
    dec.finish();
    return summary;
}

}  // namespace testr

// --- run digests -------------------------------------------------------------

namespace testr {
namespace {

constexpr status group_order[] = {status::success, status::uxsuccess, status::xfail, status::skip, status::fail};
constexpr std::string_view digest_magic = "testr-mini run summary\n";

std::uint64_t rotl(std::uint64_t x, int r) noexcept { return (x << r) | (x >> (64 - r)); }
std::uint64_t load64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

/// Appends little-endian integers and length-prefixed strings.
struct writer {
    std::string out;
    void u8(std::uint8_t v) { out.push_back(static_cast<char>(v)); }
    // Little-endian whatever the host; one append each (the loops fold into
    // a store), as the durations run to tens of megabytes.
    void u32(std::uint32_t v) {
        char b[4];
        for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
        out.append(b, 4);
    }
    void u64(std::uint64_t v) {
        char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
        out.append(b, 8);
    }
    void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
    void str(std::string_view s) {
        u64(s.size());
        out.append(s);
    }
    void time(const std::optional<subunit::timestamp>& t) {
        u8(t ? 1 : 0);
        u64(t ? static_cast<std::uint64_t>(t->seconds) : 0);
        u32(t ? t->nanoseconds : 0);
    }
};

/// Reads what writer wrote; the first read past the end or a bad value
/// sets `error` and makes every later read return zero.
struct reader {
    std::string_view in;
    std::size_t at = 0;
    std::string error;
    bool need(std::uint64_t n, const char* what) {
        if (!error.empty()) return false;
        if (n > in.size() - at) {
            error = std::string("cut short in ") + what + " at byte " + std::to_string(at);
            return false;
        }
        return true;
    }
    std::uint64_t uint(int bytes, const char* what) {
        if (!need(static_cast<std::uint64_t>(bytes), what)) return 0;
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)])} << (8 * i);
        at += static_cast<std::size_t>(bytes);
        return v;
    }
    std::uint8_t u8(const char* what) { return static_cast<std::uint8_t>(uint(1, what)); }
    std::uint32_t u32(const char* what) { return static_cast<std::uint32_t>(uint(4, what)); }
    std::uint64_t u64(const char* what) { return uint(8, what); }
    double f64(const char* what) { return std::bit_cast<double>(u64(what)); }
    std::string str(const char* what) {
        const std::uint64_t n = u64(what);
        if (!need(n, what)) return {};
        std::string s(in.substr(at, n));
        at += n;
        return s;
    }
    /// A count of items of at least `item_size` bytes each, checked against
    /// what is left so that a damaged count allocates nothing.
    std::uint64_t count(std::size_t item_size, const char* what) {
        const std::uint64_t n = u64(what);
        if (error.empty() && n > (in.size() - at) / item_size) {
            error = std::string("impossible count in ") + what + " at byte " + std::to_string(at - 8);
            return 0;
        }
        return n;
    }
    std::optional<subunit::timestamp> time(const char* what) {
        const bool set = u8(what) != 0;
        const auto seconds = static_cast<std::int64_t>(u64(what));
        const std::uint32_t nanos = u32(what);
        if (!set) return std::nullopt;
        return subunit::timestamp{seconds, nanos};
    }
};

}  // namespace

namespace {
constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ULL, p2 = 0xC2B2AE3D27D4EB4FULL, p3 = 0x165667B19E3779F9ULL,
                        p4 = 0x85EBCA77C2B2AE63ULL, p5 = 0x27D4EB2F165667C5ULL;
std::uint64_t mix(std::uint64_t acc, std::uint64_t lane) noexcept { return rotl(acc + lane * p2, 31) * p1; }
}  // namespace

// xxHash64's structure: four independent lanes of multiply-rotate over
// 32-byte stripes, so the loop runs at memory speed, then every lane and the
// last < 32 bytes folded in.
void content_hasher::stripes(const char* p, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i, p += 32) {
        lanes_[0] = mix(lanes_[0], load64(p));
        lanes_[1] = mix(lanes_[1], load64(p + 8));
        lanes_[2] = mix(lanes_[2], load64(p + 16));
        lanes_[3] = mix(lanes_[3], load64(p + 24));
    }
}

content_hasher::content_hasher() noexcept : lanes_{p1 + p2, p2, 0, 0 - p1} {}

void content_hasher::update(std::string_view bytes) noexcept {
    size_ += bytes.size();
    if (held_ > 0) {
        const std::size_t take = std::min(bytes.size(), sizeof buffer_ - held_);
        std::memcpy(buffer_ + held_, bytes.data(), take);
        held_ += take;
        bytes.remove_prefix(take);
        if (held_ < sizeof buffer_) return;
        stripes(buffer_, 1);
        held_ = 0;
    }
    const std::size_t whole = bytes.size() / 32;
    stripes(bytes.data(), whole);
    bytes.remove_prefix(whole * 32);
    std::memcpy(buffer_, bytes.data(), bytes.size());
    held_ = bytes.size();
}

std::uint64_t content_hasher::finish() const noexcept {
    std::uint64_t h;
    if (size_ >= 32) {
        h = rotl(lanes_[0], 1) + rotl(lanes_[1], 7) + rotl(lanes_[2], 12) + rotl(lanes_[3], 18);
        for (std::uint64_t v : lanes_) h = (h ^ mix(0, v)) * p1 + p4;
    } else {
        h = p5;
    }
    h += size_;
    const char* p = buffer_;
    const char* end = buffer_ + held_;
    for (; end - p >= 8; p += 8) h = rotl(h ^ mix(0, load64(p)), 27) * p1 + p4;
    for (; p < end; ++p) h = rotl(h ^ (static_cast<unsigned char>(*p) * p5), 11) * p1;
    h ^= h >> 33;
    h *= p2;
    h ^= h >> 29;
    h *= p3;
    h ^= h >> 32;
    return h;
}

std::uint64_t content_checksum(std::string_view bytes) noexcept {
    content_hasher h;
    h.update(bytes);
    return h.finish();
}

std::size_t run_digest::total(const std::vector<std::string>& filter_tags) const {
    if (retried) return static_cast<std::size_t>(retried->tests);
    std::uint64_t n = incomplete;
    for (const tag_group& g : groups) {
        const bool filtered = std::any_of(g.tags.begin(), g.tags.end(), [&](const std::string& t) {
            return std::find(filter_tags.begin(), filter_tags.end(), t) != filter_tags.end();
        });
        for (std::size_t k = 0; k < g.counts.size(); ++k)
            if (!filtered || group_order[k] == status::fail) n += g.counts[k];
    }
    return static_cast<std::size_t>(n);
}

std::size_t run_digest::failures() const {
    if (retried) return static_cast<std::size_t>(retried->failures);
    std::uint64_t n = incomplete;
    for (const tag_group& g : groups) n += g.counts[4];
    return static_cast<std::size_t>(n);
}

std::size_t run_digest::skips() const {
    if (retried) return static_cast<std::size_t>(retried->skips);
    std::uint64_t n = 0;
    for (const tag_group& g : groups) n += g.counts[3];
    return static_cast<std::size_t>(n);
}

std::optional<double> run_digest::wall_seconds() const {
    if (!first_time || !last_time) return std::nullopt;
    return to_seconds(*first_time, *last_time);
}

namespace {
/// magic, version, head size: what digest_head_size needs to see.
constexpr std::size_t digest_preamble = digest_magic.size() + 4 + 8;

constexpr std::size_t timing_bytes = 8 + 8 + 4;
void put_timing(writer& w, const run_digest::timing& t) {
    w.f64(t.seconds);
    w.u64(t.id_at);
    w.u32(t.id_size);
}
run_digest::timing get_timing(reader& r, const char* what) {
    run_digest::timing t;
    t.seconds = r.f64(what);
    t.id_at = r.u64(what);
    t.id_size = r.u32(what);
    return t;
}
}  // namespace

std::string serialize(const run_digest& d) {
    // Two parts, each with its checksum: the head (what every report
    // needs, kilobytes) and the durations of every test, which only
    // `slowest --all` reads.
    writer head;
    head.u64(d.run_length);
    head.u64(d.run_checksum);
    head.u8(d.failing_file ? 1 : 0);
    head.u64(d.failing_file ? d.failing_file->first : 0);
    head.u64(d.failing_file ? d.failing_file->second : 0);
    head.time(d.first_time);
    head.time(d.last_time);
    head.u64(d.incomplete);
    head.u64(d.groups.size());
    for (const auto& g : d.groups) {
        head.u64(g.tags.size());
        for (const auto& t : g.tags) head.str(t);
        for (std::uint64_t c : g.counts) head.u64(c);
    }
    head.u64(d.failing_ids.size());
    for (const auto& id : d.failing_ids) head.str(id);
    head.u64(d.failing_events.size());
    for (const auto& s : d.failing_events) {
        head.u64(s.offset);
        head.u64(s.size);
    }
    head.u64(d.slowest.size());
    for (const auto& t : d.slowest) put_timing(head, t);
    head.str(d.extra_ids);
    head.u64(d.shortfall.never_ran);
    head.u64(d.shortfall.runners_not_started);
    head.u64(d.shortfall.shards_not_reported);
    head.u64(d.retried.has_value());
    const attempt_counts retried = d.retried.value_or(attempt_counts{});
    head.u64(retried.tests);
    head.u64(retried.failures);
    head.u64(retried.skips);
    head.u64(d.no_test_events.size());
    for (const auto& s : d.no_test_events) {
        head.u64(s.offset);
        head.u64(s.size);
    }
    // Sized once: the durations are ~20 bytes a test, and growing into
    // them doubled the peak of a commit of 10^6 tests.
    writer w;
    w.out.reserve(digest_preamble + head.out.size() + 8 + 8 + d.durations.size() * timing_bytes + 8);
    w.out.append(digest_magic);
    w.u32(run_digest::version);
    w.u64(head.out.size());
    w.out += head.out;
    w.u64(content_checksum(w.out));
    const std::size_t tail_at = w.out.size();
    w.u64(d.durations.size());
    for (const auto& t : d.durations) put_timing(w, t);
    w.u64(content_checksum(std::string_view(w.out).substr(tail_at)));
    return std::move(w.out);
}

std::optional<std::size_t> digest_head_size(std::string_view first_bytes) {
    if (first_bytes.size() < digest_preamble || !first_bytes.starts_with(digest_magic)) return std::nullopt;
    const std::uint64_t head = load64(first_bytes.data() + digest_magic.size() + 4);
    if (head > (std::uint64_t{1} << 40)) return std::nullopt;
    return static_cast<std::size_t>(digest_preamble + head + 8);
}

result<run_digest, std::string> parse_digest(std::string_view bytes, bool durations) {
    if (!bytes.starts_with(digest_magic)) return unexpected{std::string("not a run summary (no signature)")};
    if (bytes.size() < digest_preamble) return unexpected{std::string("cut short in its signature")};
    reader r{bytes, digest_magic.size(), {}};
    if (const std::uint32_t v = r.u32("version"); v != run_digest::version)
        return unexpected{"version " + std::to_string(v) + ", this build reads " + std::to_string(run_digest::version)};
    const auto head_end = digest_head_size(bytes);
    if (!head_end || *head_end > bytes.size()) return unexpected{std::string("cut short in its head")};
    const std::size_t body_end = *head_end - 8;
    if (load64(bytes.data() + body_end) != content_checksum(bytes.substr(0, body_end)))
        return unexpected{std::string("checksum mismatch in its head (damaged file)")};
    r = reader{bytes.substr(0, body_end), digest_preamble, {}};
    run_digest d;
    d.run_length = r.u64("run length");
    d.run_checksum = r.u64("run checksum");
    const bool has_failing = r.u8("failing file") != 0;
    const std::uint64_t failing_length = r.u64("failing file");
    const std::uint64_t failing_sum = r.u64("failing file");
    if (has_failing) d.failing_file = {failing_length, failing_sum};
    d.first_time = r.time("first time");
    d.last_time = r.time("last time");
    d.incomplete = r.u64("incomplete");
    d.groups.resize(r.count(8 + 40, "tag groups"));
    for (auto& g : d.groups) {
        g.tags.resize(r.count(8, "tags"));
        for (auto& t : g.tags) t = r.str("tag");
        for (auto& c : g.counts) c = r.u64("counts");
    }
    d.failing_ids.resize(r.count(8, "failing ids"));
    for (auto& id : d.failing_ids) id = r.str("failing id");
    d.failing_events.resize(r.count(16, "failing events"));
    for (auto& s : d.failing_events) {
        s.offset = r.u64("failing events");
        s.size = r.u64("failing events");
    }
    d.slowest.resize(r.count(20, "slowest"));
    for (auto& t : d.slowest) t = get_timing(r, "slowest");
    d.extra_ids = r.str("extra ids");
    d.shortfall.never_ran = r.u64("never ran");
    d.shortfall.runners_not_started = r.u64("runners not started");
    d.shortfall.shards_not_reported = r.u64("shards not reported");
    const bool retried = r.u64("retried") != 0;
    attempt_counts counts;
    counts.tests = r.u64("retried tests");
    counts.failures = r.u64("retried failures");
    counts.skips = r.u64("retried skips");
    if (retried) d.retried = counts;
    d.no_test_events.resize(r.count(16, "no-test events"));
    for (auto& s : d.no_test_events) {
        s.offset = r.u64("no-test events");
        s.size = r.u64("no-test events");
    }
    if (r.error.empty() && r.at != r.in.size()) r.error = "trailing bytes in its head at byte " + std::to_string(r.at);
    if (durations) {
        if (bytes.size() < *head_end + 16) return unexpected{std::string("cut short in its durations")};
        const std::string_view tail = bytes.substr(*head_end, bytes.size() - *head_end - 8);
        if (load64(bytes.data() + bytes.size() - 8) != content_checksum(tail))
            return unexpected{std::string("checksum mismatch in its durations (damaged file)")};
        reader t{tail, 0, {}};
        d.durations.resize(t.count(20, "durations"));
        for (auto& x : d.durations) x = get_timing(t, "durations");
        if (t.error.empty() && t.at != t.in.size()) t.error = "trailing bytes after its durations";
        if (r.error.empty()) r.error = std::move(t.error);
    }
    if (!r.error.empty()) return unexpected{std::move(r.error)};
    auto bad_id = [&](const run_digest::timing& t) {
        const bool extra = (t.id_at & run_digest::extra_bit) != 0;
        const std::uint64_t at = t.id_at & ~run_digest::extra_bit, limit = extra ? d.extra_ids.size() : d.run_length;
        return at > limit || t.id_size > limit - at;
    };
    if (std::any_of(d.durations.begin(), d.durations.end(), bad_id) || std::any_of(d.slowest.begin(), d.slowest.end(), bad_id))
        return unexpected{std::string("duration id out of range")};
    for (const auto& s : d.failing_events)
        if (s.offset > d.run_length || s.size > d.run_length - s.offset)
            return unexpected{std::string("failing event out of range")};
    return d;
}

digest_builder::digest_builder() { summary_.keep_attachments(false); }

std::uint32_t digest_builder::add(const subunit::event_view& e, std::string_view stored) {
    const std::uint32_t record = summary_.add(e);
    if (record != no_test) {
        if (record == id_at_.size()) id_at_.push_back(no_offset);
        if (id_at_[record] == no_offset) {
            // Encoded packets hold the id verbatim; a parser report's bytes do not.
            const std::size_t at = stored.find(*e.test_id);
            if (at != std::string_view::npos) id_at_[record] = size_ + at;
        }
    }
    // One event's bytes are under 4 MiB (one packet, or a 1 MiB text run),
    // so its size fits; a huge remainder is split rather than truncated.
    for (std::string_view rest = stored;;) {
        const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(rest.size(), std::uint32_t{0xFFFFFFFF}));
        events_.push_back({record, n});
        rest.remove_prefix(n);
        if (rest.empty()) break;
    }
    size_ += stored.size();
    return record;
}

void digest_builder::reserve(std::uint64_t stream_bytes) {
    summary_.reserve(stream_bytes);
    // An event is a packet of at least a few tens of bytes.
    const auto events = static_cast<std::size_t>(std::min<std::uint64_t>(stream_bytes, std::uint64_t{1} << 40) / 32);
    events_.reserve(events);
    id_at_.reserve(summary_.recs_.capacity());
}

run_digest digest_builder::digest() const {
    const run_summary& s = summary_;
    run_digest d;
    d.run_length = size_;
    d.first_time = s.first_time_;
    d.last_time = s.last_time_;
    d.incomplete = s.incomplete();
    // Completions sharing a tag list share its slice; distinct slices with
    // equal lists are merged by content.
    std::unordered_map<std::string, std::size_t> group_of;
    std::uint32_t last_first = 0, last_count = 0;
    std::size_t last_group = static_cast<std::size_t>(-1);
    for (const auto& c : s.completions_) {
        if (last_group == static_cast<std::size_t>(-1) || c.first_tag != last_first || c.tag_count != last_count) {
            std::vector<std::string> tags;
            for (std::uint32_t k = 0; k < c.tag_count; ++k) tags.push_back(s.tag_names_[s.tags_[c.first_tag + k]]);
            std::sort(tags.begin(), tags.end());
            tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
            std::string key;
            for (const auto& t : tags) (key += std::to_string(t.size()) + ':') += t;
            const auto [it, added] = group_of.try_emplace(std::move(key), d.groups.size());
            if (added) d.groups.push_back({std::move(tags), {}});
            last_group = it->second;
            last_first = c.first_tag;
            last_count = c.tag_count;
        }
        const auto k = static_cast<std::size_t>(std::find(std::begin(group_order), std::end(group_order), c.status) -
                                                std::begin(group_order));
        ++d.groups[last_group].counts[k];
    }
    const auto& tests = s.recs_;
    std::size_t timed = 0;
    for (const auto& r : tests) timed += r.has_started && r.has_stopped;
    d.durations.reserve(timed);
    for (std::size_t i = 0; i < tests.size(); ++i) {
        const run_summary::flat_record& r = tests[i];
        if (is_failure(r.status)) d.failing_ids.emplace_back(s.id_of(r));
        if (!r.has_started || !r.has_stopped) continue;
        run_digest::timing t{run_summary::seconds_of(r), id_at_[i], r.id_size};
        if (t.id_at == no_offset) {
            t.id_at = d.extra_ids.size() | run_digest::extra_bit;
            d.extra_ids += s.id_of(r);
        }
        d.durations.push_back(t);
    }
    std::uint64_t at = 0;
    auto add_span = [&](std::vector<run_digest::span>& spans, std::uint32_t size) {
        if (!spans.empty() && spans.back().offset + spans.back().size == at) spans.back().size += size;
        else spans.push_back({at, size});
    };
    for (const event_ref& e : events_) {
        if (e.size > 0 && e.record != no_test && is_failure(tests[e.record].status)) add_span(d.failing_events, e.size);
        if (e.size > 0 && e.record == no_test) add_span(d.no_test_events, e.size);
        at += e.size;
    }
    // The slowest few, as `slowest` shows them: ties keep stream order.
    std::vector<std::uint32_t> order(d.durations.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    const std::size_t kept = std::min(order.size(), run_digest::slowest_kept);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(),
                      [&](std::uint32_t a, std::uint32_t b) {
                          const double x = d.durations[a].seconds, y = d.durations[b].seconds;
                          return x != y ? x > y : a < b;
                      });
    for (std::size_t i = 0; i < kept; ++i) d.slowest.push_back(d.durations[order[i]]);
    return d;
}

run_digest digest_of(std::string_view stored_bytes) {
    digest_builder b;
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view raw) { b.add(e, raw); });
    dec.feed(stored_bytes);
    dec.finish();
    run_digest d = b.digest();
    d.run_checksum = content_checksum(stored_bytes);
    return d;
}

int worker_number(std::string_view tag) noexcept {
    constexpr std::string_view prefix = "worker-";
    if (!tag.starts_with(prefix) || tag.size() == prefix.size()) return -1;
    int n = -1;
    const char* end = tag.data() + tag.size();
    const auto [ptr, ec] = std::from_chars(tag.data() + prefix.size(), end, n);
    return ec == std::errc() && ptr == end ? n : -1;
}

}  // namespace testr
