// A container's cgroup: memory, CPU and pids limits (and, on v1, the device allowlist),
// on whichever hierarchy the host mounts, detected at run time. cgroup v2 ("unified"):
// ROOT/hull/<id> with memory.max, memory.swap.max, cpu.max, pids.max. cgroup v1 (one
// mount per controller, as on hosts that mount v1 controllers next to an empty v2
// hierarchy): ROOT/<controller>/hull/<id> with memory.limit_in_bytes, cpu.cfs_quota_us,
// pids.max, devices.allow. The root is a parameter so the unit tests can point it at a
// fake cgroupfs. Used by the supervising `hull run` process (one thread).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::runtime::ns {

enum class CgroupVersion { kV1, kV2 };

struct CgroupLimits {
  int64_t memory_bytes = 0;       // 0: unlimited
  int64_t memory_swap_bytes = 0;  // memory + swap; 0: twice memory_bytes; -1: unlimited
  int64_t cpu_quota_us = 0;       // per cpu_period_us; 0: unlimited
  int64_t cpu_period_us = 100000;
  int64_t pids_max = 0;           // 0: unlimited
};

// CPU limit in Docker's terms (--cpus 1.5) → quota per 100 ms period.
int64_t CpuQuotaForCpus(double cpus);

// v2 when `root` itself is a cgroup2 mount; v1 when it holds v1 controller mounts (a v2
// mount at root/unified, the "hybrid" layout, carries no controllers we use and is
// ignored). Error when neither.
base::Result<CgroupVersion> DetectCgroupVersion(const std::string& root);

class Cgroup {
 public:
  // Creates the cgroup `name` ("PARENT/ID") under root/[controller/] and writes the limits. On any
  // error nothing is left behind; the message names the file and the value the kernel
  // refused.
  static base::Result<Cgroup> Create(const std::string& root, CgroupVersion version,
                                     const std::string& name, const CgroupLimits& limits);
  Cgroup(Cgroup&&) = default;
  Cgroup& operator=(Cgroup&&) = default;
  Cgroup(const Cgroup&) = delete;
  ~Cgroup();  // Remove(), errors logged

  // Moves `pid` into every directory of this cgroup.
  base::Status AddProcess(pid_t pid) const;
  // Whether the kernel's OOM killer killed a process in this cgroup.
  bool OomKilled() const;
  // Kills whatever is still inside and removes the directories (retrying while the
  // kernel still counts exiting tasks). Idempotent.
  base::Status Remove();
  // Keeps the directories: removing them is someone else's job from here on (the caller
  // of `hull-vmm --jail --no-supervisor`, whose VMM runs in this cgroup).
  void Release() { dirs_.clear(); }

  const std::vector<std::string>& dirs() const { return dirs_; }
  CgroupVersion version() const { return version_; }

 private:
  Cgroup(CgroupVersion version, std::vector<std::string> dirs)
      : version_(version), dirs_(std::move(dirs)) {}
  CgroupVersion version_ = CgroupVersion::kV2;
  std::vector<std::string> dirs_;  // v2: one; v1: one per controller
};

// Removes a cgroup `name` left by a `hull run` that was killed (SIGKILL) before it could
// clean up: kills its processes and removes its directories. Missing is not an error.
base::Status RemoveCgroupByName(const std::string& root, CgroupVersion version,
                                const std::string& name);

// The limit writers Create uses, on an existing directory (exposed for the unit tests,
// which run them against a fake cgroupfs). v1 takes the root and the name because each
// controller has its own directory.
base::Status WriteCgroupV2Limits(const std::string& dir, const CgroupLimits& limits);
base::Status WriteCgroupV1Limits(const std::string& root, const std::string& name,
                                 const CgroupLimits& limits);

// The directories a cgroup `name` uses (whether or not they exist).
std::vector<std::string> CgroupDirs(const std::string& root, CgroupVersion version,
                                    const std::string& name);

}  // namespace hull::runtime::ns
