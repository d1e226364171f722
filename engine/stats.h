// Container statistics for GET /containers/{id}/stats: one StatsSample is a container's
// cumulative counters at one moment (CPU time, memory, tasks, block I/O, network), read
// from its cgroup and /proc for a namespace container, from its VMM's processes (and,
// for hull-vmm, the per-VM API's GET /metrics, which the caller fetches and hands to
// ApplyVmmMetrics) for a micro-VM. DockerStatsJson turns two samples into Docker's
// v1.41 StatsJSON. Called on hulld's connection threads; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/container_record.h"
#include "engine/engine.h"

namespace hull::engine {

// One row of Docker's blkio_stats.io_service_bytes_recursive / io_serviced_recursive.
struct BlkioEntry {
  uint64_t major = 0;
  uint64_t minor = 0;
  std::string op;  // "read", "write" (Docker's v2 spelling; its CLI compares lower-case)
  uint64_t value = 0;
};

// Docker's networks.<name> fields, from the container's (guest's) point of view.
struct NetCounters {
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

struct StatsSample {
  bool running = false;   // false: Docker's zeroed answer for a stopped container
  std::string read;       // RFC 3339 time of the sample
  uint64_t cpu_total_ns = 0;
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_kernel_ns = 0;
  std::vector<uint64_t> percpu_ns;  // empty: unknown (cgroup v2, process sums)
  uint64_t throttled_periods = 0, periods = 0, throttled_ns = 0;
  uint64_t system_cpu_ns = 0;       // the host's, from /proc/stat
  uint32_t online_cpus = 0;
  bool memory_known = false;
  uint64_t memory_usage = 0;
  uint64_t memory_max_usage = 0;    // 0: not reported (cgroup v2)
  uint64_t memory_limit = 0;
  std::map<std::string, uint64_t> memory_stats;  // memory.stat as the kernel names it
  uint64_t pids = 0;
  uint64_t pids_limit = 0;          // 0: none
  bool blkio_known = false;
  std::vector<BlkioEntry> io_bytes;  // io_service_bytes_recursive
  std::vector<BlkioEntry> io_ops;    // io_serviced_recursive
  std::map<std::string, NetCounters> networks;  // absent interfaces: no networks key
  nlohmann::json hull;  // null, or the "hull" extension (runtime vm)
};

// Where a container's counters are: its cgroup (namespace runtime) or its VM processes.
struct StatsPlace {
  std::string cgroup_root;   // EngineOptions::cgroup_root
  std::string cgroup_name;   // PARENT/ID
  std::string container_dir; // ROOT/engine/containers/<id> (supervisor.pid)
};

// The counters of `record` now. A container that is not running gives running = false
// and zeros. Missing pieces (a controller the host lacks) are left out, not errors.
StatsSample SampleContainer(const StatsPlace& place, const ContainerRecord& record);

// Adds what hull-vmm's GET /metrics says (its JSON text): drives → blkio (major 254,
// minor = drive index, Docker's virtio-blk numbering), net_<iface> → networks (the
// guest's side), and the "hull" extension: vCPU exits, throttled events, VMM RSS.
void ApplyVmmMetrics(const nlohmann::json& metrics, StatsSample* sample);

// Docker's StatsJSON for `record` from `now` and the sample before it (`prev`,
// running = false for none: precpu zeros, preread Docker's zero time).
nlohmann::json DockerStatsJson(const ContainerRecord& record, const StatsSample& now,
                               const StatsSample& prev);

}  // namespace hull::engine
