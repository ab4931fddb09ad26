// tools/testr-mini/prepare.cpp - see prepare.hpp.
//
// The flow follows testrepository's TestCommand: ids come from --failing /
// --load-list, else from listing when running in parallel or filtering;
// concurrency from --concurrency, the test_run_concurrency callout, the CPUs
// this process may use.
#include "prepare.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <set>
#include <unordered_set>

#include "cpu_detect.hpp"
#include "file_bytes.hpp"
#include "native_suite.hpp"
#include "process.hpp"
#include "stestr_options.hpp"
#include "run_summary.hpp"
#include "shard_split.hpp"
#include "subunit_v2.hpp"
#include "test_filter.hpp"

namespace testr::cli {

namespace {

command_settings settings_from(const config::testr_conf& conf, const std::vector<std::string>& testargs) {
    auto s = config::command_settings_of(conf);
    if (!s) throw cli_error(s.error().message);
    s->extra_args = testargs;  // appended shell-quoted: they were words in the user's shell already
    return std::move(*s);
}

/// One id per line, surrounding blanks dropped.
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

}  // namespace

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

namespace {

/// What a failed listing said, decoded: its tracebacks and text, never the
/// raw packets.
std::string listing_text(std::string_view out) {
    std::string text;
    subunit::decoder d([&](const subunit::event_view& e, std::string_view) {
        if (!e.file_name || e.file_bytes.empty()) return;
        if (e.mime_type && e.mime_type->starts_with("application/octet-stream")) return;
        if (e.test_id && text.find(*e.test_id) == std::string::npos) ((text += *e.test_id) += ":") += '\n';
        text += e.file_bytes;
        if (text.back() != '\n') text += '\n';
    });
    d.feed(out);
    d.finish();
    return text;
}

ids_t failing_ids(const repo::repository& r) {
    auto bytes = repo::read_failing(r);
    if (!bytes) throw cli_error(bytes.error().message);
    auto summary = summarize(*bytes);
    ids_t ids;
    if (!summary) return ids;
    // As the original's _find_failing: tests whose status is 'fail'; but
    // not the pseudo-test of a failed runner, which no runner can run.
    for (const test_view t : summary->tests())
        if (t.status == subunit::status::fail && t.id != "process-returncode") ids.emplace_back(t.id);
    return ids;
}

/// Keeps the first of each id. A listing may name a test twice (a suite
/// loaded from two paths); testr hands both copies to one runner, whose
/// --load-list filter runs what it discovered once per copy either way, so
/// one id in the plan gives the same run. The note says so, once.
void drop_repeats(const app& a, ids_t& ids) {
    std::unordered_set<std::string_view> seen;  // views of `kept`'s strings: reserved, never moved
    seen.reserve(ids.size());
    std::size_t repeats = 0;
    std::string first;
    ids_t kept;
    kept.reserve(ids.size());
    for (std::string& id : ids) {
        if (seen.contains(id)) {
            if (!repeats++) first = id;
            continue;
        }
        kept.push_back(std::move(id));
        seen.insert(kept.back());
    }
    ids = std::move(kept);
    if (repeats && !a.quiet)
        std::fprintf(stderr,
                     "testr-mini: note: the test listing repeats test ids (%zu %s; the first: '%s'); each id is "
                     "given to its runner once, as testr gives every copy to the same runner\n",
                     repeats, repeats == 1 ? "repeat" : "repeats", first.c_str());
}

ids_t read_load_list(const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) throw cli_error("cannot read --load-list file: " + bytes.error().message());
    return parse_lines(bytes->view());
}

/// How long the concurrency callout may take: it should print a number.
constexpr std::chrono::seconds callout_deadline{60};

concurrency_plan decide_concurrency(const app& a, const run_options& o, const config::testr_conf& conf,
                                    std::string& cpu_source, std::size_t& cpu_count) {
    if (!o.parallel || o.serial) return {concurrency_answer::of(1), concurrency_source::option};
    std::optional<callout_result> callout;
    if (o.concurrency == 0) {
        if (auto cmd = conf.get("test_run_concurrency")) {
            process::options opts;
            opts.working_directory = a.here;
            opts.deadline = callout_deadline;
            auto got = process::run_capture_shell(*cmd, opts);
            if (!got) throw cli_error("cannot run test_run_concurrency '" + *cmd + "': " + got.error().message);
            if (got->status.interrupted) throw cli_error("interrupted while asking test_run_concurrency", exit_interrupted);
            if (got->status.timed_out)
                throw cli_error("test_run_concurrency '" + *cmd + "' did not answer within its " +
                                std::to_string(callout_deadline.count()) + " s deadline; it was stopped (" +
                                process::describe(got->status) + ")");
            callout = interpret_callout({got->out, got->err, got->status.code, got->status.signal,
                                         process::signal_name(got->status.signal)});
        }
    }
    const cpu_limit cpus = detect_cpus();
    cpu_source = cpus.source;
    cpu_count = cpus.count;
    auto plan = resolve_concurrency(o.concurrency, callout, cpus.count);
    if (!plan) throw cli_error(plan.error().message);
    return *plan;
}

/// --timeout, else the test_timeout key of .testr.conf (seconds).
double effective_timeout(const run_options& o, const config::testr_conf& conf) {
    if (o.timeout > 0) return o.timeout;
    auto text = conf.get("test_timeout");
    if (!text || text->empty()) return 0;
    char* end = nullptr;
    const double s = std::strtod(text->c_str(), &end);
    if (end == text->c_str() || *end != '\0' || !(s >= 0) || !std::isfinite(s))
        throw cli_error(conf.path + ": test_timeout must be a number of seconds >= 0, not '" + *text + "'");
    return s;
}

}  // namespace

void apply_filters(ids_t& ids, const std::vector<std::string>& filters) {
    if (filters.empty()) return;
    auto f = compile_test_filter(filters);
    if (!f) throw cli_error(f.error().message, exit_usage);
    std::erase_if(ids, [&](const std::string& id) { return !(*f)(id); });
}

ids_t list_tests(const app& a, prepared& p) {
    if (p.native) {
        std::function<std::string(const std::string&)> wrap;
        if (p.environments)
            wrap = [&](const std::string& cmd) {
                auto w = p.environments->wrap(0, cmd, "");
                if (!w) throw cli_error(w.error().message);
                return *w;
            };
        return list_native(a, *p.native, p.settings, wrap);
    }
    auto cmd = list_command(p.settings);
    if (!cmd) throw cli_error(cmd.error().message);
    std::string wrapped = *cmd;
    if (p.environments) {
        auto w = p.environments->wrap(0, *cmd, "");
        if (!w) throw cli_error(w.error().message);
        wrapped = *w;
    }
    process::options opts;
    opts.working_directory = a.here;
    auto got = process::run_capture_shell(wrapped, opts);
    if (!got) throw cli_error("cannot run the test listing '" + wrapped + "': " + got.error().message);
    p.listing_seconds = std::chrono::duration<double>(got->status.first_stdout.value_or(got->status.elapsed)).count();
    if (got->status.interrupted) throw cli_error("interrupted while listing tests", exit_interrupted);
    if (!got->status.success()) {
        std::string said = listing_text(got->out) + got->err;
        if (!said.empty() && said.back() != '\n') said += '\n';
        throw cli_error("the test listing failed (" + process::describe(got->status) + "): " + wrapped +
                        (said.empty() ? std::string("\n(it printed nothing)") : "\n" + said));
    }
    return parse_listing(got->out);
}

prepared prepare_listing(const app& a, const std::vector<std::string>& testargs) {
    prepared p;
    p.conf = a.load_config();
    p.settings = settings_from(p.conf, testargs);
    p.native = native_suite_of(p.conf);
    if (p.conf.get("instance_execute")) p.environments = std::make_shared<instances>(a.here, p.conf, 1);
    return p;
}

prepared prepare(const app& a, const run_options& o, bool list_for_plan,
                 const std::function<void(const prepared&)>& settled) {
    prepared p;
    p.conf = a.load_config();
    p.repository = a.open_repository();
    p.settings = settings_from(p.conf, o.testargs);
    p.native = native_suite_of(p.conf);
    if (o.failing) p.ids = failing_ids(*p.repository);
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
        if (!m) throw cli_error(p.conf.path + ": " + m.error().message);
        p.groups = std::move(*m);
    }
    if (auto tags = p.conf.get("filter_tags")) p.filter_tags = split_words(*tags);
    p.concurrency = decide_concurrency(a, o, p.conf, p.cpu_source, p.cpus);
    if (p.conf.get("instance_execute"))
        p.environments = std::make_shared<instances>(a.here, p.conf, p.concurrency.answer.workers);
    p.timeout = effective_timeout(o, p.conf);
    p.shard = choose_shard(o.shard, o.shard_total, o.shard_from_env, p.conf, process_environment());
    // The original lists only to split or filter; we also list for
    // --parallel, timeouts and retries, which need to know each runner's
    // tests to re-run or account for them.
    const bool many = p.concurrency.answer.per_test || p.concurrency.answer.workers != 1;
    // A C++ suite lists cheaply, and a crash is then followed by the rest.
    const bool tracked = o.parallel || p.timeout > 0 || o.retries > 0 || list_for_plan || p.native;
    const bool listing = !p.ids && (many || tracked || !o.filters.empty() || !o.exclude.empty() || o.random || p.shard);
    p.prestart = choose_prestart(o, p, p.ids || listing);
    if (settled) settled(p);
    if (listing) p.ids = list_tests(a, p);
    if (p.ids) {
        drop_repeats(a, *p.ids);
        apply_filters(*p.ids, o.filters);
        exclude_tests(*p.ids, o.exclude);
    }
    // After every other selection: a shard is a part of what was selected.
    if (p.shard) p.shard_note = keep_shard(p);
    return p;
}

}  // namespace testr::cli
