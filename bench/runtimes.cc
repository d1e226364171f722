#include "bench/runtimes.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench/bench_network.h"
#include "bench/child_process.h"
#include "bench/qemu_initramfs.h"
#include "bench/vm_on_tap.h"
#include "runtime/container_spec.h"
#include "runtime/namespace/oci_bundle.h"
#include "runtime/vm/backend.h"
#include "runtime/vm/guest_artifacts.h"

namespace hull::bench {

namespace {

namespace fs = std::filesystem;
using base::Result;
using base::Status;

// The program's path in PATH (as posix_spawnp finds it), or "".
std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// "crun version 1.8.1" → "1.8.1": the first word of the first line that starts with a digit.
std::string VersionOf(const Argv& argv) {
  auto child = ChildProcess::Start(argv);
  if (!child.ok()) return "";
  RunResult r = child->Wait(Clock::now() + std::chrono::seconds(10));
  std::string first = r.output.substr(0, r.output.find('\n'));
  size_t pos = 0;
  while (pos < first.size()) {
    size_t end = first.find(' ', pos);
    if (end == std::string::npos) end = first.size();
    std::string word = first.substr(pos, end - pos);
    if (!word.empty() && std::isdigit(static_cast<unsigned char>(word[0]))) return word;
    pos = end + 1;
  }
  return "";
}

// An OCI bundle for one instance: config.json made from the same settings hull's
// namespace runtime uses, over the shared tree.
constexpr char kNetnsOfCaller[] = "caller";

// With `netns`, the container joins that network namespace instead of a new one;
// with kNetnsOfCaller, it gets none of its own (it stays in its runtime's).
Result<std::string> WriteBundle(const BenchEnvironment& env, const Argv& command,
                                const std::string& name, const std::string& netns = "") {
  runtime::ContainerSpec spec;
  spec.args = command;
  ASSIGN_OR_RETURN(runtime::ProcessSpec process, runtime::ResolveProcess(spec, {}, "bench"));
  ASSIGN_OR_RETURN(nlohmann::json config,
                   runtime::ns::MakeOciConfig(spec, process, env.tree, "bench"));
  nlohmann::json& namespaces = config["linux"]["namespaces"];
  for (auto it = namespaces.begin(); !netns.empty() && it != namespaces.end(); ++it) {
    if ((*it)["type"] != "network") continue;
    if (netns == kNetnsOfCaller) {
      namespaces.erase(it);
      break;
    }
    (*it)["path"] = netns;
  }
  std::string dir = env.work + "/bundles/" + name;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Error("creating " + dir + ": " + ec.message());
  std::ofstream(dir + "/config.json") << config.dump(2);
  return dir;
}

// crun 1.8 refuses the hybrid cgroup layout (a v2 hierarchy at /sys/fs/cgroup/unified
// beside the v1 controllers): run it in a private mount namespace without that mount,
// as benchmarks/namespace does; runc gets the same wrapper so the two compare.
Argv Unshared(const Argv& argv) {
  Argv out = {"unshare", "-m", "sh", "-c",
              "umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$0\" \"$@\""};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Runtime OciRuntime(const BenchEnvironment& env, const std::string& id) {
  Runtime r;
  r.info.id = id;
  std::string program = FindInPath(id);
  std::string version = program.empty() ? "" : VersionOf({program, "--version"});
  r.info.label = version.empty() ? id : id + " " + version;
  if (program.empty()) {
    r.info.unavailable = "not installed (" + id + " not found in PATH)";
    return r;
  }
  if (id != "runsc" && FindInPath("unshare").empty()) {
    r.info.unavailable = "unshare (util-linux) not found";
    return r;
  }
  std::string state = env.work + "/state-" + id;
  r.argv = [env, id, program, state](const Argv& command, const std::string& name) -> Result<Argv> {
    ASSIGN_OR_RETURN(std::string bundle, WriteBundle(env, command, name));
    if (id == "runsc") {
      // gVisor: its own kernel (the Sentry) in a sandbox; no network, as the others.
      return Argv{program, "--root", state, "--network=none", "run", "--bundle", bundle, name};
    }
    return Unshared({program, "--root", state, "run", "--bundle", bundle, name});
  };
  if (env.container_netns.empty()) {
    r.net_unavailable = env.network_error;
  } else {
    // The container joins the bench's container namespace (a veth to the host end).
    // gVisor's own network stack (--network=sandbox) refuses that namespace here:
    // runsc 2022-12 takes a namespace that shows /proc/sys/net/core/rmem_default for
    // the host's ("cannot run with network enabled in root network namespace"), and
    // this kernel shows it in every one. So gVisor runs in it with --network=host:
    // the Sentry hands its sockets to the host kernel's TCP.
    NetworkAccess net;
    net.host_address = kVethHostAddress;
    net.prepare = env.reset_container_side;
    if (id == "runsc") net.note = "(--network=host: the host kernel's TCP, not netstack)";
    net.argv = [env, id, program, state](const Argv& command, const std::string& name) -> Result<Argv> {
      if (id == "runsc") {
        ASSIGN_OR_RETURN(std::string bundle, WriteBundle(env, command, name, kNetnsOfCaller));
        return InNetns(env.container_netns, {program, "--root", state, "--network=host", "run",
                                             "--bundle", bundle, name});
      }
      ASSIGN_OR_RETURN(std::string bundle, WriteBundle(env, command, name, env.container_netns));
      return Unshared({program, "--root", state, "run", "--bundle", bundle, name});
    };
    r.net = net;
  }
  r.cleanup = [env, id, program, state](const std::string& name) {
    Argv del = {program, "--root", state, "delete", "-f", name};
    RunQuietly(id == "runsc" ? del : Unshared(del), std::chrono::seconds(20));
    std::error_code ec;
    fs::remove_all(env.work + "/bundles/" + name, ec);
  };
  return r;
}

Runtime HullRuntime(const BenchEnvironment& env, const GuestExecution& guests, const std::string& id) {
  Runtime r;
  r.info.id = id;
  std::string vmm;
  if (id == "ns") {
    r.info.label = "hull ns";
  } else {
    vmm = id == "vm-hull" ? "hull" : "qemu";
    r.info.vm = true;
    r.info.label = vmm == "hull" ? "hull vm (hull-vmm)"
                                 : std::string("hull vm (qemu, ") + (guests.qemu_kvm ? "KVM)" : "TCG)");
    if (vmm == "hull" && !guests.hull_unusable.empty()) r.info.unavailable = guests.hull_unusable;
    if (vmm == "qemu" && FindInPath("qemu-system-x86_64").empty() && !std::getenv("HULL_QEMU")) {
      r.info.unavailable = "qemu-system-x86_64 not installed";
    }
    if (auto artifacts = runtime::vm::FindGuestArtifacts(); !artifacts.ok()) {
      r.info.unavailable = artifacts.status().message();
    }
  }
  r.argv = [env, vmm](const Argv& command, const std::string&) -> Result<Argv> {
    Argv argv = {env.hull, "--root", env.store, "run", "--rm"};
    if (vmm.empty()) {
      argv.insert(argv.end(), {"--runtime", "ns"});
    } else {
      argv.insert(argv.end(), {"--runtime", "vm", "--vmm", vmm});
    }
    argv.push_back(env.image);
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  };
  if (env.container_netns.empty()) {
    r.net_unavailable = env.network_error;
  } else if (vmm.empty()) {
    // --network host inside the bench's container namespace: the container has its veth.
    NetworkAccess net;
    net.host_address = kVethHostAddress;
    net.prepare = env.reset_container_side;
    net.argv = [env](const Argv& command, const std::string&) -> Result<Argv> {
      Argv argv = {env.hull, "--root", env.store, "run", "--rm", "--runtime", "ns",
                   "--network", "host", env.image};
      argv.insert(argv.end(), command.begin(), command.end());
      return InNetns(env.container_netns, argv);
    };
    r.net = net;
  } else {
    // Direct mode gives a VM no NIC (a tap needs hulld): hull bench's own --vm-on-tap
    // runs the same VM runtime with the guest's eth0 on the bench network's tap.
    NetworkAccess net;
    net.host_address = kTapHostAddress;
    net.argv = [env, vmm](const Argv& command, const std::string&) -> Result<Argv> {
      Argv argv = {env.hull, "bench", kVmOnTapFlag, vmm, env.store, env.image, kTapName,
                   kTapGuestCidr, kTapHostAddress};
      argv.insert(argv.end(), command.begin(), command.end());
      return InNetns(env.host_netns, argv);
    };
    r.net = net;
  }
  return r;
}

// qemu -M microvm booting the guest kernel with the tree and `command` as its initramfs.
Result<Argv> QemuArgv(const BenchEnvironment& env, const std::string& qemu, bool kvm,
                      const std::string& kernel, const Argv& command, const std::string& name) {
  std::string initramfs = env.work + "/initramfs-" + name + ".cpio";
  RETURN_IF_ERROR(WriteTreeInitramfs(initramfs, env.tree, command));
  return Argv{qemu, "-M", "microvm,acpi=off,rtc=off", "-accel", kvm ? "kvm" : "tcg",
              "-cpu", kvm ? "host" : "max", "-m", "256M", "-smp", "1",
              "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
              "-kernel", kernel, "-initrd", initramfs,
              "-append", "console=ttyS0 reboot=t panic=-1 quiet", "-serial", "stdio"};
}

Runtime QemuDirect(const BenchEnvironment& env, const GuestExecution& guests) {
  Runtime r;
  r.info.id = "qemu-microvm";
  r.info.vm = true;
  const char* env_qemu = std::getenv("HULL_QEMU");
  std::string qemu = env_qemu ? env_qemu : FindInPath("qemu-system-x86_64");
  std::string version = qemu.empty() ? "" : VersionOf({qemu, "--version"});
  r.info.label = "qemu " + version + " microvm (" + (guests.qemu_kvm ? "KVM" : "TCG") + ")";
  auto artifacts = runtime::vm::FindGuestArtifacts();
  if (qemu.empty()) {
    r.info.unavailable = "qemu-system-x86_64 not installed";
    return r;
  }
  if (!artifacts.ok()) {
    r.info.unavailable = artifacts.status().message();
    return r;
  }
  bool kvm = guests.qemu_kvm;
  std::string kernel = artifacts->vmlinux;
  r.argv = [env, qemu, kvm, kernel](const Argv& command, const std::string& name) -> Result<Argv> {
    return QemuArgv(env, qemu, kvm, kernel, command, name);
  };
  if (env.host_netns.empty()) {
    r.net_unavailable = env.network_error;
  } else {
    // A virtio-net NIC on the bench network's tap; /init gives the guest its address.
    NetworkAccess net;
    net.host_address = kTapHostAddress;
    net.argv = [env, qemu, kvm, kernel](const Argv& command, const std::string& name) -> Result<Argv> {
      Argv wrapped = {"sh", "-c",
                      std::string("ip link set lo up && ip addr add ") + kTapGuestCidr +
                          " dev eth0 && ip link set eth0 up && exec \"$0\" \"$@\""};
      wrapped.insert(wrapped.end(), command.begin(), command.end());
      ASSIGN_OR_RETURN(Argv argv, QemuArgv(env, qemu, kvm, kernel, wrapped, name));
      argv.insert(argv.end(), {"-netdev", std::string("tap,id=net0,ifname=") + kTapName +
                                              ",script=no,downscript=no",
                               "-device", "virtio-net-device,netdev=net0"});
      return InNetns(env.host_netns, argv);
    };
    r.net = net;
  }
  r.cleanup = [env](const std::string& name) {
    std::error_code ec;
    fs::remove(env.work + "/initramfs-" + name + ".cpio", ec);
  };
  r.check = [](const RunResult& run) -> std::string {
    if (run.output.find(std::string(kExitLine) + "0") != std::string::npos) return "";
    std::string tail = run.output.substr(run.output.size() > 200 ? run.output.size() - 200 : 0);
    return "the guest did not finish the command (no \"" + std::string(kExitLine) +
           "0\" line); its console ended with: " + tail;
  };
  return r;
}

}  // namespace

std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

GuestExecution ProbeGuestExecution() {
  runtime::vm::HardwareVirt hw = runtime::vm::ProbeHardwareVirt();
  GuestExecution g;
  g.hardware = hw.hardware_speed;
  g.qemu_kvm = hw.hardware_speed;
  if (hw.hardware_speed) {
    g.text = "hardware virtualization (KVM): " + hw.detail;
  } else if (hw.kvm_opens) {
    g.text = "TCG — /dev/kvm opens but runs guests in its instruction emulator (PVM or nested KVM): " +
             hw.detail;
    g.hull_unusable = "no hardware virtualization: " + hw.detail;
  } else {
    g.text = "TCG — no hardware virtualization: " + hw.detail;
    g.hull_unusable = "no hardware virtualization: " + hw.detail;
  }
  return g;
}

const std::vector<std::string>& AllRuntimeIds() {
  static const std::vector<std::string> ids = {"vm-hull", "vm-qemu", "qemu-microvm", "ns",
                                               "crun", "runc", "runsc"};
  return ids;
}

std::vector<Runtime> MakeRuntimes(const BenchEnvironment& env, const GuestExecution& guests,
                                  const std::vector<std::string>& ids) {
  std::vector<Runtime> out;
  for (const auto& id : AllRuntimeIds()) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    if (id == "ns" || id == "vm-hull" || id == "vm-qemu") out.push_back(HullRuntime(env, guests, id));
    else if (id == "qemu-microvm") out.push_back(QemuDirect(env, guests));
    else out.push_back(OciRuntime(env, id));
  }
  return out;
}

}  // namespace hull::bench
