// KvmVm: one KVM virtual machine — guest memory slots, the in-kernel interrupt
// controllers (PIC, IOAPIC, LAPICs) and PIT, interrupt lines, and vCPU creation.
// Set-up calls happen on one thread before vCPUs run; SetIrqLine may be called from
// any thread afterwards (KVM serialises it).
#pragma once

#include <cstdint>

#include "base/unique_fd.h"
#include "vmm/kvm/kvm_types.h"

namespace hull::vmm::kvm {

class KvmVcpu;

class KvmVm {
 public:
  int fd() const { return fd_.get(); }

  base::Status SetUserMemoryRegion(uint32_t slot, uint64_t guest_address, uint64_t size,
                                   void* host_address);
  // PIC + IOAPIC + per-vCPU LAPIC in the kernel, and the i8254 PIT. x86 also needs the
  // TSS and identity-map pages placed; hull puts them just below the IOAPIC.
  base::Status CreateIrqchipAndPit();
  base::Status SetIrqLine(uint32_t irq, bool level) const;
  // KVM_IOEVENTFD: a guest write of `length` bytes equal to `datamatch` at MMIO address
  // `address` signals `eventfd` inside KVM, without an exit to hull-vmm (virtio kicks).
  base::Status AddIoEventFd(int eventfd, uint64_t address, uint32_t length, uint64_t datamatch);
  // KVM_IRQFD: each signal of `eventfd` becomes an edge on GSI `gsi` of the in-kernel
  // IOAPIC/PIC, injected by KVM without a KVM_IRQ_LINE call. Needs the irqchip.
  base::Status AddIrqFd(int eventfd, uint32_t gsi);
  base::Result<KvmVcpu> CreateVcpu(uint32_t id) const;

 private:
  friend class KvmSystem;
  KvmVm(base::UniqueFd fd, size_t vcpu_mmap_size)
      : fd_(std::move(fd)), vcpu_mmap_size_(vcpu_mmap_size) {}
  base::UniqueFd fd_;
  size_t vcpu_mmap_size_;
};

}  // namespace hull::vmm::kvm
