// tools/testr-mini/stestr_options.cpp - see stestr_options.hpp. The rules
// are stestr's selection.construct_list: filters and include-list regexes
// select (any finds the id), then exclude-list lines and --exclude-regex
// remove; the order of the listing is kept.
#include "stestr_options.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <random>

#include "file_bytes.hpp"
#include "test_filter.hpp"

namespace testr::cli {

namespace {

/// The regexes of a list file: per line, what comes before the first '#',
/// stripped; blank results skipped (stestr's exclusion_reader).
std::vector<std::string> read_list(const std::string& option, const std::string& path) {
    auto bytes = read_file_bytes(path);
    if (!bytes) throw cli_error("cannot read the " + option + " file: " + bytes.error().message(), exit_usage);
    std::vector<std::string> out;
    std::string_view text = bytes->view();
    for (std::size_t line = 1; !text.empty(); ++line) {
        const auto nl = text.find('\n');
        std::string_view l = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        l = l.substr(0, l.find('#'));
        while (!l.empty() && std::isspace(static_cast<unsigned char>(l.front()))) l.remove_prefix(1);
        while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.remove_suffix(1);
        if (l.empty()) continue;
        std::string pattern(l);
        if (auto f = compile_test_filter({pattern}); !f)
            throw cli_error(path + ":" + std::to_string(line) + ": " + f.error().message, exit_usage);
        out.push_back(std::move(pattern));
    }
    return out;
}

}  // namespace

void add_stestr_selection_options(CLI::App* cmd, stestr_selection& s) {
    cmd->add_option("-E,--exclude-regex", s.exclude_regex,
                    "Leave out the tests this regular expression finds (stestr's spelling)")
        ->take_last();
    cmd->add_option("-e,--exclude-list", s.exclude_list,
                    "Leave out the tests any line of this file finds (a regex per line, # starts a comment)");
    cmd->add_option("-i,--include-list", s.include_list,
                    "Also select the tests any line of this file finds (as extra testfilters; same format)");
    cmd->add_option("-B,--black-regex", s.black_regex, "Old name of --exclude-regex (stestr's, deprecated)")->take_last();
    cmd->add_option("-b,--blacklist-file", s.blacklist_file, "Old name of --exclude-list (stestr's, deprecated)");
    cmd->add_option("-w,--whitelist-file", s.whitelist_file, "Old name of --include-list (stestr's, deprecated)");
}

void add_stestr_run_options(CLI::App* cmd, run_options& o) {
    cmd->add_flag("--serial", o.serial, "Run the tests in one process (stestr's spelling; without --parallel, "
                                        "run already does)");
    cmd->add_flag("--random", o.random,
                  "Shuffle each worker's tests after they are split (stestr's meaning; the schedule is then static)");
}

void read_stestr_selection(const stestr_selection& s, run_options& o) {
    const std::string& include = !s.include_list.empty() ? s.include_list : s.whitelist_file;
    if (!include.empty())
        for (auto& r : read_list(s.include_list.empty() ? "--whitelist-file" : "--include-list", include))
            o.filters.push_back(std::move(r));
    const std::string& exclude = !s.exclude_list.empty() ? s.exclude_list : s.blacklist_file;
    if (!exclude.empty())
        for (auto& r : read_list(s.exclude_list.empty() ? "--blacklist-file" : "--exclude-list", exclude))
            o.exclude.push_back(std::move(r));
    const std::string& regex = !s.exclude_regex.empty() ? s.exclude_regex : s.black_regex;
    if (!regex.empty()) {
        if (auto f = compile_test_filter({regex}); !f)
            throw cli_error("--exclude-regex: " + f.error().message, exit_usage);
        o.exclude.push_back(regex);
    }
}

void exclude_tests(ids_t& ids, const std::vector<std::string>& exclude) {
    if (exclude.empty()) return;
    auto f = compile_test_filter(exclude);
    if (!f) throw cli_error(f.error().message, exit_usage);
    std::erase_if(ids, [&](const std::string& id) { return (*f)(id); });
}

void shuffle_batches(schedule& s) {
    std::mt19937_64 rng{std::random_device{}()};
    for (auto& b : s.batches) std::shuffle(b.begin(), b.end(), rng);
}

}  // namespace testr::cli
