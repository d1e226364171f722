// Docker's port publishing fields ↔ PortBinding: HostConfig.PortBindings of a create
// request ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}) parsed and checked, and
// NetworkSettings.Ports for inspect. Pure; called by the engine on API threads.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/network/address_pool.h"

namespace hull::engine::network {

// A missing or null PortBindings is no ports. Errors (for a 400) on a bad container
// port or protocol (tcp and udp only), a HostPort that is not a port number, or a HostIp
// that is not IPv4. A HostPort "" or "0" is host_port 0: Network picks a free one.
base::Result<std::vector<PortBinding>> ParsePortBindings(const nlohmann::json& port_bindings);

// HostConfig.PublishAllPorts: each exposed port ("80/tcp", "53/udp", "22") that no
// binding publishes yet gets one on every address with host_port 0 (random). Errors on a
// bad port or protocol.
base::Status AddPublishAll(const std::vector<std::string>& exposed, std::vector<PortBinding>* ports);

// {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], ...}
nlohmann::json PortsToDocker(const std::vector<PortBinding>& ports);

}  // namespace hull::engine::network
