// tools/testr-mini/shard_source.cpp - see shard_source.hpp.
#include "shard_source.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "app.hpp"

namespace testr::cli {

namespace {

struct ci_system {
    const char* name;
    const char* index_var;
    const char* total_var;  ///< null: the total comes from --shard-total / shard_total
    std::size_t base;       ///< what the first shard's index is
    const char* status_var;
};

// Bazel first: when it runs a test, its variables are the innermost truth
// (a CI job's variables may leak through --test_env); then the hosted CI
// systems, then Kubernetes, whose index alone says nothing about a total.
constexpr ci_system systems[] = {
    {"Bazel", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", 0, "TEST_SHARD_STATUS_FILE"},
    {"GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1, nullptr},
    {"CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0, nullptr},
    {"Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0, nullptr},
    {"Kubernetes", "JOB_COMPLETION_INDEX", nullptr, 0, nullptr},
};

[[noreturn]] void usage(const std::string& message) { throw cli_error(message, exit_usage); }

std::size_t number(const std::string& var, const std::string& value, const char* what) {
    auto n = parse_shard_number(value);
    if (!n) usage(var + "='" + value + "' is not a whole number (" + what + ")");
    return *n;
}

/// The total for a source without one: --shard-total, else shard_total.
std::optional<std::size_t> configured_total(unsigned option, const config::testr_conf& conf, std::string& whence) {
    if (option) {
        whence = "--shard-total " + std::to_string(option);
        return option;
    }
    auto text = conf.get("shard_total");
    if (!text || text->empty()) return std::nullopt;
    auto n = parse_shard_number(*text);
    if (!n || *n == 0) {
        const std::size_t line = conf.line_of("shard_total");
        usage(conf.path + (line ? ":" + std::to_string(line) : std::string()) +
              ": shard_total must be a whole number >= 1, not '" + *text + "'");
    }
    whence = "shard_total=" + *text + " in " + conf.path;
    return n;
}

shard_choice from_system(const ci_system& s, const std::string& index_text, unsigned total_option,
                         const config::testr_conf& conf, const env_lookup& env) {
    const std::string index_var = s.index_var;
    const std::string base = s.base ? "from 1" : "from 0";
    const std::size_t index = number(index_var, index_text, (std::string(s.name) + "'s shard index, counted " + base).c_str());
    std::size_t total = 0;
    std::string total_text;
    if (s.total_var) {
        const std::string total_var = s.total_var;
        auto t = env(total_var);
        if (!t) usage(index_var + " is set (" + s.name + ") but " + total_var + " is not: " + s.name + " sets both");
        total = number(total_var, *t, (std::string(s.name) + "'s number of shards").c_str());
        total_text = total_var + "=" + *t;
        if (total_option && total_option != total)
            usage("--shard-total " + std::to_string(total_option) + " disagrees with " + total_text);
    } else {
        auto t = configured_total(total_option, conf, total_text);
        if (!t)
            usage(index_var + "=" + index_text + " is set (a " + s.name +
                  " Indexed Job) but not the number of shards: give --shard-total N, or shard_total=N in " + conf.path);
        total = *t;
    }
    if (total == 0) usage(total_text + ": the number of shards must be at least 1");
    if (index < s.base || index - s.base >= total)
        usage(index_var + "=" + index_text + " is out of range: " + s.name + " counts " + base + ", so with " +
              total_text + " it must be " + std::to_string(s.base) + ".." + std::to_string(total - 1 + s.base));
    shard_choice c{{index - s.base + 1, total}, std::string(s.name) + ": " + index_var + "=" + index_text + ", " + total_text, {}};
    if (s.status_var) c.status_file = env(s.status_var);
    return c;
}

}  // namespace

env_lookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v || !*v) return std::nullopt;
        return std::string(v);
    };
}

std::optional<shard_choice> choose_shard(const std::optional<std::string>& shard_option, unsigned shard_total,
                                         bool use_env, const config::testr_conf& conf, const env_lookup& env) {
    if (shard_option) {
        auto spec = parse_shard_spec(*shard_option);
        if (!spec) usage("--shard " + spec.error());
        if (shard_total && shard_total != spec->total)
            usage("--shard-total " + std::to_string(shard_total) + " disagrees with --shard " + *shard_option);
        return shard_choice{*spec, "--shard " + *shard_option, {}};
    }
    if (use_env)
        for (const auto& s : systems)
            if (auto index = env(s.index_var)) return from_system(s, *index, shard_total, conf, env);
    if (shard_total)
        usage("--shard-total " + std::to_string(shard_total) +
              " needs a shard index: JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is not set; "
              "elsewhere use --shard INDEX/TOTAL");
    return std::nullopt;
}

void touch_status_file(const shard_choice& c) {
    if (!c.status_file) return;
    const int fd = ::open(c.status_file->c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        throw cli_error("cannot create TEST_SHARD_STATUS_FILE '" + *c.status_file + "': " + std::strerror(errno));
    ::close(fd);
}

}  // namespace testr::cli
