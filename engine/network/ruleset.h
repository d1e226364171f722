// The nftables rules of hulld's bridge network, as one nft script rendered from the
// address pool: table `ip hull` replaced as a whole in one transaction (so a rebuild
// after a hulld restart and a change for one container are the same operation and never
// leave a half-applied state), and the call into libnftables that applies it. Called
// by Network (network.h) under its mutex.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "engine/network/address_pool.h"

namespace hull::engine::network {

inline constexpr const char* kNftTable = "hull";

// NAT for the subnet (masquerade out of any interface but the bridge), and for each
// published port a DNAT from every local address (or host_ip) to the container — in
// prerouting for traffic from outside and in output for the host's own connections,
// 127.0.0.1 included (route_localnet on the bridge; the source is masqueraded to the
// bridge address, as Docker does without its userland proxy).
std::string RenderRuleset(const std::string& bridge, const Ipv4Net& subnet,
                          const std::map<std::string, Endpoint>& endpoints);

// The script that removes the table (absent or not).
std::string RenderRemoval();

// Runs an nft script through libnftables; the error names nft's complaint.
base::Status ApplyNft(const std::string& script);

}  // namespace hull::engine::network
