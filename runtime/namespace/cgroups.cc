#include "runtime/namespace/cgroups.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cmath>
#include <sstream>
#include <thread>

#include "base/logging.h"
#include "base/unique_fd.h"

namespace hull::runtime::ns {

using base::Result;
using base::Status;

namespace {

// Controllers a v1 container cgroup is created in. "devices" is v1's device allowlist.
constexpr const char* kV1Controllers[] = {"memory", "cpu", "pids", "devices"};

// Docker's default device allowlist (c/b major:minor access), v1 syntax.
constexpr const char* kAllowedDevices[] = {
    "c *:* m", "b *:* m",          // mknod of anything (using it needs an allow line)
    "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",  // null zero full random urandom
    "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",             // tty console ptmx pts
    "c 10:200 rwm",                                                    // tun
};

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status WriteValue(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = dir + "/" + file;
  // O_TRUNC lets the unit tests' fake cgroupfs (plain files) read back the last value.
  auto fd = base::OpenFile(path, O_WRONLY | O_TRUNC);
  if (!fd.ok()) return fd.status();
  if (::write(fd->get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return Status::Errno("setting " + file + " to \"" + value + "\"");
  }
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Status::Errno("mkdir " + path);
  return Status::Ok();
}

std::vector<pid_t> ReadPids(const std::string& dir) {
  std::vector<pid_t> pids;
  auto text = base::ReadFileToString(dir + "/cgroup.procs", 1 << 20);
  if (!text.ok()) return pids;
  std::istringstream in(*text);
  pid_t pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

Status RemoveDirs(const std::vector<std::string>& dirs) {
  Status result;
  for (const auto& dir : dirs) {
    if (!Exists(dir)) continue;
    for (int attempt = 0;; ++attempt) {
      for (pid_t pid : ReadPids(dir)) ::kill(pid, SIGKILL);
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY || attempt == 200) {
        result = Status::Errno("removing cgroup " + dir);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return result;
}

// v2: the controllers we limit must be enabled in every ancestor's subtree_control.
Status EnableV2Controllers(const std::string& dir) {
  auto available = base::ReadFileToString(dir + "/cgroup.controllers", 4096);
  if (!available.ok()) return available.status();
  std::string enable;
  for (const char* c : {"memory", "cpu", "pids"}) {
    std::istringstream in(*available);
    std::string word;
    while (in >> word) {
      if (word == c) enable += std::string(enable.empty() ? "+" : " +") + c;
    }
  }
  if (enable.empty()) return Status::Ok();
  return WriteValue(dir, "cgroup.subtree_control", enable);
}

std::string SwapValue(const CgroupLimits& l, bool v2) {
  if (l.memory_swap_bytes < 0) return v2 ? "max" : "-1";
  int64_t total = l.memory_swap_bytes ? l.memory_swap_bytes : 2 * l.memory_bytes;
  // v2's memory.swap.max counts swap alone; v1's memsw counts memory + swap.
  return std::to_string(v2 ? total - l.memory_bytes : total);
}

}  // namespace

Status WriteCgroupV2Limits(const std::string& dir, const CgroupLimits& l) {
  if (l.memory_bytes > 0) {
    RETURN_IF_ERROR(WriteValue(dir, "memory.max", std::to_string(l.memory_bytes)));
    if (Exists(dir + "/memory.swap.max")) {
      RETURN_IF_ERROR(WriteValue(dir, "memory.swap.max", SwapValue(l, true)));
    }
  }
  if (l.cpu_quota_us > 0) {
    RETURN_IF_ERROR(WriteValue(dir, "cpu.max", std::to_string(l.cpu_quota_us) + " " +
                                                   std::to_string(l.cpu_period_us)));
  }
  if (l.pids_max > 0) RETURN_IF_ERROR(WriteValue(dir, "pids.max", std::to_string(l.pids_max)));
  return Status::Ok();
}

Status WriteCgroupV1Limits(const std::string& root, const std::string& name, const CgroupLimits& l) {
  std::string mem = root + "/memory/" + name;
  if (l.memory_bytes > 0) {
    RETURN_IF_ERROR(WriteValue(mem, "memory.limit_in_bytes", std::to_string(l.memory_bytes)));
    if (Exists(mem + "/memory.memsw.limit_in_bytes")) {
      RETURN_IF_ERROR(WriteValue(mem, "memory.memsw.limit_in_bytes", SwapValue(l, false)));
    }
  }
  std::string cpu = root + "/cpu/" + name;
  if (l.cpu_quota_us > 0) {
    RETURN_IF_ERROR(WriteValue(cpu, "cpu.cfs_period_us", std::to_string(l.cpu_period_us)));
    RETURN_IF_ERROR(WriteValue(cpu, "cpu.cfs_quota_us", std::to_string(l.cpu_quota_us)));
  }
  std::string pids = root + "/pids/" + name;
  if (l.pids_max > 0) RETURN_IF_ERROR(WriteValue(pids, "pids.max", std::to_string(l.pids_max)));
  std::string devices = root + "/devices/" + name;
  RETURN_IF_ERROR(WriteValue(devices, "devices.deny", "a"));
  for (const char* rule : kAllowedDevices) RETURN_IF_ERROR(WriteValue(devices, "devices.allow", rule));
  return Status::Ok();
}

int64_t CpuQuotaForCpus(double cpus) {
  return cpus > 0 ? static_cast<int64_t>(std::llround(cpus * 100000)) : 0;
}

Result<CgroupVersion> DetectCgroupVersion(const std::string& root) {
  struct statfs fs {};
  if (::statfs(root.c_str(), &fs) != 0) return Status::Errno("statfs " + root);
  if (fs.f_type == CGROUP2_SUPER_MAGIC) return CgroupVersion::kV2;
  struct statfs mem {};
  if (::statfs((root + "/memory").c_str(), &mem) == 0 && mem.f_type == CGROUP_SUPER_MAGIC) {
    return CgroupVersion::kV1;
  }
  return Status::Error(root + " is neither a cgroup v2 mount nor a directory of cgroup v1 controllers");
}

std::vector<std::string> CgroupDirs(const std::string& root, CgroupVersion version,
                                    const std::string& name) {
  if (version == CgroupVersion::kV2) return {root + "/" + name};
  std::vector<std::string> dirs;
  for (const char* c : kV1Controllers) dirs.push_back(root + "/" + c + "/" + name);
  return dirs;
}

Result<Cgroup> Cgroup::Create(const std::string& root, CgroupVersion version,
                              const std::string& name, const CgroupLimits& limits) {
  size_t slash = name.find('/');
  std::string parent = slash == std::string::npos ? "" : name.substr(0, slash);
  std::string leaf = slash == std::string::npos ? "" : name.substr(slash + 1);
  if (parent.empty() || leaf.empty() || parent[0] == '.' || leaf[0] == '.' ||
      leaf.find('/') != std::string::npos) {
    return Status::Error("invalid cgroup name (want PARENT/NAME): " + name);
  }
  std::vector<std::string> dirs = CgroupDirs(root, version, name);
  if (version == CgroupVersion::kV2) {
    RETURN_IF_ERROR(EnableV2Controllers(root));
    RETURN_IF_ERROR(MakeDir(root + "/" + parent));
    RETURN_IF_ERROR(EnableV2Controllers(root + "/" + parent));
  } else {
    for (const char* c : kV1Controllers) {
      if (!Exists(root + "/" + c)) return Status::Error("cgroup v1 controller " + std::string(c) + " is not mounted at " + root + "/" + c);
      RETURN_IF_ERROR(MakeDir(root + "/" + c + "/" + parent));
    }
  }
  Cgroup cgroup(version, {});
  for (const auto& dir : dirs) {
    if (::mkdir(dir.c_str(), 0755) != 0) return Status::Errno("creating cgroup " + dir);
    cgroup.dirs_.push_back(dir);  // from here on the destructor removes it
  }
  Status limited = version == CgroupVersion::kV2 ? WriteCgroupV2Limits(dirs[0], limits)
                                                 : WriteCgroupV1Limits(root, name, limits);
  if (!limited.ok()) return limited;
  return cgroup;
}

Cgroup::~Cgroup() {
  if (Status s = Remove(); !s.ok()) {
    HULL_LOG(kWarning) << s.message();
  }
}

Status Cgroup::AddProcess(pid_t pid) const {
  for (const auto& dir : dirs_) RETURN_IF_ERROR(WriteValue(dir, "cgroup.procs", std::to_string(pid)));
  return Status::Ok();
}

bool Cgroup::OomKilled() const {
  for (const auto& dir : dirs_) {
    std::string file = version_ == CgroupVersion::kV2 ? "/memory.events" : "/memory.oom_control";
    auto text = base::ReadFileToString(dir + file, 1 << 16);
    if (!text.ok()) continue;
    // v2 memory.events and v1 memory.oom_control (Linux 4.13+) count kills in oom_kill;
    // older v1 kernels only say under_oom, which is 1 while the group is out of memory.
    std::istringstream in(*text);
    std::string key;
    int64_t value;
    while (in >> key >> value) {
      if ((key == "oom_kill" || key == "under_oom") && value > 0) return true;
    }
  }
  return false;
}

Status Cgroup::Remove() {
  Status s = RemoveDirs(dirs_);
  if (s.ok()) dirs_.clear();
  return s;
}

Status RemoveCgroupByName(const std::string& root, CgroupVersion version, const std::string& name) {
  return RemoveDirs(CgroupDirs(root, version, name));
}

}  // namespace hull::runtime::ns
