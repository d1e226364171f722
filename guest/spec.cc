#include "guest/spec.h"

#include <cctype>

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
  j["volumes"] = json::array();
  for (const auto& v : spec.volumes)
    j["volumes"].push_back({{"type", v.type}, {"source", v.source}, {"target", v.target},
                            {"read_only", v.read_only}});
  j["channel"] = spec.channel;
  j["vsock_port"] = spec.vsock_port;
  j["wall_clock_ns"] = spec.wall_clock_ns;
  return j.dump();
}

namespace {

base::Status CheckVolume(const Volume& v) {
  if (v.type != "9p" && v.type != "blk")
    return base::Status::Error("spec: a volume's type must be 9p or blk");
  bool plain = !v.source.empty() && v.source.size() <= 20;
  for (char c : v.source) plain &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  if (!plain) return base::Status::Error("spec: a volume's source must be a short plain name");
  if (v.target.empty() || v.target[0] != '/' || v.target == "/" ||
      v.target.find("/../") != std::string::npos || v.target.ends_with("/.."))
    return base::Status::Error("spec: a volume's target must be an absolute path below /");
  return base::Status::Ok();
}

}  // namespace

base::Result<GuestSpec> SpecFromJson(std::string_view text) {
  GuestSpec spec;
  try {
    json j = json::parse(text);
    if (!j.is_object()) return base::Status::Error("spec: not a JSON object");
    static const char* const kKnown[] = {"args", "env", "cwd", "user", "hostname", "tty",
                                         "stdin_open", "rlimits", "network", "extra_hosts",
                                         "volumes", "channel", "vsock_port", "wall_clock_ns"};
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
    for (const auto& v : j.value("volumes", json::array())) {
      Volume volume{v.at("type").get<std::string>(), v.at("source").get<std::string>(),
                    v.at("target").get<std::string>(), v.value("read_only", false)};
      RETURN_IF_ERROR(CheckVolume(volume));
      spec.volumes.push_back(volume);
    }
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

std::string ExecSpecToJson(const ExecSpec& spec) {
  json j{{"args", spec.args}, {"env", spec.env}, {"cwd", spec.cwd}, {"user", spec.user},
         {"tty", spec.tty}, {"stdin_open", spec.stdin_open}};
  return j.dump();
}

base::Result<ExecSpec> ExecSpecFromJson(std::string_view text) {
  ExecSpec spec;
  try {
    json j = json::parse(text);
    if (!j.is_object()) return base::Status::Error("exec spec: not a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (const char* k : {"args", "env", "cwd", "user", "tty", "stdin_open"}) known |= it.key() == k;
      if (!known) return base::Status::Error("exec spec: unknown field \"" + it.key() + "\"");
    }
    spec.args = j.at("args").get<std::vector<std::string>>();
    if (spec.args.empty() || spec.args[0].empty())
      return base::Status::Error("exec spec: args must name a program");
    spec.env = j.value("env", std::vector<std::string>{});
    spec.cwd = j.value("cwd", std::string("/"));
    if (spec.cwd.empty() || spec.cwd[0] != '/')
      return base::Status::Error("exec spec: cwd must be an absolute path");
    spec.user = j.value("user", std::string());
    spec.tty = j.value("tty", false);
    spec.stdin_open = j.value("stdin_open", false);
  } catch (const json::exception& e) {
    return base::Status::Error(std::string("exec spec: ") + e.what());
  }
  return spec;
}

}  // namespace hull::guest
