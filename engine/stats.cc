#include "engine/stats.h"

#include <cstdlib>

#include "engine/monitor.h"
#include "engine/proc_file.h"
#include "engine/stats_sources.h"
#include "runtime/namespace/cgroups.h"

namespace hull::engine {
namespace {

using json = nlohmann::json;

// runtime/vm's guest RAM when HostConfig.Memory is not given (runtime/vm/container.cc).
constexpr uint64_t kVmDefaultMemoryBytes = 256ull << 20;

std::string NetworkMode(const ContainerRecord& r) {
  return r.host_config.is_object() && r.host_config.contains("NetworkMode") &&
                 r.host_config["NetworkMode"].is_string()
             ? r.host_config["NetworkMode"].get<std::string>()
             : "default";
}

std::string ReadOrEmpty(const std::string& path) {
  auto text = ReadProcFile(path, 1 << 20);
  return text.ok() ? *text : std::string();
}

pid_t SupervisorPid(const std::string& container_dir) {
  auto text = ReadProcFile(container_dir + "/" + kSupervisorPidFile, 64);
  return text.ok() ? static_cast<pid_t>(std::atoi(text->c_str())) : 0;
}

void SampleNamespaceContainer(const StatsPlace& place, const ContainerRecord& r, StatsSample* s) {
  auto version = runtime::ns::DetectCgroupVersion(place.cgroup_root);
  std::string procs_file;
  if (version.ok() && *version == runtime::ns::CgroupVersion::kV2) {
    const std::string dir = place.cgroup_root + "/" + place.cgroup_name;
    ReadCgroupV2(dir, s);
    procs_file = dir + "/cgroup.procs";
  } else if (version.ok()) {
    ReadCgroupV1(place.cgroup_root, place.cgroup_name, s);
    procs_file = place.cgroup_root + "/memory/" + place.cgroup_name + "/cgroup.procs";
  }
  std::vector<pid_t> procs;
  auto listed = ReadProcFile(procs_file);
  if (listed.ok()) {
    for (uint64_t pid : ParseNumbers(*listed)) procs.push_back(static_cast<pid_t>(pid));
  }
  if (procs.empty() && r.pid > 0) procs = ProcessTree(r.pid);
  // No cpuacct for the container (v1 hosts where the runtime joins cpu only): the
  // processes' own times, reaped children included.
  if (s->cpu_total_ns == 0) AddProcessCpu(procs, s);
  if (s->pids == 0) s->pids = procs.size();
  if (NetworkMode(r) != "host") ReadNetworks(r.pid, s);
}

// The micro-VM as the host sees it: the supervisor (runtime/vm's runner) and the VMM
// it started. Guest RAM is what the VMM has resident; the limit is the guest's RAM.
void SampleVmContainer(const StatsPlace& place, const ContainerRecord& r, StatsSample* s) {
  std::vector<pid_t> tree = ProcessTree(SupervisorPid(place.container_dir));
  AddProcessCpu(tree, s);
  for (size_t i = 0; i < tree.size(); ++i) {
    // The VMM's resident set; the supervisor (hull itself, tree[0]) is not the VM.
    if (i > 0) {
      s->memory_usage +=
          ParseVmRssBytes(ReadOrEmpty("/proc/" + std::to_string(tree[i]) + "/status"));
    }
    s->pids += ThreadCount(tree[i]);
  }
  s->memory_known = true;
  int64_t memory = r.host_config.is_object() ? r.host_config.value("Memory", int64_t{0}) : 0;
  s->memory_limit = memory > 0 ? static_cast<uint64_t>(memory) & ~((1ull << 20) - 1)
                               : kVmDefaultMemoryBytes;
  // The guest's eth0 is the host tap ht<12 hex> (engine/network): what the tap sends,
  // the guest receives. Replaced by hull-vmm's own counters where it has them.
  auto host = ParseNetDev(ReadOrEmpty("/proc/self/net/dev"));
  if (auto it = host.find("ht" + r.id.substr(0, 12)); it != host.end()) {
    const NetCounters& h = it->second;
    s->networks["eth0"] = {h.tx_bytes, h.tx_packets, h.tx_errors, h.tx_dropped,
                           h.rx_bytes, h.rx_packets, h.rx_errors, h.rx_dropped};
  }
}

json BlkioList(const std::vector<BlkioEntry>& entries, bool known) {
  if (!known) return nullptr;
  json out = json::array();
  for (const auto& e : entries) {
    out.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
  }
  return out;
}

json CpuJson(const StatsSample& s) {
  json usage = {{"total_usage", s.cpu_total_ns},
                {"usage_in_kernelmode", s.cpu_kernel_ns},
                {"usage_in_usermode", s.cpu_user_ns}};
  if (!s.percpu_ns.empty()) usage["percpu_usage"] = s.percpu_ns;
  json cpu = {{"cpu_usage", usage},
              {"throttling_data",
               {{"periods", s.periods},
                {"throttled_periods", s.throttled_periods},
                {"throttled_time", s.throttled_ns}}}};
  if (s.running) {
    cpu["system_cpu_usage"] = s.system_cpu_ns;
    cpu["online_cpus"] = s.online_cpus;
  }
  return cpu;
}

}  // namespace

StatsSample SampleContainer(const StatsPlace& place, const ContainerRecord& r) {
  StatsSample s;
  if (r.state != ContainerState::kRunning) return s;
  s.running = true;
  s.read = NowRfc3339Nano();
  ReadHostCpu(&s);
  if (r.runtime == "vm") {
    SampleVmContainer(place, r, &s);
  } else {
    SampleNamespaceContainer(place, r, &s);
  }
  return s;
}

void ApplyVmmMetrics(const json& m, StatsSample* s) {
  if (!m.is_object()) return;
  json hull = {{"vmm", "hull"}};
  json drives = json::object();
  uint64_t minor = 0;
  bool any_drive = false;
  for (const auto& [key, value] : m.items()) {
    if (!value.is_object()) continue;
    if (key.rfind("block_", 0) == 0) {
      if (!any_drive) {
        s->io_bytes.clear();
        s->io_ops.clear();
        any_drive = true;
      }
      // virtio-blk's major on Linux guests; one minor per drive, 16 apart as vda, vdb.
      s->io_bytes.push_back({254, minor, "read", value.value("read_bytes", uint64_t{0})});
      s->io_bytes.push_back({254, minor, "write", value.value("write_bytes", uint64_t{0})});
      s->io_ops.push_back({254, minor, "read", value.value("read_count", uint64_t{0})});
      s->io_ops.push_back({254, minor, "write", value.value("write_count", uint64_t{0})});
      minor += 16;
      drives[key.substr(6)] = {
          {"rate_limiter_throttled_events", value.value("rate_limiter_throttled_events", 0)},
          {"errors", value.value("errors", 0)},
          {"flush_count", value.value("flush_count", 0)}};
    } else if (key.rfind("net_", 0) == 0) {
      s->networks[key.substr(4)] = {
          value.value("rx_bytes_count", uint64_t{0}), value.value("rx_packets_count", uint64_t{0}),
          0, value.value("rx_dropped", uint64_t{0}),
          value.value("tx_bytes_count", uint64_t{0}), value.value("tx_packets_count", uint64_t{0}),
          0, value.value("tx_dropped", uint64_t{0})};
      hull["net_" + key.substr(4)] = {
          {"rx_rate_limiter_throttled", value.value("rx_rate_limiter_throttled", 0)},
          {"tx_rate_limiter_throttled", value.value("tx_rate_limiter_throttled", 0)}};
    }
  }
  if (any_drive) s->blkio_known = true;
  hull["drives"] = std::move(drives);
  if (m.contains("vcpu") && m["vcpu"].is_object()) {
    json exits = m["vcpu"];
    exits.erase("per_vcpu");
    hull["vcpu_exits"] = std::move(exits);
  }
  if (m.contains("vmm") && m["vmm"].is_object()) {
    hull["vmm_resident_memory_bytes"] = m["vmm"].value("resident_memory_bytes", 0);
  }
  s->hull = std::move(hull);
}

json DockerStatsJson(const ContainerRecord& r, const StatsSample& now, const StatsSample& prev) {
  json blkio = {{"io_service_bytes_recursive", BlkioList(now.io_bytes, now.blkio_known)},
                {"io_serviced_recursive", BlkioList(now.io_ops, now.blkio_known)},
                {"io_queue_recursive", nullptr},      {"io_service_time_recursive", nullptr},
                {"io_wait_time_recursive", nullptr},  {"io_merged_recursive", nullptr},
                {"io_time_recursive", nullptr},       {"sectors_recursive", nullptr}};
  json out = {{"read", now.running ? now.read : kZeroTime},
              {"preread", prev.running ? prev.read : kZeroTime},
              {"pids_stats", json::object()},
              {"blkio_stats", blkio},
              {"num_procs", 0},
              {"storage_stats", json::object()},
              {"cpu_stats", CpuJson(now)},
              {"precpu_stats", CpuJson(prev)},
              {"memory_stats", json::object()},
              {"name", "/" + r.name},
              {"id", r.id}};
  if (!now.running) return out;
  out["pids_stats"]["current"] = now.pids;
  if (now.pids_limit > 0) out["pids_stats"]["limit"] = now.pids_limit;
  if (now.memory_known) {
    json memory = {{"usage", now.memory_usage}, {"limit", now.memory_limit},
                   {"stats", json::object()}};
    if (now.memory_max_usage > 0) memory["max_usage"] = now.memory_max_usage;
    for (const auto& [key, value] : now.memory_stats) memory["stats"][key] = value;
    out["memory_stats"] = std::move(memory);
  }
  if (!now.networks.empty()) {
    json networks = json::object();
    for (const auto& [name, n] : now.networks) {
      networks[name] = {{"rx_bytes", n.rx_bytes},     {"rx_packets", n.rx_packets},
                        {"rx_errors", n.rx_errors},   {"rx_dropped", n.rx_dropped},
                        {"tx_bytes", n.tx_bytes},     {"tx_packets", n.tx_packets},
                        {"tx_errors", n.tx_errors},   {"tx_dropped", n.tx_dropped}};
    }
    out["networks"] = std::move(networks);
  }
  if (!now.hull.is_null()) out["hull"] = now.hull;
  return out;
}

}  // namespace hull::engine
