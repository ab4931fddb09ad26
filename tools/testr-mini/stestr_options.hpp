// tools/testr-mini/stestr_options.hpp - the spellings stestr users type
// into `run` (and `plan`), with stestr's meaning: --exclude-regex,
// --exclude-list, --include-list (and their older names --black-regex,
// --blacklist-file, --whitelist-file), --serial, --random.
#pragma once

#include <string>
#include <vector>

#include "prepare.hpp"
#include "run_options.hpp"
#include "schedule.hpp"

namespace CLI {
class App;
}

namespace testr::cli {

/// The options as given, before their files are read.
struct stestr_selection {
    std::string exclude_list, include_list, blacklist_file, whitelist_file, exclude_regex, black_regex;
};

/// --exclude-regex/-E, --exclude-list/-e, --include-list/-i and the
/// deprecated names, which (as in stestr) count only when the new one is
/// not given.
void add_stestr_selection_options(CLI::App* cmd, stestr_selection& s);

/// --serial and --random.
void add_stestr_run_options(CLI::App* cmd, run_options& o);

/// Reads the list files into `o`: an include list's regexes join the
/// positional filters (a test any of them finds is selected), an exclude
/// list's and --exclude-regex go to o.exclude. A line is a regex, then
/// optionally `#` and a comment; blank lines are skipped. Throws cli_error
/// (usage) naming the file and line of a pattern that does not compile.
void read_stestr_selection(const stestr_selection& s, run_options& o);

/// Drops the ids any pattern of `exclude` finds (re.search).
void exclude_tests(ids_t& ids, const std::vector<std::string>& exclude);

/// --random: each worker's tests in a shuffled order, after partitioning.
void shuffle_batches(schedule& s);

}  // namespace testr::cli
