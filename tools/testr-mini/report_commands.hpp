// tools/testr-mini/report_commands.hpp - the commands that read or fill the
// repository without running tests: init, last, failing, load (load_command.cpp),
// slowest, stats.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app.hpp"

namespace testr::cli {

int init_command(const app& a);
int last_command(const app& a, bool subunit, const std::string& junit = {}, std::optional<unsigned> id = {},
                 bool json = false);
int failing_command(const app& a, bool subunit, bool list, bool json = false);
int load_command(const app& a, const std::vector<std::string>& streams, bool partial, bool force_init, bool subunit,
                 const std::string& junit = {});
int slowest_command(const app& a, bool all, bool json = false);
int stats_command(const app& a, bool json = false);

}  // namespace testr::cli
