// tools/testr-mini/native_suite.cpp - see native_suite.hpp.
#include "native_suite.hpp"

#include <chrono>
#include <unistd.h>

#include "app.hpp"
#include "process.hpp"

namespace testr::cli {

namespace {

std::string quoted_words(const std::vector<std::string>& args) {
    std::string s;
    for (const auto& a : args) {
        if (!s.empty()) s += ' ';
        s += shell_quote(a);
    }
    return s;
}

/// test_command for binary `b`: $BINARY is its path, $LISTOPT and
/// $IDOPTION the format's arguments (appended when the command has no
/// place for them), then the arguments given after `--`.
result<std::string> fill(const native_suite& s, const command_settings& settings, std::size_t b,
                         std::string_view listopt, std::string_view idoption) {
    std::string text = settings.test_command;
    if (!s.binaries[b].path.empty()) {
        const std::string path = shell_quote(s.binaries[b].path);
        for (std::size_t at = 0; (at = text.find("$BINARY", at)) != std::string::npos; at += path.size())
            text.replace(at, 7, path);
    }
    using detail::command_var;
    detail::command_values values{};
    values[static_cast<std::size_t>(command_var::listopt)] = listopt;
    values[static_cast<std::size_t>(command_var::idoption)] = idoption;
    std::string cmd = detail::substitute(text, values);
    if (!detail::uses_var(text, command_var::listopt) && !listopt.empty()) (cmd += ' ') += listopt;
    if (!detail::uses_var(text, command_var::idoption) && !idoption.empty()) (cmd += ' ') += idoption;
    return detail::finish_command(std::move(cmd), settings);
}

std::string basename_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<std::size_t> native_suite::binary_of(std::string_view id) const {
    std::optional<std::size_t> best;
    for (std::size_t b = 0; b < binaries.size(); ++b) {
        const auto& p = binaries[b].prefix;
        if (id.starts_with(p) && (!best || p.size() > binaries[*best].prefix.size())) best = b;
    }
    return best;
}

std::shared_ptr<native_suite> native_suite_of(const config::testr_conf& conf) {
    auto format = conf.get("test_format");
    if (!format || format->empty() || *format == "subunit") return nullptr;
    const auto where = conf.path + ":" + std::to_string(conf.line_of("test_format")) + ": ";
    auto f = native::parse_framework(*format);
    if (!f) throw cli_error(where + "test_format must be subunit, gtest, doctest or catch2, not '" + *format + "'");
    auto suite = std::make_shared<native_suite>();
    suite->format = *f;
    const auto binaries = split_words(conf.get("test_binaries").value_or(""));
    if (binaries.empty()) {
        suite->binaries.push_back({});
    } else {
        if (conf.get("test_command").value_or("").find("$BINARY") == std::string::npos)
            throw cli_error(conf.path + ":" + std::to_string(conf.line_of("test_binaries")) +
                            ": test_binaries is set, so test_command must say where each goes with $BINARY");
        for (const auto& path : binaries) {
            // The file name, unless two binaries share it: then the path
            // as written, so that each id names one binary for good.
            std::string name = basename_of(path);
            std::size_t same = 0;
            for (const auto& other : binaries) same += basename_of(other) == name;
            if (same > 1) name = path;
            suite->binaries.push_back({path, name + "::"});
        }
    }
    suite->marker = "@@testr-mini:process-ended:" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    return suite;
}

std::vector<std::string> list_native(const app& a, native_suite& suite, const command_settings& settings,
                                     const std::function<std::string(const std::string&)>& wrap) {
    std::vector<std::string> ids;
    std::unordered_set<std::string> seen;
    const std::string listopt = quoted_words(native::list_args(suite.format));
    for (std::size_t b = 0; b < suite.binaries.size(); ++b) {
        auto cmd = fill(suite, settings, b, listopt, "");
        if (!cmd) throw cli_error(cmd.error().message);
        const std::string command = wrap ? wrap(*cmd) : *cmd;
        process::options opts;
        opts.working_directory = a.here;
        auto got = process::run_capture_shell(command, opts);
        if (!got) throw cli_error("cannot run the test listing '" + command + "': " + got.error().message);
        if (got->status.interrupted) throw cli_error("interrupted while listing tests", exit_interrupted);
        // Catch2 v2 exits with the number of tests it listed.
        const bool listed_ok = got->status.success() ||
                               (suite.format == native::framework::catch2 && got->status.signal == 0 && got->status.code > 0);
        if (!listed_ok) {
            std::string said = got->out + got->err;
            if (!said.empty() && said.back() != '\n') said += '\n';
            throw cli_error("the test listing failed (" + process::describe(got->status) + "): " + command +
                            (said.empty() ? std::string("\n(it printed nothing)") : "\n" + said));
        }
        auto listed = native::parse_listing(suite.format, got->out);
        if (!listed)
            throw cli_error("the listing of '" + command + "' is not a " +
                            std::string(native::to_string(suite.format)) + " listing: " + listed.error().message);
        for (auto& t : *listed) {
            std::string id = suite.binaries[b].prefix + t.id;
            // doctest allows two cases of one name; they select each other.
            if (!seen.insert(id).second) continue;
            if (t.disabled) suite.disabled.insert(id);
            ids.push_back(std::move(id));
        }
    }
    return ids;
}

result<native::runner_plan> native_plan(const native_suite& suite, const command_settings& settings,
                                        std::span<const std::string_view> ids, bool whole_suite,
                                        const std::function<result<std::string>(std::string_view)>& write_file) {
    native::runner_plan plan;
    plan.format = suite.format;
    plan.marker = suite.marker;
    const auto base = native::run_args(suite.format);
    if (whole_suite) {
        for (std::size_t b = 0; b < suite.binaries.size(); ++b) {
            auto cmd = fill(suite, settings, b, "", quoted_words(base));
            if (!cmd) return unexpected(cmd.error());
            plan.segments.push_back({std::move(*cmd), suite.binaries[b].prefix});
        }
        return plan;
    }
    std::vector<std::vector<std::string>> local(suite.binaries.size());
    for (auto id : ids) {
        auto b = suite.binary_of(id);
        if (!b) return fail("the test id '" + std::string(id) + "' names none of the binaries in test_binaries");
        if (suite.disabled.count(std::string(id))) plan.not_run.emplace_back(id);
        else local[*b].emplace_back(id.substr(suite.binaries[*b].prefix.size()));
    }
    for (std::size_t b = 0; b < suite.binaries.size(); ++b) {
        if (local[b].empty()) continue;
        auto invocations = native::select(suite.format, local[b]);
        if (!invocations) return unexpected(invocations.error());
        for (auto& inv : *invocations) {
            auto args = base;
            args.insert(args.end(), inv.args.begin(), inv.args.end());
            if (!inv.file_contents.empty()) {
                auto path = write_file(inv.file_contents);
                if (!path) return unexpected(path.error());
                auto more = native::file_args(suite.format, *path);
                args.insert(args.end(), more.begin(), more.end());
            }
            auto cmd = fill(suite, settings, b, "", quoted_words(args));
            if (!cmd) return unexpected(cmd.error());
            plan.segments.push_back({std::move(*cmd), suite.binaries[b].prefix});
        }
    }
    return plan;
}

}  // namespace testr::cli
