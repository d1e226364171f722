#include "engine/network/host_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sstream>

#include "base/unique_fd.h"

namespace hull::engine::network {

using base::Status;

PortRange EphemeralPortRange() {
  PortRange range;
  auto text = base::ReadFileToString("/proc/sys/net/ipv4/ip_local_port_range", 256);
  if (!text.ok()) return range;
  std::istringstream in(*text);
  int first = 0, last = 0;
  if (in >> first >> last && first > 0 && first <= last && last <= 65535) {
    range.first = static_cast<uint16_t>(first);
    range.last = static_cast<uint16_t>(last);
  }
  return range;
}

bool HostPortFree(const std::string& protocol, const std::string& ip, uint16_t port) {
  base::UniqueFd fd(::socket(AF_INET, (protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) return true;  // cannot tell; the allocation among containers still holds
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (!ip.empty()) {
    auto parsed = ParseIpv4(ip);
    if (parsed.ok()) addr.sin_addr.s_addr = htonl(*parsed);
  }
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 || errno != EADDRINUSE;
}

namespace {

bool Taken(const PortBinding& want, uint16_t port, const std::map<std::string, Endpoint>& endpoints,
           const std::string& id, const std::vector<PortBinding>& mine) {
  auto clash = [&](const PortBinding& p) {
    return p.protocol == want.protocol && p.host_port == port &&
           (p.host_ip.empty() || want.host_ip.empty() || p.host_ip == want.host_ip);
  };
  for (const auto& [other, e] : endpoints) {
    if (other == id) continue;
    for (const auto& p : e.ports) {
      if (clash(p)) return true;
    }
  }
  for (const auto& p : mine) {
    if (clash(p)) return true;
  }
  return false;
}

}  // namespace

Status PickHostPorts(std::vector<PortBinding>* ports, const std::map<std::string, Endpoint>& endpoints,
                     const std::string& id, PortRange range, uint16_t* next,
                     bool (*port_free)(const std::string&, const std::string&, uint16_t)) {
  const int size = range.last - range.first + 1;
  for (auto& p : *ports) {
    if (p.host_port != 0) continue;
    if (*next < range.first || *next > range.last) *next = range.first;
    bool found = false;
    for (int i = 0; i < size && !found; ++i) {
      uint16_t candidate = static_cast<uint16_t>(range.first + (*next - range.first + i) % size);
      if (Taken(p, candidate, endpoints, id, *ports) || !port_free(p.protocol, p.host_ip, candidate)) continue;
      p.host_port = candidate;
      *next = candidate == range.last ? range.first : static_cast<uint16_t>(candidate + 1);
      found = true;
    }
    if (!found) {
      return Status::Error("no free host port left for " + std::to_string(p.container_port) + "/" + p.protocol +
                           " in " + std::to_string(range.first) + "-" + std::to_string(range.last));
    }
  }
  return Status::Ok();
}

}  // namespace hull::engine::network
