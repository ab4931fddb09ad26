// testr/cpu_limit.hpp - how many CPUs this process may really use.
//
// std::thread::hardware_concurrency() counts the machine's CPUs, but
// `taskset -c 0` or a cpuset narrows the affinity mask, and a container's
// cgroup CPU quota caps the time the process gets however many CPUs it sees.
// Starting more workers than the smallest of the three only adds contention.
//
// Here, the pure part: parsers over the kernel files' text (tested with
// fixture strings) and the rule that combines the limits. Reading the live
// system is the cpu_detect adapter's job (adapters/cpu_detect.hpp:
// detect_cpus()), so a custom runner links it or passes its own numbers.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/text_scan.hpp"
#include "result.hpp"

namespace testr {

/// Which limit decided a CPU count.
enum class cpu_source {
    none,       ///< nothing known (count == 0)
    hardware,   ///< std::thread::hardware_concurrency()
    affinity,   ///< sched_getaffinity: taskset, cpuset, container cpuset
    cgroup_v2,  ///< cpu.max of the process's cgroup or an ancestor
    cgroup_v1,  ///< cpu.cfs_quota_us / cpu.cfs_period_us
};

/// "none", "hardware", "affinity", "cgroup v2", "cgroup v1".
constexpr std::string_view to_string(cpu_source kind) {
    switch (kind) {
        case cpu_source::none: return "none";
        case cpu_source::hardware: return "hardware";
        case cpu_source::affinity: return "affinity";
        case cpu_source::cgroup_v2: return "cgroup v2";
        case cpu_source::cgroup_v1: return "cgroup v1";
    }
    return "none";
}

/// A CPU count and why: `source` is a sentence for the user ("cgroup v2
/// /sys/fs/cgroup/ci.slice/cpu.max = 200000 100000").
struct cpu_limit {
    unsigned count = 0;  ///< 0: no limit known
    cpu_source kind = cpu_source::none;
    std::string source;
    /// Files that exist but could not be used, each with the reason; the
    /// detection carries on without them (a broken cgroup file must not stop
    /// a test run) but the CLI can show them.
    std::vector<std::string> notes;
};

/// A quota in whole CPUs; nullopt means "no limit".
using cpu_quota = std::optional<unsigned>;

/// CPUs granted by a CFS quota: quota/period rounded up (1.5 CPUs of time
/// keep two workers busy), at least 1, saturating at UINT_MAX.
/// Pre: period_us > 0.
constexpr unsigned quota_to_cpus(std::uint64_t quota_us, std::uint64_t period_us) {
    const std::uint64_t whole = quota_us / period_us + (quota_us % period_us != 0 ? 1 : 0);
    return static_cast<unsigned>(std::clamp<std::uint64_t>(whole, 1, UINT_MAX));
}

/// Parses cgroup v2 `cpu.max`: "max 100000" (no limit) or "<quota> <period>"
/// in microseconds. A trailing newline is fine; anything else is an error.
inline result<cpu_quota> parse_cpu_max(std::string_view text) {
    const auto body = detail::trim(text);
    const auto bad = [&](std::string_view why) {
        return fail("cpu.max: " + std::string(why) + " in '" + detail::excerpt(body) +
                    "' (expected '<quota> <period>' or 'max <period>')");
    };
    const auto gap = body.find_first_of(detail::blank_chars);
    const auto quota_text = body.substr(0, gap);
    const auto period_text =
        gap == std::string_view::npos ? std::string_view{} : detail::trim(body.substr(gap));
    if (period_text.find_first_of(detail::blank_chars) != std::string_view::npos)
        return bad("more than two fields");
    if (quota_text.empty()) return bad("empty file");
    // The kernel always prints the period; "max" alone is still unambiguous.
    if (quota_text == "max") {
        if (!period_text.empty() && detail::parse_u64(period_text).status != detail::number_status::ok)
            return bad("period is not a whole number");
        return cpu_quota{};
    }
    const auto quota = detail::parse_u64(quota_text);
    if (quota.status != detail::number_status::ok) return bad("quota is neither 'max' nor a whole number");
    if (period_text.empty()) return bad("period missing");
    const auto period = detail::parse_u64(period_text);
    if (period.status != detail::number_status::ok) return bad("period is not a whole number");
    if (quota.value == 0 || period.value == 0) return bad("zero quota or period");
    return cpu_quota{quota_to_cpus(quota.value, period.value)};
}

/// Parses cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`; a quota of
/// -1 means no limit.
inline result<cpu_quota> parse_cfs(std::string_view quota_text, std::string_view period_text) {
    const auto quota_body = detail::trim(quota_text);
    const auto period_body = detail::trim(period_text);
    const auto bad = [&](std::string_view why) {
        return fail("cpu.cfs_quota_us/cpu.cfs_period_us: " + std::string(why) + " (quota '" +
                    detail::excerpt(quota_body) + "', period '" + detail::excerpt(period_body) + "')");
    };
    if (quota_body == "-1") return cpu_quota{};
    const auto quota = detail::parse_u64(quota_body);
    if (quota.status != detail::number_status::ok) return bad("quota is neither -1 nor a whole number");
    const auto period = detail::parse_u64(period_body);
    if (period.status != detail::number_status::ok) return bad("period is not a whole number");
    if (quota.value == 0 || period.value == 0) return bad("zero quota or period");
    return cpu_quota{quota_to_cpus(quota.value, period.value)};
}

/// The cgroups of a process as /proc/<pid>/cgroup lists them.
struct proc_cgroup {
    std::optional<std::string> unified;  ///< the "0::<path>" line (cgroup v2)
    std::optional<std::string> cpu_v1;   ///< the v1 line whose controllers include "cpu"
};

/// Parses /proc/self/cgroup: lines "<id>:<controllers>:<path>". The path is
/// everything after the second colon (it may itself contain colons).
/// Errors name the 1-based line.
inline result<proc_cgroup> parse_proc_self_cgroup(std::string_view text) {
    proc_cgroup found;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const auto line = detail::first_line(text);
        text.remove_prefix(std::min(text.size(), line.size() + 1));
        if (detail::trim(line).empty()) continue;
        const auto c1 = line.find(':');
        const auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        const auto path = c2 == std::string_view::npos ? std::string_view{} : line.substr(c2 + 1);
        if (path.empty() || path.front() != '/')
            return fail("/proc/self/cgroup line " + std::to_string(line_no) +
                        ": expected '<id>:<controllers>:/<path>', got '" + detail::excerpt(line) + "'");
        const auto id = line.substr(0, c1);
        auto controllers = line.substr(c1 + 1, c2 - c1 - 1);
        if (id == "0" && controllers.empty()) {
            found.unified = std::string(path);
            continue;
        }
        while (!controllers.empty()) {
            const auto name = controllers.substr(0, controllers.find(','));
            controllers.remove_prefix(std::min(controllers.size(), name.size() + 1));
            if (name == "cpu") found.cpu_v1 = std::string(path);
        }
    }
    return found;
}

/// The cgroup `path` and its ancestors, innermost first: "/a/b" gives
/// {"/a/b", "/a", "/"}. The path is normalised lexically ("." dropped, ".."
/// climbs, never above "/") so it cannot lead outside the cgroup mount.
inline std::vector<std::string> cgroup_ancestors(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        const auto part = path.substr(0, path.find('/'));
        path.remove_prefix(std::min(path.size(), part.size() + 1));
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::vector<std::string> out;
    for (auto n = parts.size() + 1; n-- > 0;) {
        std::string dir;
        for (std::size_t i = 0; i < n; ++i) (dir += '/') += parts[i];
        out.push_back(dir.empty() ? "/" : dir);
    }
    return out;
}

/// Replaces `best` by (count, kind, source) when count is known and smaller;
/// ties keep the earlier source.
inline void tighten(cpu_limit& best, unsigned count, cpu_source kind, std::string source) {
    if (count == 0 || (best.count != 0 && best.count <= count)) return;
    best.count = count;
    best.kind = kind;
    best.source = std::move(source);
}

/// The smallest of the three limits, pure so the tie rules can be tested:
/// hardware first, then affinity, then cgroup, each winning only when
/// strictly smaller. 0 means "unknown" for hw and affinity.
inline cpu_limit combine_cpu_limits(unsigned hardware, unsigned affinity, cpu_limit cgroup) {
    cpu_limit best;
    best.notes = std::move(cgroup.notes);
    tighten(best, hardware, cpu_source::hardware,
            "std::thread::hardware_concurrency() = " + std::to_string(hardware));
    tighten(best, affinity, cpu_source::affinity,
            "sched_getaffinity: " + std::to_string(affinity) + " CPU(s) in the affinity mask (taskset/cpuset)");
    tighten(best, cgroup.count, cgroup.kind, std::move(cgroup.source));
    return best;
}

}  // namespace testr
