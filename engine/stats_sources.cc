#include "engine/stats_sources.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "engine/proc_file.h"

namespace hull::engine {
namespace {

std::string ReadOr(const std::string& path) {
  auto text = ReadProcFile(path, 1 << 20);
  return text.ok() ? *text : "";
}

// A cgroup number file: "123\n", or "max" (→ 0 with *unlimited set).
bool ReadNumber(const std::string& path, uint64_t* value, bool* unlimited = nullptr) {
  auto text = ReadProcFile(path, 256);
  if (!text.ok() || text->empty()) return false;
  if (text->rfind("max", 0) == 0) {
    if (unlimited) *unlimited = true;
    *value = 0;
    return true;
  }
  char* end = nullptr;
  *value = std::strtoull(text->c_str(), &end, 10);
  return end != text->c_str();
}

void SetMemoryLimit(uint64_t limit, bool unlimited, StatsSample* s) {
  uint64_t host = HostMemoryBytes();
  // Docker shows the host's memory for a container without a limit (v1's "unlimited"
  // is a huge page-aligned number).
  if (unlimited || limit == 0 || (host > 0 && limit > host)) limit = host;
  s->memory_limit = limit;
}

}  // namespace

std::map<std::string, uint64_t> ParseKeyValues(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string key;
  uint64_t value = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (fields >> key >> value) out[key] = value;
  }
  return out;
}

void ParseIoStat(const std::string& text, std::vector<BlkioEntry>* bytes,
                 std::vector<BlkioEntry>* ops) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string device;
    unsigned major = 0, minor = 0;
    if (!(fields >> device) || std::sscanf(device.c_str(), "%u:%u", &major, &minor) != 2) continue;
    std::string kv;
    while (fields >> kv) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos) continue;
      std::string key = kv.substr(0, eq);
      uint64_t value = std::strtoull(kv.c_str() + eq + 1, nullptr, 10);
      if (key == "rbytes") bytes->push_back({major, minor, "read", value});
      else if (key == "wbytes") bytes->push_back({major, minor, "write", value});
      else if (key == "rios") ops->push_back({major, minor, "read", value});
      else if (key == "wios") ops->push_back({major, minor, "write", value});
    }
  }
}

std::vector<BlkioEntry> ParseBlkioV1(const std::string& text) {
  std::vector<BlkioEntry> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    unsigned major = 0, minor = 0;
    char op[32] = {};
    unsigned long long value = 0;
    if (std::sscanf(line.c_str(), "%u:%u %31s %llu", &major, &minor, op, &value) != 4) continue;
    std::string o = op;
    std::transform(o.begin(), o.end(), o.begin(), ::tolower);
    out.push_back({major, minor, o, value});
  }
  return out;
}

std::vector<uint64_t> ParseNumbers(const std::string& text) {
  std::vector<uint64_t> out;
  std::istringstream in(text);
  uint64_t v = 0;
  while (in >> v) out.push_back(v);
  return out;
}

std::map<std::string, NetCounters> ParseNetDev(const std::string& text) {
  std::map<std::string, NetCounters> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name.empty() || name == "lo") continue;
    std::istringstream f(line.substr(colon + 1));
    uint64_t v[16] = {};
    int n = 0;
    while (n < 16 && f >> v[n]) ++n;
    if (n < 12) continue;
    // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: the same.
    out[name] = {v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]};
  }
  return out;
}

uint64_t ParseHostCpuNs(const std::string& proc_stat, long ticks_per_second) {
  if (proc_stat.rfind("cpu ", 0) != 0 || ticks_per_second <= 0) return 0;
  std::istringstream f(proc_stat.substr(4, proc_stat.find('\n')));
  uint64_t total = 0, v = 0;
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  for (int i = 0; i < 8 && f >> v; ++i) total += v;
  return total * (1000000000ull / static_cast<uint64_t>(ticks_per_second));
}

bool ParseProcStatTimes(const std::string& text, uint64_t* user_ticks, uint64_t* system_ticks) {
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream f(text.substr(close + 1));
  std::string field;
  // After comm: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime(14) stime cutime cstime.
  for (int i = 3; i < 14; ++i) {
    if (!(f >> field)) return false;
  }
  uint64_t utime = 0, stime = 0;
  int64_t cutime = 0, cstime = 0;
  if (!(f >> utime >> stime >> cutime >> cstime)) return false;
  *user_ticks = utime + static_cast<uint64_t>(std::max<int64_t>(cutime, 0));
  *system_ticks = stime + static_cast<uint64_t>(std::max<int64_t>(cstime, 0));
  return true;
}

uint64_t ParseVmRssBytes(const std::string& status) {
  size_t at = status.find("\nVmRSS:");
  if (at == std::string::npos) return 0;
  return std::strtoull(status.c_str() + at + 7, nullptr, 10) * 1024;
}

void ReadCgroupV2(const std::string& dir, StatsSample* s) {
  bool unlimited = false;
  uint64_t limit = 0;
  if (ReadNumber(dir + "/memory.current", &s->memory_usage)) {
    s->memory_known = true;
    ReadNumber(dir + "/memory.max", &limit, &unlimited);
    SetMemoryLimit(limit, unlimited, s);
    s->memory_stats = ParseKeyValues(ReadOr(dir + "/memory.stat"));
  }
  auto cpu = ParseKeyValues(ReadOr(dir + "/cpu.stat"));
  s->cpu_total_ns = cpu["usage_usec"] * 1000;
  s->cpu_user_ns = cpu["user_usec"] * 1000;
  s->cpu_kernel_ns = cpu["system_usec"] * 1000;
  s->periods = cpu["nr_periods"];
  s->throttled_periods = cpu["nr_throttled"];
  s->throttled_ns = cpu["throttled_usec"] * 1000;
  ReadNumber(dir + "/pids.current", &s->pids);
  ReadNumber(dir + "/pids.max", &s->pids_limit);
  std::string io = ReadOr(dir + "/io.stat");
  s->blkio_known = true;
  ParseIoStat(io, &s->io_bytes, &s->io_ops);
}

void ReadCgroupV1(const std::string& root, const std::string& name, StatsSample* s) {
  const std::string mem = root + "/memory/" + name;
  if (ReadNumber(mem + "/memory.usage_in_bytes", &s->memory_usage)) {
    s->memory_known = true;
    ReadNumber(mem + "/memory.max_usage_in_bytes", &s->memory_max_usage);
    uint64_t limit = 0;
    ReadNumber(mem + "/memory.limit_in_bytes", &limit);
    SetMemoryLimit(limit, false, s);
    s->memory_stats = ParseKeyValues(ReadOr(mem + "/memory.stat"));
  }
  // cpuacct is its own hierarchy on some hosts and co-mounted with cpu on others; the
  // namespace runtime joins only cpu, so the caller falls back to process times when
  // neither has the container.
  for (const char* controller : {"cpuacct", "cpu,cpuacct", "cpu"}) {
    const std::string dir = root + "/" + controller + "/" + name;
    if (!ReadNumber(dir + "/cpuacct.usage", &s->cpu_total_ns)) continue;
    s->percpu_ns = ParseNumbers(ReadOr(dir + "/cpuacct.usage_percpu"));
    auto ticks = ParseKeyValues(ReadOr(dir + "/cpuacct.stat"));
    uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    s->cpu_user_ns = ticks["user"] * ns_per_tick;
    s->cpu_kernel_ns = ticks["system"] * ns_per_tick;
    break;
  }
  auto throttling = ParseKeyValues(ReadOr(root + "/cpu/" + name + "/cpu.stat"));
  s->periods = throttling["nr_periods"];
  s->throttled_periods = throttling["nr_throttled"];
  s->throttled_ns = throttling["throttled_time"];
  ReadNumber(root + "/pids/" + name + "/pids.current", &s->pids);
  ReadNumber(root + "/pids/" + name + "/pids.max", &s->pids_limit);
  const std::string blkio = root + "/blkio/" + name;
  for (const char* suffix : {"_recursive", ""}) {
    std::string bytes = blkio + "/blkio.throttle.io_service_bytes" + suffix;
    if (::access(bytes.c_str(), R_OK) != 0) continue;
    s->blkio_known = true;
    s->io_bytes = ParseBlkioV1(ReadOr(bytes));
    s->io_ops = ParseBlkioV1(ReadOr(blkio + "/blkio.throttle.io_serviced" + suffix));
    break;
  }
}

void ReadHostCpu(StatsSample* s) {
  s->system_cpu_ns = ParseHostCpuNs(ReadOr("/proc/stat"), ::sysconf(_SC_CLK_TCK));
  long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  s->online_cpus = online > 0 ? static_cast<uint32_t>(online) : 1;
}

uint64_t HostMemoryBytes() {
  auto meminfo = ParseKeyValues(ReadOr("/proc/meminfo"));
  // "MemTotal: N kB": the key keeps its colon.
  return meminfo["MemTotal:"] * 1024;
}

void AddProcessCpu(const std::vector<pid_t>& pids, StatsSample* s) {
  uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  for (pid_t pid : pids) {
    uint64_t user = 0, system = 0;
    if (!ParseProcStatTimes(ReadOr("/proc/" + std::to_string(pid) + "/stat"), &user, &system)) {
      continue;
    }
    s->cpu_user_ns += user * ns_per_tick;
    s->cpu_kernel_ns += system * ns_per_tick;
    s->cpu_total_ns += (user + system) * ns_per_tick;
  }
}

void ReadNetworks(pid_t pid, StatsSample* s) {
  if (pid <= 0) return;
  s->networks = ParseNetDev(ReadOr("/proc/" + std::to_string(pid) + "/net/dev"));
}

std::vector<pid_t> ProcessTree(pid_t pid) {
  std::vector<pid_t> out;
  if (pid <= 0) return out;
  out.push_back(pid);
  for (size_t i = 0; i < out.size() && out.size() < 4096; ++i) {
    std::error_code ec;
    try {  // a process that ends while we read its tasks
      for (const auto& task : std::filesystem::directory_iterator(
               "/proc/" + std::to_string(out[i]) + "/task", ec)) {
        for (uint64_t child : ParseNumbers(ReadOr(task.path().string() + "/children"))) {
          out.push_back(static_cast<pid_t>(child));
        }
      }
    } catch (const std::filesystem::filesystem_error&) {
    }
  }
  return out;
}

uint64_t ThreadCount(pid_t pid) {
  auto status = ReadOr("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("\nThreads:");
  return at == std::string::npos ? 0 : std::strtoull(status.c_str() + at + 9, nullptr, 10);
}

}  // namespace hull::engine
