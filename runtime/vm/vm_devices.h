// A container's network interface and volumes as a micro-VM's devices: the tap and the
// volume disks/shares the VMM attaches (VmShape) and what hull-init configures with them
// (guest::GuestSpec's network, extra_hosts and volumes). Checks the host side of each
// volume against what the backend can attach. Pure apart from stat(); called by the VM
// runner before it creates anything.
#pragma once

#include <optional>
#include <vector>

#include "base/status.h"
#include "guest/spec.h"
#include "runtime/container_spec.h"
#include "runtime/vm/backend.h"
#include "runtime/vm/vmm_command.h"

namespace hull::runtime::vm {

// "172.18.0.2/16" → "02:42:ac:12:00:02" (Docker's scheme: locally administered, unicast).
base::Result<std::string> MacForAddress(const std::string& cidr);

base::Status AttachNetwork(const std::optional<TapInterface>& interface, guest::GuestSpec* spec,
                           VmShape* shape);

// A directory becomes a virtio-9p share (qemu only), a regular file an ext4 volume disk.
base::Status AttachVolumes(const std::vector<VolumeSpec>& volumes, VmmKind backend,
                           guest::GuestSpec* spec, VmShape* shape);

}  // namespace hull::runtime::vm
