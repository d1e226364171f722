// The register state of the boot vCPU at the Linux 64-bit entry point
// (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"), described without KVM so
// that vmm/kvm can translate it into kvm_regs/kvm_sregs field by field. Segment fields
// come from decoding the GDT descriptors hull writes (gdt.h), so they cannot disagree.
#pragma once

#include <cstdint>

namespace hull::vmm::boot {

// One segment register, hidden part included, as the CPU caches it.
struct SegmentState {
  uint64_t base = 0;
  uint32_t limit = 0;  // in bytes, already scaled by granularity (as kvm_segment.limit)
  uint16_t selector = 0;
  uint8_t type = 0;    // descriptor type field (4 bits)
  bool present = false;
  uint8_t dpl = 0;
  bool db = false;     // default operation size
  bool s = false;      // code/data (true) or system (false) descriptor
  bool l = false;      // 64-bit code
  bool g = false;      // 4 KiB granularity
  bool avl = false;
};

struct DescriptorTableState {
  uint64_t base = 0;
  uint16_t limit = 0;
};

inline constexpr uint64_t kCr0Pe = 1ull << 0;
inline constexpr uint64_t kCr0Et = 1ull << 4;
inline constexpr uint64_t kCr0Ne = 1ull << 5;
inline constexpr uint64_t kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kEferLme = 1ull << 8;
inline constexpr uint64_t kEferLma = 1ull << 10;
inline constexpr uint64_t kRflagsReserved1 = 1ull << 1;  // always 1; IF clear

// Long mode, paging on, interrupts off. General-purpose registers not listed are 0.
// The LDT is not used: vmm/kvm marks it unusable.
struct BootCpuState {
  uint64_t rip = 0;     // the kernel's 64-bit entry
  uint64_t rsp = 0;     // layout::kBootStackTop
  uint64_t rsi = 0;     // layout::kZeroPageStart: struct boot_params
  uint64_t rflags = 0;
  uint64_t cr0 = 0;
  uint64_t cr3 = 0;     // layout::kPml4Start
  uint64_t cr4 = 0;
  uint64_t efer = 0;
  DescriptorTableState gdt;
  DescriptorTableState idt;
  SegmentState cs, ds, es, fs, gs, ss, tr;
};

// The state for entering a kernel at `entry` with the GDT, IDT, page tables and zero
// page that PrepareBoot writes.
BootCpuState MakeBootCpuState(uint64_t entry);

}  // namespace hull::vmm::boot
