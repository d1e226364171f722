// The VM config's network interfaces as virtio-net devices: opens (or creates) each
// interface's tap before boot, so a missing /dev/net/tun or an unusable tap is a clear
// error before the VM starts, and gives the guest the configured MAC or a generated
// one. Called by hull-vmm's main on the thread that builds the Machine.
#pragma once

#include <memory>
#include <vector>

#include "base/status.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/config/vm_config.h"

namespace hull::vmm {

// One NetDevice per entry of config.network_interfaces, in config order (the guest's
// eth0, eth1, ... when no other virtio-net device comes first). An interface without
// guest_mac gets a random locally administered unicast address
// (devices/net/mac_address.h), logged, different on every start.
base::Result<std::vector<std::shared_ptr<devices::virtio::VirtioDevice>>> CreateNetDevices(
    const VmConfig& config);

}  // namespace hull::vmm
