// hulld's bridge network (Docker's default "bridge" network): the bridge (hull0) with
// the subnet's first address, an address per attached container from the persisted pool
// (address_pool.h), NAT and published ports (ruleset.h), and for each namespace
// container a veth pair — the host end on the bridge, the other end the container's
// eth0. hulld calls Network (thread-safe, mu_ guards the pool) at start, exit, removal
// and on restart (Reconcile); the container's supervisor calls AttachContainer between
// creating the container's network namespace and letting its first process run.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/network/address_pool.h"
#include "runtime/container_spec.h"

namespace hull::engine::network {

struct NetworkOptions {
  std::string bridge = "hull0";
  std::string subnet = "172.30.0.0/16";  // away from Docker's 172.17.0.0/16
  std::string state_path;                // ROOT/network/endpoints.json
};

// What the supervisor needs to wire one container in (carried in the monitor's run.json).
struct AttachPlan {
  std::string bridge;
  std::string host_veth;  // "hv" + the first 12 hex digits of the container ID
  uint32_t address = 0;
  int prefix = 0;
  uint32_t gateway = 0;
};

nlohmann::json AttachPlanToJson(const AttachPlan& plan);
base::Result<AttachPlan> AttachPlanFromJson(const nlohmann::json& j);

// The host end's name for a container ("hv" + 12 hex digits), and its tap's ("ht" + ...).
std::string HostVethName(const std::string& container_id);
std::string TapName(const std::string& container_id);

// In the container's supervisor: a veth pair, its host end on the bridge, its other end
// eth0 in the network namespace of `pid` with the container's address, up, and the
// default route via the bridge. The caller must be single-threaded (it enters the
// container's network namespace for a moment and returns to its own).
base::Status AttachContainer(const AttachPlan& plan, pid_t pid);

class Network {
 public:
  // Creates the bridge if needed, turns on IPv4 forwarding and route_localnet on the
  // bridge, loads the pool and applies the rules for the endpoints it holds.
  static base::Result<std::unique_ptr<Network>> Open(const NetworkOptions& options);

  // Gives the container an address (its old one if it has one) and publishes its ports
  // (a host_port of 0 becomes a random free one; EndpointOf shows which).
  base::Result<AttachPlan> Connect(const std::string& id, const std::vector<PortBinding>& ports);
  // For a micro-VM: an address, its ports, and a tap on the bridge (TapName) that the VM
  // runtime attaches as the guest's eth0; the tap is deleted by Disconnect.
  base::Result<runtime::TapInterface> ConnectVm(const std::string& id, const std::vector<PortBinding>& ports);
  // Removes its host veth or tap if still there, its rules, and returns its address to the pool.
  base::Status Disconnect(const std::string& id);
  // After a restart: forgets every endpoint whose container is not in `running`, deletes
  // hull's veths on the bridge that belong to none of them, and reapplies the rules.
  base::Status Reconcile(const std::set<std::string>& running);

  std::optional<Endpoint> EndpointOf(const std::string& id) const;
  const NetworkOptions& options() const { return options_; }
  uint32_t gateway() const { return subnet_.gateway(); }
  int prefix() const { return subnet_.prefix; }

 private:
  Network(NetworkOptions options, Ipv4Net subnet, AddressPool pool)
      : options_(std::move(options)), subnet_(subnet), pool_(std::move(pool)) {}
  base::Status ApplyLocked() const;

  NetworkOptions options_;
  Ipv4Net subnet_;
  mutable std::mutex mu_;
  AddressPool pool_;  // guarded by mu_
  uint16_t next_port_ = 0;  // guarded by mu_: where the next random host port search starts
};

}  // namespace hull::engine::network
