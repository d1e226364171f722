#include "engine/network/address_pool.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "rootfs-builder/content_store.h"

namespace hull::engine::network {

using base::Result;
using base::Status;
using nlohmann::json;

Result<uint32_t> ParseIpv4(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return Status::Error("not an IPv4 address: " + text);
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t address) {
  in_addr a{htonl(address)};
  char buf[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &a, buf, sizeof buf);
}

Result<Ipv4Net> Ipv4Net::Parse(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return Status::Error("subnet needs a prefix length: " + text);
  ASSIGN_OR_RETURN(uint32_t address, ParseIpv4(text.substr(0, slash)));
  std::string len = text.substr(slash + 1);
  if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos) {
    return Status::Error("bad prefix length in " + text);
  }
  Ipv4Net net;
  net.prefix = std::stoi(len);
  if (net.prefix < 8 || net.prefix > 30) return Status::Error("subnet prefix must be between /8 and /30: " + text);
  net.base = address & net.Mask();
  if (net.base != address) return Status::Error("subnet has host bits set: " + text);
  return net;
}

std::string Ipv4Net::ToString() const { return FormatIpv4(base) + "/" + std::to_string(prefix); }

namespace {

bool Overlaps(const PortBinding& a, const PortBinding& b) {
  return a.protocol == b.protocol && a.host_port == b.host_port &&
         (a.host_ip.empty() || b.host_ip.empty() || a.host_ip == b.host_ip);
}

json PortsToJson(const std::vector<PortBinding>& ports) {
  json out = json::array();
  for (const auto& p : ports) {
    out.push_back({{"protocol", p.protocol}, {"host_ip", p.host_ip}, {"host_port", p.host_port},
                   {"container_port", p.container_port}});
  }
  return out;
}

std::vector<PortBinding> PortsFromJson(const json& j) {
  std::vector<PortBinding> out;
  for (const auto& p : j) {
    out.push_back({p.at("protocol"), p.at("host_ip"), p.at("host_port"), p.at("container_port")});
  }
  return out;
}

}  // namespace

Result<AddressPool> AddressPool::Open(const std::string& path, const Ipv4Net& subnet) {
  AddressPool pool(path, subnet);
  auto text = base::ReadFileToString(path, 16u << 20);
  if (!text.ok()) return pool;  // first start
  try {
    json j = json::parse(*text);
    if (j.at("subnet").get<std::string>() != subnet.ToString()) {
      HULL_LOG(kWarning) << "network: subnet changed from " << j.at("subnet").get<std::string>() << " to "
                         << subnet.ToString() << "; forgetting the old addresses";
      return pool;
    }
    for (const auto& [id, e] : j.at("endpoints").items()) {
      ASSIGN_OR_RETURN(uint32_t address, ParseIpv4(e.at("address")));
      if (!subnet.Contains(address)) continue;
      pool.endpoints_[id] = Endpoint{address, PortsFromJson(e.at("ports"))};
    }
  } catch (const json::exception& e) {
    return Status::Error(path + ": " + e.what());
  }
  return pool;
}

Status AddressPool::Save() const {
  json endpoints = json::object();
  for (const auto& [id, e] : endpoints_) {
    endpoints[id] = {{"address", FormatIpv4(e.address)}, {"ports", PortsToJson(e.ports)}};
  }
  json j{{"subnet", subnet_.ToString()}, {"endpoints", endpoints}};
  return rootfs::WriteFileAtomically(path_, j.dump(2));
}

Result<Endpoint> AddressPool::Allocate(const std::string& id, const std::vector<PortBinding>& ports) {
  for (const auto& [other, e] : endpoints_) {
    if (other == id) continue;
    for (const auto& mine : ports) {
      for (const auto& theirs : e.ports) {
        if (Overlaps(mine, theirs)) {
          return Status::Error("Bind for " + (mine.host_ip.empty() ? "0.0.0.0" : mine.host_ip) + ":" +
                               std::to_string(mine.host_port) + " failed: port is already allocated");
        }
      }
    }
  }
  uint32_t address = 0;
  if (auto it = endpoints_.find(id); it != endpoints_.end()) {
    address = it->second.address;
  } else {
    for (uint32_t candidate = subnet_.gateway() + 1; candidate < subnet_.broadcast(); ++candidate) {
      bool taken = false;
      for (const auto& [other, e] : endpoints_) taken = taken || e.address == candidate;
      if (!taken) {
        address = candidate;
        break;
      }
    }
    if (address == 0) return Status::Error("no free address left in " + subnet_.ToString());
  }
  Endpoint previous;
  bool had = endpoints_.count(id) != 0;
  if (had) previous = endpoints_[id];
  endpoints_[id] = Endpoint{address, ports};
  if (Status s = Save(); !s.ok()) {
    if (had) {
      endpoints_[id] = previous;
    } else {
      endpoints_.erase(id);
    }
    return s;
  }
  return endpoints_[id];
}

Status AddressPool::Release(const std::string& id) {
  if (!endpoints_.erase(id)) return Status::Ok();
  return Save();
}

}  // namespace hull::engine::network
