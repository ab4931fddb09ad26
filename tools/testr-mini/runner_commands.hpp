// tools/testr-mini/runner_commands.hpp - turns a slot's tests into the
// runner's command: test_command with $IDOPTION/$IDFILE/$IDLIST filled in,
// an id file written when the command needs one, wrapped for the slot's
// instance when instance_execute is set.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <testr/result.hpp>

#include "prepare.hpp"
#include "worker_pool.hpp"

namespace testr::cli {

/// Removes the id-file directories (in $TMPDIR) of runs killed before they
/// could (kill -9); returns their paths.
std::vector<std::string> remove_dead_id_dirs();

class runner_commands {
public:
    /// `ids` by position (empty for a whole-suite run).
    runner_commands(const app& a, const prepared& p, const ids_t& ids);
    ~runner_commands();
    runner_commands(const runner_commands&) = delete;
    runner_commands& operator=(const runner_commands&) = delete;

    /// The runner for these positions; errors (an id file that cannot be
    /// written, an instance that cannot be provisioned) are values: this is
    /// called while the run goes on.
    result<worker_spec> build(unsigned slot, std::span<const std::size_t> tests, bool whole_suite);

private:
    result<std::string> write_id_file(const std::vector<std::string_view>& ids);

    const app& a_;
    const prepared& p_;
    const ids_t& ids_;
    std::string dir_;  ///< private directory of this run's id files, made on first need
    std::vector<std::string> files_;
};

}  // namespace testr::cli
