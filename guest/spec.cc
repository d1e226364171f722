#include "guest/spec.h"

#include <nlohmann/json.hpp>

namespace hull::guest {

using nlohmann::json;

std::string SpecToJson(const GuestSpec& spec) {
  json j;
  j["args"] = spec.args;
  j["env"] = spec.env;
  j["cwd"] = spec.cwd;
  j["user"] = spec.user;
  j["hostname"] = spec.hostname;
  j["tty"] = spec.tty;
  j["stdin_open"] = spec.stdin_open;
  j["rlimits"] = json::array();
  for (const auto& r : spec.rlimits)
    j["rlimits"].push_back({{"name", r.name}, {"soft", r.soft}, {"hard", r.hard}});
  if (spec.network) {
    j["network"] = {{"interface", spec.network->interface},
                    {"address", spec.network->address},
                    {"gateway", spec.network->gateway},
                    {"dns", spec.network->dns}};
  }
  j["extra_hosts"] = spec.extra_hosts;
  j["channel"] = spec.channel;
  j["vsock_port"] = spec.vsock_port;
  j["wall_clock_ns"] = spec.wall_clock_ns;
  return j.dump();
}

base::Result<GuestSpec> SpecFromJson(std::string_view text) {
  GuestSpec spec;
  try {
    json j = json::parse(text);
    if (!j.is_object()) return base::Status::Error("spec: not a JSON object");
    static const char* const kKnown[] = {"args", "env", "cwd", "user", "hostname", "tty",
                                         "stdin_open", "rlimits", "network", "extra_hosts",
                                         "channel", "vsock_port", "wall_clock_ns"};
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (const char* k : kKnown) known |= it.key() == k;
      if (!known) return base::Status::Error("spec: unknown field \"" + it.key() + "\"");
    }
    spec.args = j.at("args").get<std::vector<std::string>>();
    if (spec.args.empty() || spec.args[0].empty())
      return base::Status::Error("spec: args must name a program");
    spec.env = j.value("env", std::vector<std::string>{});
    spec.cwd = j.value("cwd", std::string("/"));
    if (spec.cwd.empty() || spec.cwd[0] != '/')
      return base::Status::Error("spec: cwd must be an absolute path");
    spec.user = j.value("user", std::string());
    spec.hostname = j.value("hostname", std::string());
    spec.tty = j.value("tty", false);
    spec.stdin_open = j.value("stdin_open", false);
    for (const auto& r : j.value("rlimits", json::array()))
      spec.rlimits.push_back({r.at("name").get<std::string>(), r.at("soft").get<uint64_t>(),
                              r.at("hard").get<uint64_t>()});
    if (j.contains("network")) {
      const auto& n = j.at("network");
      NetworkConfig net;
      net.interface = n.value("interface", std::string("eth0"));
      net.address = n.at("address").get<std::string>();
      net.gateway = n.value("gateway", std::string());
      net.dns = n.value("dns", std::vector<std::string>{});
      spec.network = net;
    }
    spec.extra_hosts = j.value("extra_hosts", std::vector<std::string>{});
    spec.channel = j.value("channel", std::string("virtio-serial"));
    if (spec.channel != "virtio-serial" && spec.channel != "vsock")
      return base::Status::Error("spec: channel must be virtio-serial or vsock");
    spec.vsock_port = j.value("vsock_port", kDefaultVsockPort);
    spec.wall_clock_ns = j.value("wall_clock_ns", int64_t{0});
  } catch (const json::exception& e) {
    return base::Status::Error(std::string("spec: ") + e.what());
  }
  return spec;
}

}  // namespace hull::guest
