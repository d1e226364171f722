// The command lines that start a micro-VM under each backend: qemu-system-x86_64
// `-M microvm` (virtio-mmio, no PCI, no ACPI) with a virtio-serial port for hull-init's
// channel, and hull-vmm with a Firecracker-format config file (drives, vsock). Pure
// functions of the VM's files and sizes; called by the VM runner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/vm/backend.h"

namespace hull::runtime::vm {

// The kernel command line both backends use: console on ttyS0, a panic resets at once
// and the VMM ends the VM on a reset. no_timer_check: the boot-time check that the timer
// interrupt reaches the IO-APIC gives up after a few ticks' worth of busy loop, which a
// guest under TCG on a busy host can miss ("IO-APIC + timer doesn't work!" panic, seen).
inline constexpr char kKernelCmdline[] = "console=ttyS0 reboot=t panic=-1 quiet no_timer_check";

struct VmFiles {
  std::string kernel;        // vmlinux (qemu loads it by its PVH note; hull-vmm as an ELF)
  std::string initramfs;
  std::string image_disk;    // read-only
  std::string writable_disk;
  std::string console_log;   // the guest's ttyS0
  std::string channel_socket;  // qemu: the Unix socket hull listens on for the port;
                               // hull-vmm: the vsock's uds_path (hull listens on _PORT)
  std::string config_file;   // hull-vmm: where its config file is written
};

// The guest's eth0: a virtio-net device on an existing host tap.
struct VmNic {
  std::string tap;
  std::string mac;  // "02:42:..."
};

// A volume disk: an extra virtio-blk drive whose serial (virtio-blk GET_ID) is `id`.
struct VmVolumeDisk {
  std::string id;
  std::string path;
  bool read_only = false;
};

// A volume directory shared by virtio-9p (qemu only: hull-vmm has no 9p device).
struct VmShare {
  std::string tag;
  std::string path;
  bool read_only = false;
};

struct VmShape {
  uint32_t memory_mib = 256;
  uint32_t cpus = 1;
  bool user_net = false;  // qemu: a user-mode (slirp) network on virtio-net, for tests
  std::string extra_kernel_args;  // appended to kKernelCmdline (a debugging aid)
  std::optional<VmNic> nic;
  std::vector<VmVolumeDisk> volume_disks;
  std::vector<VmShare> shares;
};

std::string KernelCmdline(const VmShape& shape);

std::vector<std::string> QemuArgv(const std::string& qemu, bool kvm, const VmFiles& files,
                                  const VmShape& shape);

// hull-vmm's config file (docs/hull-vmm-config.md, Firecracker's format).
std::string HullVmmConfig(const VmFiles& files, const VmShape& shape);
std::vector<std::string> HullVmmArgv(const std::string& hull_vmm, const VmFiles& files);

}  // namespace hull::runtime::vm
