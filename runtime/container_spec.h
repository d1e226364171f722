// ContainerSpec: what `hull run` was asked for, as one plain struct shared by every
// runtime (namespace, vm); and ProcessSpec, the process it resolves to once the image's
// defaults (Entrypoint, Cmd, Env, WorkingDir, User) are merged in as Docker merges them.
// Parsing only; no system calls. Called by cli/run.cc on the main thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "rootfs-builder/image_config.h"

namespace hull::runtime {

enum class NetworkMode { kNone, kHost };

// -v HOST:CONTAINER[:ro]. Runtime ns: `host` is a directory or file, bind-mounted.
// Runtime vm (docs/vm-runtime.md): with qemu a directory, shared by virtio-9p; with hull-vmm
// (no 9p device) an ext4 image file, attached as an extra virtio-blk drive.
struct VolumeSpec {
  std::string host;       // absolute host path
  std::string container;  // absolute path inside the container
  bool read_only = false;
};

// "HOST:CONTAINER[:ro|:rw]" → VolumeSpec; error for a relative path or an unknown mode.
base::Result<VolumeSpec> ParseVolume(const std::string& text);

// A micro-VM's network interface on a host tap that whoever owns the host side made
// (hulld's engine/network: tap on its bridge, address from its IPAM; a test: a tap in
// its own network namespace). Runtime vm attaches the tap to the VMM as the guest's
// virtio-net eth0 and hull-init configures the guest with the rest. Plain data.
struct TapInterface {
  std::string tap;                       // an existing tap device, e.g. "hulltap3"
  std::string mac;                       // guest MAC "02:xx:..."; "" → derived from `address`
  std::string address;                   // guest IPv4 with prefix: "172.18.0.2/16"
  std::string gateway;                   // "" → no default route
  std::vector<std::string> dns;          // nameservers for the guest's /etc/resolv.conf
  std::vector<std::string> extra_hosts;  // "name:address" lines for the guest's /etc/hosts
};

struct ContainerSpec {
  std::string runtime = "ns";           // --runtime: "ns" or "vm"
  std::string image;                    // IMAGE as the user wrote it
  std::vector<std::string> args;        // CMD... after IMAGE (replaces the image's Cmd)
  std::optional<std::string> entrypoint;  // --entrypoint (replaces the image's)
  std::vector<std::string> env;         // -e KEY=value or KEY (taken from our environment)
  std::string workdir;                  // -w
  std::string user;                     // -u name|uid[:group|gid]
  std::string hostname;                 // --hostname; default: the short container ID
  int64_t memory_bytes = 0;             // --memory; 0: unlimited
  int64_t memory_swap_bytes = 0;        // --memory-swap; 0: twice --memory (Docker); -1: unlimited
  double cpus = 0;                      // --cpus; 0: unlimited
  int64_t pids_limit = 0;               // --pids-limit; 0 or -1: unlimited
  bool interactive = false;             // -i: keep stdin
  bool tty = false;                     // -t: a pseudo-terminal
  bool remove = false;                  // --rm
  NetworkMode network = NetworkMode::kNone;  // --network none|host (host: ns only)
  std::optional<TapInterface> vm_interface;   // runtime vm: its NIC (absent: none)
  std::vector<VolumeSpec> volumes;            // -v
  std::vector<std::string> cap_add, cap_drop;
  bool privileged = false;
  bool seccomp_unconfined = false;      // --security-opt seccomp=unconfined
  bool no_new_privileges = true;        // --security-opt no-new-privileges[=true|false]
  int stop_timeout_s = 10;              // --stop-timeout: grace before SIGKILL
};

// Docker's PATH for containers whose image sets none.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct ProcessSpec {
  std::vector<std::string> argv;  // never empty
  std::vector<std::string> env;   // KEY=value; PATH and HOSTNAME always set, HOME by the runtime
  std::string cwd = "/";
  std::string user;               // as given (image User, overridden by -u); "" = root
};

// Entrypoint + Cmd resolution (an explicit CMD replaces the image's Cmd; --entrypoint
// replaces the Entrypoint and drops the image's Cmd), env layering (image, then -e; a bare
// -e KEY copies our value or drops it), TERM=xterm with -t. Error (exit 125 in the CLI)
// when there is nothing to run.
base::Result<ProcessSpec> ResolveProcess(const ContainerSpec& spec,
                                         const rootfs::ContainerDefaults& image,
                                         const std::string& hostname);

// Docker's units: "512m", "1g", "100000" (bytes), "1.5g". Error on anything else.
base::Result<int64_t> ParseMemorySize(const std::string& text);

}  // namespace hull::runtime
