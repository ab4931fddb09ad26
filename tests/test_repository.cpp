// test_repository.cpp - the on-disk .testrepository: init/open errors
// (including a real testrepository's format-1 directory), run ids, failing
// semantics compared with the real `testr load [--partial]`, concurrent
// committers, committers killed at every step, large streams, read-only
// directories.
#include "repository.hpp"

#include "atomic_file.hpp"
#include "file_lock.hpp"
#include "repo_support.hpp"
#include "support/child.hpp"
#include "run_summary.hpp"
#include "timesdb.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace testr;
using repo_test::real_testr;
using repo_test::stream_builder;
using subunit::status;
using test_support::list_dir;
using test_support::read_file;
using test_support::run_in_child;
using test_support::temp_dir;
using test_support::write_file;

namespace {

repo::repository init_ok(const std::string& root) {
    auto r = repo::init(root);
    REQUIRE_MESSAGE(r.has_value(), r.error().message);
    return *r;
}

template <class T>
T ok(result<T, repo::repo_error> r) {
    REQUIRE_MESSAGE(r.has_value(), r.error().message);
    return std::move(r).value();
}

unsigned commit_stream(const repo::repository& repo, const std::string& bytes, bool partial = false) {
    auto w = ok(repo::begin_run(repo));
    // Odd-sized pieces, so the writer's buffering is exercised.
    for (std::size_t at = 0; at < bytes.size(); at += 777) REQUIRE(w.append(std::string_view(bytes).substr(at, 777)));
    return ok(w.commit(partial)).id;
}

/// Sorted ids of the failing tests the repository's failing stream holds.
std::vector<std::string> our_failing(const repo::repository& repo) {
    const auto s = summarize(ok(repo::read_failing(repo)));
    std::vector<std::string> ids;
    for (const auto& r : s->tests())
        if (is_failure(r.status)) ids.emplace_back(r.id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

/// A stream from "id=status,status..." specs: each status an event at t=1;
/// "file" a file event instead.
std::string spec_stream(std::initializer_list<std::string> specs) {
    stream_builder b;
    for (const std::string& spec : specs) {
        const auto eq = spec.find('=');
        const std::string id = spec.substr(0, eq);
        std::istringstream parts(spec.substr(eq + 1));
        for (std::string part; std::getline(parts, part, ',');) {
            if (part == "file") {
                b.file(id, "traceback", "trace of " + id + "\n");
            } else {
                b.ev(id, *subunit::parse_status(part), 1.0, {"worker-0"});
            }
        }
    }
    return b.bytes;
}

struct run_step {
    std::string stream;
    bool partial;
};

/// Full and partial runs whose failing lists exercise every rule of
/// testrepository's (compared with the real testr below).
std::vector<run_step> failing_steps() {
    return {
        {spec_stream({"A=fail", "B=fail", "C=inprogress", "D=fail", "E=fail", "F=fail", "G=fail", "H=success"}), false},
        {spec_stream({"A=success", "B=exists", "C=uxsuccess", "D=skip", "E=xfail", "F=file", "I=fail", "J=inprogress"}), true},
        {spec_stream({"I=success", "K=fail,success", "L=success,fail", "M=success,file", "G=exists,inprogress,fail"}), true},
        {spec_stream({"B=exists", "N=fail", "O=file"}), true},
        {spec_stream({"A=fail", "P=exists"}), false},
        {spec_stream({"Q=success"}), true},
        {spec_stream({"A=success", "Z=skip"}), false},
    };
}

/// Commits `bytes` event by event, each with its encoding, as `load` and
/// `run` hand them on; from event number `plain_from` on, as bytes only.
/// Returns the run id and the bytes appended.
std::pair<unsigned, std::string> commit_events(const repo::repository& repo, const std::string& bytes, bool partial,
                                               std::size_t plain_from = SIZE_MAX) {
    auto w = ok(repo::begin_run(repo));
    std::string appended;
    std::size_t n = 0;
    subunit::decoder dec([&](const subunit::event_view& e, std::string_view) {
        std::string encoded;
        REQUIRE(subunit::encode(e, encoded));
        REQUIRE((n++ < plain_from ? w.append(encoded, e) : w.append(encoded)));
        appended += encoded;
    });
    dec.feed(bytes);
    dec.finish();
    return {ok(w.commit(partial)).id, appended};
}

std::string small_run(const std::string& tag) {
    stream_builder b;
    b.run("ok." + tag, status::success, 1, 0.5);
    b.ev("bad." + tag, status::inprogress, 2.0).file("bad." + tag, "traceback", "boom " + tag).ev("bad." + tag, status::fail, 3.0);
    return b.bytes;
}

/// What a reader sees: next-stream's runs, and the failing ids.
struct visible_state {
    std::optional<unsigned> latest;
    std::vector<unsigned> runs;
    std::vector<std::string> failing;
    friend bool operator==(const visible_state&, const visible_state&) = default;
};

visible_state state_of(const std::string& root) {
    const auto repo = ok(repo::open(root));
    return {ok(repo::latest_id(repo)), ok(repo::run_ids(repo)), our_failing(repo)};
}

long rss_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    return -1;
}

}  // namespace

TEST_SUITE("repository init/open") {
    TEST_CASE("missing, init, init again, open") {
        temp_dir dir;
        auto missing = repo::open(dir.path());
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().code == repo::repo_errc::not_found);
        CHECK(missing.error().message ==
              "No repository found in " + dir.path() + " (no .testrepository there). Create one by running \"testr-mini "
              "init -d " + dir.path() + "\".");

        const auto repo = init_ok(dir.path());
        CHECK(repo.path() == dir.path() + "/.testrepository");
        CHECK(list_dir(repo.path()) == std::vector<std::string>{"format", "next-stream"});
        CHECK(read_file(repo.file("format")) == "2\n");
        CHECK(read_file(repo.file("next-stream")) == "0\n");
        CHECK(list_dir(dir.path()) == std::vector<std::string>{".testrepository"});  // no init litter

        auto again = repo::init(dir.path());
        REQUIRE_FALSE(again.has_value());
        CHECK(again.error().code == repo::repo_errc::exists);
        CHECK(again.error().message.find(repo.path()) != std::string::npos);

        const auto opened = ok(repo::open(dir.path()));
        CHECK(ok(repo::latest_id(opened)) == std::nullopt);
        CHECK(ok(repo::run_ids(opened)).empty());
        CHECK(ok(repo::read_failing(opened)).empty());
        auto none = repo::read_run(opened, 0);
        REQUIRE_FALSE(none.has_value());
        CHECK(none.error().code == repo::repo_errc::no_such_run);
        CHECK(none.error().message.find("id 0") != std::string::npos);
    }

    TEST_CASE("init removes what dead inits left, and never follows a link planted at an init name") {
        temp_dir dir;
        const pid_t child = ::fork();
        if (child == 0) ::_exit(0);
        REQUIRE(::waitpid(child, nullptr, 0) == child);  // a pid now gone
        const std::string dead = std::to_string(child);
        for (const std::string& name : {".testrepository.init." + dead, ".testrepository.init." + dead + ".0123abcd"}) {
            REQUIRE(::mkdir((dir / name).c_str(), 0755) == 0);
            write_file(dir / name + "/format", "2\n");
            write_file(dir / name + "/next-stream.tmp." + dead + ".0", "");
        }
        // Another directory's files, behind links at the names an init
        // of ours or of the dead process would have used.
        temp_dir victim;
        write_file(victim / "format", "keep\n");
        write_file(victim / "next-stream", "keep\n");
        const std::string links[] = {".testrepository.init." + std::to_string(::getpid()), ".testrepository.init." + dead + ".ffff"};
        for (const auto& name : links) REQUIRE(::symlink(victim.path().c_str(), (dir / name).c_str()) == 0);
        const auto repo = init_ok(dir.path());
        CHECK(list_dir(dir.path()) == std::vector<std::string>{".testrepository", links[0], links[1]});
        CHECK(read_file(repo.file("next-stream")) == "0\n");
        CHECK(read_file(victim / "format") == "keep\n");
        CHECK(read_file(victim / "next-stream") == "keep\n");
    }

    TEST_CASE("a repository file that is a link is refused by open, and lock_file never follows one") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        for (const char* name : {"lock", "times.tsv.lock", "next-stream", "times.tsv"}) {
            const std::string path = repo.file(name), saved = path + ".saved";
            const bool existed = ::rename(path.c_str(), saved.c_str()) == 0;
            REQUIRE(::symlink((dir / "elsewhere").c_str(), path.c_str()) == 0);
            auto opened = repo::open(dir.path());
            REQUIRE_FALSE(opened.has_value());
            CHECK(opened.error().code == repo::repo_errc::damaged);
            CHECK(opened.error().message == path + " is a symbolic link; testr-mini follows no links inside the "
                                                   "repository (its files are only ever created there): remove it");
            auto locked = lock_file(path);
            REQUIRE_FALSE(locked.has_value());
            CHECK(locked.error().code == ELOOP);
            CHECK(locked.error().message().find("symbolic link") != std::string::npos);
            CHECK(::access((dir / "elsewhere").c_str(), F_OK) != 0);  // nothing created through it
            ::unlink(path.c_str());
            if (existed) REQUIRE(::rename(saved.c_str(), path.c_str()) == 0);
        }
        CHECK(repo::open(dir.path()).has_value());
    }

    TEST_CASE("init in a missing directory names it") {
        temp_dir dir;
        auto r = repo::init(dir / "nope");
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == repo::repo_errc::io);
        CHECK(r.error().message.find(dir / "nope/.testrepository") != std::string::npos);
        CHECK(r.error().message.find("No such file or directory") != std::string::npos);
    }

    TEST_CASE("a repository made by the real testr init opens read-only, and ours is refused by testr") {
        real_testr theirs;
        auto r = repo::open(theirs.path());
        REQUIRE(r.has_value());
        CHECK(r->format == 1);
        CHECK(repo::latest_id(*r).value() == std::nullopt);
        auto w = repo::begin_run(*r);
        REQUIRE_FALSE(w.has_value());
        CHECK(w.error().code == repo::repo_errc::bad_format);
        CHECK(w.error().message.starts_with(theirs.path() + "/.testrepository was created by testrepository (format 1"));
        CHECK(w.error().message.find("testr-mini upgrade") != std::string::npos);
        CHECK(repo::init(theirs.path()).error().code == repo::repo_errc::exists);

        // The other way round: testr must not take our runs for v1 ones.
        temp_dir dir;
        write_file(dir / ".testr.conf", "[DEFAULT]\ntest_command=true\n");
        const auto ours = init_ok(dir.path());
        commit_stream(ours, small_run("x"));
        const std::string before = read_file(ours.file("0"));
        const auto last = repo_test::shell("cd " + test_support::shell_quote(dir.path()) + " && " + repo_test::testr_program + " last");
        CHECK(last.exit_code != 0);
        CHECK(last.out.find("PASSED") == std::string::npos);
        const auto load = repo_test::shell("cd " + test_support::shell_quote(dir.path()) + " && " + repo_test::testr_program +
                                           " load < /dev/null");
        CHECK(load.exit_code != 0);
        CHECK(read_file(ours.file("next-stream")) == "1\n");
        CHECK(read_file(ours.file("0")) == before);
    }

    TEST_CASE("unknown formats, corrupt next-stream, a plain file in the way") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        write_file(repo.file("format"), "3\n");
        auto r = repo::open(dir.path());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == repo::repo_errc::bad_format);
        CHECK(r.error().message.find("unknown repository format '3'") != std::string::npos);
        CHECK(r.error().message.find(repo.file("format")) != std::string::npos);

        write_file(repo.file("format"), "2\n");
        write_file(repo.file("next-stream"), "seven\n");
        auto latest = repo::latest_id(repo);
        REQUIRE_FALSE(latest.has_value());
        CHECK(latest.error().code == repo::repo_errc::bad_format);
        CHECK(latest.error().message.find(repo.file("next-stream")) != std::string::npos);
        CHECK(latest.error().message.find("'seven") != std::string::npos);

        temp_dir other;
        write_file(other / ".testrepository", "not a directory");
        CHECK(repo::open(other.path()).error().code == repo::repo_errc::not_found);
    }
}

TEST_SUITE("repository runs") {
    TEST_CASE("runs get ids 0, 1, 2 and keep their bytes exactly") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        std::vector<std::string> streams;
        for (int i = 0; i < 3; ++i) {
            // Non-subunit noise and a corrupt tail must be stored as received.
            streams.push_back("noise " + std::to_string(i) + "\n" + small_run(std::to_string(i)) + "\xB3\x20");
            CHECK(commit_stream(repo, streams.back()) == static_cast<unsigned>(i));
        }
        CHECK(ok(repo::latest_id(repo)) == 2u);
        CHECK(ok(repo::run_ids(repo)) == std::vector<unsigned>{0, 1, 2});
        for (unsigned i = 0; i < 3; ++i) CHECK(ok(repo::read_run(repo, i)).view() == streams[i]);
        CHECK(read_file(repo.file("next-stream")) == "3\n");
        auto missing = repo::read_run(repo, 3);
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().code == repo::repo_errc::no_such_run);
        CHECK(missing.error().message == "No run with id 3 in " + repo.path() + ".");
        CHECK(list_dir(repo.path()) ==
              std::vector<std::string>{"0", "0.summary", "1", "1.summary", "2", "2.summary", "failing", "format", "history-count",
                                       "lock", "next-stream", "times.tsv", "times.tsv.lock"});

        // The durations went to times.tsv: passed for ok.*, failed for bad.*.
        const auto db = timesdb::open(repo.file(timesdb::file_name));
        REQUIRE(db.has_value());
        REQUIRE(db->find("ok.1") != nullptr);
        CHECK(db->find("ok.1")->last == doctest::Approx(0.5));
        CHECK(db->find("ok.1")->last_passed);
        REQUIRE(db->find("bad.2") != nullptr);
        CHECK(db->find("bad.2")->last == doctest::Approx(1.0));
        CHECK_FALSE(db->find("bad.2")->last_passed);
    }

    TEST_CASE("abandon, destructor, and a second commit") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        {
            auto w = ok(repo::begin_run(repo));
            REQUIRE(w.append("abc"));
            CHECK(list_dir(repo.path()).size() == 3);  // format, next-stream, the temporary
        }
        CHECK(list_dir(repo.path()) == std::vector<std::string>{"format", "next-stream"});
        auto w = ok(repo::begin_run(repo));
        w.abandon();
        CHECK(list_dir(repo.path()) == std::vector<std::string>{"format", "next-stream"});
        CHECK_FALSE(w.append("x").has_value());
        auto c = ok(repo::begin_run(repo));
        REQUIRE(c.commit(false));
        CHECK(c.committed() == 0u);
        CHECK_FALSE(c.commit(false).has_value());
        CHECK(ok(repo::read_run(repo, 0)).view().empty());
    }

    TEST_CASE("the failing stream keeps the failing tests' events") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        commit_stream(repo, small_run("a"));
        const auto failing = summarize(ok(repo::read_failing(repo)));
        REQUIRE(failing->tests().size() == 1);
        const auto& bad = failing->tests()[0];
        CHECK(bad.id == "bad.a");
        CHECK(bad.status == status::fail);
        REQUIRE(bad.attachments().size() == 1);
        CHECK(bad.attachments()[0].bytes == "boom a");
        CHECK(bad.seconds() == doctest::Approx(1.0));
        // A run without failures empties it.
        stream_builder b;
        b.run("bad.a", status::success, 5, 1);
        commit_stream(repo, b.bytes);
        CHECK(ok(repo::read_failing(repo)).empty());
    }

    TEST_CASE("failing after full and partial runs is what testr load [--partial] makes") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        real_testr testr;
        unsigned expected_id = 0;
        for (const auto& step : failing_steps()) {
            CAPTURE(expected_id);
            const auto loaded = testr.load(step.stream, step.partial);
            CHECK(commit_stream(repo, step.stream, step.partial) == expected_id++);
            const auto theirs = testr.failing();
            CHECK_MESSAGE(our_failing(repo) == theirs, loaded.out);
        }
        CHECK(our_failing(repo).empty());
    }
}

TEST_SUITE("repository runs appended event by event") {
    TEST_CASE("commit makes the run, failing and times.tsv that the bytes alone make") {
        temp_dir dir;
        const std::string kinds[] = {"bytes", "events", "mixed"};
        std::vector<repo::repository> repos;
        for (const auto& kind : kinds) {
            std::filesystem::create_directory(dir / kind);
            repos.push_back(init_ok(dir / kind));
        }
        std::vector<run_step> steps = failing_steps();
        // Timed tests, attachments, and stray output too.
        stream_builder timed;
        timed.run("A", status::fail, 1, 0.5).file("A", "traceback", "A broke\n").file(std::nullopt, "stdout", "noise");
        timed.run("T", status::success, 2, 1.25).ev("U", status::inprogress, 4.0).file("U", "log", "hung");
        steps.insert(steps.begin() + 2, {timed.bytes + small_run("x"), false});
        steps.push_back({small_run("y") + timed.bytes, true});
        for (const auto& step : steps) {
            const std::string reencoded = commit_events(repos[1], step.stream, step.partial).second;
            commit_events(repos[2], step.stream, step.partial, 3);
            const unsigned id = commit_stream(repos[0], reencoded, step.partial);
            for (std::size_t k = 1; k < repos.size(); ++k) {
                CAPTURE(kinds[k]);
                CAPTURE(id);
                CHECK(ok(repo::read_run(repos[k], id)).view() == ok(repo::read_run(repos[0], id)).view());
                CHECK(ok(repo::read_failing(repos[k])) == ok(repo::read_failing(repos[0])));
                CHECK(read_file(repos[k].file("times.tsv")) == read_file(repos[0].file("times.tsv")));
            }
        }
        // Non-trivial: something failed, and durations were recorded.
        CHECK(our_failing(repos[1]) == std::vector<std::string>{"A", "U", "bad.y"});
        CHECK(read_file(repos[1].file("times.tsv")).find("\tT\n") != std::string::npos);
    }
}

TEST_SUITE("repository concurrency and crashes") {
    TEST_CASE("8 processes committing at once get 8 distinct ids and keep every run") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        constexpr int writers = 8;
        int go[2];
        REQUIRE(::pipe(go) == 0);
        std::vector<std::future<test_support::child_outcome>> children;
        for (int i = 0; i < writers; ++i) {
            children.push_back(std::async(std::launch::async, [&, i] {
                return run_in_child([&, i]() -> std::string {
                    ::close(go[1]);
                    char c;
                    while (::read(go[0], &c, 1) < 0 && errno == EINTR) {
                    }
                    // Hold the lock a while, so that without it the
                    // committers would all read the same next-stream.
                    repo::detail::commit_fault = [](repo::detail::commit_stage stage) {
                        if (stage == repo::detail::commit_stage::locked) ::usleep(20000);
                    };
                    auto w = repo::begin_run(repo);
                    if (!w) return w.error().message;
                    const std::string bytes = small_run("w" + std::to_string(i)) + std::string(100000 + i, 'x');
                    if (!w->append(bytes)) return std::string("append failed");
                    auto c2 = w->commit(i % 2 == 1);
                    return c2 ? std::string() : c2.error().message;
                });
            }));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ::close(go[1]);  // every child's read returns: they start together
        for (auto& child : children) {
            const auto outcome = child.get();
            CHECK(test_support::exited_cleanly(outcome));
            CHECK_MESSAGE(outcome.report.empty(), outcome.report);
        }
        ::close(go[0]);
        CHECK(ok(repo::run_ids(repo)) == std::vector<unsigned>{0, 1, 2, 3, 4, 5, 6, 7});
        std::set<std::string> seen;
        for (unsigned id = 0; id < writers; ++id) {
            const auto run = ok(repo::read_run(repo, id));
            const std::string_view bytes = run.view();
            const auto s = summarize(bytes);
            REQUIRE(s->tests().size() == 2);
            const std::string tag(s->tests()[0].id.substr(3));  // "ok.wN"
            CHECK(bytes == small_run(tag) + std::string(100000 + std::stoi(tag.substr(1)), 'x'));
            seen.insert(tag);
        }
        CHECK(seen.size() == writers);
        CHECK(list_dir(repo.path()).size() == 2 * writers + 7);  // runs, summaries; no temporaries left
        const auto db = timesdb::open(repo.file(timesdb::file_name));
        REQUIRE(db.has_value());
        CHECK(db->size() == 2 * writers);
    }

    TEST_CASE("a committer killed at any step leaves the old or the new state, and the next commit cleans up") {
        using repo::detail::commit_stage;
        const struct {
            commit_stage stage;
            bool atomic_write;  // kill inside write_file_atomically (after its fsync, before rename) instead
            int atomic_write_number;
            bool visible;
        } cases[] = {
            {commit_stage::locked, false, 0, false},          {commit_stage::run_renamed, false, 0, false},
            {commit_stage::failing_staged, false, 0, false},  {commit_stage::committed, false, 0, true},
            {commit_stage::failing_renamed, false, 0, true},  {commit_stage::locked, true, 1, false},  // staging failing
            {commit_stage::summary_written, false, 0, false}, {commit_stage::locked, true, 2, false},  // the summary
            {commit_stage::locked, true, 3, false},                                                     // next-stream
        };
        for (const auto& c : cases) {
            CAPTURE(static_cast<int>(c.stage));
            CAPTURE(c.atomic_write_number);
            temp_dir dir;
            const auto repo = init_ok(dir.path());
            commit_stream(repo, small_run("old"));
            const visible_state before = state_of(dir.path());
            const std::string new_run = small_run("new");

            static commit_stage kill_at;
            static int kill_on_write;
            static int writes_seen;
            kill_at = c.stage;
            kill_on_write = c.atomic_write ? c.atomic_write_number : 0;
            writes_seen = 0;
            const auto child = run_in_child([&]() -> std::string {
                if (kill_on_write == 0) {
                    repo::detail::commit_fault = [](commit_stage stage) {
                        if (stage == kill_at) ::raise(SIGKILL);
                    };
                } else {
                    detail::atomic_write_fault_hook = [](detail::write_stage stage, int) {
                        if (stage == detail::write_stage::temp_synced && ++writes_seen == kill_on_write) ::raise(SIGKILL);
                    };
                }
                auto w = repo::begin_run(repo);
                if (!w || !w->append(new_run)) return std::string("cannot start run");
                auto r = w->commit(false);
                return std::string("commit returned instead of dying: ") + (r ? "ok" : r.error().message);
            });
            CHECK_MESSAGE(child.report.empty(), child.report);
            REQUIRE(WIFSIGNALED(child.status));

            const visible_state after = state_of(dir.path());
            if (c.visible) {
                CHECK(after.latest == 1u);
                CHECK(after.runs == std::vector<unsigned>{0, 1});
                CHECK(after.failing == std::vector<std::string>{"bad.new"});
                CHECK(ok(repo::read_run(repo, 1)).view() == new_run);
            } else {
                CHECK(after == before);
            }
            // The next writer gets the next id, finishes or discards what
            // the dead one left, and leaves no litter.
            const unsigned next = commit_stream(repo, small_run("next"), true);
            CHECK(next == (c.visible ? 2u : 1u));
            const auto final_state = state_of(dir.path());
            CHECK(final_state.failing ==
                  (c.visible ? std::vector<std::string>{"bad.new", "bad.next"} : std::vector<std::string>{"bad.next", "bad.old"}));
            auto names = list_dir(repo.path());
            std::vector<std::string> expected{"0",    "0.summary",   "1",         "1.summary",     "failing",
                                              "format", "history-count", "lock", "next-stream", "times.tsv", "times.tsv.lock"};
            if (c.visible) expected.insert(expected.begin() + 4, {"2", "2.summary"});
            CHECK(names == expected);
        }
    }

    TEST_CASE("a live writer's temporary survives another commit; a dead one's is swept") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        auto live = ok(repo::begin_run(repo));
        REQUIRE(live.append(small_run("live")));
        // A writer that dies without cleaning up (no destructors run).
        const auto dead = run_in_child([&]() -> std::string {
            auto w = repo::begin_run(repo);
            if (!w || !w->append("half a run")) return "cannot start run";
            ::_exit(0);
        });
        REQUIRE(test_support::exited_cleanly(dead));
        CHECK(list_dir(repo.path()).size() == 4);  // format, next-stream, two temporaries
        CHECK(ok(repo::run_ids(repo)).empty());    // readers ignore temporaries

        CHECK(commit_stream(repo, small_run("other")) == 0);
        std::error_code ec;
        CHECK(std::filesystem::exists(live.temp_path(), ec));
        CHECK(ok(live.commit(false)).id == 1);
        CHECK(ok(repo::read_run(repo, 1)).view() == small_run("live"));
        for (const auto& name : list_dir(repo.path())) CHECK_FALSE(name.starts_with(".tmp"));
    }

    TEST_CASE("a 50 MB run streams through without being held in memory") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        auto w = ok(repo::begin_run(repo));
        const std::string payload(64 * 1024, 'p');
        uLong crc = ::crc32(0, nullptr, 0);
        std::size_t total = 0, failed = 0;
        const long rss_before = rss_kib();
        for (int i = 0; total < 50u * 1024 * 1024; ++i) {
            stream_builder b;
            const std::string id = "big." + std::to_string(i);
            b.ev(id, status::inprogress, i).file(id, "log", payload).ev(id, i % 100 == 0 ? status::fail : status::success, i + 0.5);
            REQUIRE(w.append(b.bytes));
            failed += i % 100 == 0;
            crc = ::crc32(crc, reinterpret_cast<const Bytef*>(b.bytes.data()), static_cast<uInt>(b.bytes.size()));
            total += b.bytes.size();
        }
        const long grown = rss_kib() - rss_before;
        CHECK_MESSAGE(grown < 8 * 1024, "RSS grew by " << grown << " KiB while appending " << total << " bytes");
        CHECK(ok(w.commit(false)).id == 0);
        const auto stored = ok(repo::read_run(repo, 0));
        REQUIRE(stored.view().size() == total);
        CHECK(::crc32(::crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(stored.view().data()),
                      static_cast<uInt>(stored.view().size())) == crc);
        CHECK(our_failing(repo).size() == failed);
    }

    TEST_CASE("a read-only repository: reading works, writing names the path") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        commit_stream(repo, small_run("kept"));
        REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
        REQUIRE(::chmod(repo.path().c_str(), 0555) == 0);
        const auto child = run_in_child([&]() -> std::string {
            if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
                return std::string("cannot drop privileges: ") + std::strerror(errno);
            auto opened = repo::open(dir.path());
            if (!opened) return "open failed: " + opened.error().message;
            auto run = repo::read_run(*opened, 0);
            if (!run || run->view() != small_run("kept")) return std::string("reading the run failed");
            auto w = repo::begin_run(*opened);
            if (w) return std::string("begin_run succeeded in a read-only directory");
            if (w.error().code != repo::repo_errc::io) return "wrong code: " + w.error().message;
            if (w.error().message.find(repo.path() + "/.tmp-run.") == std::string::npos ||
                w.error().message.find("Permission denied") == std::string::npos)
                return "bad message: " + w.error().message;
            return std::string();
        });
        ::chmod(repo.path().c_str(), 0755);
        CHECK(test_support::exited_cleanly(child));
        CHECK_MESSAGE(child.report.empty(), child.report);
    }

    TEST_CASE("each run's summary: written at commit, equal to one rebuilt from the run, rebuilt when missing or damaged") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        stream_builder b;
        b.run("a", status::success, 1, 0.5, {"worker-0"});
        b.ev("slow", status::inprogress, 2.0, {"worker-1"}).file("slow", "traceback", "boom\n");
        b.ev("slow", status::fail, 5.0, {"worker-1"});
        b.ev("hung", status::inprogress, 6.0);
        b.run("skipped", status::skip, 7, 0.25, {"worker-0"});
        const std::string bytes = "noise\n" + b.bytes;
        for (bool live : {false, true}) {
            CAPTURE(live);
            const unsigned id = live ? commit_events(repo, bytes, false).first : commit_stream(repo, bytes);
            const std::string stored(ok(repo::read_run(repo, id)).view());
            const run_digest d = ok(repo::read_summary(repo, id, true));
            run_digest head = ok(repo::read_summary(repo, id));  // what reports read: all but the durations
            CHECK(head.durations.empty());
            head.durations = d.durations;
            CHECK(head == d);
            run_digest rebuilt = digest_of(stored);
            CHECK_FALSE(rebuilt.failing_file.has_value());
            const std::string failing = ok(repo::read_failing(repo));
            rebuilt.failing_file = {failing.size(), content_checksum(failing)};
            CHECK(d == rebuilt);
            CHECK(d.run_length == stored.size());
            CHECK(d.total({}) == 4);
            CHECK(d.total({"worker-0"}) == 2);  // the filtered success and skip go; fail and hung stay
            CHECK(d.failures() == 2);
            CHECK(d.skips() == 1);
            CHECK(d.failing_ids == std::vector<std::string>{"slow", "hung"});
            REQUIRE(d.slowest.size() == 3);
            CHECK(d.slowest[0].seconds == doctest::Approx(3.0));
            CHECK(d.slowest[2] == d.durations[2]);  // "skipped", the fastest
            const auto ids = ok(repo::read_run_spans(repo, id, d, {{d.slowest[0].id_at, 4}}));
            CHECK(ids == "slow");
            // The failing tests' events, cut out of the run, are those tests' lives.
            const auto events = ok(repo::read_run_spans(repo, id, d, d.failing_events));
            const auto failing_run = summarize(events);
            REQUIRE(failing_run.has_value());
            CHECK(failing_run->tests().size() == 2);
            CHECK(failing_run->find("slow")->attachments().at(0).bytes == "boom\n");

            // Missing: rebuilt and saved (without the failing file's record).
            const std::string path = repo.file(std::to_string(id) + ".summary");
            REQUIRE(::unlink(path.c_str()) == 0);
            CHECK(ok(repo::read_summary(repo, id)).failures() == 2);
            REQUIRE(std::filesystem::exists(path));
            // Damaged (one byte flipped, or cut): rebuilt the same way.
            std::string saved = read_file(path);
            saved[saved.size() / 2] ^= 0x20;
            write_file(path, saved);
            CHECK(ok(repo::read_summary(repo, id)).total({}) == 4);
            CHECK(parse_digest(read_file(path)).has_value());
            write_file(path, read_file(path).substr(0, 30));
            CHECK(ok(repo::read_summary(repo, id)).skips() == 1);
        }
    }

    TEST_CASE("what a run missed is kept in its summary, from the commit; a summary rebuilt from the run has none") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        stream_builder b;
        b.run("a", status::success, 1, 0.5);
        auto w = ok(repo::begin_run(repo));
        REQUIRE(w.append(b.bytes));
        const unsigned id = ok(w.commit(true, {3, 1, 2})).id;
        const run_digest d = ok(repo::read_summary(repo, id));
        CHECK(d.shortfall == run_shortfall{3, 1, 2});
        CHECK(d.failures() == 0);  // the stream alone passed
        CHECK(commit_stream(repo, b.bytes) == id + 1);
        CHECK(ok(repo::read_summary(repo, id + 1)).shortfall.none());
        const std::string path = repo.file(std::to_string(id) + ".summary");
        REQUIRE(::unlink(path.c_str()) == 0);
        CHECK(ok(repo::read_summary(repo, id)).shortfall.none());
    }

    TEST_CASE("a damaged run file is told from an empty run: cut to 0 bytes, changed in place, a symbolic link") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        CHECK(commit_stream(repo, "") == 0u);  // an empty run is no damage
        CHECK(ok(repo::read_summary(repo, 0)).total({}) == 0);
        CHECK(ok(repo::read_run(repo, 0)).view().empty());
        const std::string run = small_run("x");
        CHECK(commit_stream(repo, run) == 1u);
        const std::string path = repo.file("1");

        write_file(path, "");
        for (auto e : {repo::read_summary(repo, 1).error(), repo::read_run(repo, 1).error()}) {
            CHECK(e.code == repo::repo_errc::damaged);
            CHECK(e.message == "run 1 (" + path + ") is damaged: its file is empty where its commit recorded " +
                                   std::to_string(run.size()) + "; a run file is never changed after its commit");
        }
        std::string changed = run;
        changed[changed.size() / 2] ^= 1;
        write_file(path, changed);
        CHECK(repo::read_summary(repo, 1).has_value());  // the length is all a summary reader checks
        auto bad = repo::read_run(repo, 1);
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error().code == repo::repo_errc::damaged);
        CHECK(bad.error().message.find("its bytes differ from those its commit recorded (checksum)") != std::string::npos);

        REQUIRE(::unlink(path.c_str()) == 0);
        REQUIRE(::symlink("/etc/passwd", path.c_str()) == 0);
        for (auto e : {repo::read_summary(repo, 1).error(), repo::read_run(repo, 1).error(),
                       repo::read_run_spans(repo, 1, digest_of(run), {{0, 1}}).error()}) {
            CHECK(e.code == repo::repo_errc::damaged);
            CHECK(e.message.find(path + " is a symbolic link") == 0);
        }
    }

    TEST_CASE("a failing file cut at a packet boundary, emptied or linked is damaged, with the run that wrote it") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        commit_stream(repo, spec_stream({"A=fail", "B=fail", "C=success"}));
        const std::string path = repo.file("failing");
        const std::string whole = read_file(path);
        const std::string one = spec_stream({"A=fail"});
        REQUIRE(whole.starts_with(one));
        CHECK(ok(repo::read_failing(repo)) == whole);
        write_file(path, one);  // still a valid stream: only the length tells
        auto cut = repo::read_failing(repo);
        REQUIRE_FALSE(cut.has_value());
        CHECK(cut.error().code == repo::repo_errc::damaged);
        CHECK(cut.error().message == path + " is damaged: it has " + std::to_string(one.size()) +
                                         " bytes where the commit of run 0 wrote " + std::to_string(whole.size()) +
                                         " bytes; `testr-mini run --failing` would miss tests");
        REQUIRE(::unlink(path.c_str()) == 0);
        CHECK(repo::read_failing(repo).error().message.find("is missing") != std::string::npos);
        REQUIRE(::symlink("/etc/passwd", path.c_str()) == 0);
        CHECK(repo::read_failing(repo).error().message.find("is a symbolic link") != std::string::npos);
        REQUIRE(::unlink(path.c_str()) == 0);
        write_file(path, whole);
        CHECK(ok(repo::read_failing(repo)) == whole);
        // The next commit records its own failing file.
        commit_stream(repo, spec_stream({"A=success"}), true);
        CHECK(our_failing(repo) == std::vector<std::string>{"B"});
    }

    TEST_CASE("history_size: times.tsv's test count, remembered until the store is replaced") {
        temp_dir dir;
        const auto repo = init_ok(dir.path());
        CHECK(repo::history_size(repo) == 0u);  // no store yet
        commit_stream(repo, small_run("a"));
        CHECK(read_file(repo.file("history-count")).ends_with(" 2\n"));  // the commit counted
        commit_stream(repo, small_run("b"));
        const auto db = timesdb::open(repo.file(timesdb::file_name));
        REQUIRE(db.has_value());
        CHECK(repo::history_size(repo) == db->size());
        CHECK(db->size() == 4);
        // A stale count is not believed: the key is the store's inode, size and mtime.
        write_file(repo.file("history-count"), read_file(repo.file("history-count")).substr(0, 10) + "99\n");
        CHECK(repo::history_size(repo) == 4u);
        const std::string store = read_file(repo.file(timesdb::file_name));
        write_file(repo.file(timesdb::file_name), store.substr(0, store.rfind('\n', store.size() - 2) + 1));
        const auto cut = timesdb::open(repo.file(timesdb::file_name));
        REQUIRE(cut.has_value());
        CHECK(repo::history_size(repo) == cut->size());  // whatever the store itself reads
        write_file(repo.file(timesdb::file_name), "# testr-mini times v9\n");
        CHECK_FALSE(repo::history_size(repo).has_value());  // a newer store: not ours to count
    }
}
