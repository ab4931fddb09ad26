// cpu_detect.cpp - see cpu_detect.hpp.
#include "cpu_detect.hpp"

#include "file_bytes.hpp"

#include <testr/detail/text_scan.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include <sched.h>

namespace testr {

namespace {

std::string strip_trailing_slashes(std::string_view root) {
    while (!root.empty() && root.back() == '/') root.remove_suffix(1);
    return std::string(root);
}

bool is_directory(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_directory(path, ec);
}

/// `mount` joined with a cgroup path from cgroup_ancestors().
std::string cgroup_dir(const std::string& mount, const std::string& cgroup) {
    return cgroup == "/" ? mount : mount + cgroup;
}

/// A file's text, or nullopt when it is absent (ENOENT, ENOTDIR: a cgroup
/// controller that is not there is normal) or unreadable (then a note).
std::optional<std::string> read_or_note(const std::string& path, cpu_limit& into) {
    auto bytes = read_file_bytes(path);
    if (bytes) return std::string(bytes->view());
    if (bytes.error().code != ENOENT && bytes.error().code != ENOTDIR) into.notes.push_back(bytes.error().message());
    return std::nullopt;
}

void scan_cgroup_v2(const std::string& mount, const std::string& cgroup, cpu_limit& best) {
    for (const auto& dir : cgroup_ancestors(cgroup)) {
        const auto file = cgroup_dir(mount, dir) + "/cpu.max";
        const auto text = read_or_note(file, best);
        if (!text) continue;
        const auto quota = parse_cpu_max(*text);
        if (!quota) {
            best.notes.push_back(file + ": " + quota.error().message);
        } else if (*quota) {
            tighten(best, **quota, cpu_source::cgroup_v2, "cgroup v2 " + file + " = " + std::string(detail::trim(*text)));
        }
    }
}

void scan_cgroup_v1(const std::string& mount, const std::string& cgroup, cpu_limit& best) {
    for (const auto& dir : cgroup_ancestors(cgroup)) {
        const auto base = cgroup_dir(mount, dir);
        const auto quota_text = read_or_note(base + "/cpu.cfs_quota_us", best);
        const auto period_text = read_or_note(base + "/cpu.cfs_period_us", best);
        if (!quota_text || !period_text) continue;
        const auto quota = parse_cfs(*quota_text, *period_text);
        if (!quota) {
            best.notes.push_back(base + ": " + quota.error().message);
        } else if (*quota) {
            tighten(best, **quota, cpu_source::cgroup_v1,
                    "cgroup v1 " + base + "/cpu.cfs_quota_us = " + std::string(detail::trim(*quota_text)) +
                        ", cpu.cfs_period_us = " + std::string(detail::trim(*period_text)));
        }
    }
}

}  // namespace

cpu_limit cgroup_cpu_limit(std::string_view root) {
    const auto prefix = strip_trailing_slashes(root);
    cpu_limit best;
    const auto listing = read_or_note(prefix + "/proc/self/cgroup", best);
    if (!listing) return best;
    const auto groups = parse_proc_self_cgroup(*listing);
    if (!groups) {
        best.notes.push_back(groups.error().message);
        return best;
    }
    const auto mount = prefix + "/sys/fs/cgroup";
    if (groups->unified) {
        scan_cgroup_v2(mount, *groups->unified, best);
        if (is_directory(mount + "/unified")) scan_cgroup_v2(mount + "/unified", *groups->unified, best);
    }
    if (groups->cpu_v1) {
        // "cpu" is usually a symlink to "cpu,cpuacct"; scan one of them only.
        for (const char* name : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
            if (!is_directory(mount + name)) continue;
            scan_cgroup_v1(mount + name, *groups->cpu_v1, best);
            break;
        }
    }
    return best;
}

unsigned affinity_cpu_count(std::size_t initial_cpus) {
    struct cpu_set_free {
        void operator()(cpu_set_t* set) const { CPU_FREE(set); }
    };
    for (std::size_t cpus = std::max<std::size_t>(initial_cpus, 1); cpus <= (std::size_t{1} << 24); cpus *= 2) {
        const std::unique_ptr<cpu_set_t, cpu_set_free> set(CPU_ALLOC(cpus));
        if (!set) return 0;
        const std::size_t size = CPU_ALLOC_SIZE(cpus);
        CPU_ZERO_S(size, set.get());
        if (::sched_getaffinity(0, size, set.get()) == 0) return static_cast<unsigned>(CPU_COUNT_S(size, set.get()));
        if (errno != EINVAL) return 0;
    }
    return 0;
}

cpu_limit detect_cpus(std::string_view root) {
    return combine_cpu_limits(std::thread::hardware_concurrency(), affinity_cpu_count(), cgroup_cpu_limit(root));
}

}  // namespace testr
