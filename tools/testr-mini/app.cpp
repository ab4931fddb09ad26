// tools/testr-mini/app.cpp - see app.hpp.
#include "app.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace testr::cli {

repo::repository app::open_repository() const {
    auto r = repo::open(here);
    if (!r) throw cli_error(r.error().message);
    return *r;
}

repo::repository app::open_or_init_repository(bool force_init) const {
    auto r = repo::open(here);
    if (!r && force_init && r.error().code == repo::repo_errc::not_found) {
        auto created = repo::init(here);
        if (!created) throw cli_error(created.error().message);
        return *created;
    }
    if (!r) throw cli_error(r.error().message);
    return *r;
}

config::testr_conf app::load_config() const {
    auto c = config::load(here + "/.testr.conf");
    if (!c) throw cli_error(c.error().what());
    return *c;
}

void write_stdout(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            // A closed pipe (`| head`) is the reader's choice, not our error.
            if (errno == EPIPE) throw cli_error("stdout closed", exit_error);
            throw cli_error(std::string("cannot write to stdout: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace testr::cli
