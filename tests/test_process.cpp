// Real processes through the process adapter: exits, signals, staged stops,
// deadlines, interrupts, many children, big output, no leaks.
#include <doctest/doctest.h>

#include "process.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace testr::process;
using namespace std::chrono_literals;

namespace {

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// True when this process has no child left, zombie or alive. Reaps one if
// there is, so a failure does not cascade into later tests.
bool no_children() {
    int st;
    return ::waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD;
}

// Gone, or a zombie waiting for an init that does not reap (containers).
bool process_gone(pid_t pid) {
    for (int i = 0; i < 200; ++i) {
        if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), {});
        auto close = text.rfind(')');
        if (close != std::string::npos && text.size() > close + 2 && text[close + 2] == 'Z')
            return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

struct collector {
    std::map<child_id, std::string> out, err;
    std::map<child_id, exit_status> exits;
    callbacks cb() {
        return {[this](child_id id, stream s, std::string_view d) {
                    (s == stream::out ? out : err)[id].append(d);
                },
                [this](child_id id, const exit_status& st) {
                    CHECK(exits.count(id) == 0);  // reported once
                    exits[id] = st;
                }};
    }
};

// Starts `script`, which first prints the pid of a background grandchild,
// and polls until that line has arrived.
std::pair<child_id, pid_t> spawn_with_grandchild(loop& l, collector& col, const std::string& script,
                                                 const options& opts = {}) {
    auto id = l.spawn_shell(script, opts, col.cb());
    REQUIRE(id);
    for (int i = 0; i < 500 && col.out[*id].find('\n') == std::string::npos; ++i)
        REQUIRE(l.poll_once(20ms));
    REQUIRE(col.out[*id].find('\n') != std::string::npos);
    return {*id, std::stoi(col.out[*id])};
}

double seconds_since(clock::time_point t) {
    return std::chrono::duration<double>(clock::now() - t).count();
}

}  // namespace

TEST_CASE("exit codes 0, 1 and 127 (command not found)") {
    const auto fds = open_fds();
    {
        loop l;
        collector col;
        auto ok = l.spawn_shell("echo hello", {}, col.cb());
        auto one = l.spawn_shell("echo oops >&2; exit 1", {}, col.cb());
        auto missing = l.spawn_shell("testr-no-such-command-xyz", {}, col.cb());
        REQUIRE(ok);
        REQUIRE(one);
        REQUIRE(missing);
        CHECK(l.active() == 3);
        auto st = l.run();
        REQUIRE(st);
        CHECK(st->exits == 3);
        CHECK(st->interrupts == 0);
        CHECK(l.active() == 0);
        CHECK(col.exits[*ok].code == 0);
        CHECK(col.exits[*ok].success());
        CHECK(col.out[*ok] == "hello\n");
        CHECK(col.exits[*one].code == 1);
        CHECK(col.err[*one] == "oops\n");
        CHECK(col.out.count(*one) == 0);
        CHECK(col.exits[*missing].code == 127);
        CHECK(col.err[*missing].find("not found") != std::string::npos);
        CHECK(describe(col.exits[*one]) == "exit code 1");
    }
    CHECK(open_fds() == fds);
    CHECK(no_children());
}

TEST_CASE("a child killed by a signal is reported by the signal's name") {
    loop l;
    collector col;
    auto killed = l.spawn_shell("kill -KILL $$", {}, col.cb());
    auto usr1 = l.spawn_shell("kill -USR1 $$", {}, col.cb());
    REQUIRE(killed);
    REQUIRE(usr1);
    REQUIRE(l.run());
    CHECK(col.exits[*killed].signal == SIGKILL);
    CHECK(col.exits[*killed].code == -1);
    CHECK_FALSE(col.exits[*killed].success());
    CHECK_FALSE(col.exits[*killed].stopped);
    CHECK(describe(col.exits[*killed]) == "killed by SIGKILL");
    CHECK(col.exits[*usr1].signal == SIGUSR1);
    CHECK(signal_name(SIGTERM) == "SIGTERM");
    CHECK(signal_name(1000) == "signal 1000");
}

TEST_CASE("what cannot be started is an error from spawn, naming it") {
    const auto fds = open_fds();
    {
        loop l;
        auto path = l.spawn({"/nonexistent/testr-prog"});
        REQUIRE_FALSE(path);
        CHECK(path.error().message.find("/nonexistent/testr-prog") != std::string::npos);
        CHECK(path.error().code == ENOENT);
        auto searched = l.spawn({"testr-no-such-program-xyz", "arg"});
        REQUIRE_FALSE(searched);
        CHECK(searched.error().message.find("No such file") != std::string::npos);
        options in_missing_dir;
        in_missing_dir.working_directory = "/nonexistent-dir-testr";
        auto dir = l.spawn_shell("true", in_missing_dir);
        REQUIRE_FALSE(dir);
        CHECK(dir.error().message.find("/nonexistent-dir-testr") != std::string::npos);
        options bad_stdin;
        bad_stdin.stdin_path = "/nonexistent-testr-input";
        auto in = l.spawn_shell("true", bad_stdin);
        REQUIRE_FALSE(in);
        CHECK(in.error().message.find("/nonexistent-testr-input") != std::string::npos);
        CHECK(in.error().code == ENOENT);
        CHECK_FALSE(l.spawn({}));
        CHECK(l.active() == 0);
        const auto t0 = clock::now();
        auto idle = l.poll_once(milliseconds(-1));  // nothing to wait for: no hang
        REQUIRE(idle);
        CHECK(idle->exits == 0);
        CHECK(seconds_since(t0) < 1);
        // argv is passed through without a shell.
        auto cap = run_capture({"printf", "%s|", "a b", "$HOME"});
        REQUIRE(cap);
        CHECK(cap->out == "a b|$HOME|");
    }
    CHECK(open_fds() == fds);
    CHECK(no_children());
}

TEST_CASE("running out of descriptors or argument space is an error carrying its errno") {
    loop l;
    {
        rlimit old{};
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
        rlimit tight = old;
        tight.rlim_cur = static_cast<rlim_t>(open_fds() + 1);
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
        auto starved = l.spawn_shell("true");
        ::setrlimit(RLIMIT_NOFILE, &old);
        REQUIRE_FALSE(starved);
        CHECK(starved.error().code == EMFILE);
        CHECK_FALSE(starved.error().interrupted);
    }
    // One argument over Linux's 128 KiB limit: E2BIG from the spawn itself.
    auto huge = l.spawn_shell("echo " + std::string(200 * 1024, 'x'));
    REQUIRE_FALSE(huge);
    CHECK(huge.error().code == E2BIG);
    CHECK(l.active() == 0);
}

TEST_CASE("stdin is /dev/null unless a file is given: readers see EOF at once") {
    const auto t0 = clock::now();
    auto cap = run_capture_shell("read line; echo rc=$?; cat | wc -c");
    REQUIRE(cap);
    CHECK(cap->out == "rc=1\n0\n");
    CHECK(seconds_since(t0) < 5);

    test_support::temp_dir scratch;
    test_support::write_file(scratch / "stdin", "line one\nline two\n");
    options opts;
    opts.stdin_path = scratch / "stdin";
    auto from_file = run_capture({"cat"}, opts);
    REQUIRE(from_file);
    CHECK(from_file->out == "line one\nline two\n");
}

TEST_CASE("environment additions, overrides and the working directory are applied") {
    test_support::temp_dir scratch;
    const fs::path dir = scratch.path();
    ::setenv("TESTR_PROCESS_KEPT", "kept", 1);
    ::setenv("TESTR_PROCESS_OVERRIDDEN", "old", 1);
    options opts;
    opts.working_directory = dir.string();
    opts.env = {{"TESTR_PROCESS_NEW", "new value"}, {"TESTR_PROCESS_OVERRIDDEN", "new"}};
    auto cap = run_capture_shell(
        "pwd; echo \"$TESTR_PROCESS_KEPT/$TESTR_PROCESS_NEW/$TESTR_PROCESS_OVERRIDDEN\"; "
        "env | grep -c '^TESTR_PROCESS_OVERRIDDEN='",
        opts);
    ::unsetenv("TESTR_PROCESS_KEPT");
    ::unsetenv("TESTR_PROCESS_OVERRIDDEN");
    REQUIRE(cap);
    CHECK(cap->out == fs::canonical(dir).string() + "\nkept/new value/new\n1\n");
}

TEST_CASE("200 children at once, each output tagged with its own id") {
    const auto fds = open_fds();
    {
        loop l;
        collector col;
        std::map<child_id, int> index;
        for (int i = 0; i < 200; ++i) {
            options opts;
            opts.env = {{"I", std::to_string(i)}};
            auto id =
                l.spawn_shell("echo child $I; echo err $I >&2; exit $((I % 3))", opts, col.cb());
            REQUIRE(id);
            index[*id] = i;
        }
        CHECK(l.active() == 200);
        auto st = l.run();
        REQUIRE(st);
        CHECK(st->exits == 200);
        REQUIRE(col.exits.size() == 200);
        for (const auto& [id, i] : index) {
            CHECK(col.out[id] == "child " + std::to_string(i) + "\n");
            CHECK(col.err[id] == "err " + std::to_string(i) + "\n");
            CHECK(col.exits[id].code == i % 3);
        }
    }
    CHECK(open_fds() == fds);
    CHECK(no_children());
}

TEST_CASE("100 MB of stdout streams through in bounded chunks") {
    loop l;
    std::size_t out_bytes = 0, err_bytes = 0, chunks = 0, biggest = 0;
    bool all_zero = true;
    callbacks cb{[&](child_id, stream s, std::string_view d) {
                     if (s == stream::err) {
                         err_bytes += d.size();
                         return;
                     }
                     out_bytes += d.size();
                     ++chunks;
                     biggest = std::max(biggest, d.size());
                     all_zero = all_zero && d.find_first_not_of('\0') == std::string_view::npos;
                 },
                 {}};
    auto id = l.spawn_shell("head -c 100000000 /dev/zero; head -c 3000000 /dev/zero >&2", {}, cb);
    REQUIRE(id);
    REQUIRE(l.run());
    CHECK(out_bytes == 100000000);
    CHECK(err_bytes == 3000000);
    CHECK(all_zero);
    CHECK(chunks >= 100000000 / (64 * 1024));
    CHECK(biggest <= 64 * 1024);
}

TEST_CASE("a child ignoring SIGTERM, and its grandchild, are killed after the grace period") {
    loop l;
    collector col;
    options opts;
    opts.grace = 300ms;
    // Ignored signals stay ignored across exec, so the background sleep ignores TERM too.
    auto [id, grandchild] =
        spawn_with_grandchild(l, col, "trap '' TERM; sleep 30 & echo $!; wait; wait", opts);
    const auto t0 = clock::now();
    l.stop(id);
    l.stop(id);  // a second stop does not restart the grace period
    REQUIRE(l.run());
    const double took = seconds_since(t0);
    const exit_status& st = col.exits[id];
    CHECK(st.signal == SIGKILL);
    CHECK(st.stopped);
    CHECK_FALSE(st.timed_out);
    CHECK(describe(st) == "killed by SIGKILL (stopped)");
    CHECK(took >= 0.28);
    CHECK(took < 5);
    CHECK(process_gone(grandchild));
}

TEST_CASE("a shell that dies at SIGTERM leaves the runner it started the whole grace period") {
    // `sh -c` does not exec a runner with arguments: the shell dies at the
    // SIGTERM at once, while the runner (here a sleep that ignores TERM)
    // may still be finishing. It keeps the pipe until the grace period ends,
    // and is then killed with the group: no leak, no early SIGKILL.
    loop l;
    collector col;
    options opts;
    opts.grace = 1500ms;  // well past the drain limit
    // The runner says its pid once it ignores TERM (ignored stays ignored across exec).
    auto [id, runner] =
        spawn_with_grandchild(l, col, "(trap '' TERM; exec sh -c 'echo $$; exec sleep 30') & wait", opts);
    const auto t0 = clock::now();
    l.stop(id);
    REQUIRE(l.run());
    const double took = seconds_since(t0);
    const exit_status& st = col.exits[id];
    CHECK(st.signal == SIGTERM);
    CHECK(st.stopped);
    CHECK(took >= 1.4);
    CHECK(took < 5);
    CHECK_FALSE(st.output_cut);
    CHECK(st.leaked.empty());
    CHECK(process_gone(runner));
}

TEST_CASE("stopping a child stops its whole process group with SIGTERM") {
    loop l;
    collector col;
    options opts;
    opts.grace = 5000ms;  // must not be waited for: everyone honours SIGTERM
    auto [id, grandchild] = spawn_with_grandchild(l, col, "sleep 30 & echo $!; wait", opts);
    const auto t0 = clock::now();
    l.stop(id);
    REQUIRE(l.run());
    CHECK(seconds_since(t0) < 3);
    CHECK(col.exits[id].signal == SIGTERM);
    CHECK(process_gone(grandchild));
}

TEST_CASE("a deadline fires the staged stop; others are untouched") {
    loop l;
    collector col;
    options limited;
    limited.deadline = 200ms;
    limited.grace = 200ms;
    const auto t0 = clock::now();
    auto slow = l.spawn_shell("echo partial; exec sleep 30", limited, col.cb());
    auto quick = l.spawn_shell("sleep 0.4; echo done", limited, col.cb());
    options unlimited;
    auto fine = l.spawn_shell("sleep 0.4; echo fine", unlimited, col.cb());
    REQUIRE(slow);
    REQUIRE(quick);
    REQUIRE(fine);
    REQUIRE(l.run());
    CHECK(seconds_since(t0) < 5);
    CHECK(col.exits[*slow].timed_out);
    CHECK(col.exits[*slow].signal == SIGTERM);
    CHECK(col.out[*slow] == "partial\n");  // what arrived before the stop is kept
    CHECK(describe(col.exits[*slow]) == "killed by SIGTERM (deadline exceeded)");
    CHECK(col.exits[*slow].elapsed >= 200ms);
    CHECK(col.exits[*quick].timed_out);
    CHECK(col.exits[*fine].code == 0);
    CHECK(col.out[*fine] == "fine\n");
    CHECK_FALSE(col.exits[*fine].stopped);
}

TEST_CASE("a child that closes stdout but keeps running is still waited for") {
    loop l;
    collector col;
    auto id = l.spawn_shell("echo bye; exec >&- 2>&-; sleep 0.3; exit 3", {}, col.cb());
    REQUIRE(id);
    REQUIRE(l.run());
    CHECK(col.exits[*id].code == 3);
    CHECK(col.exits[*id].elapsed >= 300ms);
    CHECK(col.out[*id] == "bye\n");
    CHECK_FALSE(col.exits[*id].output_cut);
}

TEST_CASE("a grandchild holding stdout open does not hang the loop past the drain period") {
    // In the runner's process group, or out of it (setsid: a session of its
    // own, which the group's kill misses): either is named and killed.
    for (const bool own_session : {false, true}) {
        CAPTURE(own_session);
        const auto fds = open_fds();
        pid_t grandchild = -1;
        {
            loop_options lo;
            lo.drain = 100ms;
            loop l(lo);
            collector col;
            const auto t0 = clock::now();
            auto id = l.spawn_shell(own_session ? "setsid sleep 20 & echo $!" : "sleep 20 & echo $!", {}, col.cb());
            REQUIRE(id);
            REQUIRE(l.run());
            CHECK(seconds_since(t0) < 3);
            const exit_status& st = col.exits[*id];
            CHECK(st.code == 0);
            REQUIRE(st.output_cut);
            grandchild = std::stoi(col.out[*id]);
            const std::string name = std::to_string(grandchild) + " (sleep)";
            CHECK(st.leaked == (own_session ? "" : name));
            CHECK(st.left_group == (own_session ? name : ""));
            const std::string line = "the runner exited, but its output was still held open 0.1s later by process " +
                                     name + "; its process group was killed";
            CHECK(describe_leak(st) == (own_session ? line + ", and " + name + " outside it" : line));
            CHECK(process_gone(grandchild));
        }
        CHECK(open_fds() == fds);
        ::kill(grandchild, SIGKILL);
        CHECK(no_children());
    }
}

TEST_CASE("children do not inherit each other's pipes") {
    // Count the pipes a child shell holds alone, then beside other children.
    const char* count_pipes =
        "n=0; for f in /proc/$$/fd/*; do case $(readlink $f) in pipe:*) n=$((n+1));; esac; done; "
        "echo $n";
    auto alone = run_capture_shell(count_pipes);
    REQUIRE(alone);
    loop l;
    collector col;
    for (int i = 0; i < 5; ++i) REQUIRE(l.spawn_shell("sleep 0.5", {}, col.cb()));
    auto id = l.spawn_shell(count_pipes, {}, col.cb());
    REQUIRE(id);
    REQUIRE(l.run());
    // Not a fixed number: the environment may pass inheritable pipes to us.
    CHECK(col.out[*id] == alone->out);
    CHECK(std::stoi(alone->out) >= 2);  // at least its own stdout and stderr
}

TEST_CASE("dynamic scheduling: on_exit starts the next child in a free slot") {
    loop l;
    int started = 0, finished = 0;
    std::size_t most_active = 0;
    std::string order;
    callbacks cb;
    std::function<void()> start_next = [&] {
        options opts;
        opts.env = {{"N", std::to_string(started)}};
        REQUIRE(l.spawn_shell("echo $N", opts, cb));
        ++started;
        most_active = std::max(most_active, l.active());
    };
    cb.on_output = [&](child_id, stream, std::string_view d) { order.append(d); };
    cb.on_exit = [&](child_id, const exit_status& st) {
        CHECK(st.code == 0);
        ++finished;
        if (started < 12) start_next();
    };
    for (int slot = 0; slot < 3; ++slot) start_next();
    REQUIRE(l.run());
    CHECK(started == 12);
    CHECK(finished == 12);
    CHECK(most_active == 3);
    CHECK(order.size() == std::string("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n").size());
}

TEST_CASE("elapsed time and the first stdout byte are measured from spawn") {
    loop l;
    collector col;
    auto id = l.spawn_shell("echo early >&2; sleep 0.3; echo x; sleep 0.1", {}, col.cb());
    REQUIRE(id);
    auto t = l.times(*id);
    REQUIRE(t);
    CHECK(t->started <= clock::now());
    CHECK_FALSE(t->first_stdout);
    CHECK_FALSE(l.times(*id + 100));
    REQUIRE(l.run());
    const exit_status& st = col.exits[*id];
    REQUIRE(st.first_stdout);
    CHECK(*st.first_stdout >= 300ms);  // stderr does not count
    CHECK(st.elapsed >= *st.first_stdout + 100ms);
    CHECK(st.elapsed < 5s);
    CHECK_FALSE(l.times(*id));  // forgotten once reported
}

TEST_CASE("run_capture returns the output and honours its deadline") {
    auto cap = run_capture_shell("echo 4; echo warn >&2; exit 2");
    REQUIRE(cap);
    CHECK(cap->out == "4\n");
    CHECK(cap->err == "warn\n");
    CHECK(cap->status.code == 2);
    options opts;
    opts.deadline = 200ms;
    opts.grace = 200ms;
    const auto t0 = clock::now();
    auto slow = run_capture_shell("echo 8; exec sleep 30", opts);
    REQUIRE(slow);
    CHECK(seconds_since(t0) < 5);
    CHECK(slow->out == "8\n");
    CHECK(slow->status.timed_out);
    CHECK(slow->status.signal == SIGTERM);
    CHECK(no_children());
}

TEST_CASE("exits are noticed without pidfd too (waitid tick)") {
    const auto fds = open_fds();
    {
        loop_options lo;
        lo.poll_for_exit = true;
        loop l(lo);
        collector col;
        auto a = l.spawn_shell("exit 5", {}, col.cb());
        auto b = l.spawn_shell("exec >&-; sleep 0.2; kill -TERM $$", {}, col.cb());
        options limited;
        limited.deadline = 100ms;
        limited.grace = 100ms;
        auto c = l.spawn_shell("trap '' TERM; sleep 30", limited, col.cb());
        REQUIRE(a);
        REQUIRE(b);
        REQUIRE(c);
        REQUIRE(l.run());
        CHECK(col.exits[*a].code == 5);
        CHECK(col.exits[*b].signal == SIGTERM);
        CHECK(col.exits[*c].signal == SIGKILL);
        CHECK(col.exits[*c].timed_out);
    }
    CHECK(open_fds() == fds);
    CHECK(no_children());
}

TEST_CASE("SIGINT to the parent stops every child and keeps what arrived") {
    const auto fds = open_fds();
    {
        interrupt_guard guard;
        loop l;
        collector col;
        options opts;
        opts.grace = 3000ms;
        std::vector<child_id> sleepers;
        for (int i = 0; i < 3; ++i) {
            auto id = l.spawn_shell("echo started; exec sleep 30", opts, col.cb());
            REQUIRE(id);
            sleepers.push_back(*id);
        }
        // $PPID of the shell is this test process.
        auto sender = l.spawn_shell("sleep 0.3; kill -INT $PPID", opts, col.cb());
        REQUIRE(sender);
        const auto t0 = clock::now();
        auto st = l.run();
        REQUIRE(st);
        CHECK(seconds_since(t0) < 3);
        CHECK(st->interrupts == 1);
        CHECK(st->signal == SIGINT);
        CHECK(l.interrupts() == 1);
        CHECK(l.active() == 0);
        for (child_id id : sleepers) {
            CHECK(col.out[id] == "started\n");
            CHECK(col.exits[id].signal == SIGTERM);
            CHECK(col.exits[id].interrupted);
            CHECK(describe(col.exits[id]) == "killed by SIGTERM (interrupted)");
        }
        CHECK(col.exits.count(*sender) == 1);
        auto refused = l.spawn_shell("true");
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("interrupted") != std::string::npos);
        // A fresh loop starts from its own baseline.
        loop next;
        CHECK(next.interrupts() == 0);
    }
    CHECK(open_fds() == fds);
    CHECK(no_children());
}

TEST_CASE("an interrupt that arrives while nothing waits is counted when asked for") {
    interrupt_guard guard;
    const unsigned before = interrupt_count();
    // Blocked by the guard, so held pending: no loop is waiting.
    REQUIRE(::kill(::getpid(), SIGTERM) == 0);
    CHECK(interrupt_count() == before);
    CHECK(count_pending_interrupts() == before + 1);
    CHECK(last_interrupt_signal() == SIGTERM);
    CHECK(count_pending_interrupts() == before + 1);  // counted once
}

TEST_CASE("a second interrupt ends run() at once; kill_all then finishes quickly") {
    interrupt_guard guard;
    loop l;
    collector col;
    options opts;
    opts.grace = 20000ms;  // far longer than the test may take
    auto stubborn = l.spawn_shell("trap '' TERM; echo started; sleep 30", opts, col.cb());
    auto sender = l.spawn_shell(
        "trap '' TERM; sleep 0.2; kill -INT $PPID; sleep 0.3; kill -TERM $PPID", opts, col.cb());
    REQUIRE(stubborn);
    REQUIRE(sender);
    const auto t0 = clock::now();
    auto st = l.run();
    REQUIRE(st);
    CHECK(st->interrupts == 2);
    CHECK(st->signal == SIGTERM);
    CHECK(l.active() >= 1);
    CHECK(col.exits.count(*stubborn) == 0);
    l.kill_all();
    REQUIRE(l.run());
    CHECK(seconds_since(t0) < 5);
    CHECK(col.out[*stubborn] == "started\n");
    CHECK(col.exits[*stubborn].signal == SIGKILL);
    CHECK(col.exits[*stubborn].interrupted);
}

TEST_CASE("run_capture is stopped by an interrupt and says so") {
    interrupt_guard guard;
    const auto t0 = clock::now();
    auto cap = run_capture_shell("echo before; (sleep 0.2; kill -TERM $PPID) & exec sleep 30");
    REQUIRE(cap);
    CHECK(seconds_since(t0) < 5);
    CHECK(cap->out == "before\n");
    CHECK(cap->status.interrupted);
}

TEST_CASE("an unrelated signal interrupting every wait (EINTR) changes nothing") {
    struct sigaction sa = {};
    struct sigaction old = {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: system calls fail with EINTR
    ::sigaction(SIGALRM, &sa, &old);
    itimerval every_ms{{0, 1000}, {0, 1000}}, off{};
    ::setitimer(ITIMER_REAL, &every_ms, nullptr);
    std::map<child_id, std::size_t> bytes;
    std::map<child_id, int> codes;
    {
        loop l;
        callbacks cb{[&](child_id id, stream, std::string_view d) { bytes[id] += d.size(); },
                     [&](child_id id, const exit_status& st) { codes[id] = st.code; }};
        for (int i = 0; i < 20; ++i)
            REQUIRE(l.spawn_shell("head -c 1000000 /dev/zero; sleep 0.05; exit 7", {}, cb));
        REQUIRE(l.run());
    }
    ::setitimer(ITIMER_REAL, &off, nullptr);
    ::sigaction(SIGALRM, &old, nullptr);
    REQUIRE(codes.size() == 20);
    for (const auto& [id, code] : codes) {
        CHECK(code == 7);
        CHECK(bytes[id] == 1000000);
    }
    CHECK(no_children());
}

TEST_CASE("destroying the loop kills and reaps children still running") {
    const auto fds = open_fds();
    pid_t grandchild = -1;
    {
        loop l;
        collector col;
        grandchild = spawn_with_grandchild(l, col, "sleep 30 & echo $!; wait").second;
    }
    CHECK(open_fds() == fds);
    CHECK(no_children());
    CHECK(process_gone(grandchild));
}

TEST_CASE("children get default signal dispositions and an empty mask") {
    // A parent that ignores or blocks signals (as an interrupt_guard does)
    // must not pass that on: the child would survive our staged stop.
    struct sigaction ignore = {};
    struct sigaction old = {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGUSR2, &ignore, &old);
    interrupt_guard guard;  // blocks SIGINT and SIGTERM here
    auto killed = run_capture_shell("kill -USR2 $$");
    auto mask = run_capture_shell("grep '^SigBlk' /proc/self/status");
    ::sigaction(SIGUSR2, &old, nullptr);
    REQUIRE(killed);
    CHECK(killed->status.signal == SIGUSR2);
    REQUIRE(mask);
    CHECK(mask->out == "SigBlk:\t0000000000000000\n");
}

TEST_CASE("cpu_seconds counts the child's whole process group, and nothing outside it") {
    const long per_second = ::sysconf(_SC_CLK_TCK);
    auto ticks_of = [&](pid_t pid) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), {});
        std::istringstream rest(text.substr(text.rfind(')') + 2));
        std::string field;
        unsigned long long utime = 0, stime = 0;
        for (int i = 0; i < 11 && rest >> field; ++i) {}
        rest >> utime >> stime;
        return static_cast<double>(utime + stime) / static_cast<double>(per_second);
    };
    SUBCASE("a busy grandchild in the group") {
        loop l;
        collector col;
        auto [id, grandchild] = spawn_with_grandchild(l, col, "sh -c 'while :; do :; done' & echo $!; wait");
        std::optional<double> cpu;
        for (int i = 0; i < 2000 && !(cpu && *cpu >= 0.2); ++i) {
            REQUIRE(l.poll_once(10ms));
            cpu = l.cpu_seconds(id);
        }
        REQUIRE(cpu);
        CHECK(*cpu >= 0.2);
        CHECK(*cpu <= ticks_of(grandchild) + 0.5);  // the shell above it spends next to nothing
        l.stop(id);
        REQUIRE(l.run());
        CHECK_FALSE(l.cpu_seconds(id));  // reported: nothing to read
    }
    SUBCASE("a busy grandchild that left for a session of its own") {
        loop l;
        collector col;
        auto [id, grandchild] = spawn_with_grandchild(l, col, "setsid sh -c 'while :; do :; done' & echo $!; wait");
        for (int i = 0; i < 2000 && ticks_of(grandchild) < 0.2; ++i) REQUIRE(l.poll_once(10ms));
        REQUIRE(ticks_of(grandchild) >= 0.2);
        auto cpu = l.cpu_seconds(id);
        REQUIRE(cpu);
        CHECK(*cpu < 0.1);
        ::kill(grandchild, SIGKILL);
        l.stop(id);
        REQUIRE(l.run());
    }
}
