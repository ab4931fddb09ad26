// tools/testr-mini/run_command.cpp - see run_command.hpp.
//
// The flow follows testrepository's TestCommand: ids come from --failing /
// --load-list, else from listing when running in parallel or filtering;
// concurrency from --concurrency, the test_run_concurrency callout, the CPUs
// this process may use; the core partitions; every runner's events are
// tagged worker-N, stored as they arrive and shown live.
#include "run_command.hpp"

#include <testr/command_template.hpp>
#include <testr/concurrency.hpp>
#include <testr/dynamic_schedule.hpp>
#include <testr/estimates.hpp>
#include <testr/partition.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <deque>
#include <set>
#include <unordered_map>
#include <unistd.h>

#include "cpu_detect.hpp"
#include "fd_io.hpp"
#include "group_regex.hpp"
#include "process.hpp"
#include "progress.hpp"
#include "report_format.hpp"
#include "run_summary.hpp"
#include "test_filter.hpp"
#include "timesdb.hpp"
#include "run_engine.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

namespace {

using ids_t = std::vector<std::string>;

/// Worker environments from instance_provision / instance_execute /
/// instance_dispose, as testrepository's TestCommand: provisioned on first
/// need (as many as there are worker slots), one per slot, disposed when
/// the command ends, also after an error.
class instances {
public:
    instances(const app& a, const config::testr_conf& conf, std::size_t wanted)
        : here_(a.here), wanted_(std::max<std::size_t>(1, wanted)) {
        provision_ = conf.get("instance_provision").value_or("");
        execute_ = conf.get("instance_execute").value_or("");
        dispose_ = conf.get("instance_dispose").value_or("");
        if (!execute_.empty() && provision_.empty())
            throw cli_error(conf.path + ": instance_execute is set but instance_provision is not");
    }
    ~instances() {
        if (ids_.empty() || dispose_.empty()) return;
        process::options opts;
        opts.working_directory = here_;
        auto got = process::run_capture_shell(instance_dispose_command(dispose_, ids_), opts);
        if (!got || !got->status.success())
            std::fprintf(stderr, "testr-mini: warning: instance_dispose failed (%s)\n",
                         got ? process::describe(got->status).c_str() : got.error().message.c_str());
    }
    instances(const instances&) = delete;
    instances& operator=(const instances&) = delete;

    /// `command` as it must run in slot `slot`'s environment.
    std::string wrap(unsigned slot, const std::string& command, const std::string& idfile) {
        if (execute_.empty()) return command;
        if (ids_.size() <= slot) provision(std::max<std::size_t>(wanted_, slot + 1));
        return instance_execute_command(execute_, ids_[slot], command, idfile);
    }

private:
    void provision(std::size_t count) {
        process::options opts;
        opts.working_directory = here_;
        const std::string cmd = instance_provision_command(provision_, count - ids_.size());
        auto got = process::run_capture_shell(cmd, opts);
        if (!got) throw cli_error("cannot run instance_provision '" + cmd + "': " + got.error().message);
        if (!got->status.success())
            throw cli_error("instance_provision '" + cmd + "' failed (" + process::describe(got->status) +
                            "): " + got->err);
        std::string word;
        for (char c : got->out + " ") {
            if (!std::isspace(static_cast<unsigned char>(c))) word += c;
            else if (!word.empty()) ids_.push_back(std::exchange(word, {}));
        }
        if (ids_.size() < count)
            throw cli_error("instance_provision printed " + std::to_string(ids_.size()) + " instance ids; " +
                            std::to_string(count) + " are needed");
    }

    std::string here_, provision_, execute_, dispose_;
    std::size_t wanted_;
    std::vector<std::string> ids_;
};

/// Everything `run` and `plan` decide before starting a runner.
struct prepared {
    config::testr_conf conf;
    repo::repository repository;
    command_settings settings;
    std::optional<ids_t> ids;  ///< nullopt: run the whole suite, unlisted
    concurrency_plan concurrency{concurrency_answer::of(1), concurrency_source::fallback};
    std::string cpu_source;    ///< why the CPU count is what it is
    std::optional<group_matcher> groups;
    std::vector<std::string> filter_tags;
    std::chrono::milliseconds timeout{0};  ///< per test: --timeout, else test_timeout
    std::shared_ptr<instances> environments;
    /// Seconds from spawning the test listing to its first output: a
    /// runner's start cost, near enough, for a repository that has not
    /// measured one yet.
    std::optional<double> listing_seconds;
};

command_settings settings_from(const config::testr_conf& conf, const std::vector<std::string>& testargs) {
    command_settings s;
    auto cmd = conf.get("test_command");
    if (!cmd) throw cli_error("No test_command option present in .testr.conf");
    s.test_command = *cmd;
    s.extra_args = testargs;  // appended shell-quoted: they were words in the user's shell already
    s.test_id_option = conf.get("test_id_option");
    s.test_list_option = conf.get("test_list_option");
    s.test_id_list_default = conf.get("test_id_list_default");
    return s;
}

ids_t parse_lines(std::string_view text) {
    ids_t ids;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
        if (!line.empty()) ids.emplace_back(line);
    }
    return ids;
}

/// A listing is a subunit v2 stream of `exists` events, or plain lines.
ids_t parse_listing(std::string_view out) {
    ids_t ids;
    bool any_packet = false;
    subunit::decoder d([&](const subunit::event_view& e, std::string_view) {
        if (e.test_id && e.test_status == subunit::status::exists) ids.emplace_back(*e.test_id);
        any_packet = any_packet || e.test_id.has_value();
    });
    d.feed(out);
    d.finish();
    if (!any_packet) return parse_lines(out);
    return ids;
}

ids_t list_tests(const app& a, prepared& p) {
    auto cmd = list_command(p.settings);
    if (!cmd) throw cli_error(cmd.error().message);
    process::options opts;
    opts.working_directory = a.here;
    const std::string wrapped = p.environments ? p.environments->wrap(0, *cmd, "") : *cmd;
    auto got = process::run_capture_shell(wrapped, opts);
    if (!got) throw cli_error("cannot run the test listing '" + wrapped + "': " + got.error().message);
    p.listing_seconds = std::chrono::duration<double>(got->status.first_stdout.value_or(got->status.elapsed)).count();
    if (got->status.interrupted) throw cli_error("interrupted while listing tests", exit_interrupted);
    if (!got->status.success()) {
        std::fwrite(got->out.data(), 1, got->out.size(), stderr);
        std::fwrite(got->err.data(), 1, got->err.size(), stderr);
        throw cli_error(got->status.signal ? "test listing '" + *cmd + "' " + process::describe(got->status)
                                           : "Non-zero exit code (" + std::to_string(got->status.code) +
                                                 ") from test listing.");
    }
    return parse_listing(got->out);
}

ids_t failing_ids(const repo::repository& r) {
    auto bytes = repo::read_failing(r);
    if (!bytes) throw cli_error(bytes.error().message);
    auto summary = summarize(*bytes);
    ids_t ids;
    if (!summary) return ids;
    // As the original's _find_failing: tests whose status is 'fail'.
    for (auto& t : summary->tests())
        if (t.status == subunit::status::fail) ids.push_back(t.id);
    return ids;
}

ids_t read_load_list(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw cli_error("cannot read --load-list file '" + path + "': " + std::strerror(errno));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse_lines(text);
}

concurrency_plan decide_concurrency(const app& a, const run_options& o, const config::testr_conf& conf,
                                    std::string& cpu_source) {
    if (!o.parallel) return {concurrency_answer::of(1), concurrency_source::option};
    std::optional<callout_result> callout;
    if (o.concurrency == 0) {
        if (auto cmd = conf.get("test_run_concurrency")) {
            process::options opts;
            opts.working_directory = a.here;
            opts.deadline = std::chrono::seconds(60);
            auto got = process::run_capture_shell(*cmd, opts);
            if (!got) throw cli_error("cannot run test_run_concurrency '" + *cmd + "': " + got.error().message);
            callout_output out{got->out, got->err, got->status.code, got->status.signal,
                               process::signal_name(got->status.signal)};
            callout = interpret_callout(out);
        }
    }
    const cpu_limit cpus = detect_cpus();
    cpu_source = cpus.source;
    auto plan = resolve_concurrency(o.concurrency, callout, cpus.count);
    if (!plan) throw cli_error(plan.error().message);
    return *plan;
}

/// --timeout, else the test_timeout key of .testr.conf (seconds).
std::chrono::milliseconds effective_timeout(const run_options& o, const config::testr_conf& conf) {
    if (o.timeout.count() > 0) return o.timeout;
    auto text = conf.get("test_timeout");
    if (!text || text->empty()) return std::chrono::milliseconds(0);
    char* end = nullptr;
    const double s = std::strtod(text->c_str(), &end);
    if (end == text->c_str() || *end != '\0' || !(s >= 0))
        throw cli_error(conf.path + ": test_timeout must be a number of seconds >= 0, not '" + *text + "'");
    return std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

prepared prepare(const app& a, const run_options& o) {
    prepared p{a.load_config(), a.open_repository(), {}, std::nullopt, {}, {}, std::nullopt, {}, {}, nullptr, std::nullopt};
    p.settings = settings_from(p.conf, o.testargs);
    if (o.failing) p.ids = failing_ids(p.repository);
    if (o.load_list) {
        ids_t listed = read_load_list(*o.load_list);
        if (!p.ids) {
            p.ids = std::move(listed);
        } else {
            std::set<std::string> keep(listed.begin(), listed.end());
            std::erase_if(*p.ids, [&](const std::string& id) { return !keep.count(id); });
        }
    }
    if (auto g = p.conf.get("group_regex"); g && !g->empty()) {
        auto m = compile_group_regex(*g);
        if (!m) throw cli_error(p.conf.path + ": group_regex: " + m.error().message);
        p.groups = std::move(*m);
    }
    if (auto tags = p.conf.get("filter_tags")) p.filter_tags = split_words(*tags);
    p.concurrency = decide_concurrency(a, o, p.conf, p.cpu_source);
    if (p.conf.get("instance_execute"))
        p.environments = std::make_shared<instances>(a, p.conf, p.concurrency.answer.workers);
    p.timeout = effective_timeout(o, p.conf);
    // The original lists only to split or filter; we also list for
    // --parallel, timeouts and retries, which need to know each runner's
    // tests to re-run or account for them.
    const bool many = p.concurrency.answer.per_test || p.concurrency.answer.workers != 1;
    const bool tracked = o.parallel || p.timeout.count() > 0 || o.retries > 0;
    if (!p.ids && (many || tracked || !o.filters.empty())) p.ids = list_tests(a, p);
    if (p.ids && !o.filters.empty()) {
        auto f = compile_test_filter(o.filters);
        if (!f) throw cli_error(f.error().message, exit_usage);
        std::erase_if(*p.ids, [&](const std::string& id) { return !(*f)(id); });
    }
    return p;
}

/// How a run is split: the first runner of every worker slot, and in
/// dynamic mode the scheduler that hands out the rest as slots fall idle.
struct schedule {
    std::vector<double> estimates;                  // by position: recorded or guessed
    std::size_t guessed = 0;                        // estimates that are guesses
    std::vector<std::vector<std::size_t>> batches;  // per slot: its first runner's tests
    std::vector<double> predicted;                  // per slot: its first batch's seconds
    double predicted_makespan = 0;
    std::string method;
    std::shared_ptr<dynamic_scheduler> dynamic;     // null: static, one runner per slot
    std::size_t queued = 0;                         // tests left for the dynamic queue
    std::optional<double> start_cost;               // dynamic: the runner start assumed...
    const char* start_source = "";                  // ...and whence
    std::string why_static;                         // dynamic asked for, but no queue kept: why
};

/// Calls f with the group function of .testr.conf's group_regex, or
/// no_groups, so the core's templates see the concrete type.
template <class F>
decltype(auto) with_groups(const prepared& p, F&& f) {
    if (p.groups) return f([&](std::string_view id) { return (*p.groups)(id); });
    return f(no_groups{});
}

bool dynamic_mode(const run_options& o, const prepared& p) {
    return o.schedule == "dynamic" && o.parallel && !p.concurrency.answer.per_test && p.concurrency.answer.workers > 1;
}

schedule plan_schedule(const prepared& p, bool dynamic) {
    schedule s;
    const ids_t& ids = *p.ids;
    auto db = timesdb::open(p.repository.file(timesdb::file_name));
    if (!db) throw cli_error(db.error().message());
    for (auto& w : db->warnings()) std::fprintf(stderr, "testr-mini: warning: %s\n", w.message.c_str());
    std::vector<std::optional<double>> recorded;
    recorded.reserve(ids.size());
    for (auto& id : ids) recorded.push_back(db->estimate(id));
    // Tests without history are estimated from their class, module or
    // group neighbours before anything is planned.
    // The neighbours' mean, not median: a schedule needs sums right.
    const estimates e = with_groups(p, [&](auto&& groups) { return estimate_all(ids, recorded, groups, {.mean = true}); });
    s.estimates = e.seconds;
    s.guessed = e.guessed();
    if (dynamic) {
        dynamic_options opts;
        // Until a run has measured it, the listing stands in: the same
        // runner, started and asked for its ids.
        const auto measured = repo::start_cost(p.repository);
        opts.start_cost = measured.value_or(p.listing_seconds.value_or(0.2));
        s.start_cost = opts.start_cost;
        s.start_source = measured ? "measured in earlier runs" : p.listing_seconds ? "the test listing's" : "a guess";
        auto items = with_groups(p, [&](auto&& groups) { return work_items(ids, e, groups); });
        auto scheduler = dynamic_scheduler::create(std::move(items), p.concurrency.answer.workers, opts);
        if (!scheduler) throw cli_error(scheduler.error().message);
        if (scheduler->why_static().empty()) {
            s.dynamic = std::make_shared<dynamic_scheduler>(std::move(*scheduler));
            s.batches = s.dynamic->initial_batches();
            s.predicted_makespan = s.dynamic->predicted_makespan();
            s.method = "dynamic";
            std::size_t planned = 0;
            for (auto& b : s.batches) {
                double sum = 0;
                for (auto t : b) sum += s.estimates[t];
                s.predicted.push_back(sum);
                planned += b.size();
            }
            s.queued = ids.size() - planned;
            return s;
        }
        // A queue would not pay: the run is exactly the static one.
        s.why_static = scheduler->why_static();
    }
    const std::size_t workers = p.concurrency.answer.per_test ? 0 : p.concurrency.answer.workers;
    auto by_pos = [&](std::size_t i, std::string_view) { return std::optional<double>(s.estimates[i]); };
    auto plan = with_groups(p, [&](auto&& groups) { return partition(ids, workers, by_pos, groups); });
    if (!plan) throw cli_error(plan.error().message);
    for (auto& w : plan->workers) s.batches.emplace_back(w.begin(), w.end());
    s.predicted = plan->predicted_seconds;
    s.predicted_makespan = plan->makespan();
    s.method = plan->method;
    if (!s.why_static.empty()) s.method += "; no queue: " + s.why_static;
    return s;
}

/// A temporary $IDFILE, removed when the run ends.
class id_file {
public:
    explicit id_file(const std::vector<std::string_view>& ids) {
        char name[] = "/tmp/testr-mini-ids-XXXXXX";
        int fd = mkstemp(name);
        if (fd < 0) throw cli_error(std::string("cannot create a temporary id file: ") + std::strerror(errno));
        path_ = name;
        std::string text;
        for (auto id : ids) (text += id) += '\n';
        const int err = fd_io::write_all(fd, text);
        ::close(fd);
        if (err) throw cli_error("cannot write " + path_ + ": " + std::strerror(err));
    }
    ~id_file() { ::unlink(path_.c_str()); }
    id_file(const id_file&) = delete;
    id_file& operator=(const id_file&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

/// Writes events into the run being stored, to stdout with --subunit, and
/// to the live summary and terminal.
struct run_output {
    const app& a;
    const run_options& o;
    repo::run_writer& writer;
    run_summary& summary;
    progress_line& progress;
    const std::unordered_map<std::string_view, double>& estimate_of;
    std::optional<std::string> write_error;

    bool show() const { return !o.subunit && !a.quiet; }

    void event(const subunit::event_view& e, std::string_view encoded) {
        // The writer follows the run from the decoded events, so commit does
        // not have to read the stored run back.
        if (!write_error)
            if (auto ok = writer.append(encoded, e); !ok) write_error = ok.error().message;
        if (o.subunit) write_stdout(encoded);
        summary.add(e);
        if (!e.test_id || e.test_status < subunit::status::success) return;
        const test_record* t = summary.find(*e.test_id);
        if (!t) return;
        double est = 0;
        if (auto it = estimate_of.find(*e.test_id); it != estimate_of.end()) est = it->second;
        if (show() && is_failure(t->status)) {
            progress.clear();
            write_stdout(format_failure(*t));
        }
        progress.finished(t->id, is_failure(t->status), est);
    }
};

/// During retries a test's events wait until its final status: if it then
/// passes, every one of them is tagged `flaky` before it is stored.
class flaky_tagger {
public:
    explicit flaky_tagger(run_output& out) : out_(out) {}

    void event(const subunit::event_view& e, std::string_view encoded) {
        if (!e.test_id) return out_.event(e, encoded);
        auto& held = held_[std::string(*e.test_id)];
        held.push_back(subunit::to_event(e));
        if (e.test_status < subunit::status::success) return;
        const bool passed = !is_failure(e.test_status);
        if (passed) flaky_.push_back(std::string(*e.test_id));
        release(held, passed);
        held_.erase(std::string(*e.test_id));
    }
    /// Events of tests that never reached a final status, as they came.
    void flush() {
        for (auto& [id, held] : held_) release(held, false);
        held_.clear();
    }
    const std::vector<std::string>& flaky() const { return flaky_; }

private:
    void release(std::vector<subunit::event>& held, bool tag) {
        for (auto& ev : held) {
            if (tag) ev.tags.push_back("flaky");
            scratch_.clear();
            if (auto ok = subunit::encode(ev, scratch_); !ok) continue;
            out_.event(subunit::to_view(ev), scratch_);
        }
    }
    run_output& out_;
    std::map<std::string, std::vector<subunit::event>> held_;
    std::vector<std::string> flaky_;
    std::string scratch_;
};

std::string id_list(const ids_t& ids, const std::vector<std::size_t>& positions, std::size_t most = 10) {
    std::string s;
    for (std::size_t k = 0; k < positions.size() && k < most; ++k) s += "\n  " + ids[positions[k]];
    if (positions.size() > most) s += "\n  ... and " + std::to_string(positions.size() - most) + " more";
    return s;
}

int run_once(const app& a, const run_options& o, const prepared& p) {
    const bool show = !o.subunit && !a.quiet;
    const bool whole_suite = !p.ids;
    static const ids_t no_ids;
    const ids_t& ids = whole_suite ? no_ids : *p.ids;

    std::vector<std::vector<std::size_t>> batches;
    std::vector<double> estimates(ids.size(), 0.0);
    std::unordered_map<std::string_view, double> estimate_of;
    double predicted_makespan = 0;
    std::vector<double> predicted;
    std::shared_ptr<dynamic_scheduler> scheduler;
    if (whole_suite) {
        batches.resize(1);
    } else {
        schedule s = plan_schedule(p, dynamic_mode(o, p));
        predicted_makespan = s.predicted_makespan;
        predicted = s.predicted;
        estimates = s.estimates;
        for (std::size_t i = 0; i < ids.size(); ++i) estimate_of.emplace(ids[i], estimates[i]);
        batches = std::move(s.batches);
        scheduler = s.dynamic;
    }

    std::optional<run_summary> previous = show ? comparison_run(p.repository) : std::nullopt;
    auto writer = repo::begin_run(p.repository);
    if (!writer) throw cli_error(writer.error().message);
    run_summary summary;
    summary.set_filter_tags(p.filter_tags);
    std::size_t nonempty = 0;
    for (auto& b : batches) nonempty += !b.empty();
    double total_work = 0;
    for (double e : estimates) total_work += e;
    progress_line progress(show && smart_terminal(), ids.size(), total_work, std::max<std::size_t>(1, nonempty));
    run_output out{a, o, *writer, summary, progress, estimate_of, std::nullopt};

    std::vector<std::unique_ptr<id_file>> files;
    engine_hooks hooks;
    hooks.on_stderr = [&](unsigned, std::string_view bytes) {
        progress.clear();
        std::fwrite(bytes.data(), 1, bytes.size(), stderr);
    };
    hooks.on_notice = [&](const std::string& message) {
        progress.clear();
        std::fprintf(stderr, "testr-mini: %s\n", message.c_str());
    };
    hooks.runner_for = [&](unsigned slot, const std::vector<std::size_t>& tests) {
        if (whole_suite) {
            auto cmd = run_command_for(p.settings, nullptr, "");
            if (!cmd) throw cli_error(cmd.error().message);
            std::string command = p.environments ? p.environments->wrap(slot, cmd->command, "") : cmd->command;
            return worker_spec{slot, command, {}, a.here, {}, {}};
        }
        std::vector<std::string_view> chosen;
        for (auto t : tests) chosen.emplace_back(ids[t]);
        auto probe = run_command_for(p.settings, &chosen, "IDFILE");
        if (!probe) throw cli_error(probe.error().message);
        std::string idfile_path;
        if (probe->needs_idfile) {
            files.push_back(std::make_unique<id_file>(chosen));
            idfile_path = files.back()->path();
        }
        auto cmd = run_command_for(p.settings, &chosen, idfile_path);
        if (!cmd) throw cli_error(cmd.error().message);
        std::string command = p.environments ? p.environments->wrap(slot, cmd->command, idfile_path) : cmd->command;
        return worker_spec{slot, command, {}, a.here, {}, {}};
    };

    engine_config config;
    config.timeout = p.timeout;
    if (scheduler) {
        hooks.next_chunk = [&](unsigned slot, double now) { return scheduler->next_chunk(slot, now); };
        hooks.observed = [&](std::size_t test, double seconds) { scheduler->observed(test, seconds); };
    }
    hooks.on_event = [&](unsigned, const subunit::event_view& e, std::string_view encoded) { out.event(e, encoded); };
    run_engine engine(ids, estimates, batches.size(), hooks, config);
    auto report = engine.run(batches, whole_suite);
    progress.clear();
    if (!report) throw cli_error(report.error().message);
    const bool interrupted = report->interrupts > 0;

    // --retries: failing tests again, each in a fresh runner; a test that
    // then passes is flaky, and tagged so in the stored stream.
    std::vector<std::string> flaky;
    std::size_t retried = 0;
    for (unsigned round = 0; round < o.retries && !interrupted && !whole_suite; ++round) {
        std::vector<std::vector<std::size_t>> singles(batches.size());
        std::size_t n = 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const test_record* t = summary.find(ids[i]);
            if (t && t->status == subunit::status::fail) singles[n++ % singles.size()].push_back(i);
        }
        if (n == 0) break;
        retried += n;
        // One runner per test: queue them one at a time per slot.
        engine_hooks retry_hooks = hooks;
        retry_hooks.observed = nullptr;
        flaky_tagger tagger(out);
        retry_hooks.on_event = [&](unsigned, const subunit::event_view& e, std::string_view encoded) { tagger.event(e, encoded); };
        std::vector<std::deque<std::size_t>> pending(singles.size());
        for (std::size_t s = 0; s < singles.size(); ++s) pending[s].assign(singles[s].begin(), singles[s].end());
        std::vector<std::vector<std::size_t>> first(singles.size());
        for (std::size_t s = 0; s < singles.size(); ++s)
            if (!pending[s].empty()) { first[s] = {pending[s].front()}; pending[s].pop_front(); }
        retry_hooks.next_chunk = [&](unsigned slot, double) -> std::vector<std::size_t> {
            if (slot >= pending.size() || pending[slot].empty()) return {};
            std::size_t t = pending[slot].front();
            pending[slot].pop_front();
            return {t};
        };
        run_engine again(ids, estimates, batches.size(), retry_hooks, config);
        auto r2 = again.run(first);
        tagger.flush();
        if (!r2) throw cli_error(r2.error().message);
        flaky.insert(flaky.end(), tagger.flaky().begin(), tagger.flaky().end());
        if (r2->interrupts) break;
    }

    if (out.write_error) {
        writer->abandon();
        throw cli_error("the run could not be stored: " + *out.write_error);
    }
    auto committed = writer->commit(o.partial || o.failing || o.isolated || interrupted);
    if (!committed) throw cli_error("the run could not be stored: " + committed.error().message);
    if (auto ok = repo::record_start_cost(p.repository, report->start_costs); !ok)
        std::fprintf(stderr, "testr-mini: warning: %s\n", ok.error().message.c_str());

    // With retries a test reports more than once; count each test by its
    // last attempt.
    std::size_t final_failures = 0;
    for (auto& t : summary.tests())
        if (is_outcome(t.status) || t.status == subunit::status::inprogress) final_failures += is_failure(t.status);
    if (show) {
        summary_values values = summarize_against(summary, previous ? &*previous : nullptr, committed->id);
        if (retried) {
            values.tests -= retried;
            values.failures = final_failures;
            values.successful = final_failures == 0;
            values.failures_delta.reset();
        }
        write_stdout(format_summary(values));
        std::string notes;
        if (report->rerun)
            notes += "Re-ran " + std::to_string(report->rerun) + " tests whose runner died before reaching them.\n";
        if (!report->timed_out.empty())
            notes += std::to_string(report->timed_out.size()) + " tests timed out:" + id_list(ids, report->timed_out) + "\n";
        if (!report->crashed.empty())
            notes += std::to_string(report->crashed.size()) + " tests were running when their runner died:" +
                     id_list(ids, report->crashed) + "\n";
        if (!report->never_run.empty())
            notes += std::to_string(report->never_run.size()) + " tests never ran" +
                     (interrupted ? std::string(" (interrupted)") : std::string()) + ":" + id_list(ids, report->never_run) + "\n";
        if (!flaky.empty()) {
            notes += std::to_string(flaky.size()) + " flaky tests (failed, then passed on retry; tagged 'flaky'):";
            for (auto& f : flaky) notes += "\n  " + f;
            notes += "\n";
        }
        if (retried && flaky.empty()) notes += "Retried " + std::to_string(retried) + " failing tests; none passed.\n";
        if (nonempty > 1) {
            notes += "Workers: " + std::to_string(nonempty) + " (" + std::string(to_string(p.concurrency.source)) +
                     "); predicted " + seconds_text(predicted_makespan) + "s, took " + seconds_text(report->wall) + "s\n";
            for (std::size_t j = 0; j < report->slots.size(); ++j) {
                const auto& st = report->slots[j];
                if (!st.runners) continue;
                char line[256];
                std::snprintf(line, sizeof line, "  worker-%zu: %zu tests, %.3fs in tests, %.3fs idle, %zu runner%s%s",
                              j, st.tests, st.busy, std::max(0.0, report->wall - st.busy), st.runners,
                              st.runners == 1 ? "" : "s", j < predicted.size() ? ", predicted " : "");
                notes += line;
                if (j < predicted.size()) notes += seconds_text(predicted[j]) + "s";
                for (auto& pr : st.problems) notes += "; " + pr;
                notes += "\n";
            }
        }
        write_stdout(notes);
    }
    if (interrupted) {
        std::size_t completed = 0;
        for (auto& t : summary.tests())
            completed += is_outcome(t.status) && t.id != "process-returncode";
        std::fprintf(stderr, "testr-mini: interrupted: the %zu tests that completed were stored as partial run %u\n",
                     completed, committed->id);
        return exit_interrupted;
    }
    // As testr: with --subunit the stream is the result, for its reader to
    // judge; the exit status only says it was written.
    if (o.subunit) return exit_ok;
    const bool failed = (retried ? final_failures : summary.failures()) > 0 || !report->never_run.empty() ||
                        (o.fail_on_flaky && !flaky.empty());
    return failed ? exit_failed : exit_ok;
}

}  // namespace

int run_tests(const app& a, const run_options& o) {
    prepared p = prepare(a, o);
    if (o.isolated) {
        if (!p.ids) p.ids = list_tests(a, p);
        int worst = exit_ok;
        const ids_t all = *p.ids;
        for (const auto& id : all) {
            prepared one = p;
            one.ids = ids_t{id};
            one.concurrency = {concurrency_answer::of(1), concurrency_source::option};
            int rc = run_once(a, o, one);
            if (rc == exit_interrupted) return rc;
            worst = std::max(worst, rc);
        }
        return worst;
    }
    int rc = run_once(a, o, p);
    while (o.until_failure && rc == exit_ok) rc = run_once(a, o, p);
    return rc;
}

int plan_tests(const app& a, const run_options& o, bool json) {
    run_options listed = o;
    listed.parallel = true;  // the plan is the parallel schedule
    prepared p = prepare(a, listed);
    if (!p.ids) p.ids = list_tests(a, p);
    schedule s = plan_schedule(p, dynamic_mode(listed, p));
    const ids_t& ids = *p.ids;
    std::vector<char> planned(ids.size(), 0);
    for (auto& b : s.batches)
        for (auto t : b) planned[t] = 1;
    if (json) {
        nlohmann::json j;
        j["concurrency"] = {{"workers", s.batches.size()},
                            {"source", std::string(to_string(p.concurrency.source))},
                            {"cpus", p.cpu_source}};
        j["method"] = s.method;
        j["predicted_makespan"] = s.predicted_makespan;
        j["guessed_estimates"] = s.guessed;
        if (s.start_cost) j["start_cost"] = *s.start_cost;
        if (!s.why_static.empty()) j["no_queue"] = s.why_static;
        nlohmann::json workers = nlohmann::json::array();
        for (std::size_t w = 0; w < s.batches.size(); ++w) {
            nlohmann::json tests = nlohmann::json::array();
            for (auto i : s.batches[w]) tests.push_back({{"id", ids[i]}, {"estimate", s.estimates[i]}});
            workers.push_back({{"worker", w}, {"predicted_seconds", s.predicted[w]}, {"tests", tests}});
        }
        j["workers"] = workers;
        nlohmann::json queue = nlohmann::json::array();
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (!planned[i]) queue.push_back({{"id", ids[i]}, {"estimate", s.estimates[i]}});
        j["queue"] = queue;
        write_stdout(j.dump(2) + "\n");
        return exit_ok;
    }
    std::string out = "Plan: " + std::to_string(ids.size()) + " tests on " + std::to_string(s.batches.size()) +
                      " workers (" + std::string(to_string(p.concurrency.source)) + "), predicted " +
                      seconds_text(s.predicted_makespan) + "s (" + s.method + ")";
    if (s.guessed) out += "; " + std::to_string(s.guessed) + " without history, estimated from their neighbours";
    out += "\n";
    if (p.concurrency.source == concurrency_source::cpu_count && !p.cpu_source.empty())
        out += "CPUs: " + p.cpu_source + "\n";
    if (s.start_cost)
        out += "Runner start: " + seconds_text(*s.start_cost) + "s (" + s.start_source + ")\n";
    for (std::size_t w = 0; w < s.batches.size(); ++w) {
        out += "worker-" + std::to_string(w) + ": " + std::to_string(s.batches[w].size()) + " tests, predicted " +
               seconds_text(s.predicted[w]) + "s\n";
        for (auto i : s.batches[w]) out += "  " + ids[i] + "  " + seconds_text(s.estimates[i]) + "s\n";
    }
    if (s.queued) {
        out += "queue: " + std::to_string(s.queued) + " tests, handed out longest first as workers fall idle\n";
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (!planned[i]) out += "  " + ids[i] + "  " + seconds_text(s.estimates[i]) + "s\n";
    }
    write_stdout(out);
    return exit_ok;
}

int list_tests_command(const app& a, const std::vector<std::string>& filters, const std::vector<std::string>& testargs) {
    config::testr_conf conf = a.load_config();
    prepared p{conf, {}, settings_from(conf, testargs), std::nullopt, {}, {}, std::nullopt, {}, {}, nullptr, std::nullopt};
    if (conf.get("instance_execute")) p.environments = std::make_shared<instances>(a, conf, 1);
    ids_t ids = list_tests(a, p);
    auto f = compile_test_filter(filters);
    if (!f) throw cli_error(f.error().message, exit_usage);
    std::string out;
    for (auto& id : ids)
        if ((*f)(id)) (out += id) += '\n';
    write_stdout(out);
    return exit_ok;
}

}  // namespace testr::cli
