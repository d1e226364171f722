// The network hull bench measures on, made for the run and gone after it, never the
// host's own: two network namespaces, each held by an idle `unshare -n sleep` child —
// the "host" one, where hull-bench-tool serves, and the "container" one, which the
// namespace containers join — with a veth pair between them, and a tap in the host one
// for the micro-VMs. Made once by `hull bench` on the main thread; the destructor stops
// the server and the holders, which takes the namespaces and their devices with them.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "bench/child_process.h"

namespace hull::bench {

// Addresses: the veth pair on 10.77.1.0/24, the tap on 10.77.2.0/24.
inline constexpr char kVethHostAddress[] = "10.77.1.1";
inline constexpr char kVethContainerCidr[] = "10.77.1.2/24";
inline constexpr char kTapHostAddress[] = "10.77.2.1";
inline constexpr char kTapGuestCidr[] = "10.77.2.2/24";
inline constexpr char kTapName[] = "hbtap0";
inline constexpr char kContainerIf[] = "eth0";
inline constexpr int kServerPort = 5201;

class BenchNetwork {
 public:
  // `tool`: hull-bench-tool on the host, started as the server in the host namespace.
  static base::Result<BenchNetwork> Create(const std::string& tool);
  BenchNetwork(BenchNetwork&&) noexcept = default;
  BenchNetwork& operator=(BenchNetwork&&) = delete;
  ~BenchNetwork();

  // /proc/PID/ns/net of each namespace, for nsenter --net= and an OCI config's path.
  std::string host_netns() const;
  std::string container_netns() const;

  // Gives the container namespace's eth0 its address and route again, whatever the
  // runtime that ran there before did to them.
  base::Status ResetContainerSide() const;

 private:
  BenchNetwork() = default;
  std::optional<ChildProcess> host_, container_, server_;
};

// The argv that runs `argv` in the network namespace `netns` (a /proc/PID/ns/net path).
std::vector<std::string> InNetns(const std::string& netns, std::vector<std::string> argv);

}  // namespace hull::bench
