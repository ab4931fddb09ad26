// adapters/prestart_backend.cpp - see prestart_backend.hpp.
#include "prestart_backend.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.hpp"
#include "fd_io.hpp"

namespace testr {

namespace {

double seconds(process::clock::duration d) { return std::chrono::duration<double>(d).count(); }

/// How often a pipe that waits for its reader, or for room, is tried again.
constexpr std::chrono::milliseconds pipe_tick{5};

}  // namespace

struct prestart_backend::runner {
    unsigned slot = 0;
    runner_id pool_id = 0;
    runner_id id = 0;  ///< the engine's; 0 while a spare
    bool piped = false;
    std::string fifo;
    int writer = -1;
    std::string ids;  ///< what the pipe is to carry
    std::size_t sent = 0;
    bool written = false;   ///< every id in the pipe, or the reader gone
    bool replaced = false;  ///< a regular file holds the ids at `fifo` now
    bool sample_cpu = false;  ///< opened: its start's CPU is still to be read
    double spawned = 0, opened = -1, handed = -1;
    std::vector<std::size_t> tests;
    bool whole_suite = false;
    bool stopped = false;  ///< by the engine (a timeout): its exit is the engine's to judge
    bool late = false;     ///< stopped by us: it never took its pipe
    bool dropped = false;  ///< a spare stopped unused: its output is nobody's
    std::vector<std::pair<subunit::event, std::string>> held;  ///< output before it was handed out
    std::string held_err;
    std::optional<double> first_output;
};

// Until a pre-started runner has opened its pipe it has none of its tests:
// what it says so far (a failed import, the pool's process-returncode when
// it ends there) is held, and dropped if it never opens it.
bool prestart_backend::deliverable(const runner& r) { return r.id && (!r.piped || r.opened >= 0); }

prestart_backend::pipe_dir::~pipe_dir() {
    for (auto& f : files) ::unlink(f.c_str());
    if (!path.empty()) ::rmdir(path.c_str());
}

prestart_backend::prestart_backend(prestart_spec_builder prestart, prestart_options opts, process::loop_options loop)
    : prestart_(std::move(prestart)),
      opts_(std::move(opts)),
      spare_(opts_.slots, nullptr),
      pool_(worker_sink{
                [this](runner_id r, unsigned, const subunit::event_view& e, std::string_view encoded) {
                    on_event(r, e, encoded);
                },
                [this](runner_id r, unsigned, std::string_view bytes) { on_stderr(r, bytes); },
                [this](runner_id r, unsigned, const process::exit_status& st) { on_exit(r, st); },
            },
            loop) {}

prestart_backend::~prestart_backend() {
    for (auto& [id, r] : by_pool_)
        if (r->writer >= 0) ::close(r->writer);
}

double prestart_backend::now() const { return seconds(process::clock::now().time_since_epoch()); }

prestart_backend::runner* prestart_backend::by_pool(runner_id pool_id) {
    auto it = by_pool_.find(pool_id);
    return it == by_pool_.end() ? nullptr : it->second.get();
}

namespace {

/// Descriptors this process has open, when /proc tells.
std::optional<std::size_t> open_descriptors() {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return std::nullopt;
    std::size_t n = 0;
    while (auto* entry = ::readdir(d)) n += entry->d_name[0] != '.';
    ::closedir(d);
    return n > 0 ? n - 1 : 0;  // the directory's own descriptor
}

}  // namespace

result<void> prestart_backend::prestart() {
    // Each runner holds three descriptors here (stdout, stderr, its pidfd)
    // and a fourth for its pipe; with spares, two runners a slot. What a
    // pre-start takes must not be what the listing or a test's runner lacks.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        const std::size_t want = opts_.slots * 2 * 4 + 32;
        if (auto open = open_descriptors(); open && *open + want > limit.rlim_cur)
            return fail("too few file descriptors to start runners ahead (" + std::to_string(*open) +
                        " open, a limit of " + std::to_string(limit.rlim_cur) + ")");
    }
    if (dir_.path.empty()) {
        const std::string root = temp_root();
        std::string templ = root + "/" + std::string(pipe_dir_prefix) + std::to_string(::getpid()) + "-XXXXXX";
        if (!::mkdtemp(templ.data()))
            return fail("cannot create a directory for the runners' id pipes in '" + root + "': " + std::strerror(errno));
        dir_.path = templ;
    }
    for (unsigned slot = 0; slot < opts_.slots && pipes_ok_; ++slot)
        if (!spare_[slot]) spawn_spare(slot);
    return {};
}

prestart_backend::runner* prestart_backend::spawn_spare(unsigned slot) {
    if (!pipes_ok_ || dir_.path.empty() || slot >= spare_.size() || pool_.interrupts() > 0) return nullptr;
    const std::string path = dir_.path + "/ids-" + std::to_string(dir_.files.size());
    if (::mkfifo(path.c_str(), 0600) != 0) {
        give_up_pipes("cannot make the id pipe '" + path + "': " + std::strerror(errno));
        return nullptr;
    }
    dir_.files.push_back(path);
    dir_.files.push_back(path + ".tmp");
    auto spec = prestart_(slot, path);
    if (!spec) {
        give_up_pipes(spec.error().message);
        return nullptr;
    }
    spec->slot = slot;
    auto pool_id = pool_.start(std::move(*spec));
    if (!pool_id) {
        // The plain runner that takes its place will say what is wrong.
        give_up_pipes("a pre-started runner could not be started: " + pool_id.error().message);
        return nullptr;
    }
    auto r = std::make_unique<runner>();
    r->slot = slot;
    r->pool_id = *pool_id;
    r->piped = true;
    r->fifo = path;
    r->spawned = now();
    runner* raw = r.get();
    by_pool_.emplace(*pool_id, std::move(r));
    spare_[slot] = raw;
    return raw;
}

void prestart_backend::give_up_pipes(std::string why) {
    if (pipes_ok_) {
        pipes_ok_ = false;
        report_.refused = std::move(why);
    }
    for (auto& s : spare_) {
        if (!s) continue;
        s->dropped = true;
        pool_.stop(s->pool_id);
        s = nullptr;
    }
    // Runners given tests that have not taken their pipe will not either:
    // their tests go to plain runners now rather than after `patience`.
    for (auto& [id, r] : by_pool_) {
        if (r->id && r->piped && r->opened < 0 && !r->late && !r->stopped) {
            r->late = true;
            pool_.stop(r->pool_id);
        }
    }
}

result<runner_id, start_error> prestart_backend::start_plain(unsigned slot, std::span<const std::size_t> tests,
                                                             bool whole_suite, runner_id as) {
    if (!plain_) return unexpected(start_error{false, "no way to start a runner with an id file"});
    auto spec = plain_(slot, tests, whole_suite);
    if (!spec) return unexpected(start_error{false, spec.error().message});
    spec->slot = slot;
    auto pool_id = pool_.start(std::move(*spec));
    if (!pool_id)
        return unexpected(start_error{pool_id.error().interrupted || pool_.interrupts() > 0, pool_id.error().message});
    auto r = std::make_unique<runner>();
    r->slot = slot;
    r->pool_id = *pool_id;
    r->id = as ? as : next_id_++;
    r->spawned = r->handed = now();
    r->tests.assign(tests.begin(), tests.end());
    r->whole_suite = whole_suite;
    if (!as) ++active_;
    pool_of_[r->id] = *pool_id;
    const runner_id id = r->id;
    by_pool_.emplace(*pool_id, std::move(r));
    return id;
}

result<runner_id, start_error> prestart_backend::start(unsigned slot, std::span<const std::size_t> tests,
                                                       bool whole_suite) {
    if (pool_.interrupts() > 0) return unexpected(start_error{true, "interrupted"});
    runner* r = slot < spare_.size() ? spare_[slot] : nullptr;
    if (!r || whole_suite || !pipes_ok_) return start_plain(slot, tests, whole_suite, 0);
    if (!id_text_) return unexpected(start_error{false, "no way to name the tests"});
    auto text = id_text_(tests);
    if (!text) return unexpected(start_error{false, text.error().message});
    spare_[slot] = nullptr;
    r->id = next_id_++;
    r->handed = now();
    r->tests.assign(tests.begin(), tests.end());
    r->ids = std::move(*text);
    pool_of_[r->id] = r->pool_id;
    ++active_;
    if (r->writer >= 0) {
        replace_by_file(*r);
        feed_pipe(*r);
    }
    if (opts_.spares) spawn_spare(slot);
    return r->id;
}

void prestart_backend::stop(runner_id id) {
    auto it = pool_of_.find(id);
    if (it == pool_of_.end()) return;
    if (runner* r = by_pool(it->second)) r->stopped = true;
    pool_.stop(it->second);
}

void prestart_backend::retire(unsigned slot) {
    if (slot >= spare_.size() || !spare_[slot]) return;
    spare_[slot]->dropped = true;
    pool_.stop(spare_[slot]->pool_id);
    spare_[slot] = nullptr;
}

void prestart_backend::replace_by_file(runner& r) {
    if (r.replaced) return;
    r.replaced = true;
    // Written beside the pipe and renamed over it: the reader holds the
    // pipe already, and any later open of the path finds the same ids.
    const std::string tmp = r.fifo + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return;
    const int err = fd_io::write_all(fd, r.ids);
    ::close(fd);
    if (err == 0) (void)::rename(tmp.c_str(), r.fifo.c_str());
}

void prestart_backend::feed_pipe(runner& r) {
    while (r.sent < r.ids.size()) {
        const ssize_t n = ::write(r.writer, r.ids.data() + r.sent, r.ids.size() - r.sent);
        if (n > 0) {
            r.sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;  // full: the next tick writes more
        break;  // EPIPE: the runner closed its pipe unread; it has what it took
    }
    ::close(r.writer);
    r.writer = -1;
    r.written = true;
}

void prestart_backend::service(runner& r, double t) {
    if (!r.piped || r.written || r.dropped || r.late || r.stopped) return;
    if (r.writer < 0) {
        // A FIFO opens for writing without blocking only once its reader is
        // in open(): that is the moment the runner is ready.
        const int fd = ::open(r.fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            r.writer = fd;
            r.opened = t;
            report_.ready_after.push_back(t - r.spawned);
            // Read after its ids are on their way, not before: /proc costs
            // a little, and the runner waits for nothing.
            r.sample_cpu = true;
        } else if (errno != ENXIO && errno != EINTR) {
            r.late = true;  // the path is gone or not ours: nothing can reach this runner
            pool_.stop(r.pool_id);
            return;
        } else if (r.id && t - r.spawned > opts_.patience) {
            r.late = true;
            pool_.stop(r.pool_id);
            return;
        }
    }
    if (r.writer >= 0 && r.id) {
        replace_by_file(r);
        feed_pipe(r);
    }
    if (r.sample_cpu) {
        r.sample_cpu = false;
        if (auto cpu = pool_.cpu_seconds(r.pool_id)) report_.ready_cpu.push_back(*cpu);
    }
}

void prestart_backend::flush(runner& r) {
    if (!to_ || !deliverable(r)) return;
    if (!r.held.empty() && !r.first_output) r.first_output = now() - r.handed;
    for (auto& [e, encoded] : r.held) to_->event(r.id, subunit::to_view(e), encoded);
    r.held.clear();
    if (!r.held_err.empty()) to_->stderr_bytes(r.id, r.held_err);
    r.held_err.clear();
}

void prestart_backend::on_event(runner_id pool_id, const subunit::event_view& e, std::string_view encoded) {
    runner* r = by_pool(pool_id);
    if (!r || r->dropped || r->late) return;
    if (!deliverable(*r) || !r->held.empty() || !to_) {
        r->held.emplace_back(subunit::to_event(e), std::string(encoded));
        return;
    }
    if (!r->first_output) r->first_output = now() - r->handed;
    to_->event(r->id, e, encoded);
}

void prestart_backend::on_stderr(runner_id pool_id, std::string_view bytes) {
    runner* r = by_pool(pool_id);
    if (!r || r->dropped || r->late) return;
    if (!deliverable(*r) || !to_) {
        r->held_err.append(bytes);
        return;
    }
    to_->stderr_bytes(r->id, bytes);
}

void prestart_backend::on_exit(runner_id pool_id, const process::exit_status& status) {
    auto it = by_pool_.find(pool_id);
    if (it == by_pool_.end()) return;
    std::unique_ptr<runner> r = std::move(it->second);
    by_pool_.erase(it);
    if (r->writer >= 0) ::close(r->writer);
    r->writer = -1;
    if (r->dropped) return;
    if (!r->id) {
        // A spare died warming up, before anyone needed it.
        if (spare_[r->slot] == r.get()) spare_[r->slot] = nullptr;
        if (r->opened < 0 && !status.interrupted)
            give_up_pipes("a pre-started runner ended (" + process::describe(status) + ") before opening its id pipe");
        return;
    }
    if (r->piped && r->opened < 0 && !r->stopped && !status.interrupted) {
        // It took none of its tests; a plain runner takes them, as the
        // same runner for the engine.
        give_up_pipes(r->late ? "a pre-started runner did not open its id pipe within " +
                                    std::to_string(static_cast<int>(opts_.patience)) + " s"
                              : "a pre-started runner ended (" + process::describe(status) +
                                    ") before opening its id pipe");
        auto again = start_plain(r->slot, r->tests, r->whole_suite, r->id);
        if (again) return;
    }
    flush(*r);
    pool_of_.erase(r->id);
    --active_;
    if (to_) to_->exited(r->id, status, r->first_output);
}

result<wait_status> prestart_backend::wait(runner_events& to, std::chrono::milliseconds tick) {
    to_ = &to;
    for (auto& [id, r] : by_pool_) flush(*r);
    double t = now();
    bool pending = false;
    for (auto& [id, r] : by_pool_) {
        service(*r, t);
        pending = pending || (r->piped && !r->written && !r->dropped && !r->late && !r->stopped);
    }
    auto got = pool_.poll(pending ? std::min(tick, pipe_tick) : tick);
    t = now();
    for (auto& [id, r] : by_pool_) service(*r, t);
    to_ = nullptr;
    if (!got) return fail(got.error().message);
    return wait_status{got->interrupts};
}

}  // namespace testr
