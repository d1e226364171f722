// Engine ↔ engine/network: a namespace container on the bridge gets its endpoint when it
// starts (the attach plan goes to its monitor in run.json, whose supervisor wires the
// veth in; a micro-VM gets a tap on the bridge as spec.vm_interface) and loses it when it
// exits or is removed; after a restart the bridge's state
// is reconciled with the containers still running. Called with mu_ held where the name
// says Locked; Network has its own lock and never calls back.
#include "base/logging.h"
#include "engine/engine.h"
#include "engine/images.h"
#include "engine/monitor.h"
#include "engine/network/docker_ports.h"
#include "rootfs-builder/image_builder.h"

namespace hull::engine {

using base::Status;
using nlohmann::json;

namespace {

bool OnBridge(const json& host) {
  std::string mode = host.is_object() ? host.value("NetworkMode", "default") : "default";
  return mode.empty() || mode == "default" || mode == "bridge";
}

// Docker's -P: the container's ExposedPorts (its Config's and its image's).
std::vector<std::string> ExposedPorts(const ContainerRecord& r, const std::vector<std::string>& image_ports) {
  std::vector<std::string> out = image_ports;
  if (const auto it = r.config.find("ExposedPorts"); it != r.config.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) out.push_back(key);
  }
  return out;
}

}  // namespace

Outcome Engine::ConnectNetwork(const ContainerRecord& r, RunPlan* plan) {
  if (!network_ || !OnBridge(r.host_config)) return Outcome();
  auto ports = network::ParsePortBindings(r.host_config.contains("PortBindings") ? r.host_config["PortBindings"] : json());
  if (!ports.ok()) return Outcome(ErrorKind::kInvalid, ports.status().message());
  if (r.host_config.value("PublishAllPorts", false)) {
    std::vector<std::string> image_ports;
    if (auto image = FindImage(store_, r.image_id); image.ok()) {
      if (auto stored = rootfs::ReadStoredImage(store_, image->manifest); stored.ok()) {
        image_ports = stored->config.defaults.exposed_ports;
      }
    }
    if (Status s = network::AddPublishAll(ExposedPorts(r, image_ports), &*ports); !s.ok()) {
      return Outcome(ErrorKind::kInvalid, s.message());
    }
  }
  if (r.runtime == "vm") {  // a tap on the bridge, the guest's eth0 (runtime/vm)
    auto tap = network_->ConnectVm(r.id, *ports);
    if (!tap.ok()) {
      return Outcome(ErrorKind::kInternal, "driver failed programming external connectivity on endpoint " + r.name +
                                               ": " + tap.status().message());
    }
    plan->container.spec.vm_interface = *tap;
    return Outcome();
  }
  auto attach = network_->Connect(r.id, *ports);
  if (!attach.ok()) {
    return Outcome(ErrorKind::kInternal, "driver failed programming external connectivity on endpoint " + r.name +
                                             ": " + attach.status().message());
  }
  plan->attach = *attach;
  return Outcome();
}

void Engine::DisconnectNetwork(const std::string& id) {
  if (!network_) return;
  if (Status s = network_->Disconnect(id); !s.ok()) {
    HULL_LOG(kWarning) << "network: container " << id.substr(0, 12) << ": " << s.message();
  }
}

Status Engine::ReconcileNetworkLocked() {
  if (!network_) return Status::Ok();
  std::set<std::string> running;
  for (const auto& [id, r] : records_) {
    if (r.state == ContainerState::kRunning) running.insert(id);
  }
  return network_->Reconcile(running);
}

json Engine::NetworkSettings(const ContainerRecord& r) const {
  json settings{{"Networks", json::object()}, {"Ports", json::object()}, {"IPAddress", ""},
                {"IPPrefixLen", 0}, {"Gateway", ""}, {"MacAddress", ""}};
  auto endpoint = network_ ? network_->EndpointOf(r.id) : std::nullopt;
  if (!endpoint) return settings;
  std::string address = network::FormatIpv4(endpoint->address);
  std::string gateway = network::FormatIpv4(network_->gateway());
  settings["IPAddress"] = address;
  settings["IPPrefixLen"] = network_->prefix();
  settings["Gateway"] = gateway;
  settings["Ports"] = network::PortsToDocker(endpoint->ports);
  settings["Networks"]["bridge"] = {{"IPAddress", address}, {"IPPrefixLen", network_->prefix()},
                                    {"Gateway", gateway}, {"NetworkID", "hull-" + network_->options().bridge}};
  return settings;
}

}  // namespace hull::engine
