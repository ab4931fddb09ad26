// tools/testr-mini/runner_commands.hpp - turns a slot's tests into the
// runner's command: test_command with $IDOPTION/$IDFILE/$IDLIST filled in,
// an id file written when the command needs one, wrapped for the slot's
// instance when instance_execute is set. For a C++ suite (test_format=),
// the script running its binaries with the framework's selection, and the
// reader of their output.
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
    /// What an id file for these positions holds; errors for ids no id file
    /// can carry (a NUL byte, a line break).
    result<std::string> id_text(std::span<const std::size_t> tests) const;

private:
    result<std::string> write_id_file(std::string_view text);
    result<worker_spec> build_native(unsigned slot, const std::vector<std::string_view>& chosen, bool whole_suite);

    const app& a_;
    const prepared& p_;
    const ids_t& ids_;
    std::string dir_;  ///< private directory of this run's id files, made on first need
    std::vector<std::string> files_;
};

/// A runner started before its tests are known, reading them from `idfile`
/// (a pipe the backend fills): test_command with $IDOPTION given that file.
result<worker_spec> prestarted_runner(const command_settings& settings, const std::string& here, unsigned slot,
                                      const std::string& idfile);

}  // namespace testr::cli
