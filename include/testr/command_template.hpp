// testr/command_template.hpp - the shell commands testrepository builds from
// .testr.conf, built the same way but safe for any test id.
//
// The original (testrepository/testcommand.py, TestCommand.get_run_command
// and TestListingFixture.setUp) fills $LISTOPT, $IDOPTION, $IDFILE and
// $IDLIST into test_command with one regex pass and splices the test ids in
// raw, so an id holding a space, a quote or `$(...)` is re-parsed by the
// shell. Here every id that is not made only of characters the shell takes
// literally is single-quoted (shlex.quote's rule), so ids arrive intact and
// nothing in them runs; typical ids come out exactly as the original's.
// Pure functions, no I/O: the caller writes the id file and starts the shell.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <testr/detail/py_text.hpp>
#include <testr/result.hpp>

namespace testr {

/// The .testr.conf keys that shape the test command (see
/// docs/configuration.md); a missing key is nullopt, an empty one "".
struct command_settings {
    std::string test_command;
    std::optional<std::string> test_id_option, test_list_option, test_id_list_default;
    /// Arguments given after `--` on the command line. The original joins
    /// them raw onto test_command; here each is appended shell-quoted, after
    /// the substitution (so a "$IDLIST" among them stays literal).
    std::vector<std::string> extra_args;
};

/// `text` as one shell word: unchanged when non-empty and made only of
/// [A-Za-z0-9_@%+=:,./-] (Python's shlex.quote's rule), else in single
/// quotes with each ' written '\'' (shlex.quote writes '"'"').
inline std::string shell_quote(std::string_view text) {
    const auto safe = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
    };
    if (!text.empty() && std::all_of(text.begin(), text.end(), safe)) return std::string(text);
    std::string quoted = "'";
    for (const char c : text) {
        if (c == '\'') quoted += "'\\''";
        else quoted += c;
    }
    return quoted + "'";
}

namespace detail {

/// One left-to-right pass like the original's re.sub('\$(A|B|...)', fn):
/// every "$NAME" is replaced by the value at NAME's index, the first name
/// in `names` that matches winning; replacements are never rescanned.
template <std::size_t N>
std::string substitute_vars(std::string_view text, const std::array<std::string_view, N>& names,
                            const std::array<std::string_view, N>& values) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    for (std::size_t dollar; (dollar = text.find('$', pos)) != std::string_view::npos;) {
        out.append(text, pos, dollar - pos);
        pos = dollar + 1;
        const auto name = std::find_if(names.begin(), names.end(),
                                       [&](std::string_view n) { return text.compare(pos, n.size(), n) == 0; });
        if (name == names.end()) {
            out += '$';
            continue;
        }
        out += values[static_cast<std::size_t>(name - names.begin())];
        pos += name->size();
    }
    return out.append(text, pos);
}

/// The variables of test_command, in the order of the original's regex
/// '\$(IDOPTION|IDFILE|IDLIST|LISTOPT)'; none is a prefix of another, so
/// "$IDLISTX" is $IDLIST followed by "X", as in the original.
enum class command_var { idoption, idfile, idlist, listopt, count };
inline constexpr std::size_t command_var_count = static_cast<std::size_t>(command_var::count);
inline constexpr std::array<std::string_view, command_var_count> command_var_names{"IDOPTION", "IDFILE",
                                                                                  "IDLIST", "LISTOPT"};
using command_values = std::array<std::string_view, command_var_count>;

inline bool uses_var(std::string_view text, command_var var) {
    std::string needle(1, '$');
    needle += command_var_names[static_cast<std::size_t>(var)];
    return text.find(needle) != std::string_view::npos;
}

inline std::string substitute(std::string_view text, const command_values& values) {
    return substitute_vars(text, command_var_names, values);
}

/// The checks TestCommand.get_run_command makes before any command is
/// built, with its messages.
inline result<void> check_settings(const command_settings& settings) {
    if (uses_var(settings.test_command, command_var::idoption) && !settings.test_id_option)
        return fail("No test_id_option option present in .testr.conf");
    if (uses_var(settings.test_command, command_var::listopt) && !settings.test_list_option)
        return fail("No test_list_option option present in .testr.conf");
    return {};
}

/// `command` with the extra arguments appended; an error when the result
/// could not be handed to a shell (an embedded NUL).
inline result<std::string> finish_command(std::string command, const command_settings& settings) {
    for (const auto& arg : settings.extra_args) {
        command += ' ';
        command += shell_quote(arg);
    }
    if (command.find('\0') != std::string::npos)
        return fail("the test command contains a NUL byte, which no shell command can hold");
    return command;
}

}  // namespace detail

/// The command listing the tests (TestListingFixture.list_tests):
/// $LISTOPT -> test_list_option, $IDLIST -> test_id_list_default (raw, it is
/// the config author's text) or "", $IDOPTION and $IDFILE -> "".
/// Errors as the original: "No test_id_option option present in
/// .testr.conf" (test_command uses $IDOPTION without the key), "No
/// test_list_option option present in .testr.conf", "LISTOPT not configured
/// in .testr.conf" (test_command has no $LISTOPT).
inline result<std::string> list_command(const command_settings& settings) {
    using detail::command_var;
    if (auto checked = detail::check_settings(settings); !checked) return unexpected{checked.error()};
    if (!detail::uses_var(settings.test_command, command_var::listopt))
        return fail("LISTOPT not configured in .testr.conf");
    detail::command_values values{};
    values[static_cast<std::size_t>(command_var::listopt)] = *settings.test_list_option;
    const std::string default_text = settings.test_id_list_default.value_or("");
    values[static_cast<std::size_t>(command_var::idlist)] = default_text;
    return detail::finish_command(detail::substitute(settings.test_command, values), settings);
}

/// A command to run through `sh -c`.
struct run_command {
    std::string command;
    /// The command reads $IDFILE: the caller must write the ids there, one
    /// per line, before starting it (and remove the file afterwards).
    bool needs_idfile = false;
    /// When called without ids and test_id_list_default is set, the
    /// original runs the ids it splits out of that value (str.split()):
    /// these are they, and they are what the id file must hold.
    std::vector<std::string> default_ids;
    /// The ids reach the command ($IDLIST, $IDFILE, or $IDOPTION using one
    /// of them). When false with ids given, the command runs every test, as
    /// the original's would.
    bool receives_ids = false;
    /// The ids are spelled on the command line ($IDLIST), not only in a file.
    bool lists_ids = false;
};

/// The command running `ids` (TestListingFixture.setUp), or, with ids ==
/// nullptr, the command running everything.
///
/// With ids: $IDOPTION -> test_id_option with its own $IDFILE -> idfile_path
/// and $IDLIST -> the ids; $IDFILE -> idfile_path; $IDLIST -> the ids
/// joined by spaces, each through shell_quote; $LISTOPT -> "". idfile_path
/// goes through shell_quote too. An empty id list still yields a command,
/// but the original starts no process for it.
///
/// Without ids and a non-empty test_id_list_default: as with ids, the ids
/// being run_command::default_ids, put into $IDLIST unquoted (they are the
/// config author's shell text, as in the original). Otherwise $IDOPTION,
/// $IDFILE, $IDLIST and $LISTOPT -> "".
///
/// Errors: those of get_run_command (see list_command); an id holding NUL;
/// an id holding '\n' or '\r' when the command reads $IDFILE (the file has
/// one id per line), naming the id.
///
/// Like the original's, a $IDLIST of many ids can exceed Linux's 128 KiB
/// limit on one argument (MAX_ARG_STRLEN: `sh -c COMMAND` then fails with
/// E2BIG); $IDFILE has no such limit.
inline result<run_command> run_command_for(const command_settings& settings,
                                           const std::vector<std::string_view>* ids,
                                           std::string_view idfile_path) {
    using detail::command_var;
    using detail::uses_var;
    if (auto checked = detail::check_settings(settings); !checked) return unexpected{checked.error()};
    const auto index = [](command_var var) { return static_cast<std::size_t>(var); };
    run_command run;
    const std::string_view template_text = settings.test_command;
    const bool with_default = ids == nullptr && !settings.test_id_list_default.value_or("").empty();
    if (ids == nullptr && !with_default) {
        auto command = detail::finish_command(detail::substitute(template_text, {}), settings);
        if (!command) return unexpected{std::move(command).error()};
        run.command = std::move(*command);
        return run;
    }

    const std::string idoption = settings.test_id_option.value_or("");  // owned: value_or returns a temporary
    const bool idoption_used = uses_var(template_text, command_var::idoption);
    run.needs_idfile = uses_var(template_text, command_var::idfile) ||
                       (idoption_used && uses_var(idoption, command_var::idfile));
    run.lists_ids = uses_var(template_text, command_var::idlist) || (idoption_used && uses_var(idoption, command_var::idlist));
    run.receives_ids = run.needs_idfile || run.lists_ids;

    std::string idlist;
    if (with_default) {
        for (const auto word : detail::py_split(*settings.test_id_list_default)) {
            if (!idlist.empty()) idlist += ' ';
            idlist += word;
            run.default_ids.emplace_back(word);
        }
    } else {
        for (const auto& id : *ids) {
            if (id.find('\0') != std::string_view::npos)
                return fail("test id " + shell_quote(id) + " contains a NUL byte");
            if (run.needs_idfile && id.find_first_of("\r\n") != std::string_view::npos)
                return fail("test id " + shell_quote(id) +
                            " contains a line break, so it cannot be listed in $IDFILE (one id per line)");
            if (&id != ids->data()) idlist += ' ';
            idlist += shell_quote(id);
        }
    }

    const std::string idfile = shell_quote(idfile_path);
    detail::command_values values{};
    values[index(command_var::idfile)] = idfile;
    values[index(command_var::idlist)] = idlist;
    // test_id_option is expanded first, seeing no $IDOPTION or $LISTOPT.
    const std::string expanded_idoption = detail::substitute(idoption, values);
    values[index(command_var::idoption)] = expanded_idoption;
    auto command = detail::finish_command(detail::substitute(template_text, values), settings);
    if (!command) return unexpected{std::move(command).error()};
    run.command = std::move(*command);
    return run;
}

/// The instance hooks (instance_provision / _execute / _dispose), one regex
/// pass each like the original. Values coming from outside the config are
/// shell-quoted as ids are; $COMMAND is a command line and stays raw.

/// instance_provision: $INSTANCE_COUNT -> count.
inline std::string instance_provision_command(std::string_view provision, std::size_t count) {
    const std::string text = std::to_string(count);
    return detail::substitute_vars<1>(provision, {"INSTANCE_COUNT"}, {text});
}

/// instance_execute: $INSTANCE_ID -> instance_id, $COMMAND -> command,
/// $FILES -> files (the id file's path, "" when there is none).
inline std::string instance_execute_command(std::string_view execute, std::string_view instance_id,
                                            std::string_view command, std::string_view files) {
    const std::string id = shell_quote(instance_id);
    const std::string files_word = files.empty() ? std::string() : shell_quote(files);
    return detail::substitute_vars<3>(execute, {"INSTANCE_ID", "COMMAND", "FILES"}, {id, command, files_word});
}

/// instance_dispose: $INSTANCE_IDS -> the ids, sorted, joined by spaces.
inline std::string instance_dispose_command(std::string_view dispose, std::vector<std::string> instance_ids) {
    std::sort(instance_ids.begin(), instance_ids.end());
    std::string joined;
    for (const auto& id : instance_ids) {
        if (!joined.empty()) joined += ' ';
        joined += shell_quote(id);
    }
    return detail::substitute_vars<1>(dispose, {"INSTANCE_IDS"}, {joined});
}

}  // namespace testr
