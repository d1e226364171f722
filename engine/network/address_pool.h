// hulld's bridge network state: the IPv4 subnet, and the endpoint of each container
// attached to the bridge (its address and published ports), persisted in one JSON file
// (ROOT/network/endpoints.json, written atomically) so that addresses and port rules
// survive a hulld restart. The gateway (the bridge's own address) is the subnet's first
// host address; containers get the lowest free address after it. Pure bookkeeping, no
// system calls beyond the file; owned by Network (network.h), called under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::engine::network {

struct Ipv4Net {
  uint32_t base = 0;  // host byte order, host bits cleared
  int prefix = 0;

  // "172.30.0.0/16"; the prefix must leave room for a gateway and a container (≤ 30).
  static base::Result<Ipv4Net> Parse(const std::string& text);
  uint32_t gateway() const { return base + 1; }
  uint32_t broadcast() const { return base | (prefix == 0 ? ~0u : ((1u << (32 - prefix)) - 1)); }
  bool Contains(uint32_t address) const { return (address & Mask()) == base; }
  uint32_t Mask() const { return prefix == 0 ? 0 : ~0u << (32 - prefix); }
  std::string ToString() const;
};

std::string FormatIpv4(uint32_t address);
base::Result<uint32_t> ParseIpv4(const std::string& text);

struct PortBinding {
  std::string protocol = "tcp";  // tcp or udp
  std::string host_ip;           // "" (every local address) or one IPv4 address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  bool operator==(const PortBinding&) const = default;
};

struct Endpoint {
  uint32_t address = 0;
  std::vector<PortBinding> ports;
};

class AddressPool {
 public:
  // Loads `path` if it exists (its subnet must be `subnet`'s, else the old endpoints are
  // dropped with a warning: a changed --subnet invalidates them).
  static base::Result<AddressPool> Open(const std::string& path, const Ipv4Net& subnet);

  const Ipv4Net& subnet() const { return subnet_; }
  const std::map<std::string, Endpoint>& endpoints() const { return endpoints_; }

  // The container's endpoint (an existing one is kept: same address), saved. Errors when
  // the subnet is full or a host port is already published by another container.
  base::Result<Endpoint> Allocate(const std::string& id, const std::vector<PortBinding>& ports);
  // Forgets the container's endpoint (no-op if none); saved.
  base::Status Release(const std::string& id);

 private:
  AddressPool(std::string path, Ipv4Net subnet) : path_(std::move(path)), subnet_(subnet) {}
  base::Status Save() const;

  std::string path_;
  Ipv4Net subnet_;
  std::map<std::string, Endpoint> endpoints_;
};

}  // namespace hull::engine::network
