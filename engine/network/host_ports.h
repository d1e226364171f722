// Random host ports, as Docker picks them for `-p 80`, `-p 127.0.0.1::80` and -P
// (HostPort "" or "0"): the next port of the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range) that no other container publishes for the
// same protocol and address and that no socket of this network namespace holds (hull
// publishes by DNAT, so a host listener on it would be shadowed). Called by Network
// under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/network/address_pool.h"

namespace hull::engine::network {

struct PortRange {
  uint16_t first = 49153;  // Docker's fallback when the kernel's range cannot be read
  uint16_t last = 60999;
};

// The kernel's ephemeral port range of this network namespace.
PortRange EphemeralPortRange();

// Whether a socket of `protocol` ("tcp"/"udp") can bind `ip` ("" = any):`port` now.
bool HostPortFree(const std::string& protocol, const std::string& ip, uint16_t port);

// Gives every binding of `ports` whose host_port is 0 a free port of `range`, scanning
// from *next (which moves on, so ports are not reused at once, as Docker's allocator
// does), skipping ports of `endpoints` other than `id`'s and those `port_free` refuses.
// Error when the range is exhausted.
base::Status PickHostPorts(std::vector<PortBinding>* ports, const std::map<std::string, Endpoint>& endpoints,
                           const std::string& id, PortRange range, uint16_t* next,
                           bool (*port_free)(const std::string&, const std::string&, uint16_t) = HostPortFree);

}  // namespace hull::engine::network
