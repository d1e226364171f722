#include "vmm/cpu/cpuid.h"

#include <algorithm>

namespace hull::vmm::cpu {
namespace {

using kvm::CpuidEntry;

// Leaf 1 bits (Intel SDM vol. 2A, CPUID).
constexpr uint32_t kLeaf1EcxMonitor = 1u << 3;
constexpr uint32_t kLeaf1EcxVmx = 1u << 5;
constexpr uint32_t kLeaf1EcxHypervisor = 1u << 31;
constexpr uint32_t kLeaf1EdxHtt = 1u << 28;
constexpr uint32_t kLeaf6EaxArat = 1u << 2;
// Leaf 0xb/0x1f level types.
constexpr uint32_t kLevelTypeSmt = 1;
constexpr uint32_t kLevelTypeCore = 2;
// AMD leaf 0x80000001 ECX: SVM (no nested virtualization in hull).
constexpr uint32_t kExt1EcxSvm = 1u << 2;

uint32_t CeilLog2(uint32_t n) {
  uint32_t bits = 0;
  while ((1u << bits) < n) ++bits;
  return bits;
}

uint32_t ThreadsPerCore(const CpuTopology& t) {
  return t.smt && t.vcpu_count % 2 == 0 ? 2 : 1;
}

void SetTopologyLeaf(std::vector<CpuidEntry>& out, uint32_t function, const CpuTopology& t) {
  uint32_t threads = ThreadsPerCore(t);
  uint32_t smt_shift = CeilLog2(threads);
  uint32_t package_shift = CeilLog2(t.vcpu_count);
  if (package_shift < smt_shift) package_shift = smt_shift;
  uint32_t flags = kvm::kCpuidFlagSignificantIndex;
  out.push_back({function, 0, flags, smt_shift, threads, 0 | (kLevelTypeSmt << 8), t.vcpu_id});
  out.push_back({function, 1, flags, package_shift, t.vcpu_count, 1 | (kLevelTypeCore << 8),
                 t.vcpu_id});
  // Subleaf 2 reports an invalid level, which ends the enumeration.
  out.push_back({function, 2, flags, 0, 0, 2, t.vcpu_id});
}

void FilterEntry(CpuidEntry& e, const CpuTopology& t) {
  uint32_t threads = ThreadsPerCore(t);
  switch (e.function) {
    case 0x1:
      e.ebx = (e.ebx & 0x0000ffff) | (t.vcpu_id << 24) | ((t.vcpu_count & 0xff) << 16);
      e.ecx = (e.ecx & ~(kLeaf1EcxMonitor | kLeaf1EcxVmx)) | kLeaf1EcxHypervisor;
      e.edx = t.vcpu_count > 1 ? e.edx | kLeaf1EdxHtt : e.edx & ~kLeaf1EdxHtt;
      break;
    case 0x4: {
      uint32_t cache_level = (e.eax >> 5) & 0x7;
      uint32_t sharing = cache_level >= 3 ? t.vcpu_count : threads;
      uint32_t cores = t.vcpu_count / threads;
      e.eax = (e.eax & 0x3fff) | ((sharing - 1) << 14) | ((cores - 1) << 26);
      if (cache_level == 0) e.eax = 0;  // no more caches
      break;
    }
    case 0x5:  // MONITOR/MWAIT: not offered
      e.eax = e.ebx = e.ecx = e.edx = 0;
      break;
    case 0x6:  // power management: only the always-running APIC timer is meaningful
      e.eax &= kLeaf6EaxArat;
      e.ebx = e.ecx = e.edx = 0;
      break;
    case 0xa:  // no architectural PMU
      e.eax = e.ebx = e.ecx = e.edx = 0;
      break;
    case 0x80000001:
      e.ecx &= ~kExt1EcxSvm;
      break;
    case 0x80000008:
      e.ecx = (e.ecx & ~0xf0ffu) | (CeilLog2(t.vcpu_count) << 12) | ((t.vcpu_count - 1) & 0xff);
      break;
    case 0x8000001e:
      e.eax = t.vcpu_id;
      e.ebx = ((threads - 1) << 8) | (t.vcpu_id / threads);
      e.ecx = 0;
      break;
    default:
      break;
  }
}

uint32_t* MaskedRegister(CpuidEntry& e, const std::string& reg) {
  if (reg == "eax") return &e.eax;
  if (reg == "ebx") return &e.ebx;
  if (reg == "ecx") return &e.ecx;
  if (reg == "edx") return &e.edx;
  return nullptr;
}

}  // namespace

std::vector<CpuidEntry> FilterCpuid(const std::vector<CpuidEntry>& supported,
                                    const CpuTopology& topology,
                                    const std::vector<CpuidMask>& masks) {
  std::vector<CpuidEntry> out;
  bool has_extended_topology = false;
  bool has_v2_topology = false;
  for (CpuidEntry e : supported) {
    if (e.function == 0xb) { has_extended_topology = true; continue; }
    if (e.function == 0x1f) { has_v2_topology = true; continue; }
    FilterEntry(e, topology);
    out.push_back(e);
  }
  if (has_extended_topology) SetTopologyLeaf(out, 0xb, topology);
  if (has_v2_topology) SetTopologyLeaf(out, 0x1f, topology);
  // Ensure the hypervisor leaf exists so guests can identify the VMM's interface.
  if (FindCpuid(out, 0x40000000) == nullptr) {
    // "KVMKVMKVM\0\0\0": KVM's paravirtual interface is what the guest talks to.
    out.push_back({0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d});
  }
  for (const CpuidMask& mask : masks) {
    for (CpuidEntry& e : out) {
      if (e.function != mask.leaf) continue;
      if (mask.subleaf && e.index != *mask.subleaf) continue;
      if (uint32_t* reg = MaskedRegister(e, mask.reg)) *reg &= ~mask.clear_bits;
    }
  }
  return out;
}

const CpuidEntry* FindCpuid(const std::vector<CpuidEntry>& entries, uint32_t function,
                            uint32_t index) {
  for (const CpuidEntry& e : entries) {
    if (e.function != function) continue;
    if ((e.flags & kvm::kCpuidFlagSignificantIndex) && e.index != index) continue;
    return &e;
  }
  return nullptr;
}

}  // namespace hull::vmm::cpu
