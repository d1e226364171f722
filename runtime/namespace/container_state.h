// A container's directory on the host, state_root/<id>/ (upper/, work/, rootfs/ and a
// lock file that the owning `hull run` holds with flock for the container's lifetime),
// and the sweep that removes what a killed `hull run` left behind: directories whose
// lock nobody holds, and the cgroups named after them. Called by the supervisor.
#pragma once

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"
#include "runtime/namespace/cgroups.h"

namespace hull::runtime::ns {

class ContainerDir {
 public:
  static base::Result<ContainerDir> Create(const std::string& state_root, const std::string& id);
  ContainerDir(ContainerDir&&) = default;
  ContainerDir& operator=(ContainerDir&&) = default;
  ~ContainerDir();  // removes the directory

  const std::string& path() const { return path_; }
  std::string upper() const { return path_ + "/upper"; }
  std::string work() const { return path_ + "/work"; }
  std::string rootfs() const { return path_ + "/rootfs"; }

 private:
  ContainerDir(std::string path, base::UniqueFd lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  base::UniqueFd lock_;
};

// Docker's per-container /etc/hostname, /etc/hosts (localhost entries; the host's with
// --network host) and, with --network host, the host's /etc/resolv.conf: written into the
// overlay's upper directory before it is mounted, so they shadow the image's own. Only
// when the image's /etc is a real directory (never through a symlink of the image).
// With `address` (a bridge network), /etc/hosts also maps the hostname to it and
// /etc/resolv.conf is the host's without loopback nameservers (unreachable from the
// container), Google's public ones when none is left — Docker's rule.
base::Status WriteEtcFiles(const std::string& lower, const std::string& upper,
                           const std::string& hostname, bool host_network,
                           const std::string& address = "");

// The host's resolv.conf text for a container on a bridge: nameserver lines naming a
// loopback address dropped; 8.8.8.8 and 8.8.4.4 when no nameserver is left.
std::string BridgeResolvConf(const std::string& host_resolv_conf);

// Removes container directories under state_root whose owner is gone, and their cgroups.
void SweepStaleContainers(const std::string& state_root, const std::string& cgroup_root,
                          const std::string& cgroup_parent, CgroupVersion version);

}  // namespace hull::runtime::ns
