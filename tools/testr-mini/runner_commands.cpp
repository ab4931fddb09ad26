// tools/testr-mini/runner_commands.cpp - see runner_commands.hpp.
#include "runner_commands.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <testr/command_template.hpp>

#include "atomic_file.hpp"
#include "fd_io.hpp"
#include "native_suite.hpp"

namespace testr::cli {

namespace {
std::string lines_of(const std::vector<std::string_view>& ids) {
    std::string text;
    for (auto id : ids) (text += id) += '\n';
    return text;
}

constexpr std::string_view id_dir_prefix = "testr-mini-ids-";  // testr-mini-ids-<pid>-XXXXXX


}  // namespace

std::vector<std::string> remove_dead_id_dirs() { return remove_dead_private_dirs(temp_root(), id_dir_prefix); }

runner_commands::runner_commands(const app& a, const prepared& p, const ids_t& ids) : a_(a), p_(p), ids_(ids) {}

runner_commands::~runner_commands() {
    for (auto& f : files_) ::unlink(f.c_str());
    if (!dir_.empty()) ::rmdir(dir_.c_str());
}

result<std::string> runner_commands::write_id_file(std::string_view text) {
    if (dir_.empty()) {
        // The pid in the name lets a later run remove what a killed one left.
        std::string templ = temp_root() + "/" + std::string(id_dir_prefix) + std::to_string(::getpid()) + "-XXXXXX";
        if (!::mkdtemp(templ.data()))
            return fail("cannot create a directory for the id files in '" + templ.substr(0, templ.rfind('/')) +
                        "': " + std::strerror(errno));
        dir_ = templ;
    }
    const std::string path = dir_ + "/ids-" + std::to_string(files_.size());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return fail("cannot create the id file '" + path + "': " + std::strerror(errno));
    files_.push_back(path);
    const int err = fd_io::write_all(fd, text);
    ::close(fd);
    if (err) return fail("cannot write the id file '" + path + "': " + std::strerror(err));
    return path;
}

result<worker_spec> runner_commands::build(unsigned slot, std::span<const std::size_t> tests, bool whole_suite) {
    std::vector<std::string_view> chosen;
    for (auto t : tests) chosen.emplace_back(ids_[t]);
    if (p_.native) return build_native(slot, chosen, whole_suite);
    const auto* selection = whole_suite ? nullptr : &chosen;
    std::string idfile;
    auto probe = run_command_for(p_.settings, selection, "IDFILE");
    if (!probe) return fail(probe.error().message);
    if (probe->needs_idfile) {
        // Without ids, test_id_list_default's words are what the file holds.
        std::vector<std::string_view> listed(probe->default_ids.begin(), probe->default_ids.end());
        auto path = write_id_file(lines_of(whole_suite ? listed : chosen));
        if (!path) return unexpected(path.error());
        idfile = *path;
    }
    auto cmd = run_command_for(p_.settings, selection, idfile);
    if (!cmd) return fail(cmd.error().message);
    std::string command = cmd->command;
    if (p_.environments) {
        auto wrapped = p_.environments->wrap(slot, command, idfile);
        if (!wrapped) return unexpected(wrapped.error());
        command = *wrapped;
    }
    worker_spec spec;
    spec.slot = slot;
    spec.command = std::move(command);
    spec.working_directory = a_.here;
    return spec;
}

result<std::string> runner_commands::id_text(std::span<const std::size_t> tests) const {
    std::vector<std::string_view> chosen;
    for (auto t : tests) chosen.emplace_back(ids_[t]);
    // The command template refuses the ids an id file cannot carry.
    auto checked = run_command_for(p_.settings, &chosen, "IDFILE");
    if (!checked) return fail(checked.error().message);
    return lines_of(chosen);
}

result<worker_spec> prestarted_runner(const command_settings& settings, const std::string& here, unsigned slot,
                                      const std::string& idfile) {
    const std::vector<std::string_view> unknown_yet;
    auto cmd = run_command_for(settings, &unknown_yet, idfile);
    if (!cmd) return fail(cmd.error().message);
    worker_spec spec;
    spec.slot = slot;
    spec.command = std::move(cmd->command);
    spec.working_directory = here;
    return spec;
}

result<worker_spec> runner_commands::build_native(unsigned slot, const std::vector<std::string_view>& chosen,
                                                  bool whole_suite) {
    auto plan = native_plan(*p_.native, p_.settings, chosen, whole_suite,
                            [this](std::string_view text) { return write_id_file(text); });
    if (!plan) return unexpected(plan.error());
    std::string script = native::runner_script(*plan);
    // `sh -c` takes the script as one argument, which Linux caps at
    // 128 KiB: a long selection goes through a file.
    if (script.size() > 64 * 1024) {
        auto path = write_id_file(script);
        if (!path) return unexpected(path.error());
        script = ". " + shell_quote(*path);
    }
    if (p_.environments) {
        auto wrapped = p_.environments->wrap(slot, script, "");
        if (!wrapped) return unexpected(wrapped.error());
        script = *wrapped;
    }
    worker_spec spec;
    spec.slot = slot;
    spec.command = std::move(script);
    spec.working_directory = a_.here;
    spec.reader = native::runner_reader(std::move(*plan));
    return spec;
}

}  // namespace testr::cli
