// Machine: one hull-vmm virtual machine, assembled from a VmConfig — guest RAM, the
// boot structures, the KVM VM with its in-kernel irqchip and PIT, the legacy devices
// on the port-I/O bus, and one VcpuThread per vCPU — and run until it ends.
//
// Create() does all checking of user input (files, sizes, command line) before it
// opens /dev/kvm, so bad input is reported the same way on hosts with and without KVM.
// Threads: Create and Run are called on the main thread; vCPU threads report the end
// through EndVm; Run's thread handles signals, the timeout, and serial input. Pause,
// Resume and SendCtrlAltDel may also be called from the API thread while Run runs.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/event_fd.h"
#include "devices/bus.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/serial.h"
#include "vmm/boot/boot.h"
#include "vmm/config/vm_config.h"
#include "vmm/cpu/vcpu.h"
#include "vmm/cpu/vm_end.h"
#include "vmm/kvm/kvm_system.h"
#include "vmm/kvm/kvm_vm.h"
#include "vmm/memory/guest_ram.h"
#include "vmm/virtio_devices.h"

namespace hull::vmm {

class Machine final : public VmEndSink {
 public:
  // `virtio_devices` go into the MMIO gap in order (virtio_devices.h) and are announced
  // on the kernel command line.
  static base::Result<std::unique_ptr<Machine>> Create(
      const VmConfig& config,
      std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> virtio_devices = {});
  ~Machine() override;

  // Starts the vCPUs, calls `on_started` (if any) once they run, and blocks until the
  // VM ends. SIGINT, SIGTERM and SIGHUP end it: Run blocks them in the calling thread
  // (callers with other threads, such as the API thread, block them before starting
  // those, so that no thread but this one's signalfd ever takes them) and reads them
  // through a signalfd, so one already pending when Run starts ends the VM at once.
  VmEnd Run(const std::function<void()>& on_started = {});
  // Pause blocks until every vCPU is parked outside the guest. Both are safe while Run
  // runs, from any thread, and do nothing once the VM is ending.
  void Pause();
  void Resume();
  // Types Ctrl+Alt+Del on the i8042 keyboard (IRQ 1); any thread.
  [[nodiscard]] base::Status SendCtrlAltDel();

  void EndVm(VmEnd end) override;
  bool Ending() const override { return ending_.load(std::memory_order_acquire); }

  const boot::BootResult& boot() const { return boot_; }
  // The virtio devices in slot order, for metrics and run-time updates (any thread).
  const std::vector<std::shared_ptr<devices::virtio::VirtioDevice>>& virtio_devices() const {
    return virtio_devices_;
  }
  // Exit counts of each vCPU, by vCPU index (any thread, while Run runs or before).
  std::vector<cpu::ExitCounts> vcpu_exit_counts() const;
  const devices::GuestMemory& memory() const { return ram_.memory(); }

 private:
  Machine(VmConfig config, GuestRam ram, kvm::KvmSystem kvm, kvm::KvmVm vm);
  base::Status OpenSerialOutput();
  base::Status AddLegacyDevices();
  base::Status CreateVcpus();
  VmEnd WaitForEnd();
  void StopVcpus();

  VmConfig config_;
  GuestRam ram_;
  boot::BootResult boot_;
  kvm::KvmSystem kvm_;
  kvm::KvmVm vm_;
  devices::Bus pio_bus_;
  devices::Bus mmio_bus_;
  base::UniqueFd serial_out_;  // owned when the output is a file or a pty master
  int serial_fd_ = -1;
  std::shared_ptr<devices::legacy::Serial> serial_;
  std::shared_ptr<devices::legacy::I8042> i8042_;
  std::vector<std::unique_ptr<cpu::VcpuThread>> vcpus_;
  std::unique_ptr<VirtioDevices> virtio_;  // after vcpus_: its devices outlive no vCPU
  std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> virtio_devices_;

  base::EventFd end_event_;
  std::atomic<bool> ending_{false};
  std::mutex end_mu_;
  std::optional<VmEnd> end_;  // guarded by end_mu_; the first report wins
};

}  // namespace hull::vmm
