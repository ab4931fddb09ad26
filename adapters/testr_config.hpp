// testr_config.hpp - .testr.conf, read the way testrepository reads it.
//
// testrepository loads the file with Python 3's configparser.ConfigParser()
// (BasicInterpolation, strict) and only ever looks at section [DEFAULT].
// This parser follows configparser's line rules exactly (proved by a
// differential test against /usr/bin/python3, tests/test_config.cpp) so a
// project's existing file means the same here. docs/configuration.md lists
// the keys and the few deliberate differences.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <testr/command_template.hpp>
#include <testr/result.hpp>

namespace testr::config {

/// What is wrong with a .testr.conf, and where.
struct config_error {
    std::string path;
    std::size_t line = 0;  ///< 1-based; 0 = the whole file
    std::string message;
    /// "path:line: message", or "path: message" when line is 0.
    std::string what() const;
};

/// The [DEFAULT] section of a .testr.conf, interpolated.
struct testr_conf {
    std::string path;
    /// Lowercased key -> value: continuation lines joined with "\n", "%%"
    /// and "%(name)s" resolved.
    std::map<std::string, std::string, std::less<>> values;
    /// Lowercased key -> the line its definition starts on, for messages
    /// about a value ("FILE:LINE: bad group_regex ...").
    std::map<std::string, std::size_t, std::less<>> lines;

    /// The value of `key` (matched case-insensitively, as configparser's
    /// optionxform does), or nullopt when the file does not set it.
    std::optional<std::string> get(std::string_view key) const;
    /// The line `key` is defined on, or 0 when it is not set.
    std::size_t line_of(std::string_view key) const;
};

/// Reads and parses the file at `path`. A missing or unreadable file is
/// the original's "No .testr.conf config file" (line 0), with the path and
/// the system's reason.
result<testr_conf, config_error> load(const std::string& path);

/// Parses `text` (UTF-8) as configparser would; `path` only names the file
/// in errors. Errors, each with the line configparser reports: a line
/// before any [section] header, a duplicate section or key, a line that is
/// neither header, key=value/key: value nor comment (the first such line),
/// invalid UTF-8, and a [DEFAULT] value whose %-interpolation fails (bad
/// syntax, unknown %(name)s, nesting deeper than 10) — the latter on the
/// key's line, for every key, where the original fails only when it reads
/// that key.
result<testr_conf, config_error> parse(std::string_view text, std::string path);

/// The keys shaping the test command. Error (on test_command's absence) as
/// the original: "No test_command option present in .testr.conf".
result<command_settings, config_error> command_settings_of(const testr_conf& conf);

/// test_times_file: a duration file (`testr-mini times export`'s format)
/// kept in the project or restored from a CI cache, planning the tests the
/// repository has no history for. A relative path is taken from the
/// directory of the configuration file. nullopt when unset or empty.
std::optional<std::string> test_times_file(const testr_conf& conf);

/// A stestr project's `.stestr.conf` as the .testr.conf that runs what
/// `stestr run` runs: test_command is stestr's own runner line,
///   ${PYTHON:-python3} -m stestr.subunit_runner.run discover -t "TOP_DIR" "TEST_PATH" $LISTOPT $IDOPTION
/// (top_dir default "./"; stestr puts its own interpreter where $PYTHON is
/// unset), with test_list_option "--list" and test_id_option
/// "--load-list $IDFILE"; group_regex is `([^\.]*\.)*` when parallel_class
/// is true (configparser's booleans), else the file's group_regex. A
/// test_command in the file is taken as written (stestr 3.2 ignores it).
/// Errors: the file's parse errors; no test_path ("No test_path can be
/// found ..." as stestr says it); a parallel_class that is not a boolean.
result<testr_conf, config_error> load_stestr(const std::string& path);

/// Which configuration a project directory uses, and what to tell the user.
struct project_config {
    testr_conf conf;
    /// Non-empty when the choice needs saying: both .testr.conf and
    /// .stestr.conf exist (.testr.conf is used).
    std::string note;
};

/// dir/.testr.conf when it exists, else dir/.stestr.conf through
/// load_stestr, else the original's "No .testr.conf config file" error.
result<project_config, config_error> load_project(const std::string& dir);

}  // namespace testr::config
