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
#include <testr/partition.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

#include "group_regex.hpp"
#include "process.hpp"
#include "progress.hpp"
#include "report_format.hpp"
#include "run_summary.hpp"
#include "test_filter.hpp"
#include "timesdb.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

namespace {

using ids_t = std::vector<std::string>;

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

ids_t split_words(std::string_view text) {
    ids_t words;
    std::string w;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) w += c;
        else if (!w.empty()) words.push_back(std::exchange(w, {}));
    }
    if (!w.empty()) words.push_back(w);
    return words;
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

std::string working_dir(const app& a) { return a.here; }

ids_t list_tests(const app& a, const prepared& p) {
    auto cmd = list_command(p.settings);
    if (!cmd) throw cli_error(cmd.error().message);
    process::options opts;
    opts.working_directory = working_dir(a);
    auto got = process::run_capture_shell(*cmd, opts);
    if (!got) throw cli_error("cannot run the test listing '" + *cmd + "': " + got.error().message);
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
            opts.working_directory = working_dir(a);
            opts.deadline = std::chrono::seconds(60);
            auto got = process::run_capture_shell(*cmd, opts);
            if (!got) throw cli_error("cannot run test_run_concurrency '" + *cmd + "': " + got.error().message);
            callout_output out{got->out, got->err, got->status.code, got->status.signal};
            callout = interpret_callout(out);
        }
    }
    const cpu_limit cpus = detect_cpus();
    cpu_source = cpus.source;
    auto plan = resolve_concurrency(o.concurrency, callout, cpus.count);
    if (!plan) throw cli_error(plan.error().message);
    return *plan;
}

prepared prepare(const app& a, const run_options& o) {
    prepared p{a.load_config(), a.open_repository(), {}, std::nullopt, {}, {}, std::nullopt, {}};
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
    const bool many = p.concurrency.answer.per_test || p.concurrency.answer.workers != 1;
    if (!p.ids && (many || !o.filters.empty())) p.ids = list_tests(a, p);
    if (p.ids && !o.filters.empty()) {
        auto f = compile_test_filter(o.filters);
        if (!f) throw cli_error(f.error().message, exit_usage);
        std::erase_if(*p.ids, [&](const std::string& id) { return !(*f)(id); });
    }
    return p;
}

struct schedule {
    partition_plan plan;
    std::vector<std::optional<double>> estimates;  // by position in ids
};

schedule plan_schedule(const prepared& p) {
    schedule s;
    const ids_t& ids = *p.ids;
    auto db = timesdb::open(p.repository.file(timesdb::file_name));
    if (!db) throw cli_error(db.error().message());
    for (auto& w : db->warnings()) std::fprintf(stderr, "testr-mini: warning: %s\n", w.message.c_str());
    s.estimates.reserve(ids.size());
    for (auto& id : ids) s.estimates.push_back(db->estimate(id));
    const std::size_t workers = p.concurrency.answer.per_test ? 0 : p.concurrency.answer.workers;
    auto by_pos = [&](std::size_t i, std::string_view) { return s.estimates[i]; };
    result<partition_plan, partition_error> plan = p.groups
        ? partition(ids, workers, by_pos, [&](std::string_view id) { return (*p.groups)(id); })
        : partition(ids, workers, by_pos);
    if (!plan) throw cli_error(plan.error().message);
    s.plan = std::move(*plan);
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
        std::string_view rest = text;
        while (!rest.empty()) {
            ssize_t n = ::write(fd, rest.data(), rest.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                int e = errno;
                ::close(fd);
                throw cli_error("cannot write " + path_ + ": " + std::strerror(e));
            }
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        ::close(fd);
    }
    ~id_file() { ::unlink(path_.c_str()); }
    id_file(const id_file&) = delete;
    id_file& operator=(const id_file&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct worker_stats {
    std::size_t tests = 0;
    double busy = 0;       // sum of its tests' durations
    double predicted = 0;
    double wall = 0;       // process start to exit
    std::string ended;     // how the process ended, when not cleanly
};

/// Reads the latest stored run, to compare the new one with.
std::optional<run_summary> previous_run(const repo::repository& r) {
    auto latest = repo::latest_id(r);
    if (!latest || !*latest) return std::nullopt;
    auto bytes = repo::read_run(r, **latest);
    if (!bytes) return std::nullopt;
    auto s = summarize(bytes->view());
    if (!s) return std::nullopt;
    return std::move(*s);
}

int run_once(const app& a, const run_options& o, const prepared& p) {
    const bool show = !o.subunit && !a.quiet;
    std::vector<worker_spec> specs;
    std::vector<std::unique_ptr<id_file>> files;
    std::map<std::string, double, std::less<>> estimate_of;  // for the ETA
    double predicted_makespan = 0;
    std::size_t expected_tests = 0;
    std::vector<worker_stats> stats;

    if (!p.ids) {
        auto cmd = run_command_for(p.settings, nullptr, "");
        if (!cmd) throw cli_error(cmd.error().message);
        specs.push_back({0, cmd->command, {}, working_dir(a), {}});
        stats.resize(1);
    } else {
        schedule s = plan_schedule(p);
        predicted_makespan = s.plan.makespan();
        expected_tests = p.ids->size();
        stats.resize(s.plan.workers.size());
        for (std::size_t j = 0; j < s.plan.workers.size(); ++j) {
            const auto& members = s.plan.workers[j];
            if (members.empty()) continue;  // spare partitions start nothing
            std::vector<std::string_view> ids;
            for (auto i : members) {
                ids.emplace_back((*p.ids)[i]);
                estimate_of[(*p.ids)[i]] = s.estimates[i].value_or(s.plan.unknown_estimate);
            }
            stats[j].predicted = s.plan.predicted_seconds[j];
            std::string idfile_path;
            auto probe = run_command_for(p.settings, &ids, "IDFILE");
            if (!probe) throw cli_error(probe.error().message);
            if (probe->needs_idfile) {
                files.push_back(std::make_unique<id_file>(ids));
                idfile_path = files.back()->path();
            }
            auto cmd = run_command_for(p.settings, &ids, idfile_path);
            if (!cmd) throw cli_error(cmd.error().message);
            specs.push_back({static_cast<unsigned>(j), cmd->command, {}, working_dir(a), {}});
        }
    }

    std::optional<run_summary> previous = show ? previous_run(p.repository) : std::nullopt;
    auto writer = repo::begin_run(p.repository);
    if (!writer) throw cli_error(writer.error().message);
    run_summary summary;
    summary.set_filter_tags(p.filter_tags);
    progress_line progress(show && smart_terminal(), expected_tests, predicted_makespan * double(std::max<std::size_t>(1, specs.size())));
    std::optional<std::string> write_error;

    worker_sink sink;
    sink.on_event = [&](unsigned slot, const subunit::event_view& e, std::string_view encoded) {
        if (!write_error) {
            if (auto ok = writer->append(encoded); !ok) write_error = ok.error().message;
        }
        if (o.subunit) write_stdout(encoded);
        summary.add(e);
        const bool final_status = e.test_id && e.test_status >= subunit::status::success;
        if (!final_status) return;
        const test_record* t = summary.find(*e.test_id);
        if (!t) return;
        if (slot < stats.size()) {
            ++stats[slot].tests;
            stats[slot].busy += t->seconds().value_or(0);
        }
        double est = 0;
        if (auto it = estimate_of.find(*e.test_id); it != estimate_of.end()) est = it->second;
        if (show && is_failure(t->status)) {
            progress.clear();
            write_stdout(format_failure(*t));
        }
        progress.finished(t->id, is_failure(t->status), est);
    };
    sink.on_stderr = [&](unsigned, std::string_view bytes) {
        progress.clear();
        std::fwrite(bytes.data(), 1, bytes.size(), stderr);
    };
    sink.on_exit = [&](unsigned slot, const process::exit_status& st) {
        if (slot >= stats.size()) return;
        stats[slot].wall = std::chrono::duration<double>(st.elapsed).count();
        if (!st.success()) stats[slot].ended = process::describe(st);
    };

    worker_pool pool(std::move(sink));
    for (auto& spec : specs) {
        if (auto ok = pool.start(spec); !ok) throw cli_error("cannot start '" + spec.command + "': " + ok.error().message);
    }
    auto outcome = pool.run();
    progress.clear();
    if (!outcome) throw cli_error(outcome.error().message);
    const bool interrupted = outcome->interrupts > 0;

    if (write_error) {
        writer->abandon();
        throw cli_error("the run could not be stored: " + *write_error);
    }
    auto committed = writer->commit(o.partial || o.failing || o.isolated || interrupted);
    if (!committed) throw cli_error("the run could not be stored: " + committed.error().message);

    if (show) {
        write_stdout(format_summary(summarize_against(summary, previous ? &*previous : nullptr, committed->id)));
        if (stats.size() > 1) {
            std::string balance = "Workers (" + std::to_string(specs.size()) + ", " +
                                  std::string(to_string(p.concurrency.source)) + "):\n";
            for (std::size_t j = 0; j < stats.size(); ++j) {
                if (!stats[j].tests && stats[j].wall == 0) continue;
                char line[256];
                std::snprintf(line, sizeof line, "  worker-%zu: %zu tests, %.3fs in tests, %.3fs wall, predicted %.3fs%s%s\n",
                              j, stats[j].tests, stats[j].busy, stats[j].wall, stats[j].predicted,
                              stats[j].ended.empty() ? "" : ", ", stats[j].ended.c_str());
                balance += line;
            }
            write_stdout(balance);
        }
    }
    if (interrupted) {
        std::fprintf(stderr, "testr-mini: interrupted: the %zu tests that completed were stored as partial run %u\n",
                     summary.total(), committed->id);
        return exit_interrupted;
    }
    return summary.failures() ? exit_failed : exit_ok;
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
    schedule s = plan_schedule(p);
    if (json) {
        nlohmann::json j;
        j["concurrency"] = {{"workers", s.plan.workers.size()}, {"source", std::string(to_string(p.concurrency.source))}};
        j["method"] = s.plan.method;
        j["predicted_makespan"] = s.plan.makespan();
        j["unknown_tests"] = s.plan.unknown_tests;
        j["unknown_estimate"] = s.plan.unknown_estimate;
        nlohmann::json workers = nlohmann::json::array();
        for (std::size_t w = 0; w < s.plan.workers.size(); ++w) {
            nlohmann::json tests = nlohmann::json::array();
            for (auto i : s.plan.workers[w]) {
                nlohmann::json t{{"id", (*p.ids)[i]}};
                t["estimate"] = s.estimates[i] ? nlohmann::json(*s.estimates[i]) : nlohmann::json(nullptr);
                tests.push_back(t);
            }
            workers.push_back({{"worker", w}, {"predicted_seconds", s.plan.predicted_seconds[w]}, {"tests", tests}});
        }
        j["workers"] = workers;
        write_stdout(j.dump(2) + "\n");
        return exit_ok;
    }
    std::string out = "Plan: " + std::to_string(p.ids->size()) + " tests on " + std::to_string(s.plan.workers.size()) +
                      " workers (" + std::string(to_string(p.concurrency.source)) + "), predicted " +
                      seconds_text(s.plan.makespan()) + "s (" + s.plan.method + ")";
    if (s.plan.unknown_tests)
        out += "; " + std::to_string(s.plan.unknown_tests) + " without history, counted as " +
               seconds_text(s.plan.unknown_estimate) + "s each";
    out += "\n";
    for (std::size_t w = 0; w < s.plan.workers.size(); ++w) {
        out += "worker-" + std::to_string(w) + ": " + std::to_string(s.plan.workers[w].size()) + " tests, predicted " +
               seconds_text(s.plan.predicted_seconds[w]) + "s\n";
        for (auto i : s.plan.workers[w]) {
            out += "  " + (*p.ids)[i];
            out += s.estimates[i] ? "  " + seconds_text(*s.estimates[i]) + "s\n" : "  (no history)\n";
        }
    }
    write_stdout(out);
    return exit_ok;
}

int list_tests_command(const app& a, const std::vector<std::string>& filters, const std::vector<std::string>& testargs) {
    config::testr_conf conf = a.load_config();
    prepared p{conf, {}, settings_from(conf, testargs), std::nullopt, {}, {}, std::nullopt, {}};
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
