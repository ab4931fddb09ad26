// tools/testr-mini/instances.cpp - see instances.hpp.
#include "instances.hpp"

#include <algorithm>
#include <cstdio>

#include <testr/command_template.hpp>

#include "app.hpp"
#include "process.hpp"

namespace testr::cli {

instances::instances(const std::string& here, const config::testr_conf& conf, std::size_t wanted)
    : here_(here), wanted_(std::max<std::size_t>(1, wanted)) {
    provision_ = conf.get("instance_provision").value_or("");
    execute_ = conf.get("instance_execute").value_or("");
    dispose_ = conf.get("instance_dispose").value_or("");
    if (!execute_.empty() && provision_.empty())
        throw cli_error(conf.path + ": instance_execute is set but instance_provision is not");
}

instances::~instances() {
    if (ids_.empty() || dispose_.empty()) return;
    process::options opts;
    opts.working_directory = here_;
    auto got = process::run_capture_shell(instance_dispose_command(dispose_, ids_), opts);
    if (!got || !got->status.success())
        std::fprintf(stderr, "testr-mini: warning: instance_dispose failed (%s)\n",
                     got ? process::describe(got->status).c_str() : got.error().message.c_str());
}

result<std::string> instances::wrap(unsigned slot, const std::string& command, const std::string& idfile) {
    if (execute_.empty()) return command;
    if (ids_.size() <= slot)
        if (auto ok = provision(std::max<std::size_t>(wanted_, slot + 1)); !ok) return unexpected(ok.error());
    return instance_execute_command(execute_, ids_[slot], command, idfile);
}

result<void> instances::provision(std::size_t count) {
    process::options opts;
    opts.working_directory = here_;
    const std::string cmd = instance_provision_command(provision_, count - ids_.size());
    auto got = process::run_capture_shell(cmd, opts);
    if (!got) return fail("cannot run instance_provision '" + cmd + "': " + got.error().message);
    if (!got->status.success())
        return fail("instance_provision '" + cmd + "' failed (" + process::describe(got->status) + "): " + got->err);
    for (auto& id : split_words(got->out)) ids_.push_back(std::move(id));
    if (ids_.size() < count)
        return fail("instance_provision printed " + std::to_string(ids_.size()) + " instance ids; " +
                    std::to_string(count) + " are needed");
    return {};
}

}  // namespace testr::cli
