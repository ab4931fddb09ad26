// fuzz/repository_fuzz.cpp - libFuzzer target for what testr-mini reads
// back from a repository: a run's summary file (`<id>.summary`), a run or
// failing file as stored (the summary rebuilt from it), times.tsv, stestr's
// dumb-dbm durations (times.dbm.dir / .dat), and the same files on disk
// through the repository's readers, which check each file against what its
// commit recorded. Built and run by scripts/fuzz.
//
// The first input byte picks the reader, the second where the rest is
// split when a reader takes two files. Promises: no crash or sanitizer
// report; a summary rebuilt from any bytes survives serialize + parse
// unchanged; a damaged copy of it is an error or a digest, never a crash.
#include "repository.hpp"
#include "run_summary.hpp"
#include "testr_dbm.hpp"
#include "timesdb.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

[[noreturn]] void broken(const char* promise) {
    std::fprintf(stderr, "repository readers: %s\n", promise);
    std::abort();
}

void put(const std::string& path, std::string_view bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) broken("cannot write a scratch file");
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) broken("cannot write a scratch file");
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

/// A repository of one run in a private directory, made once per process
/// and removed at its exit.
struct scratch_repository {
    scratch_repository() {
        // On tmpfs where there is one: each input is written and synced.
        std::string dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm/testr-fuzz-XXXXXX" : "/tmp/testr-fuzz-XXXXXX";
        if (!::mkdtemp(dir.data())) broken("cannot make a scratch directory");
        root = dir;
        auto r = testr::repo::init(root);
        if (!r) broken("cannot init a scratch repository");
        repo = *r;
    }
    ~scratch_repository() {
        std::error_code ignored;
        std::filesystem::remove_all(root, ignored);
    }
    std::string root;
    testr::repo::repository repo;
};

const testr::repo::repository& scratch() {
    static const scratch_repository s;
    return s.repo;
}

void summary_file(std::string_view bytes) {
    (void)testr::digest_head_size(bytes);
    (void)testr::parse_digest(bytes, false);
    if (auto d = testr::parse_digest(bytes, true)) {
        auto again = testr::parse_digest(testr::serialize(*d), true);
        if (!again || !(*again == *d)) broken("a summary it parsed changed in serialize + parse");
    }
}

void stored_run(std::string_view bytes, std::size_t damage_at) {
    const testr::run_digest d = testr::digest_of(bytes);
    const std::string text = testr::serialize(d);
    auto again = testr::parse_digest(text, true);
    if (!again || !(*again == d)) broken("a summary rebuilt from a run changed in serialize + parse");
    if (text.empty()) return;
    std::string damaged = text;
    damaged[damage_at % damaged.size()] ^= 0x5A;
    (void)testr::parse_digest(damaged, true);
    (void)testr::parse_digest(damaged.substr(0, damage_at % damaged.size()), false);
}

void times_tsv(std::string_view bytes) {
    auto db = testr::timesdb::parse(bytes, "times.tsv");
    if (!db) return;
    std::vector<std::string> ids;
    for (const auto& e : db->entries()) ids.emplace_back(e.id);
    // No promise that find() sees every entry: a sorted section damaged in
    // place (out of order, not a line's length changed) is not detected,
    // and its binary search then misses ids entries() lists.
    for (const auto& id : ids) (void)db->find(id), (void)db->estimate(id);
    (void)db->lookup(ids);
    (void)db->size();
}

void dumb_dbm(std::string_view dir, std::string_view dat) {
    const std::string base = scratch().file("times.dbm");
    ::unlink((base + ".db").c_str());
    put(base + ".dir", dir);
    put(base + ".dat", dat);
    (void)testr::legacy::read_times_dbm(base);
}

void on_disk(std::string_view run, std::string_view other) {
    namespace repo = testr::repo;
    const repo::repository& r = scratch();
    put(r.file("next-stream"), "1\n");
    put(r.file("0"), run);
    put(r.file("0.summary"), other);
    put(r.file("failing"), other);
    (void)repo::run_ids(r);
    (void)repo::latest_id(r);
    (void)repo::read_run(r, 0);
    (void)repo::read_failing(r);
    if (auto d = repo::read_summary(r, 0, true)) (void)repo::read_run_spans(r, 0, *d, d->failing_events);
    put(r.file("0.summary"), testr::serialize(testr::digest_of(run)));  // as a commit writes it
    put(r.file("0"), other);                                            // then the run is changed
    (void)repo::read_run(r, 0);
    if (auto d = repo::read_summary(r, 0, false)) (void)repo::read_run_spans(r, 0, *d, d->failing_events);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
    const std::size_t split = rest.size() * data[1] / 255;
    switch (data[0] % 5) {
        case 0: summary_file(rest); break;
        case 1: stored_run(rest, data[1]); break;
        case 2: times_tsv(rest); break;
        case 3: dumb_dbm(rest.substr(0, split), rest.substr(split)); break;
        case 4: on_disk(rest.substr(0, split), rest.substr(split)); break;
    }
    return 0;
}
