// cpu_detect.hpp - the CPUs this process may really use, read from the live
// system: std::thread::hardware_concurrency(), the sched_getaffinity mask
// (taskset, cpusets) and the cgroup CPU quota under /proc and /sys. The
// parsers and the rule that combines the three are the core's
// (testr/cpu_limit.hpp); this is the part that reads files and asks the
// kernel.
#pragma once

#include <cstddef>
#include <string_view>

#include <testr/cpu_limit.hpp>

namespace testr {

/// The tightest cgroup CPU quota of this process: v2 `cpu.max` of its cgroup
/// and every ancestor (under <root>/sys/fs/cgroup, and .../unified on hybrid
/// systems), and v1 `cpu.cfs_*` of its `cpu` controller cgroup and ancestors
/// (under <root>/sys/fs/cgroup/cpu or cpu,cpuacct). Walking ancestors also
/// covers containers whose /proc/self/cgroup shows a host path while the
/// container's own cgroup is mounted at the root. `root` prefixes every path
/// ("" = the real system) so tests can use a fake tree; it reads
/// <root>/proc/self/cgroup. count == 0: no quota found. Files that exist but
/// cannot be read or parsed become notes; absent ones are normal.
cpu_limit cgroup_cpu_limit(std::string_view root = "");

/// CPUs in this thread's affinity mask, 0 if unknown. The mask is sized
/// dynamically (a fixed cpu_set_t holds 1024 CPUs; sched_getaffinity fails
/// with EINVAL on kernels built for more), starting at `initial_cpus`, which
/// exists for tests.
unsigned affinity_cpu_count(std::size_t initial_cpus = 1024);

/// The CPU count this process may really use, and which limit decided it
/// (combine_cpu_limits of the three). `root` prefixes the cgroup and /proc
/// paths only (see cgroup_cpu_limit); the hardware count and affinity mask
/// are always the real ones. count == 0 only if nothing at all could be
/// determined.
cpu_limit detect_cpus(std::string_view root = "");

}  // namespace testr
