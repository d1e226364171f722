// Runs one namespace container to completion, as `hull run --runtime ns` does in direct
// mode: creates its state directory and cgroup, starts its first process in new PID,
// mount, UTS, IPC, cgroup (and network) namespaces, waits until that process has
// exec'd the user's program (or reports why it could not), then relays the terminal,
// forwards signals, stops it (signal, grace period, SIGKILL) when asked, and removes
// everything it created. Called on the CLI's main thread; single-threaded.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "runtime/container_spec.h"
#include "runtime/namespace/capabilities.h"
#include "runtime/namespace/cgroups.h"

namespace hull::runtime::ns {

// Docker's exit statuses for failures of the runtime itself.
inline constexpr int kExitRuntimeError = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

struct ContainerConfig {
  std::string state_root;   // containers live in state_root/<id> (hull's ROOT/containers)
  std::string image_tree;   // the image's unpacked tree, the overlay's lower layer
  ContainerSpec spec;
  ProcessSpec process;
  std::string id;           // 64 hex digits; hostname defaults to its first 12
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string cgroup_parent = "hull";
  std::string cache_dir;  // compiled seccomp filters (seccomp_profile.h); empty: no cache  // the cgroup is cgroup_root/[controller/]PARENT/ID
  // With spec.network none: called once the first process exists in its new network
  // namespace (/proc/PID/ns/net) and before it runs anything, so the caller can put
  // interfaces into it (hulld's bridge network: engine/network). An error stops the start.
  std::function<base::Status(pid_t pid)> network_setup;
  // The container's address on that network: /etc/hosts maps the hostname to it and
  // /etc/resolv.conf is the host's (container_state.h).
  std::string network_address;
  // Called once the container has ended, before its cgroup is removed, when the cgroup
  // counted a kill by the kernel's OOM killer (hulld records State.OOMKilled from it).
  std::function<void()> on_oom_kill;
};

// The container's capabilities: ResolveCaps, less CAP_MKNOD on cgroup v2 hosts (no
// device filter there yet; --cap-add MKNOD is refused).
base::Result<CapSet> ContainerCaps(const ContainerSpec& spec, CgroupVersion version);

// A fresh random container ID (64 hex digits).
std::string NewContainerId();

// Returns the container's exit status (0-255, 128+N when killed by signal N) or one of
// Docker's 125/126/127, after printing "hull: <why>" on stderr.
int RunContainer(const ContainerConfig& config);

}  // namespace hull::runtime::ns
