// hull-init's file systems: the early /proc, /sys and /dev of the initramfs, then the
// container's root — the image disk (ext4, read-only) below the writable layer's ext4,
// joined by overlayfs — made the root with a switch_root-style move and chroot (the
// initramfs cannot be pivot_root'ed away). Runs on hull-init's only thread.
#pragma once

#include <vector>

#include "base/status.h"
#include "guest/spec.h"

namespace hull::guest::init {

// /proc, /sys and /dev (devtmpfs) in the initramfs.
base::Status MountEarly();
// Finds the two disks by their ext4 labels, mounts them, joins them with overlayfs and
// makes the result the root, with /proc, /sys, /dev, /dev/pts and /dev/shm inside.
base::Status SwitchToContainerRoot();

// Mounts each volume at its target inside the container's root (made if missing): a 9p
// share by its tag, an ext4 disk found by its serial. Call after SwitchToContainerRoot.
base::Status MountVolumes(const std::vector<Volume>& volumes);

}  // namespace hull::guest::init
