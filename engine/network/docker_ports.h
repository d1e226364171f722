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
// port or protocol (tcp and udp only), a HostPort that is missing, 0 or not a number
// (hull does not pick a random host port yet), or a HostIp that is not IPv4.
base::Result<std::vector<PortBinding>> ParsePortBindings(const nlohmann::json& port_bindings);

// {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], ...}
nlohmann::json PortsToDocker(const std::vector<PortBinding>& ports);

}  // namespace hull::engine::network
