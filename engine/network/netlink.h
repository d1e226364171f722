// The kernel network objects hulld's bridge network uses, through libnl-route
// (rtnetlink): the bridge and its address, veth pairs, moving one end into a container's
// network namespace and configuring it there. Each call opens its own netlink socket in
// the calling thread's current network namespace. Called by Network (hulld, under its
// mutex) and by the container's supervisor (AttachContainer, single-threaded).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::engine::network {

// Creates the bridge if missing, gives it `address`/`prefix` (if it lacks it) and
// brings it up.
base::Status EnsureBridge(const std::string& name, uint32_t address, int prefix);

// Creates the veth pair `host_name` ↔ `peer_name`, the peer created directly in the
// network namespace of `pid`; enslaves the host end to `bridge` and brings it up.
base::Status CreateVethOnBridge(const std::string& host_name, const std::string& peer_name, pid_t pid,
                                const std::string& bridge);

// A persistent tap device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, what hull-vmm and qemu
// open) enslaved to `bridge` and up, for a micro-VM's NIC.
base::Status CreateTapOnBridge(const std::string& name, const std::string& bridge);

// In the current network namespace: `ifname` gets `address`/`prefix`, goes up, and the
// default route goes via `gateway` through it; lo goes up.
base::Status ConfigureInterface(const std::string& ifname, uint32_t address, int prefix, uint32_t gateway);

// Deletes a link by name; a missing one is not an error.
base::Status DeleteLink(const std::string& name);

// Names of the links enslaved to `bridge` (empty when it does not exist).
base::Result<std::vector<std::string>> LinksOnBridge(const std::string& bridge);

// Whether a link of that name exists in the current network namespace.
bool LinkExists(const std::string& name);

}  // namespace hull::engine::network
