// The container's file system view, built by its first process inside its own mount
// namespace: overlayfs (the image's tree read-only below, a per-container upper and work
// dir), pivot_root into it, then /proc, a minimal /dev (standard nodes, devpts
// newinstance, shm, mqueue), /sys read-only, and Docker's masked and read-only paths.
// Everything after pivot_root resolves paths inside the new root, so an image's
// symlinks cannot point a mount at the host. Volumes (-v) are bind mounts of host paths
// attached inside the new root. Mounts vanish with the namespace.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "runtime/container_spec.h"

namespace hull::runtime::ns {

struct RootfsPlan {
  std::string lower;   // the image's unpacked tree (never written)
  std::string upper;   // per-container
  std::string work;    // per-container, same file system as upper
  std::string target;  // mount point for the overlay
  bool privileged = false;    // /sys read-write, no masked or read-only paths
  bool nodev_rootfs = false;  // device nodes in the image/upper unusable (no devices cgroup)
  bool cgroup2 = false;       // mount the container's cgroup2 view at /sys/fs/cgroup (ro)
  std::vector<VolumeSpec> volumes;  // -v: bind mounts (host paths exist: PrepareVolumeSources)
};

// Docker's lists (moby oci/defaults.go).
const std::vector<std::string>& MaskedPaths();
const std::vector<std::string>& ReadonlyPaths();

// Mount namespace must already be private to the caller. Ends with "/" the new root.
// Volumes: each host path is cloned as a detached mount tree (open_tree) before
// pivot_root — read-only ones made so there, all nosuid and nodev —, and attached
// (move_mount) after it, at the container path resolved inside the new root with
// openat2(RESOLVE_IN_ROOT): a symlink in the image or in an earlier run's upper layer
// cannot aim it at the host. Missing container paths are created (a directory, or an
// empty file for a file source).
base::Status SetUpRootfs(const RootfsPlan& plan);

// In the supervisor, before the container starts: a missing host path of a volume is
// created as a directory (Docker's -v behaviour); host paths must be absolute.
base::Status PrepareVolumeSources(const std::vector<VolumeSpec>& volumes);

// Bind-mounts `pts` (the container's terminal) onto /dev/console.
base::Status BindConsole(const std::string& pts);

}  // namespace hull::runtime::ns
