// testr_config.cpp - configparser's reading rules (Python 3.11
// RawConfigParser._read with ConfigParser's defaults: delimiters = and :,
// full-line comments # and ;, empty lines kept inside values, strict) and
// BasicInterpolation, for the [DEFAULT] section testrepository uses.
#include "testr_config.hpp"

#include "file_bytes.hpp"

#include <testr/detail/py_text.hpp>
#include <testr/detail/utf8.hpp>

#include <cctype>
#include <deque>
#include <set>
#include <utility>
#include <vector>

#include <unistd.h>

namespace testr::config {

namespace {

using detail::py_space_at;
using detail::py_strip;

// configparser's MAX_INTERPOLATION_DEPTH.
constexpr int max_interpolation_depth = 10;
// Nested references can grow a value exponentially; Python would grind on,
// a limit turns that into a clear error.
constexpr std::size_t max_value_size = std::size_t{16} << 20;

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// A line for an error message: Python's repr-like, short.
std::string quoted_line(std::string_view line) {
    constexpr std::size_t limit = 80;
    std::string out = "'";
    for (const char c : line.substr(0, limit)) {
        if (c == '\t') out += "\\t";
        else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) out += '?';
        else out += c;
    }
    return out + (line.size() > limit ? "...'" : "'");
}

// The indentation configparser compares: the index, in characters, of the
// line's first non-whitespace character (NONSPACECRE.search(line).start()).
std::size_t indent_of(std::string_view line) {
    std::size_t chars = 0;
    for (std::size_t pos = 0; const auto n = py_space_at(line, pos); pos += n) ++chars;
    return chars;
}

struct option {
    std::string key;
    std::vector<std::string_view> lines;  // joined with "\n" at the end
    std::size_t line = 0;
};

class reader {
public:
    explicit reader(std::string path) : path_(std::move(path)) {}

    result<testr_conf, config_error> run(std::string_view text) {
        // Python decodes (in 8 KiB chunks) before it parses, so bad UTF-8
        // wins over any parse error in a file of usual size.
        if (auto bad = check_utf8(text)) return unexpected{std::move(*bad)};
        std::size_t lineno = 0;
        for (std::size_t pos = 0; pos < text.size();) {
            // Universal newlines: "\n", "\r\n" and "\r" all end a line.
            std::size_t end = text.find_first_of("\r\n", pos);
            if (end == std::string_view::npos) end = text.size();
            ++lineno;
            if (auto fatal = read_line(text.substr(pos, end - pos), lineno)) return unexpected{std::move(*fatal)};
            pos = end;
            if (pos < text.size()) pos += text.compare(pos, 2, "\r\n") == 0 ? 2 : 1;
        }
        if (first_bad_line_) return unexpected{std::move(*first_bad_line_)};
        return interpolate_all();
    }

private:
    config_error error_at(std::size_t line, std::string message) const { return {path_, line, std::move(message)}; }

    std::optional<config_error> check_utf8(std::string_view text) const {
        std::size_t lineno = 1;
        for (std::size_t pos = 0; pos < text.size();) {
            const std::size_t n = testr::detail::utf8_char_length(text, pos);
            if (n == 0) return error_at(lineno, "invalid UTF-8 at byte offset " + std::to_string(pos));
            const char c = text[pos];
            if (c == '\n' || (c == '\r' && text.compare(pos + 1, 1, "\n") != 0)) ++lineno;
            pos += n;
        }
        return std::nullopt;
    }

    // One line of RawConfigParser._read; a returned error is one Python
    // raises at once, while unparsable lines are only noted (Python raises
    // its ParsingError after the last line).
    std::optional<config_error> read_line(std::string_view line, std::size_t lineno) {
        const std::string_view value = py_strip(line);
        if (!value.empty() && (value.front() == '#' || value.front() == ';')) return std::nullopt;
        if (value.empty()) {
            // configparser keeps an empty line inside a value; trailing
            // ones go at the final rstrip.
            if (current_ != nullptr) current_->lines.emplace_back();
            return std::nullopt;
        }
        const std::size_t indent = indent_of(line);
        if (current_ != nullptr && indent > indent_level_) {
            current_->lines.push_back(value);
            return std::nullopt;
        }
        indent_level_ = indent;
        if (const auto close = value.rfind(']'); value.front() == '[' && close != std::string_view::npos && close >= 2) {
            std::string name(value.substr(1, close - 1));
            // [DEFAULT] may be reopened; any other section only once.
            if (name != "DEFAULT" && !sections_.insert(name).second)
                return error_at(lineno, "section [" + name + "] already exists");
            section_ = std::move(name);
            in_section_ = true;
            current_ = nullptr;
            return std::nullopt;
        }
        if (!in_section_)
            return error_at(lineno, "line " + quoted_line(value) + " comes before any [section] header");
        const std::size_t delimiter = value.find_first_of("=:");
        if (delimiter == std::string_view::npos) {
            note_bad_line(lineno, "expected 'key = value', 'key: value', a [section] header or a comment, got " +
                                      quoted_line(value));
            return std::nullopt;
        }
        std::string key = lower_ascii(detail::py_rstrip(value.substr(0, delimiter)));
        if (key.empty()) note_bad_line(lineno, "key missing before '" + std::string(1, value[delimiter]) + "'");
        if (!keys_.insert({section_, key}).second)
            return error_at(lineno, "key '" + key + "' already set in section [" + section_ + "]");
        option* target = &scratch_;
        if (section_ == "DEFAULT") target = &defaults_.emplace_back();
        *target = option{std::move(key), {py_strip(value.substr(delimiter + 1))}, lineno};
        // An empty key takes no continuation lines (configparser tests the
        // key's truth).
        current_ = target->key.empty() ? nullptr : target;
        return std::nullopt;
    }

    void note_bad_line(std::size_t lineno, std::string message) {
        if (!first_bad_line_) first_bad_line_ = error_at(lineno, std::move(message));
    }

    result<testr_conf, config_error> interpolate_all() {
        std::map<std::string, std::string, std::less<>> raw;
        for (const auto& opt : defaults_) {
            std::string joined;
            for (std::size_t i = 0; i < opt.lines.size(); ++i) {
                if (i > 0) joined += '\n';
                joined += opt.lines[i];
            }
            raw.emplace(opt.key, std::string(detail::py_rstrip(joined)));
        }
        testr_conf conf;
        conf.path = path_;
        for (const auto& opt : defaults_) {
            std::string value;
            if (auto bad = interpolate(opt.key, raw.find(opt.key)->second, raw, 1, value))
                return unexpected{error_at(opt.line, "in the value of '" + opt.key + "': " + *bad)};
            conf.values.emplace(opt.key, std::move(value));
            conf.lines.emplace(opt.key, opt.line);
        }
        return conf;
    }

    // BasicInterpolation._interpolate_some: "%%" -> "%", "%(name)s" -> the
    // raw value of name, itself interpolated when it holds a '%'.
    static std::optional<std::string> interpolate(std::string_view key, std::string_view rest,
                                                  const std::map<std::string, std::string, std::less<>>& raw,
                                                  int depth, std::string& out) {
        if (depth > max_interpolation_depth)
            return "%(name)s references nest deeper than " + std::to_string(max_interpolation_depth) + " levels";
        while (!rest.empty()) {
            const std::size_t percent = rest.find('%');
            out += rest.substr(0, percent);
            if (out.size() > max_value_size) return std::string("the interpolated value exceeds 16 MiB");
            if (percent == std::string_view::npos) return std::nullopt;
            rest.remove_prefix(percent);
            if (rest.size() >= 2 && rest[1] == '%') {
                out += '%';
                rest.remove_prefix(2);
                continue;
            }
            if (rest.size() < 2 || rest[1] != '(')
                return "'%' must be followed by '%' or '(', found: " + quoted_line(rest) + " (write %% for a percent sign)";
            const std::size_t close = rest.find(')', 2);
            if (close == std::string_view::npos || close == 2 || close + 1 >= rest.size() || rest[close + 1] != 's')
                return "bad interpolation variable reference " + quoted_line(rest);
            const std::string name = lower_ascii(rest.substr(2, close - 2));
            rest.remove_prefix(close + 2);
            const auto found = raw.find(name);
            if (found == raw.end()) return "%(" + name + ")s refers to a key [DEFAULT] does not set";
            if (found->second.find('%') == std::string::npos) {
                out += found->second;
            } else if (auto bad = interpolate(key, found->second, raw, depth + 1, out)) {
                return bad;
            }
        }
        return std::nullopt;
    }

    std::string path_;
    std::deque<option> defaults_;   // [DEFAULT]'s keys in file order (a deque: current_ stays valid)
    option scratch_;                // the value of a key outside [DEFAULT], parsed and dropped
    option* current_ = nullptr;     // the value continuation lines extend
    std::size_t indent_level_ = 0;
    std::string section_;
    bool in_section_ = false;
    std::set<std::string> sections_;
    std::set<std::pair<std::string, std::string>> keys_;
    std::optional<config_error> first_bad_line_;
};

}  // namespace

std::string config_error::what() const {
    return line == 0 ? path + ": " + message : path + ":" + std::to_string(line) + ": " + message;
}

std::optional<std::string> testr_conf::get(std::string_view key) const {
    const auto found = values.find(lower_ascii(key));
    if (found == values.end()) return std::nullopt;
    return found->second;
}

std::size_t testr_conf::line_of(std::string_view key) const {
    const auto found = lines.find(lower_ascii(key));
    return found == lines.end() ? 0 : found->second;
}

std::optional<std::string> test_times_file(const testr_conf& conf) {
    auto value = conf.get("test_times_file");
    if (!value || value->empty()) return std::nullopt;
    if (value->front() == '/') return value;
    const std::size_t slash = conf.path.rfind('/');
    if (slash == std::string::npos) return value;
    return conf.path.substr(0, slash + 1) + *value;
}

result<testr_conf, config_error> parse(std::string_view text, std::string path) {
    return reader(std::move(path)).run(text);
}

result<testr_conf, config_error> load(const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) return unexpected{config_error{path, 0, "No .testr.conf config file (" + bytes.error().reason + ")"}};
    return parse(bytes->view(), path);
}

result<command_settings, config_error> command_settings_of(const testr_conf& conf) {
    auto command = conf.get("test_command");
    if (!command) return unexpected{config_error{conf.path, 0, "No test_command option present in .testr.conf"}};
    command_settings settings;
    settings.test_command = std::move(*command);
    settings.test_id_option = conf.get("test_id_option");
    settings.test_list_option = conf.get("test_list_option");
    settings.test_id_list_default = conf.get("test_id_list_default");
    return settings;
}

namespace {

// configparser's getboolean.
std::optional<bool> config_boolean(std::string value) {
    for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (value == "1" || value == "yes" || value == "true" || value == "on") return true;
    if (value == "0" || value == "no" || value == "false" || value == "off") return false;
    return std::nullopt;
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

result<testr_conf, config_error> load_stestr(const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) return unexpected{config_error{path, 0, "cannot read the stestr config (" + bytes.error().reason + ")"}};
    auto parsed = parse(bytes->view(), path);
    if (!parsed) return parsed;
    testr_conf out;
    out.path = path;
    auto set = [&](const std::string& key, std::string value, std::string_view from) {
        out.values[key] = std::move(value);
        out.lines[key] = parsed->line_of(from);
    };
    const auto test_path = parsed->get("test_path");
    if (!test_path)
        return unexpected{config_error{path, 0, "No test_path can be found in either the command line options nor in "
                                                "the specified config file " + path + "."}};
    const std::string top_dir = parsed->get("top_dir").value_or("./");
    if (auto command = parsed->get("test_command")) {
        set("test_command", *command, "test_command");
    } else {
        set("test_command",
            "${PYTHON:-python3} -m stestr.subunit_runner.run discover -t \"" + top_dir + "\" \"" + *test_path +
                "\" $LISTOPT $IDOPTION",
            "test_path");
    }
    set("test_list_option", "--list", "test_path");
    set("test_id_option", "--load-list $IDFILE", "test_path");
    bool by_class = false;
    if (auto pc = parsed->get("parallel_class")) {
        const auto b = config_boolean(*pc);
        if (!b) return unexpected{config_error{path, parsed->line_of("parallel_class"), "Not a boolean: " + *pc}};
        by_class = *b;
    }
    if (by_class) {
        set("group_regex", "([^\\.]*\\.)*", "parallel_class");
    } else if (auto g = parsed->get("group_regex")) {
        set("group_regex", *g, "group_regex");
    }
    return out;
}

result<project_config, config_error> load_project(const std::string& dir) {
    const std::string testr_path = dir + "/.testr.conf", stestr_path = dir + "/.stestr.conf";
    if (file_exists(testr_path) || !file_exists(stestr_path)) {
        auto c = load(testr_path);
        if (!c) return unexpected{std::move(c).error()};
        project_config p{std::move(*c), {}};
        if (file_exists(stestr_path))
            p.note = "using .testr.conf; .stestr.conf is also here and not read (move .testr.conf away to use it)";
        return p;
    }
    auto c = load_stestr(stestr_path);
    if (!c) return unexpected{std::move(c).error()};
    return project_config{std::move(*c), {}};
}

}  // namespace testr::config
