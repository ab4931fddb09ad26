// adapters/process.cpp - see process.hpp and docs/process.md.
#include "process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace testr::process {
namespace {

constexpr milliseconds exit_tick{20};  // poll_for_exit mode
constexpr std::size_t chunk_size = 64 * 1024;

class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    ~unique_fd() { reset(); }
    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    // close() is not retried on EINTR: on Linux the descriptor is gone anyway.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

std::string errno_text(int err) { return std::strerror(err); }

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct spawn_setup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    spawn_setup() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    ~spawn_setup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
};

// The parent's environment with `extra` added or overriding by name.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        const bool overridden = std::any_of(extra.begin(), extra.end(),
                                            [&](const auto& kv) { return kv.first == name; });
        if (!overridden) env.emplace_back(entry);
    }
    for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// A pipe whose both ends close on exec; the read end is nonblocking (the
// write end must stay blocking: it becomes the child's stdout/stderr).
unexpected<error> failure(int code, std::string what) {
    return {error{code, std::move(what) + ": " + errno_text(code)}};
}

result<std::pair<unique_fd, unique_fd>, error> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return failure(errno, "cannot create a pipe");
    unique_fd rd(fds[0]), wr(fds[1]);
    if (::fcntl(rd.get(), F_SETFL, O_NONBLOCK) != 0) return failure(errno, "cannot make a pipe nonblocking");
    return std::pair{std::move(rd), std::move(wr)};
}

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by default
#else
    errno = ENOSYS;
    return -1;
#endif
}

// SIGKILL to the process of `pidfd` (which was `pid`).
bool pidfd_kill(int pidfd, pid_t pid) {
#ifdef SYS_pidfd_send_signal
    (void)pid;
    return ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0;
#else
    (void)pidfd;
    return ::kill(pid, SIGKILL) == 0;
#endif
}

struct proc_stat {
    std::string name;  // the command name, as in "1234 (sleep)"
    long group = 0;
    char state = 0;
};

// /proc/<pid>/stat's name, state and process group (fields 2, 3 and 5).
std::optional<proc_stat> read_stat(const char* pid) {
    const std::string path = std::string("/proc/") + pid + "/stat";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    const std::string_view stat(buf, static_cast<std::size_t>(n));
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
    proc_stat out;
    long ppid = 0;
    if (std::sscanf(std::string(stat.substr(close + 1)).c_str(), " %c %ld %ld", &out.state, &ppid, &out.group) != 3)
        return std::nullopt;
    out.name = std::string(pid) + " (" + std::string(stat.substr(open + 1, close - open - 1)) + ")";
    return out;
}

bool is_pid(const char* name) { return name[0] >= '1' && name[0] <= '9'; }

void append_name(std::string& list, const std::string& name) {
    if (!list.empty()) list += ", ";
    list += name;
}

// The processes in group `pgid`, "pid (comm), ...", from /proc/*/stat.
std::string group_members(pid_t pgid) {
    std::string out;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return out;
    while (const dirent* entry = ::readdir(proc)) {
        if (!is_pid(entry->d_name)) continue;
        const auto st = read_stat(entry->d_name);
        if (st && st->group == pgid && st->state != 'Z') append_name(out, st->name);
    }
    ::closedir(proc);
    return out;
}

// Whether process `pid` has a descriptor on one of the pipes `inodes`.
bool holds_pipe(const char* pid, const std::vector<ino_t>& inodes) {
    const std::string dir = std::string("/proc/") + pid + "/fd";
    DIR* fds = ::opendir(dir.c_str());
    if (fds == nullptr) return false;  // gone, or another user's
    bool found = false;
    while (const dirent* entry = ::readdir(fds)) {
        if (entry->d_name[0] == '.') continue;
        char link[64];
        const ssize_t n = ::readlinkat(::dirfd(fds), entry->d_name, link, sizeof link - 1);
        if (n <= 0) continue;
        link[n] = '\0';
        unsigned long long ino = 0;
        if (std::sscanf(link, "pipe:[%llu]", &ino) != 1) continue;
        if (std::find(inodes.begin(), inodes.end(), static_cast<ino_t>(ino)) != inodes.end()) {
            found = true;
            break;
        }
    }
    ::closedir(fds);
    return found;
}

// Kills the processes outside group `pgid` that hold one of the pipes
// `inodes` open; "pid (comm), ..." of those killed. A pipe is only ever
// inherited (or passed on), so each is something the child started that
// left its group (setsid, setpgid): the group's kill misses it. Through a
// pidfd, checked again after it is opened, so a pid reused meanwhile is
// never signalled.
std::string kill_pipe_holders(pid_t pgid, const std::vector<ino_t>& inodes) {
    std::string out;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return out;
    const pid_t self = ::getpid();
    while (const dirent* entry = ::readdir(proc)) {
        if (!is_pid(entry->d_name)) continue;
        const auto pid = static_cast<pid_t>(std::atol(entry->d_name));
        if (pid == self) continue;
        const auto st = read_stat(entry->d_name);
        if (!st || st->group == pgid || st->state == 'Z' || !holds_pipe(entry->d_name, inodes)) continue;
        const int pidfd = pidfd_open(pid);
        if (pidfd < 0 && errno != ENOSYS) continue;  // gone already
        if (holds_pipe(entry->d_name, inodes) && (pidfd >= 0 ? pidfd_kill(pidfd, pid) : ::kill(pid, SIGKILL) == 0))
            append_name(out, st->name);
        if (pidfd >= 0) ::close(pidfd);
    }
    ::closedir(proc);
    return out;
}

// Blocking reap of a child known to have exited; EINTR retried.
void reap(pid_t pid) {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) != 0 && errno == EINTR) {}
}

}  // namespace

struct loop::child {
    child_id id = 0;
    pid_t pid = -1;  // also the process group id
    unique_fd pidfd, out, err;
    callbacks cb;
    milliseconds grace{};
    std::optional<clock::time_point> deadline;
    clock::time_point started;
    std::optional<clock::time_point> first_stdout;

    // Stop state. The leader stays a zombie (not reaped) while a stop is in
    // its grace period, so its pid cannot be reused as someone else's group.
    bool stop_begun = false, timed_out = false, interrupted = false;
    std::optional<clock::time_point> kill_at;

    bool exited = false, reaped = false, reported = false;
    exit_status status;
    clock::time_point exited_at, drain_until;
};

std::string describe_leak(const exit_status& s, std::string_view who) {
    char held[32];
    std::snprintf(held, sizeof held, "%.1fs", std::chrono::duration<double>(s.held_open).count());
    std::string held_by = s.leaked;
    if (!s.left_group.empty()) held_by += (held_by.empty() ? "" : ", ") + s.left_group;
    std::string text = std::string(who) + " exited, but its output was still held open " + held + " later by " +
                       (held_by.empty() ? std::string("a process it left behind") : "process " + held_by) +
                       "; its process group was killed";
    if (!s.left_group.empty()) text += ", and " + s.left_group + " outside it";
    return text;
}

std::string describe(const exit_status& s) {
    std::string text = s.signal != 0 ? "killed by " + signal_name(s.signal)
                       : s.code >= 0 ? "exit code " + std::to_string(s.code)
                                     : std::string("exit status unknown");
    // `sh -c` reports a command killed by signal N as exit code 128 + N.
    if (s.signal == 0 && s.code > 128 && s.code <= 128 + 64)
        text += " (" + signal_name(s.code - 128) + ", as the shell reports a killed command)";
    if (s.timed_out)
        text += " (deadline exceeded)";
    else if (s.interrupted)
        text += " (interrupted)";
    else if (s.stopped)
        text += " (stopped)";
    return text;
}

loop::loop(loop_options opts)
    : opts_(opts), interrupt_base_(interrupt_count()), buffer_(chunk_size) {
    if (opts_.drain <= milliseconds::zero()) opts_.drain = default_drain;
}

loop::~loop() {
    kill_all();
    for (auto& [id, c] : children_) release(*c);
}

result<child_id, error> loop::spawn(const std::vector<std::string>& argv, const options& opts,
                             callbacks cb) {
    if (argv.empty()) return unexpected(error{0, "cannot start a process: empty command"});
    const std::string& program = argv.front();
    if (interrupts() > 0) return unexpected(error{0, "not starting '" + program + "': interrupted", true});

    const std::string stdin_path = opts.stdin_path.empty() ? "/dev/null" : opts.stdin_path;
    int in_fd;
    while ((in_fd = ::open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR) {}
    unique_fd in(in_fd);
    if (!in) return failure(errno, "cannot open '" + stdin_path + "' as stdin");
    auto out = make_pipe();
    if (!out) return unexpected(out.error());
    auto err = make_pipe();
    if (!err) return unexpected(err.error());

    spawn_setup setup;
    // dup2 clears close-on-exec on the target only; every other descriptor of
    // ours (other children's pipes included) stays close-on-exec.
    int rc = posix_spawn_file_actions_adddup2(&setup.actions, in.get(), 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, out->second.get(), 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, err->second.get(), 2);
    if (rc == 0 && !opts.working_directory.empty())
        rc = posix_spawn_file_actions_addchdir_np(&setup.actions, opts.working_directory.c_str());
    if (rc != 0) return failure(rc, "cannot prepare to start '" + program + "'");

    // Own group: a terminal's Ctrl-C reaches only us, and stopping reaches the
    // child's own subprocesses. Default dispositions: a parent that ignores
    // SIGPIPE (or SIGINT) must not pass that on.
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    rc = posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&setup.attr, 0);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&setup.attr, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    if (rc != 0) return failure(rc, "cannot prepare to start '" + program + "'");

    std::vector<std::string> args(argv);
    std::vector<std::string> env = child_environment(opts.env);
    auto c_args = c_strings(args);
    auto c_env = c_strings(env);
    pid_t pid = -1;
    // Before the call: the child may run (and a loaded machine may not return
    // to us) before posix_spawnp does.
    const clock::time_point spawned_at = clock::now();
    if (rc = ::posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, c_args.data(), c_env.data());
        rc != 0) {
        std::string where = opts.working_directory.empty()
                                ? std::string()
                                : " in directory '" + opts.working_directory + "'";
        return failure(rc, "cannot start '" + program + "'" + where);
    }

    auto c = std::make_unique<child>();
    c->id = next_id_++;
    c->pid = pid;
    c->out = std::move(out->first);
    c->err = std::move(err->first);
    c->cb = std::move(cb);
    c->grace = opts.grace > milliseconds::zero() ? opts.grace : default_grace;
    c->started = spawned_at;
    if (opts.deadline > milliseconds::zero()) c->deadline = c->started + opts.deadline;
    // Without a pidfd the exit is still noticed, by the waitid tick.
    if (!opts_.poll_for_exit) c->pidfd.reset(pidfd_open(pid));
    const child_id id = c->id;
    children_.emplace(id, std::move(c));
    return id;
}

result<child_id, error> loop::spawn_shell(std::string_view script, const options& opts, callbacks cb) {
    return spawn({"/bin/sh", "-c", std::string(script)}, opts, std::move(cb));
}

void loop::begin_stop(child& c, bool timed_out, bool interrupted) {
    if (c.stop_begun || c.reported) return;
    c.stop_begun = true;
    c.timed_out = timed_out;
    c.interrupted = interrupted;
    ::kill(-c.pid, SIGTERM);  // ESRCH (group already empty) needs no handling
    c.kill_at = clock::now() + c.grace;
}

void loop::stop(child_id id) {
    if (auto it = children_.find(id); it != children_.end()) begin_stop(*it->second, false, false);
}

void loop::kill_all() {
    for (auto& [id, c] : children_) {
        if (c->reaped) continue;
        c->stop_begun = true;
        ::kill(-c->pid, SIGKILL);
        c->kill_at.reset();
    }
}

std::size_t loop::active() const noexcept {
    return static_cast<std::size_t>(std::count_if(
        children_.begin(), children_.end(), [](const auto& kv) { return !kv.second->reported; }));
}

unsigned loop::interrupts() const noexcept { return interrupt_count() - interrupt_base_; }

std::optional<timing> loop::times(child_id id) const {
    auto it = children_.find(id);
    if (it == children_.end() || it->second->reported) return std::nullopt;
    return timing{it->second->started, it->second->first_stdout};
}

namespace {

/// utime + stime (clock ticks) of /proc/<pid>/stat when its process group is `group`.
std::optional<unsigned long long> group_member_ticks(long pid, long group) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE* f = std::fopen(path, "re");
    if (!f) return std::nullopt;
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // After the command name, which is in parentheses and may hold anything:
    // state, ppid, pgrp, ..., utime and stime (the 14th and 15th fields).
    const char* p = std::strrchr(buf, ')');
    if (!p) return std::nullopt;
    long pgrp = 0;
    unsigned long long utime = 0, stime = 0;
    if (std::sscanf(p + 1, " %*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &pgrp, &utime, &stime) != 3 ||
        pgrp != group)
        return std::nullopt;
    return utime + stime;
}

/// Appends the children of every thread of `pid` (/proc/<pid>/task/*/children).
void append_children(long pid, std::vector<long>& out) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR* d = ::opendir(path);
    if (!d) return;
    while (auto* entry = ::readdir(d)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        char children[320];
        std::snprintf(children, sizeof children, "/proc/%ld/task/%s/children", pid, entry->d_name);
        FILE* f = std::fopen(children, "re");
        if (!f) continue;
        long child = 0;
        while (std::fscanf(f, "%ld", &child) == 1) out.push_back(child);
        std::fclose(f);
    }
    ::closedir(d);
}

}  // namespace

std::optional<double> loop::cpu_seconds(child_id id) const {
    auto it = children_.find(id);
    if (it == children_.end() || it->second->reported || it->second->exited) return std::nullopt;
    // The command's group, walked down from the child rather than found
    // among every process on the machine: this is read when a runner is
    // handed its tests, and a scan of /proc there costs milliseconds a
    // runner. The command runs under /bin/sh, which may or may not exec it.
    const long group = static_cast<long>(it->second->pid);
    std::vector<long> pending{group};
    unsigned long long ticks = 0;
    bool found = false;
    while (!pending.empty()) {
        const long pid = pending.back();
        pending.pop_back();
        if (auto t = group_member_ticks(pid, group)) {
            ticks += *t;
            found = true;
            append_children(pid, pending);
        }
    }
    const long per_second = ::sysconf(_SC_CLK_TCK);
    if (!found || per_second <= 0) return std::nullopt;
    return static_cast<double>(ticks) / static_cast<double>(per_second);
}

// Notes the exit without reaping (WNOWAIT): the zombie keeps the pid, and so
// the process group id, reserved until release().
void loop::check_exit(child& c, clock::time_point now) {
    if (c.exited) return;
    siginfo_t info{};
    int rc;
    while ((rc = ::waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT)) !=
               0 &&
           errno == EINTR) {}
    if (rc != 0) {
        // ECHILD: the caller set SIGCHLD to SIG_IGN and the kernel reaped it.
        c.reaped = true;
    } else if (info.si_pid == 0) {
        return;  // still running
    } else if (info.si_code == CLD_EXITED) {
        c.status.code = info.si_status;
    } else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
        c.status.signal = info.si_status;
    } else {
        return;  // stopped/continued: WEXITED excludes these, but be safe
    }
    c.exited = true;
    c.pidfd.reset();
    c.status.elapsed = now - c.started;
    c.status.stopped = c.stop_begun;
    c.status.timed_out = c.timed_out;
    c.status.interrupted = c.interrupted;
    c.exited_at = now;
    c.drain_until = now + opts_.drain;
    // Stopped, the group has its grace period whoever led it: under
    // `sh -c` the shell dies at the SIGTERM while the runner it started
    // may still be finishing, holding the pipe until the SIGKILL.
    if (c.kill_at) c.drain_until = std::max(c.drain_until, *c.kill_at);
}

void loop::read_from(child& c, stream s, clock::time_point now) {
    unique_fd& fd = s == stream::out ? c.out : c.err;
    // One read per wakeup: a child with 100 MB to say cannot starve the rest.
    ssize_t n;
    while ((n = ::read(fd.get(), buffer_.data(), buffer_.size())) < 0 && errno == EINTR) {}
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // EOF, or an error that no retry will cure
        fd.reset();
        return;
    }
    if (s == stream::out && !c.first_stdout) {
        c.first_stdout = now;
        c.status.first_stdout = now - c.started;
    }
    if (c.cb.on_output)
        c.cb.on_output(c.id, s, std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
}

// Reports an exited child once its pipes are closed or its drain time is up.
void loop::settle(child& c, clock::time_point now, poll_status& status) {
    if (!c.exited || c.reported) return;
    if ((c.out || c.err) && now < c.drain_until) return;
    c.status.output_cut = c.out || c.err;
    if (c.status.output_cut && !c.reaped) {
        // The unreaped leader keeps the group id reserved: this kills only
        // what the child left behind, never a stranger's group.
        c.status.leaked = group_members(c.pid);
        c.status.held_open = now - c.exited_at;
        std::vector<ino_t> pipes;
        for (const unique_fd* fd : {&c.out, &c.err})
            if (struct stat st {}; *fd && ::fstat(fd->get(), &st) == 0) pipes.push_back(st.st_ino);
        ::kill(-c.pid, SIGKILL);
        c.status.left_group = kill_pipe_holders(c.pid, pipes);
    }
    c.out.reset();
    c.err.reset();
    c.reported = true;
    ++status.exits;
    if (c.cb.on_exit) c.cb.on_exit(c.id, c.status);
}

void loop::release(child& c) {
    if (!c.reaped) {
        if (!c.exited) ::kill(-c.pid, SIGKILL);  // only reached from the destructor
        reap(c.pid);
        c.reaped = true;
    }
    c.pidfd.reset();
    c.out.reset();
    c.err.reset();
}

milliseconds loop::wait_time(milliseconds timeout, clock::time_point now) const {
    if (interrupt_count() - interrupt_base_ != interrupts_seen_) return milliseconds::zero();
    std::optional<clock::time_point> next;
    auto consider = [&](clock::time_point t) { next = next ? std::min(*next, t) : t; };
    for (const auto& [id, c] : children_) {
        if (c->kill_at) consider(*c->kill_at);
        if (c->reported) continue;
        if (c->exited) {
            consider(c->drain_until);
        } else {
            if (c->deadline && !c->stop_begun) consider(*c->deadline);
            if (!c->pidfd) consider(now + exit_tick);
        }
    }
    if (timeout >= milliseconds::zero()) consider(now + timeout);
    // Nothing could ever wake a wait without limit: return at once instead.
    if (children_.empty()) consider(now);
    if (!next) return milliseconds(-1);
    // Round up: waking a little late beats spinning on a deadline not yet due.
    auto wait = std::chrono::ceil<milliseconds>(*next - now);
    return std::max(wait, milliseconds::zero());
}

result<poll_status, error> loop::poll_once(milliseconds timeout) {
    if (dispatching_) return unexpected(error{0, "process loop: poll_once called from inside a callback"});
    dispatching_ = true;
    struct reset_flag {
        bool& flag;
        ~reset_flag() { flag = false; }
    } reset{dispatching_};

    // Snapshot: callbacks may spawn (adding children) while we dispatch.
    struct watch {
        child* c;
        enum { out, err, exit } what;
    };
    std::vector<pollfd> fds;
    std::vector<watch> watches;
    auto add = [&](child& c, const unique_fd& fd, decltype(watch::what) what) {
        if (!fd) return;
        fds.push_back({fd.get(), POLLIN, 0});
        watches.push_back({&c, what});
    };
    for (auto& [id, c] : children_) {
        if (c->reported) continue;
        add(*c, c->out, watch::out);
        add(*c, c->err, watch::err);
        if (!c->exited) add(*c, c->pidfd, watch::exit);
    }

    const milliseconds wait = wait_time(timeout, clock::now());
    timespec ts{};
    if (wait >= milliseconds::zero()) {
        ts.tv_sec = static_cast<time_t>(wait.count() / 1000);
        ts.tv_nsec = static_cast<long>(wait.count() % 1000) * 1000000L;
    }
    // SIGINT/SIGTERM are blocked except during this call (interrupt_guard),
    // so an interrupt either arrived before (counted, wait is 0) or wakes us.
    const sigset_t mask = wait_mask();
    int ready =
        ::ppoll(fds.data(), fds.size(), wait >= milliseconds::zero() ? &ts : nullptr, &mask);
    if (ready < 0 && errno != EINTR)
        return failure(errno, "process loop: ppoll failed");

    poll_status status;
    auto now = clock::now();
    for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        child& c = *watches[i].c;
        switch (watches[i].what) {
        case watch::out: read_from(c, stream::out, now); break;
        case watch::err: read_from(c, stream::err, now); break;
        case watch::exit: check_exit(c, now); break;
        }
    }
    for (auto& [id, c] : children_)
        if (!c->pidfd && !c->reported) check_exit(*c, now);

    const unsigned seen = interrupts();
    if (seen != interrupts_seen_) {
        if (interrupts_seen_ == 0)
            for (auto& [id, c] : children_) begin_stop(*c, false, true);
        interrupts_seen_ = seen;
    }
    status.interrupts = seen;
    status.signal = seen ? last_interrupt_signal() : 0;

    now = clock::now();
    for (auto& [id, c] : children_) {
        if (c->deadline && !c->exited && now >= *c->deadline) begin_stop(*c, true, false);
        if (c->kill_at && now >= *c->kill_at) {
            ::kill(-c->pid, SIGKILL);
            c->kill_at.reset();
            // What held the pipe through the grace period was killed with
            // the group: its end closes now, no leak to report.
            if (c->exited) c->drain_until = now + opts_.drain;
        }
    }
    // Collect ids first: on_exit may spawn, which inserts into children_.
    std::vector<child_id> ids;
    ids.reserve(children_.size());
    for (const auto& [id, c] : children_) ids.push_back(id);
    for (child_id id : ids) settle(*children_.at(id), now, status);
    std::erase_if(children_, [this](auto& kv) {
        child& c = *kv.second;
        if (!c.reported || c.kill_at) return false;  // still running, or a stop in its grace
        release(c);
        return true;
    });
    return status;
}

result<poll_status, error> loop::run() {
    const unsigned at_entry = interrupts();
    poll_status total;
    while (active() > 0) {
        auto st = poll_once(milliseconds(-1));
        if (!st) return st;
        total.exits += st->exits;
        total.interrupts = st->interrupts;
        total.signal = st->signal;
        if (st->interrupts >= 2 && st->interrupts > at_entry) break;
    }
    total.interrupts = interrupts();
    return total;
}

result<captured, error> run_capture(const std::vector<std::string>& argv, const options& opts) {
    captured cap;
    loop l;
    callbacks cb{
        [&](child_id, stream s, std::string_view data) {
            (s == stream::out ? cap.out : cap.err).append(data);
        },
        [&](child_id, const exit_status& st) { cap.status = st; },
    };
    if (auto id = l.spawn(argv, opts, std::move(cb)); !id) return unexpected(id.error());
    auto st = l.run();
    if (st && l.active() > 0) {  // a second interrupt: do not sit out the grace period
        l.kill_all();
        st = l.run();
    }
    if (!st) return unexpected(st.error());
    return cap;
}

result<captured, error> run_capture_shell(std::string_view script, const options& opts) {
    return run_capture({"/bin/sh", "-c", std::string(script)}, opts);
}

}  // namespace testr::process
