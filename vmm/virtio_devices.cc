#include "vmm/virtio_devices.h"

#include <sys/eventfd.h>

#include <cstdio>

#include "base/event_fd.h"
#include "base/logging.h"
#include "vmm/kvm/kvm_irq_line.h"
#include "vmm/memory/layout.h"
#include "vmm/seccomp/thread_filters.h"

namespace hull::vmm {
namespace {

// An interrupt line that is a KVM irqfd: a signal is an edge on the GSI. virtio-mmio
// interrupts are edges on ISA-conforming (edge, active-high) IOAPIC pins, as the MP
// table describes them, so SetLevel(false) has nothing to do.
class IrqFdLine final : public devices::InterruptLine {
 public:
  explicit IrqFdLine(base::EventFd fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_.fd(); }
  base::Status SetLevel(bool high) override { return high ? fd_.Signal() : base::Status::Ok(); }
  base::Status Pulse() override { return fd_.Signal(); }

 private:
  base::EventFd fd_;
};

}  // namespace

VirtioSlot VirtioSlotFor(size_t index) {
  return {layout::kMmioGapStart + index * devices::virtio::kMmioWindowSize,
          kVirtioFirstIrq + static_cast<uint32_t>(index)};
}

std::string VirtioMmioCmdline(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    VirtioSlot slot = VirtioSlotFor(i);
    char arg[64];
    std::snprintf(arg, sizeof(arg), " virtio_mmio.device=4K@0x%llx:%u",
                  static_cast<unsigned long long>(slot.address), slot.irq);
    out += arg;
  }
  return out;
}

base::Result<std::unique_ptr<VirtioDevices>> VirtioDevices::Create(
    kvm::KvmVm& vm, devices::Bus& mmio_bus, const devices::GuestMemory& memory,
    std::vector<std::shared_ptr<devices::virtio::VirtioDevice>> devices) {
  if (devices.size() > kMaxVirtioDevices) {
    return base::Status::Error("at most " + std::to_string(kMaxVirtioDevices) +
                               " virtio devices, got " + std::to_string(devices.size()));
  }
  std::unique_ptr<VirtioDevices> self(new VirtioDevices());
  ASSIGN_OR_RETURN(self->loop_, base::EventLoop::Create());
  for (auto& device : devices) RETURN_IF_ERROR(self->Add(vm, mmio_bus, memory, std::move(device)));
  return self;
}

base::Status VirtioDevices::Add(kvm::KvmVm& vm, devices::Bus& mmio_bus,
                                const devices::GuestMemory& memory,
                                std::shared_ptr<devices::virtio::VirtioDevice> device) {
  VirtioSlot slot = VirtioSlotFor(transports_.size());
  std::shared_ptr<devices::InterruptLine> line;
  ASSIGN_OR_RETURN(base::EventFd irq_fd, base::EventFd::Create(EFD_NONBLOCK));
  if (base::Status s = vm.AddIrqFd(irq_fd.fd(), slot.irq); s.ok()) {
    line = std::make_shared<IrqFdLine>(std::move(irq_fd));
  } else {
    LOG_INFO << "virtio-mmio at 0x" << std::hex << slot.address << std::dec
             << ": no irqfd (" << s.message() << "), using KVM_IRQ_LINE";
    line = std::make_shared<kvm::KvmIrqLine>(vm, slot.irq);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<devices::virtio::MmioTransport> transport,
                   devices::virtio::MmioTransport::Create(std::move(device), memory,
                                                          std::move(line), loop_.get()));
  RETURN_IF_ERROR(mmio_bus.Insert(transport, slot.address, devices::virtio::kMmioWindowSize));
  for (size_t q = 0; q < transport->queue_count(); ++q) {
    base::Status s = vm.AddIoEventFd(transport->queue_notify_fd(q).fd(),
                                     slot.address + devices::virtio::kQueueNotifyOffset, 4, q);
    if (!s.ok()) {
      // The transport signals the same EventFd on the MMIO exit instead.
      LOG_INFO << "virtio-mmio at 0x" << std::hex << slot.address << std::dec << " queue " << q
               << ": no ioeventfd (" << s.message() << "), kicks exit to hull-vmm";
    }
  }
  transports_.push_back(std::move(transport));
  return base::Status::Ok();
}

VirtioDevices::~VirtioDevices() { Stop(); }

base::Status VirtioDevices::Start() {
  if (transports_.empty() || thread_.joinable()) return base::Status::Ok();
  thread_ = std::thread([this] {
    seccomp::EnterThread(seccomp::ThreadKind::kDevice);  // before any device callback
    if (base::Status s = loop_->Run(); !s.ok()) LOG_ERROR << "virtio event loop: " << s.message();
  });
  return base::Status::Ok();
}

void VirtioDevices::Stop() {
  for (auto& transport : transports_) transport->Reset();
  if (thread_.joinable()) {
    loop_->Stop();
    thread_.join();
  }
}

}  // namespace hull::vmm
