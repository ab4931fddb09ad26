// Concurrency discovery: the cgroup/proc parsers on fixture text, detection
// over a fake /sys tree, the real thing under `taskset` and in a real cgroup,
// callout interpretation (fixtures and real shell commands) and resolution.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <testr/concurrency.hpp>
#include <testr/cpu_limit.hpp>

#include "cpu_detect.hpp"
#include "skipped.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace fs = std::filesystem;
using testr::cpu_quota;
using testr::cpu_source;
using test_support::read_file;
using test_support::temp_dir;
using test_support::write_file;

namespace {

/// A v1 cgroup directory's quota files.
void write_cfs(const fs::path& dir, const std::string& quota, const std::string& period) {
    write_file(dir / "cpu.cfs_quota_us", quota + "\n");
    write_file(dir / "cpu.cfs_period_us", period + "\n");
}

/// Runs argv (PATH searched) with stdout/stderr captured through files in
/// `scratch`; returns what interpret_callout() consumes.
testr::callout_output run(const std::vector<std::string>& argv, const fs::path& scratch) {
    const auto out_path = (scratch / "stdout").string();
    const auto err_path = (scratch / "stderr").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0] << ": " << std::strerror(rc));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) REQUIRE(errno == EINTR);
    testr::callout_output result;
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    result.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return result;
}

std::string print_cpus_path() {
    const char* build = std::getenv("TESTR_BUILD_ROOT");
    REQUIRE_MESSAGE(build != nullptr, "TESTR_BUILD_ROOT unset: run through meson test");
    const auto path = fs::path(build) / "tests" / "print_cpus";
    REQUIRE_MESSAGE(fs::exists(path), path.string() << " missing: build target print_cpus");
    return path.string();
}

/// The count print_cpus reported on its first line.
unsigned printed_count(const testr::callout_output& out) {
    INFO("print_cpus stdout: " << out.out << " stderr: " << out.err);
    REQUIRE(out.exit_code == 0);
    REQUIRE(out.term_signal == 0);
    return static_cast<unsigned>(std::stoul(out.out));
}

std::string first_word_after_count(const std::string& out) {
    const auto space = out.find(' ');
    return out.substr(space + 1, out.find('\n') - space - 1);
}

testr::callout_output fake_callout(std::string out, std::string err = "", int code = 0, int sig = 0,
                                   std::string sig_name = "") {
    return {std::move(out), std::move(err), code, sig, std::move(sig_name)};
}

}  // namespace

TEST_CASE("quota_to_cpus rounds up and never returns 0") {
    CHECK(testr::quota_to_cpus(200000, 100000) == 2);
    CHECK(testr::quota_to_cpus(150000, 100000) == 2);
    CHECK(testr::quota_to_cpus(100001, 100000) == 2);
    CHECK(testr::quota_to_cpus(50000, 100000) == 1);
    CHECK(testr::quota_to_cpus(1000, 100000) == 1);
    CHECK(testr::quota_to_cpus(UINT64_MAX, 1) == UINT_MAX);
}

TEST_CASE("parse_cpu_max: cgroup v2 fixtures") {
    CHECK(testr::parse_cpu_max("max 100000\n").value() == cpu_quota{});
    CHECK(testr::parse_cpu_max("max").value() == cpu_quota{});
    CHECK(testr::parse_cpu_max("200000 100000\n").value() == cpu_quota{2});
    CHECK(testr::parse_cpu_max("150000 100000").value() == cpu_quota{2});
    CHECK(testr::parse_cpu_max("50000 100000").value() == cpu_quota{1});
    CHECK(testr::parse_cpu_max("  400000\t100000 \n").value() == cpu_quota{4});

    for (const char* garbage : {"", "\n", "abc 100000", "100000", "100000 0", "0 100000", "1 2 3",
                                "-1 100000", "max x", "200000 1e5", "2.5 1"}) {
        CAPTURE(garbage);
        const auto parsed = testr::parse_cpu_max(garbage);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().message.find("cpu.max") != std::string::npos);
    }
    // The message quotes the offending text so a user can find it.
    CHECK(testr::parse_cpu_max("abc 100000").error().message.find("'abc 100000'") != std::string::npos);
}

TEST_CASE("parse_cfs: cgroup v1 fixtures") {
    CHECK(testr::parse_cfs("-1\n", "100000\n").value() == cpu_quota{});
    CHECK(testr::parse_cfs("200000\n", "100000\n").value() == cpu_quota{2});
    CHECK(testr::parse_cfs("150000", "100000").value() == cpu_quota{2});
    CHECK(testr::parse_cfs("50000", "100000").value() == cpu_quota{1});
    CHECK_FALSE(testr::parse_cfs("-5", "100000").has_value());
    CHECK_FALSE(testr::parse_cfs("abc", "100000").has_value());
    CHECK_FALSE(testr::parse_cfs("", "100000").has_value());
    CHECK_FALSE(testr::parse_cfs("100000", "0").has_value());
    CHECK_FALSE(testr::parse_cfs("100000", "").has_value());
    CHECK(testr::parse_cfs("x", "1").error().message.find("'x'") != std::string::npos);
}

TEST_CASE("parse_proc_self_cgroup: v2, v1 and hybrid listings") {
    SUBCASE("pure v2") {
        const auto g = testr::parse_proc_self_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n");
        REQUIRE(g.has_value());
        CHECK(g->unified == "/user.slice/user-1000.slice/session-3.scope");
        CHECK_FALSE(g->cpu_v1.has_value());
    }
    SUBCASE("hybrid, as on a systemd v1 host") {
        const auto g = testr::parse_proc_self_cgroup(
            "9:name=systemd:/\n4:memory:/m\n3:cpuacct:/acct-only\n2:cpu,cpuacct:/docker/abc\n0::/\n");
        REQUIRE(g.has_value());
        CHECK(g->unified == "/");
        CHECK(g->cpu_v1 == "/docker/abc");  // "cpuacct" alone is not "cpu"
    }
    SUBCASE("a path may contain colons") {
        const auto g = testr::parse_proc_self_cgroup("1:cpu:/a:b\n");
        REQUIRE(g.has_value());
        CHECK(g->cpu_v1 == "/a:b");
    }
    SUBCASE("no trailing newline, blank lines") {
        const auto g = testr::parse_proc_self_cgroup("\n0::/x");
        REQUIRE(g.has_value());
        CHECK(g->unified == "/x");
    }
    SUBCASE("garbage names the line") {
        const auto g = testr::parse_proc_self_cgroup("0::/\nnot a cgroup line\n");
        REQUIRE_FALSE(g.has_value());
        CHECK(g.error().message.find("line 2") != std::string::npos);
        CHECK_FALSE(testr::parse_proc_self_cgroup("1:cpu:relative").has_value());
    }
}

TEST_CASE("cgroup_ancestors: innermost first, never above the mount") {
    CHECK(testr::cgroup_ancestors("/a/b") == std::vector<std::string>{"/a/b", "/a", "/"});
    CHECK(testr::cgroup_ancestors("/") == std::vector<std::string>{"/"});
    CHECK(testr::cgroup_ancestors("/a/../../b/./c/") == std::vector<std::string>{"/b/c", "/b", "/"});
}

TEST_CASE("combine_cpu_limits: smallest wins, ties keep the earlier source") {
    testr::cpu_limit cg;
    cg.count = 2;
    cg.kind = cpu_source::cgroup_v2;
    cg.source = "cgroup v2 x";
    cg.notes = {"a note"};
    auto all = testr::combine_cpu_limits(64, 64, cg);
    CHECK(all.count == 2);
    CHECK(all.kind == cpu_source::cgroup_v2);
    CHECK(all.notes == std::vector<std::string>{"a note"});

    auto pinned = testr::combine_cpu_limits(64, 1, cg);
    CHECK(pinned.count == 1);
    CHECK(pinned.kind == cpu_source::affinity);

    auto tie = testr::combine_cpu_limits(2, 2, cg);
    CHECK(tie.count == 2);
    CHECK(tie.kind == cpu_source::hardware);

    auto unknown = testr::combine_cpu_limits(0, 0, testr::cpu_limit{});
    CHECK(unknown.count == 0);
    CHECK(unknown.kind == cpu_source::none);
}

TEST_CASE("cgroup_cpu_limit over a fake /sys tree") {
    temp_dir root;
    const fs::path cg = root / "sys/fs/cgroup";
    const auto r = root.path();

    SUBCASE("v2: the tightest of the cgroup and its ancestors") {
        write_file(root / "proc/self/cgroup", "0::/ci.slice/job.scope\n");
        write_file(cg / "ci.slice/cpu.max", "300000 100000\n");
        write_file(cg / "ci.slice/job.scope/cpu.max", "max 100000\n");
        auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 3);
        CHECK(limit.kind == cpu_source::cgroup_v2);
        CHECK(limit.source.find("ci.slice/cpu.max = 300000 100000") != std::string::npos);
        CHECK(limit.notes.empty());

        write_file(cg / "ci.slice/job.scope/cpu.max", "150000 100000\n");
        limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 2);
        CHECK(limit.source.find("job.scope/cpu.max") != std::string::npos);
    }
    SUBCASE("v2 on a hybrid host lives under unified/") {
        write_file(root / "proc/self/cgroup", "1:cpu:/\n0::/box\n");
        write_file(cg / "unified/box/cpu.max", "100000 100000\n");
        fs::create_directories(cg / "cpu");
        const auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 1);
        CHECK(limit.kind == cpu_source::cgroup_v2);
    }
    SUBCASE("v1 under cpu,cpuacct") {
        write_file(root / "proc/self/cgroup", "2:cpu,cpuacct:/docker/abc\n0::/\n");
        write_cfs(cg / "cpu,cpuacct", "-1", "100000");
        write_cfs(cg / "cpu,cpuacct/docker/abc", "150000", "100000");
        const auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 2);
        CHECK(limit.kind == cpu_source::cgroup_v1);
        CHECK(limit.source.find("docker/abc/cpu.cfs_quota_us = 150000") != std::string::npos);
    }
    SUBCASE("v1 container: host path listed, own cgroup mounted at the root") {
        write_file(root / "proc/self/cgroup", "2:cpu:/docker/abc\n");
        write_cfs(cg / "cpu", "200000", "100000");
        const auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 2);
        CHECK(limit.kind == cpu_source::cgroup_v1);
    }
    SUBCASE("no limit anywhere") {
        write_file(root / "proc/self/cgroup", "0::/a\n");
        write_file(cg / "a/cpu.max", "max 100000\n");
        const auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 0);
        CHECK(limit.notes.empty());
    }
    SUBCASE("a garbled file is skipped with a note naming it") {
        write_file(root / "proc/self/cgroup", "0::/a\n");
        write_file(cg / "a/cpu.max", "lots\n");
        write_file(cg / "cpu.max", "200000 100000\n");
        const auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 2);
        REQUIRE(limit.notes.size() == 1);
        CHECK(limit.notes[0].find((cg / "a/cpu.max").string()) != std::string::npos);
    }
    SUBCASE("no /proc/self/cgroup at all") {
        const auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 0);
        CHECK(limit.notes.empty());
    }
    SUBCASE("garbled /proc/self/cgroup becomes a note") {
        write_file(root / "proc/self/cgroup", "nonsense\n");
        const auto limit = testr::cgroup_cpu_limit(r);
        CHECK(limit.count == 0);
        REQUIRE(limit.notes.size() == 1);
        CHECK(limit.notes[0].find("line 1") != std::string::npos);
    }
    SUBCASE("detect_cpus takes the minimum with the real machine") {
        write_file(root / "proc/self/cgroup", "0::/\n");
        write_file(cg / "cpu.max", "100000 100000\n");
        const auto limit = testr::detect_cpus(r + "/");
        CHECK(limit.count == 1);
        const auto real = testr::detect_cpus(r + "/nonexistent");
        CHECK(real.count >= 1);
        if (real.count > 1) CHECK(limit.kind == cpu_source::cgroup_v2);
    }
}

TEST_CASE("affinity mask: real count, independent of the initial mask size") {
    const unsigned count = testr::affinity_cpu_count();
    CHECK(count >= 1);
    CHECK(testr::affinity_cpu_count(1) == count);
    const unsigned hw = std::thread::hardware_concurrency();
    if (hw > 0) CHECK(count <= hw);
}

TEST_CASE("real process: `taskset -c 0` plans one worker") {
    temp_dir scratch;
    const auto exe = print_cpus_path();
    const auto free_run = run({exe}, scratch.path());
    CHECK(printed_count(free_run) == testr::detect_cpus().count);

    const auto pinned = run({"taskset", "-c", "0", exe}, scratch.path());
    INFO("taskset stderr: " << pinned.err);
    REQUIRE_MESSAGE(pinned.exit_code == 0, "taskset (util-linux) failed");
    CHECK(printed_count(pinned) == 1);
    if (printed_count(free_run) > 1) CHECK(first_word_after_count(pinned.out) == "affinity");
}

namespace {

/// A cgroup with a CPU quota made for one test, removed afterwards. Tries v2
/// (needs the cpu controller enabled for children of the mount root), then
/// v1's cpu hierarchy. `why_not` says what failed when neither works.
struct quota_cgroup {
    fs::path dir;
    std::string procs_file;
    std::string why_not;

    static bool put(const fs::path& file, const std::string& text, std::string& why) {
        const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            why += file.string() + ": " + std::strerror(errno) + "; ";
            return false;
        }
        const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (!ok) why += file.string() + ": " + std::strerror(errno) + "; ";
        ::close(fd);
        return ok;
    }

    bool make(const fs::path& parent, std::string& why) {
        const auto name = "testr-conc-" + std::to_string(::getpid());
        dir = parent / name;
        if (::mkdir(dir.c_str(), 0755) != 0) {
            why += "mkdir " + dir.string() + ": " + std::strerror(errno) + "; ";
            dir.clear();
            return false;
        }
        return true;
    }

    bool try_v2(const std::string& cpu_max) {
        const fs::path mount = "/sys/fs/cgroup";
        if (test_support::try_read(mount / "cgroup.controllers").value_or("").find("cpu") == std::string::npos) {
            why_not += "cgroup v2: no cpu controller at " + mount.string() + "; ";
            return false;
        }
        // Enabling the controller would change the host for good; only use
        // it where it is already on.
        if (test_support::try_read(mount / "cgroup.subtree_control").value_or("").find("cpu") == std::string::npos) {
            why_not += "cgroup v2: cpu controller not enabled for children of " + mount.string() + "; ";
            return false;
        }
        if (!make(mount, why_not)) return false;
        procs_file = (dir / "cgroup.procs").string();
        return put(dir / "cpu.max", cpu_max, why_not);
    }

    bool try_v1(const std::string& quota, const std::string& period) {
        for (const char* name : {"cpu", "cpu,cpuacct"}) {
            const fs::path mount = fs::path("/sys/fs/cgroup") / name;
            if (!fs::exists(mount / "cpu.cfs_quota_us")) continue;
            if (!make(mount, why_not)) return false;
            procs_file = (dir / "cgroup.procs").string();
            return put(dir / "cpu.cfs_period_us", period, why_not) &&
                   put(dir / "cpu.cfs_quota_us", quota, why_not);
        }
        why_not += "cgroup v1: no cpu hierarchy under /sys/fs/cgroup; ";
        return false;
    }

    bool create(const std::string& quota, const std::string& period) {
        if (try_v2(quota + " " + period)) return true;
        remove();
        return try_v1(quota, period);
    }

    void remove() {
        if (dir.empty()) return;
        // The last member has been reaped, but the kernel may need a moment
        // before the group counts as empty.
        for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        dir.clear();
    }
    ~quota_cgroup() { remove(); }
};

}  // namespace

constexpr const char* cgroup_case = "real process in a cgroup with a CPU quota";
TEST_CASE(cgroup_case) {
    temp_dir scratch;
    const auto exe = print_cpus_path();
    const unsigned uncapped = printed_count(run({exe}, scratch.path()));

    struct expectation {
        const char* quota;
        unsigned cpus;
    };
    for (const auto& [quota, cpus] : {expectation{"100000", 1}, expectation{"200000", 2}}) {
        CAPTURE(quota);
        quota_cgroup group;
        if (!group.create(quota, "100000")) {
            test_support::skip_test(cgroup_case, "cannot create a cgroup with a CPU quota: " + group.why_not);
            return;
        }
        // The shell moves itself into the group, then becomes print_cpus, so
        // the detection runs inside the quota.
        const auto out = run({"/bin/sh", "-c", "echo $$ > \"$1\" && exec \"$0\"", exe, group.procs_file},
                             scratch.path());
        INFO("stdout: " << out.out << " stderr: " << out.err);
        CHECK(printed_count(out) == std::min(cpus, uncapped));
        if (cpus < uncapped) CHECK(first_word_after_count(out.out).rfind("cgroup", 0) == 0);
    }
}

TEST_CASE("interpret_callout: fixtures") {
    using kind = testr::concurrency_error_kind;
    using testr::concurrency_answer;
    CHECK(testr::interpret_callout(fake_callout("2\n")).value() == concurrency_answer::of(2));
    CHECK(testr::interpret_callout(fake_callout("  3 \t\nignored\n")).value() == concurrency_answer::of(3));
    CHECK(testr::interpret_callout(fake_callout("0\n")).value() == concurrency_answer::one_per_test());
    CHECK(testr::interpret_callout(fake_callout("+4")).value() == concurrency_answer::of(4));
    CHECK(testr::interpret_callout(fake_callout("65536")).value() == concurrency_answer::of(65536));

    struct bad_case {
        testr::callout_output run;
        kind expected;
        const char* mentions;
    };
    const bad_case cases[] = {
        {fake_callout(""), kind::empty_output, "printed nothing"},
        {fake_callout("\n5\n"), kind::empty_output, "blank first line"},
        {fake_callout("abc\n"), kind::not_a_number, "'abc'"},
        {fake_callout("2.5\n"), kind::not_a_number, "'2.5'"},
        {fake_callout("4 workers\n"), kind::not_a_number, "'4 workers'"},
        {fake_callout("-3\n"), kind::negative, "negative"},
        {fake_callout("-99999999999999999999999\n"), kind::negative, "negative"},
        {fake_callout("65537\n"), kind::out_of_range, "65536"},
        {fake_callout("99999999999999999999999\n"), kind::out_of_range, "65536"},
        {fake_callout("4\n", "boom\n", 3), kind::exit_status, "exit code 3, stderr: 'boom'"},
        {fake_callout("", "", 1), kind::exit_status, "wrote nothing to stderr"},
        {fake_callout("4\n", "", 0, SIGKILL), kind::signal, "signal 9 (it wrote"},
        {fake_callout("4\n", "", 0, SIGKILL, "SIGKILL"), kind::signal, "killed by signal 9 (SIGKILL) (it wrote"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.run.out);
        const auto r = testr::interpret_callout(c.run);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().kind == c.expected);
        CHECK(r.error().message.find("test_run_concurrency") != std::string::npos);
        CHECK(r.error().message.find(c.mentions) != std::string::npos);
    }
}

TEST_CASE("interpret_callout: real shell commands") {
    using kind = testr::concurrency_error_kind;
    temp_dir scratch;
    const auto sh = [&](const char* script) { return run({"/bin/sh", "-c", script}, scratch.path()); };

    CHECK(testr::interpret_callout(sh("echo 4")).value() == testr::concurrency_answer::of(4));
    CHECK(testr::interpret_callout(sh("echo 0")).value().per_test);

    const auto failed = testr::interpret_callout(sh("echo 'no such queue' >&2; exit 2"));
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().kind == kind::exit_status);
    CHECK(failed.error().message.find("exit code 2") != std::string::npos);
    CHECK(failed.error().message.find("no such queue") != std::string::npos);

    const auto killed = testr::interpret_callout(sh("kill -TERM $$"));
    REQUIRE_FALSE(killed.has_value());
    CHECK(killed.error().kind == kind::signal);
    CHECK(killed.error().message.find("signal " + std::to_string(SIGTERM)) != std::string::npos);

    CHECK(testr::interpret_callout(sh("true")).error().kind == kind::empty_output);
}

TEST_CASE("resolve_concurrency: option > callout > cpu count > 1") {
    using testr::concurrency_answer;
    using testr::concurrency_source;
    const testr::callout_result three = concurrency_answer::of(3);
    const testr::callout_result per_test = concurrency_answer::one_per_test();
    const testr::callout_result broken =
        testr::unexpected{testr::concurrency_error{testr::concurrency_error_kind::not_a_number, "bad"}};

    auto plan = testr::resolve_concurrency(5, three, 8);
    CHECK(plan.value() == testr::concurrency_plan{concurrency_answer::of(5), concurrency_source::option});
    // An explicit N means the callout does not matter, even a broken one.
    CHECK(testr::resolve_concurrency(5, broken, 8).value().source == concurrency_source::option);

    plan = testr::resolve_concurrency(0, three, 8);
    CHECK(plan.value() == testr::concurrency_plan{concurrency_answer::of(3), concurrency_source::callout});
    plan = testr::resolve_concurrency(0, per_test, 8);
    CHECK(plan.value().answer.per_test);
    CHECK(plan.value().source == concurrency_source::callout);

    const auto failed = testr::resolve_concurrency(0, broken, 8);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().message == "bad");

    plan = testr::resolve_concurrency(0, std::nullopt, 8);
    CHECK(plan.value() == testr::concurrency_plan{concurrency_answer::of(8), concurrency_source::cpu_count});
    plan = testr::resolve_concurrency(0, std::nullopt, 0);
    CHECK(plan.value() == testr::concurrency_plan{concurrency_answer::of(1), concurrency_source::fallback});

    CHECK(testr::to_string(concurrency_source::option) == "--concurrency");
    CHECK(testr::to_string(concurrency_source::callout) == "test_run_concurrency");
    CHECK(testr::to_string(concurrency_source::cpu_count) == "cpu count");
    CHECK(testr::to_string(concurrency_source::fallback) == "default");
}
