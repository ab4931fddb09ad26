// tools/testr-mini/prestart.hpp - whether a run pre-starts its runners
// (adapters/prestart_backend.hpp), and what it remembers when a
// configuration's runners do not read their id pipe.
#pragma once

#include <memory>
#include <string>

#include "prestart_backend.hpp"
#include "repository.hpp"

namespace testr::cli {

struct prepared;
struct run_options;

struct prestart_choice {
    bool on = false;
    std::string why;  ///< why not, in the user's words (empty when on)
};

/// Pre-start when the runners take their ids through $IDFILE alone, the ids
/// will be known (`listed`), and nothing says not to: run --no-prestart,
/// test_prestart=0 in .testr.conf, instance_execute (it copies the id file
/// elsewhere), or the repository remembering that this test_command did not
/// read its pipe.
prestart_choice choose_prestart(const run_options& o, const prepared& p, bool listed);

/// A backend whose first runners are starting now, one per worker;
/// nullptr when `p` does not pre-start or the pipes cannot be made.
std::unique_ptr<prestart_backend> prestart_runners(const std::string& here, const prepared& p);

/// After a run whose pipes were given up (`why`): remembers it for this
/// test_command, saying so once, unless the run ran no test at all (then
/// the runner is broken, not the pipe).
void remember_refusal(const prepared& p, const std::string& why, bool tests_ran);

}  // namespace testr::cli
