// VirtioDevices: the virtio-mmio devices of one hull-vmm VM and the event loop thread
// that serves them. Device i sits at kMmioGapStart + i * 4 KiB with IRQ 5 + i, and is
// announced on the kernel command line as virtio_mmio.device=4K@0xADDR:IRQ (Linux's
// virtio_mmio "device" parameter). Kicks reach the device through KVM ioeventfds on
// QueueNotify, interrupts leave through KVM irqfds; where KVM refuses either, MMIO
// exits and KVM_IRQ_LINE do the same job more slowly.
//
// Threads: Create on the Machine's set-up thread; Start/Stop from the thread that runs
// the VM; the loop thread belongs to this object.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/event_loop.h"
#include "devices/bus.h"
#include "devices/guest_memory.h"
#include "devices/virtio/mmio_transport.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/kvm/kvm_vm.h"

namespace hull::vmm {

inline constexpr uint32_t kVirtioFirstIrq = 5;
inline constexpr uint32_t kVirtioLastIrq = 23;  // the IOAPIC's last pin
inline constexpr size_t kMaxVirtioDevices = kVirtioLastIrq - kVirtioFirstIrq + 1;

struct VirtioSlot {
  uint64_t address;
  uint32_t irq;
};
VirtioSlot VirtioSlotFor(size_t index);
// " virtio_mmio.device=4K@0xd0000000:5 ..." for `count` devices ("" for none).
std::string VirtioMmioCmdline(size_t count);

class VirtioDevices {
 public:
  // Wires each device to a transport in its slot on `mmio_bus`, with ioeventfds and an
  // irqfd on `vm` (the irqchip must exist). `memory` and `vm` must outlive this.
  static base::Result<std::unique_ptr<VirtioDevices>> Create(
      kvm::KvmVm& vm, devices::Bus& mmio_bus, const devices::GuestMemory& memory,
      std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> devices);
  ~VirtioDevices();

  // Starts the loop thread (a no-op without devices). Stop resets every device, so
  // workers let go of guest memory, then ends the thread. Both idempotent.
  [[nodiscard]] base::Status Start();
  void Stop();

  const std::vector<std::shared_ptr<devices::virtio::MmioTransport>>& transports() const {
    return transports_;
  }

 private:
  VirtioDevices() = default;
  base::Status Add(kvm::KvmVm& vm, devices::Bus& mmio_bus, const devices::GuestMemory& memory,
                   std::shared_ptr<devices::virtio::VirtioDevice> device);

  std::unique_ptr<base::EventLoop> loop_;
  std::vector<std::shared_ptr<devices::virtio::MmioTransport>> transports_;
  std::thread thread_;
};

}  // namespace hull::vmm
