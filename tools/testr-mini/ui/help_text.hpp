// tools/testr-mini/ui/help_text.hpp - what `testr-mini` with no command
// (and `commands`) prints, and `quickstart`'s text.
#pragma once

namespace testr::cli {

inline constexpr const char* overview = R"(testr-mini -- a fast, drop-in runner for testrepository (.testr.conf) projects

Commands:
  init        create a repository (.testrepository) in the project directory
  run         run the tests (--parallel to use every CPU this process may use)
  plan        show how `run` would split the tests over workers (or CI shards: --shards N), and predicted times
  last        show the last run (--subunit: as a subunit v2 stream)
  failing     show the current failures (--list: ids only, --subunit: a stream)
  load        load subunit streams (files or stdin) into the repository
  list-tests  list the project's tests (optionally filtered)
  slowest     the slowest tests of the last run (--all: every test)
  stats       figures about the repository
  upgrade     convert testr's repository (format 1) to testr-mini's in place, or make one from stestr's
  times       export the durations to a file, or import (merge) such files
  history     the stored runs, as stestr's: history list, history show [ID], history remove ID|all
  help        help on a command (testr-mini help run)
  commands    list the commands
  quickstart  a starter .testr.conf and the first commands

Exit status: 0 all passed, 1 any test failed, 2 usage error, 3 other errors,
4 the run passed and was stored but its durations (times.tsv) were not saved,
130 interrupted (what completed is stored as a partial run).
See README.md and docs/ for .testr.conf keys and differences from testr.
)";

inline constexpr const char* quickstart = R"(Quick start

1. Write a .testr.conf in your project root, for example for Python:

     [DEFAULT]
     test_command=python3 -m subunit.run discover . $LISTOPT $IDOPTION
     test_id_option=--load-list $IDFILE
     test_list_option=--list

2. testr-mini init            (once)
3. testr-mini run --parallel  (run everything, as many workers as CPUs)
4. testr-mini failing         (what failed), testr-mini run --failing (rerun it)
5. testr-mini slowest         (where the time goes), testr-mini plan (the schedule)
)";

}  // namespace testr::cli
