// The VM config's drives as virtio-blk devices: opens each drive's image (raw, or a
// read-only base plus a copy-on-write overlay) before boot, so a missing or unusable
// file is a clear error before the VM starts, and names the root device on the kernel
// command line as Firecracker does. Called by hull-vmm's main on the thread that builds
// the Machine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/config/vm_config.h"

namespace hull::vmm {

// One BlockDevice per entry of config.drives, in config order (the guest sees them as
// /dev/vda, /dev/vdb, ... in that order when they come first among the virtio devices).
base::Result<std::vector<std::shared_ptr<devices::virtio::VirtioDevice>>> CreateBlockDevices(
    const VmConfig& config);

// " root=/dev/vdX ro|rw" (or " root=PARTUUID=... ro|rw") for the drive marked
// is_root_device, X by its position in config.drives; "" when there is none.
std::string RootDeviceArgs(const VmConfig& config);

}  // namespace hull::vmm
