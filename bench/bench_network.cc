#include "bench/bench_network.h"

namespace hull::bench {

namespace {

using base::Status;

// Runs a shell script in `netns`; an error with the script when it fails.
Status InNetnsShell(const std::string& netns, const std::string& script) {
  if (RunQuietly(InNetns(netns, {"sh", "-ec", script}), std::chrono::seconds(20)) != 0) {
    return Status::Error("setting up the bench network failed: " + script);
  }
  return Status::Ok();
}

base::Result<ChildProcess> Holder() {
  ASSIGN_OR_RETURN(ChildProcess child,
                   ChildProcess::Start({"unshare", "-n", "sh", "-c", "echo hull-bench-netns; exec sleep 86400"},
                                       {"hull-bench-netns"}));
  if (!child.WaitForMarker("hull-bench-netns", Clock::now() + std::chrono::seconds(10))) {
    return Status::Error("unshare -n did not start: " + child.Stop(std::chrono::seconds(1)).Describe());
  }
  return child;
}

}  // namespace

std::vector<std::string> InNetns(const std::string& netns, std::vector<std::string> argv) {
  argv.insert(argv.begin(), "--net=" + netns);
  argv.insert(argv.begin(), "nsenter");
  return argv;
}

base::Result<BenchNetwork> BenchNetwork::Create(const std::string& tool) {
  BenchNetwork net;
  ASSIGN_OR_RETURN(ChildProcess host, Holder());
  net.host_.emplace(std::move(host));
  ASSIGN_OR_RETURN(ChildProcess container, Holder());
  net.container_.emplace(std::move(container));
  std::string h = std::string(kVethHostAddress) + "/24";
  RETURN_IF_ERROR(InNetnsShell(
      net.host_netns(),
      "ip link set lo up; ip link add hbveth0 type veth peer name " + std::string(kContainerIf) +
          " netns " + std::to_string(net.container_->pid()) + "; ip addr add " + h +
          " dev hbveth0; ip link set hbveth0 up; ip tuntap add dev " + kTapName +
          " mode tap; ip addr add " + kTapHostAddress + "/24 dev " + kTapName +
          "; ip link set " + kTapName + " up"));
  RETURN_IF_ERROR(net.ResetContainerSide());
  ASSIGN_OR_RETURN(ChildProcess server,
                   ChildProcess::Start(InNetns(net.host_netns(), {tool, "serve", std::to_string(kServerPort)}),
                                       {"hull-bench-serving"}));
  net.server_.emplace(std::move(server));
  if (!net.server_->WaitForMarker("hull-bench-serving", Clock::now() + std::chrono::seconds(10))) {
    return Status::Error("hull-bench-tool serve did not start: " +
                         net.server_->Stop(std::chrono::seconds(1)).Describe());
  }
  return net;
}

BenchNetwork::~BenchNetwork() {
  if (server_) server_->Stop(std::chrono::seconds(2));
  // A tap would outlive a namespace something else still holds; delete it first.
  if (host_ && host_->pid() > 0 && !host_->exited()) {
    RunQuietly(InNetns(host_netns(), {"ip", "link", "del", kTapName}), std::chrono::seconds(10));
  }
  if (host_) host_->Stop(std::chrono::seconds(2));
  if (container_) container_->Stop(std::chrono::seconds(2));
}

std::string BenchNetwork::host_netns() const {
  return "/proc/" + std::to_string(host_->pid()) + "/ns/net";
}

std::string BenchNetwork::container_netns() const {
  return "/proc/" + std::to_string(container_->pid()) + "/ns/net";
}

Status BenchNetwork::ResetContainerSide() const {
  std::string dev = kContainerIf;
  return InNetnsShell(container_netns(),
                      "ip link set lo up; ip addr flush dev " + dev + "; ip addr add " +
                          kVethContainerCidr + " dev " + dev + "; ip link set " + dev +
                          " up; ip route replace default via " + kVethHostAddress);
}

}  // namespace hull::bench
