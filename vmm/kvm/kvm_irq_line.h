// KvmIrqLine: a device's interrupt line wired to a GSI of the VM's in-kernel PIC and
// IOAPIC with KVM_IRQ_LINE. Safe to call from any thread.
#pragma once

#include <cstdint>

#include "devices/interrupt.h"
#include "vmm/kvm/kvm_vm.h"

namespace hull::vmm::kvm {

class KvmIrqLine final : public devices::InterruptLine {
 public:
  // `vm` must outlive this line.
  KvmIrqLine(const KvmVm& vm, uint32_t gsi) : vm_(vm), gsi_(gsi) {}
  base::Status SetLevel(bool high) override { return vm_.SetIrqLine(gsi_, high); }

 private:
  const KvmVm& vm_;
  const uint32_t gsi_;
};

}  // namespace hull::vmm::kvm
