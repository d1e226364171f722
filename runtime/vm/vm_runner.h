// Runs one container as a micro-VM, start to end: prepares its files in a private
// directory (initramfs with hull-init and the settings, the writable layer), starts the
// chosen VMM, accepts hull-init's channel, relays stdio and signals, turns the guest's
// report into an exit status, stops the VM (signal, grace period, kill) and removes
// everything it created — on every path, errors included. With the hull backend the
// VMM runs confined in its jail (hull-vmm --jail, vmm_jail.h) unless the jail is turned off. Called
// by `hull run` (and the e2e tests) on one thread; blocks until the VM is gone.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "guest/spec.h"
#include "runtime/container_spec.h"
#include "runtime/vm/backend.h"
#include "runtime/vm/vmm_command.h"
#include "runtime/vm/vmm_jail.h"

namespace hull::runtime::vm {

class ExecHub;

struct VmConfig {
  guest::GuestSpec spec;
  std::string image_disk;          // the image's read-only ext4 (rootfs-builder)
  std::string writable_disk;       // "" → a temporary sparse ext4, removed at the end;
                                   // else kept (created if missing)
  uint64_t writable_size_mib = 1024;
  VmShape shape;
  std::optional<TapInterface> interface;  // the guest's eth0 on this tap; absent: no NIC
  std::vector<VolumeSpec> volumes;        // host directories (qemu) or ext4 files (both)
  VmmKind vmm = VmmKind::kAuto;
  double boot_timeout_s = 60;      // until hull-init reports in
  double stop_grace_s = 10;        // after the first forwarded signal, then kill
  int stdin_fd = -1;               // read when spec.stdin_open
  int stdout_fd = 1;
  int stderr_fd = 2;
  int signal_fd = -1;              // a signalfd: each signal is forwarded to the process,
                                   // except SIGWINCH: with spec.tty, a RESIZE
  int terminal_fd = -1;            // with spec.tty: the terminal whose size the guest's follows
  std::string work_root;           // "" → $TMPDIR or /tmp
  std::string qemu = "qemu-system-x86_64";
  std::string hull_vmm;            // "" → hull-vmm next to hull's build
  // The hull backend starts hull-vmm in its jail (--jail) unless jail.enabled is false
  // (--no-jail, HULL_NO_JAIL=1); vmm_jail.h.
  JailSettings jail;
  // Told which backend was picked and why ("vm: qemu (TCG): ...").
  std::function<void(const std::string&)> notice;
  // Exec sessions into the running VM (exec_hub.h); null: none. Not owned.
  ExecHub* exec_hub = nullptr;
};

struct VmOutcome {
  int exit_code = 0;       // as a shell reports it: code, or 128 + signal
  bool signaled = false;
  bool oom = false;        // the guest's OOM killer killed a process
  bool killed = false;     // hull killed the VM after the stop grace period
  std::string error;       // hull-init could not start the process (why)
  BackendChoice backend;
  double boot_ms = 0;      // VMM start → hull-init's ready report
  double guest_init_ms = 0;  // guest boot → hull-init's first instruction (guest clock)
};

// Errors are hull's: the VM could not be built, started, or ended without a report (a
// kernel panic, a timeout — with the console's tail).
base::Result<VmOutcome> RunVm(const VmConfig& config);

}  // namespace hull::runtime::vm
