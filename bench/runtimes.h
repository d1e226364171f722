// The runtimes hull bench compares and how each one runs a command in a fresh instance
// of the benchmark image: hull's micro-VM runtime (hull-vmm and qemu backends), hull's
// namespace runtime, crun, runc and runsc (gVisor) on OCI bundles of the same tree
// (runtime/namespace/oci_bundle.h), and qemu-system-x86_64 -M microvm booting hull's
// guest kernel directly with that tree as its initramfs. Each is probed once: a runtime
// that is missing or unusable says why. Called by the suite on the main thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/child_process.h"
#include "bench/report.h"

namespace hull::bench {

using Argv = std::vector<std::string>;
using ArgvFor = std::function<base::Result<Argv>(const Argv& command, const std::string& name)>;

// What appears in a network command where the host end's address belongs: the runtime
// puts in the address its container reaches the host end at.
inline constexpr char kHostAddressArg[] = "@host-address@";

// How a runtime's instance is put on the bench network (bench/bench_network.h).
struct NetworkAccess {
  ArgvFor argv;                         // as Runtime::argv, the instance on the network
  std::string host_address;             // where its container reaches the host end
  std::function<base::Status()> prepare;  // before each run; may be empty
  std::string note;                     // shown in its cells: how it is attached, if unusual
};

struct Runtime {
  RuntimeInfo info;
  // The program line that runs `command` in a new instance called `name` (unique per
  // run) in the foreground; its stdout is the container's.
  ArgvFor argv;
  // Removes what an ended (or killed) instance left in the runtime's state; may be empty.
  std::function<void(const std::string& name)> cleanup;
  // For a run that exited 0: the error if it did not do its job after all (a guest that
  // panicked ends QEMU with status 0 too); may be empty.
  std::function<std::string(const RunResult& run)> check;
  // On the bench network; absent: net_unavailable says why it is not measured there.
  std::optional<NetworkAccess> net;
  std::string net_unavailable;
};

struct BenchEnvironment {
  std::string hull;           // the hull binary (this one)
  std::string store;          // hull --root, with `image` in it
  std::string image;          // what `hull run` runs
  std::string tree;           // the image's unpacked tree, for bundles and the initramfs
  std::string work;           // scratch: bundles, runtime state, initramfs files
  std::string tool;           // hull-bench-tool on the host (in the image: /bin/hull-bench-tool)
  // The bench network (bench/bench_network.h); empty netns paths: there is none, and
  // network_error says why.
  std::string host_netns, container_netns;
  std::function<base::Status()> reset_container_side;
  std::string network_error;
};

// How guests execute on this host (the VM runtime's own probe), for the report.
struct GuestExecution {
  std::string text;          // "TCG (no hardware virtualization: ...)"
  bool hardware = false;     // hull-vmm usable at hardware speed
  bool qemu_kvm = false;     // qemu gets -accel kvm
  std::string hull_unusable; // why the hull backend is not run; empty when it is
};
GuestExecution ProbeGuestExecution();

// Every runtime id hull bench knows, in report order.
const std::vector<std::string>& AllRuntimeIds();

// The runtimes named in `ids` (AllRuntimeIds() order kept), each probed.
std::vector<Runtime> MakeRuntimes(const BenchEnvironment& env, const GuestExecution& guests,
                                  const std::vector<std::string>& ids);

// `arg` quoted for a POSIX shell.
std::string ShellQuote(const std::string& arg);

}  // namespace hull::bench
