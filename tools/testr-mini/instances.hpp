// tools/testr-mini/instances.hpp - worker environments from
// instance_provision / instance_execute / instance_dispose, as
// testrepository's TestCommand: provisioned on first need (as many as there
// are worker slots), one per slot, disposed when the command ends, also
// after an error.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <testr/result.hpp>

#include "testr_config.hpp"

namespace testr::cli {

class instances {
public:
    /// Throws cli_error when instance_execute is set without instance_provision.
    instances(const std::string& here, const config::testr_conf& conf, std::size_t wanted);
    ~instances();
    instances(const instances&) = delete;
    instances& operator=(const instances&) = delete;

    /// `command` as it must run in slot `slot`'s environment (provisioning
    /// it first if need be). Never throws: runners are built inside the run.
    result<std::string> wrap(unsigned slot, const std::string& command, const std::string& idfile);

private:
    result<void> provision(std::size_t count);

    std::string here_, provision_, execute_, dispose_;
    std::size_t wanted_;
    std::vector<std::string> ids_;
};

}  // namespace testr::cli
