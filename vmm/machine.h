// Machine: one hull-vmm virtual machine, assembled from a VmConfig — guest RAM, the
// boot structures, the KVM VM with its in-kernel irqchip and PIT, the legacy devices
// on the port-I/O bus, and one VcpuThread per vCPU — and run until it ends.
//
// Create() does all checking of user input (files, sizes, command line) before it
// opens /dev/kvm, so bad input is reported the same way on hosts with and without KVM.
// Threads: Create and Run are called on the main thread; vCPU threads report the end
// through EndVm; Run's thread handles signals, the timeout, and serial input.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/event_fd.h"
#include "devices/bus.h"
#include "devices/legacy/serial.h"
#include "vmm/boot/boot.h"
#include "vmm/config/vm_config.h"
#include "vmm/cpu/vcpu.h"
#include "vmm/cpu/vm_end.h"
#include "vmm/kvm/kvm_system.h"
#include "vmm/kvm/kvm_vm.h"
#include "vmm/memory/guest_ram.h"

namespace hull::vmm {

class Machine final : public VmEndSink {
 public:
  static base::Result<std::unique_ptr<Machine>> Create(const VmConfig& config);
  ~Machine() override;

  // Starts the vCPUs and blocks until the VM ends; SIGINT, SIGTERM and SIGHUP end it
  // (they are blocked in the calling thread and read through a signalfd).
  VmEnd Run();
  void Pause();
  void Resume();

  void EndVm(VmEnd end) override;
  bool Ending() const override { return ending_.load(std::memory_order_acquire); }

  const boot::BootResult& boot() const { return boot_; }
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
  std::vector<std::unique_ptr<cpu::VcpuThread>> vcpus_;

  base::EventFd end_event_;
  std::atomic<bool> ending_{false};
  std::mutex end_mu_;
  std::optional<VmEnd> end_;  // guarded by end_mu_; the first report wins
};

}  // namespace hull::vmm
