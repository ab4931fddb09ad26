// tools/testr-mini/native_suite.hpp - a suite of C++ test binaries
// (`test_format=gtest|doctest|catch2` in .testr.conf): which binaries, how
// their ids are named, how to list them and what one runner runs.
// docs/cpp.md.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <testr/command_template.hpp>

#include "native_runner.hpp"
#include "testr_config.hpp"

namespace testr::cli {

struct app;

struct native_suite {
    native::framework format = native::framework::gtest;
    struct binary {
        std::string path;    ///< as written in test_binaries ("" when test_command names the binary)
        std::string prefix;  ///< "name::" before its ids; "" without test_binaries
    };
    std::vector<binary> binaries;
    /// Listed tests GoogleTest would not run (DISABLED_): reported as skipped.
    std::unordered_set<std::string> disabled;
    std::string marker;  ///< see native::runner_plan

    /// The binary an id belongs to: by its prefix (ids from --failing or
    /// --load-list were never listed in this run); nullopt when none fits.
    std::optional<std::size_t> binary_of(std::string_view id) const;
};

/// The suite a .testr.conf describes; null for a subunit one (no
/// test_format, or test_format=subunit). Throws cli_error naming the file
/// for an unknown format or a test_binaries without $BINARY in test_command.
std::shared_ptr<native_suite> native_suite_of(const config::testr_conf& conf);

/// Lists every binary once (its framework's own listing) and names each
/// test; throws cli_error when a listing fails or is not that framework's.
/// `wrap` (instance_execute) is applied to each listing command.
std::vector<std::string> list_native(const app& a, native_suite& suite, const command_settings& settings,
                                     const std::function<std::string(const std::string&)>& wrap);

/// One runner's plan for these ids (whole_suite: every binary, no
/// selection). `write_file` stores a Catch2 selection and returns its path.
result<native::runner_plan> native_plan(const native_suite& suite, const command_settings& settings,
                                        std::span<const std::string_view> ids, bool whole_suite,
                                        const std::function<result<std::string>(std::string_view)>& write_file);

}  // namespace testr::cli
