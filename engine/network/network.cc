#include "engine/network/network.h"

#include <fcntl.h>
#include <sched.h>

#include <filesystem>
#include <sstream>

#include "base/logging.h"
#include "base/unique_fd.h"
#include "engine/network/host_ports.h"
#include "engine/network/netlink.h"
#include "engine/network/ruleset.h"

namespace hull::engine::network {

using base::Result;
using base::Status;
using nlohmann::json;

namespace {

Status WriteSysctl(const std::string& path, const std::string& value) {
  ASSIGN_OR_RETURN(base::UniqueFd fd, base::OpenFile(path, O_WRONLY));
  return base::WriteFully(fd.get(), value.data(), value.size());
}

}  // namespace

json AttachPlanToJson(const AttachPlan& p) {
  return json{{"bridge", p.bridge}, {"host_veth", p.host_veth}, {"address", FormatIpv4(p.address)},
              {"prefix", p.prefix}, {"gateway", FormatIpv4(p.gateway)}};
}

Result<AttachPlan> AttachPlanFromJson(const json& j) {
  try {
    AttachPlan p;
    j.at("bridge").get_to(p.bridge);
    j.at("host_veth").get_to(p.host_veth);
    j.at("prefix").get_to(p.prefix);
    ASSIGN_OR_RETURN(p.address, ParseIpv4(j.at("address")));
    ASSIGN_OR_RETURN(p.gateway, ParseIpv4(j.at("gateway")));
    return p;
  } catch (const json::exception& e) {
    return Status::Error(std::string("network plan: ") + e.what());
  }
}

std::string HostVethName(const std::string& container_id) { return "hv" + container_id.substr(0, 12); }
std::string TapName(const std::string& container_id) { return "ht" + container_id.substr(0, 12); }

namespace {

// The host's nameservers a guest can reach (not loopback ones); Google's when none is.
std::vector<std::string> GuestNameservers() {
  std::vector<std::string> out;
  auto text = base::ReadFileToString("/etc/resolv.conf", 1 << 20);
  std::istringstream lines(text.ok() ? *text : "");
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver" && ParseIpv4(value).ok() && value.rfind("127.", 0) != 0) out.push_back(value);
  }
  if (out.empty()) out = {"8.8.8.8", "8.8.4.4"};
  return out;
}

}  // namespace

Status AttachContainer(const AttachPlan& plan, pid_t pid) {
  RETURN_IF_ERROR(CreateVethOnBridge(plan.host_veth, "eth0", pid, plan.bridge));
  ASSIGN_OR_RETURN(base::UniqueFd own, base::OpenFile("/proc/self/ns/net", O_RDONLY));
  ASSIGN_OR_RETURN(base::UniqueFd theirs, base::OpenFile("/proc/" + std::to_string(pid) + "/ns/net", O_RDONLY));
  if (::setns(theirs.get(), CLONE_NEWNET) != 0) return Status::Errno("entering the container's network namespace");
  Status configured = ConfigureInterface("eth0", plan.address, plan.prefix, plan.gateway);
  if (::setns(own.get(), CLONE_NEWNET) != 0) return Status::Errno("returning to the host's network namespace");
  return configured;
}

Result<std::unique_ptr<Network>> Network::Open(const NetworkOptions& options) {
  ASSIGN_OR_RETURN(Ipv4Net subnet, Ipv4Net::Parse(options.subnet));
  if (options.bridge.empty() || options.bridge.size() >= 16 || options.bridge.find('/') != std::string::npos ||
      options.bridge.find('"') != std::string::npos) {
    return Status::Error("bad bridge name: " + options.bridge);
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.state_path).parent_path(), ec);
  if (ec) return Status::Error("creating the directory of " + options.state_path + ": " + ec.message());
  ASSIGN_OR_RETURN(AddressPool pool, AddressPool::Open(options.state_path, subnet));
  RETURN_IF_ERROR(EnsureBridge(options.bridge, subnet.gateway(), subnet.prefix));
  RETURN_IF_ERROR(WriteSysctl("/proc/sys/net/ipv4/ip_forward", "1"));
  // Lets the output chain's DNAT of 127.0.0.1:PORT leave through the bridge.
  RETURN_IF_ERROR(WriteSysctl("/proc/sys/net/ipv4/conf/" + options.bridge + "/route_localnet", "1"));
  std::unique_ptr<Network> net(new Network(options, subnet, std::move(pool)));
  std::lock_guard lock(net->mu_);
  RETURN_IF_ERROR(net->ApplyLocked());
  return net;
}

Status Network::ApplyLocked() const {
  return ApplyNft(RenderRuleset(options_.bridge, subnet_, pool_.endpoints()));
}

Result<AttachPlan> Network::Connect(const std::string& id, const std::vector<PortBinding>& ports) {
  std::lock_guard lock(mu_);
  std::vector<PortBinding> resolved = ports;  // HostPort 0: a random free one (host_ports.h)
  RETURN_IF_ERROR(PickHostPorts(&resolved, pool_.endpoints(), id, EphemeralPortRange(), &next_port_));
  ASSIGN_OR_RETURN(Endpoint e, pool_.Allocate(id, resolved));
  if (Status s = ApplyLocked(); !s.ok()) {
    (void)pool_.Release(id);
    (void)ApplyLocked();
    return s;
  }
  // A veth of an earlier run of this container that nothing removed.
  RETURN_IF_ERROR(DeleteLink(HostVethName(id)));
  return AttachPlan{options_.bridge, HostVethName(id), e.address, subnet_.prefix, subnet_.gateway()};
}

Result<runtime::TapInterface> Network::ConnectVm(const std::string& id, const std::vector<PortBinding>& ports) {
  ASSIGN_OR_RETURN(AttachPlan plan, Connect(id, ports));
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(DeleteLink(TapName(id)));
  if (Status s = CreateTapOnBridge(TapName(id), options_.bridge); !s.ok()) {
    (void)DeleteLink(TapName(id));
    return s;
  }
  runtime::TapInterface tap;
  tap.tap = TapName(id);
  tap.address = FormatIpv4(plan.address) + "/" + std::to_string(plan.prefix);
  tap.gateway = FormatIpv4(plan.gateway);
  tap.dns = GuestNameservers();
  return tap;
}

Status Network::Disconnect(const std::string& id) {
  std::lock_guard lock(mu_);
  Status link = DeleteLink(HostVethName(id));
  if (Status tap = DeleteLink(TapName(id)); !tap.ok()) link = tap;
  if (!pool_.endpoints().count(id)) return link;
  RETURN_IF_ERROR(pool_.Release(id));
  RETURN_IF_ERROR(ApplyLocked());
  return link;
}

Status Network::Reconcile(const std::set<std::string>& running) {
  std::lock_guard lock(mu_);
  std::vector<std::string> stale;
  for (const auto& [id, e] : pool_.endpoints()) {
    if (!running.count(id)) stale.push_back(id);
  }
  for (const auto& id : stale) {
    HULL_LOG(kInfo) << "network: releasing " << FormatIpv4(pool_.endpoints().at(id).address) << " of container "
                    << id.substr(0, 12) << " (not running)";
    RETURN_IF_ERROR(pool_.Release(id));
  }
  std::set<std::string> wanted;
  for (const auto& id : running) {
    wanted.insert(HostVethName(id));
    wanted.insert(TapName(id));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> links, LinksOnBridge(options_.bridge));
  for (const auto& name : links) {
    if ((name.rfind("hv", 0) == 0 || name.rfind("ht", 0) == 0) && !wanted.count(name)) {
      HULL_LOG(kInfo) << "network: deleting stale link " << name;
      RETURN_IF_ERROR(DeleteLink(name));
    }
  }
  return ApplyLocked();
}

std::optional<Endpoint> Network::EndpointOf(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = pool_.endpoints().find(id);
  if (it == pool_.endpoints().end()) return std::nullopt;
  return it->second;
}

}  // namespace hull::engine::network
