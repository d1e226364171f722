#include "engine/network/docker_ports.h"

namespace hull::engine::network {

using base::Result;
using base::Status;
using nlohmann::json;

namespace {

Result<uint16_t> ParsePort(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) {
    return Status::Error("invalid " + what + ": \"" + text + "\"");
  }
  int n = std::stoi(text);
  if (n < 1 || n > 65535) return Status::Error("invalid " + what + ": \"" + text + "\"");
  return static_cast<uint16_t>(n);
}

// "80/tcp", "53/udp" or "22" (tcp).
Status ParsePortKey(const std::string& key, uint16_t* port, std::string* protocol) {
  std::string number = key;
  *protocol = "tcp";
  if (size_t slash = key.find('/'); slash != std::string::npos) {
    number = key.substr(0, slash);
    *protocol = key.substr(slash + 1);
  }
  if (*protocol != "tcp" && *protocol != "udp") return Status::Error("invalid protocol in port " + key + " (tcp or udp)");
  ASSIGN_OR_RETURN(*port, ParsePort(number, "container port"));
  return Status::Ok();
}

}  // namespace

Status AddPublishAll(const std::vector<std::string>& exposed, std::vector<PortBinding>* ports) {
  for (const auto& key : exposed) {
    PortBinding p;
    RETURN_IF_ERROR(ParsePortKey(key, &p.container_port, &p.protocol));
    bool bound = false;
    for (const auto& q : *ports) bound = bound || (q.protocol == p.protocol && q.container_port == p.container_port);
    if (!bound) ports->push_back(p);
  }
  return Status::Ok();
}

Result<std::vector<PortBinding>> ParsePortBindings(const json& bindings) {
  std::vector<PortBinding> out;
  if (bindings.is_null()) return out;
  if (!bindings.is_object()) return Status::Error("HostConfig.PortBindings must be an object");
  for (const auto& [key, list] : bindings.items()) {
    std::string protocol;
    uint16_t container_port = 0;
    RETURN_IF_ERROR(ParsePortKey(key, &container_port, &protocol));
    if (list.is_null()) continue;
    if (!list.is_array()) return Status::Error("HostConfig.PortBindings[\"" + key + "\"] must be an array");
    for (const auto& b : list) {
      if (!b.is_object()) return Status::Error("a port binding must be an object");
      PortBinding p;
      p.protocol = protocol;
      p.container_port = container_port;
      std::string host_ip = b.contains("HostIp") && b["HostIp"].is_string() ? b["HostIp"].get<std::string>() : "";
      if (host_ip == "0.0.0.0" || host_ip == "::") host_ip.clear();
      if (!host_ip.empty()) {
        ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(host_ip));
        p.host_ip = FormatIpv4(ip);
      }
      std::string host_port = b.contains("HostPort") && b["HostPort"].is_string() ? b["HostPort"].get<std::string>() : "";
      if (!host_port.empty() && host_port != "0") {  // else 0: a random one when it starts
        ASSIGN_OR_RETURN(p.host_port, ParsePort(host_port, "host port"));
      }
      for (const auto& other : out) {
        if (p.host_port == 0) break;
        if (other.protocol == p.protocol && other.host_port == p.host_port && other.host_ip == p.host_ip) {
          return Status::Error("host port " + host_port + "/" + protocol + " is published twice");
        }
      }
      out.push_back(p);
    }
  }
  return out;
}

json PortsToDocker(const std::vector<PortBinding>& ports) {
  json out = json::object();
  for (const auto& p : ports) {
    std::string key = std::to_string(p.container_port) + "/" + p.protocol;
    if (!out.contains(key)) out[key] = json::array();
    out[key].push_back({{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
  }
  return out;
}

}  // namespace hull::engine::network
