// The CPUID a vCPU sees: KVM_GET_SUPPORTED_CPUID filtered for what hull virtualizes —
// topology (APIC IDs, logical processor counts in leaves 0x1, 0x4, 0xb/0x1f and AMD's
// 0x8000001e/0x80000008), the hypervisor bit and leaf, no PMU, no MONITOR/VMX — plus
// any feature bits the user masks off. Pure functions: unit-tested without KVM.
#pragma once

#include <cstdint>
#include <vector>

#include "vmm/config/vm_config.h"
#include "vmm/kvm/kvm_types.h"

namespace hull::vmm::cpu {

struct CpuTopology {
  uint32_t vcpu_id = 0;     // also the APIC ID
  uint32_t vcpu_count = 1;
  bool smt = false;         // two threads per core when vcpu_count is even
};

std::vector<kvm::CpuidEntry> FilterCpuid(const std::vector<kvm::CpuidEntry>& supported,
                                         const CpuTopology& topology,
                                         const std::vector<CpuidMask>& masks);

// The entry for (function, index), or nullptr.
const kvm::CpuidEntry* FindCpuid(const std::vector<kvm::CpuidEntry>& entries,
                                 uint32_t function, uint32_t index = 0);

}  // namespace hull::vmm::cpu
