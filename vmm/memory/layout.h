// The guest-physical memory map hull-vmm gives every x86-64 guest. One place for these
// numbers so the boot code, the MP table, the e820 map and the devices agree.
//
//   0x0000_0000 .. 0x0009_fc00  RAM (real-mode area; hull's boot structures live here)
//   0x0009_fc00 .. 0x000a_0000  EBDA: the MP floating pointer and MP table
//   0x000a_0000 .. 0x0010_0000  legacy VGA/BIOS hole (reserved in e820, still backed)
//   0x0010_0000 .. kMmioGapStart RAM
//   kMmioGapStart .. 4 GiB      32-bit MMIO gap: virtio-mmio devices, IOAPIC, LAPIC
//   4 GiB ..                    RAM beyond what fits below the gap
#pragma once

#include <cstdint>

namespace hull::vmm::layout {

inline constexpr uint64_t kGdtStart = 0x500;
inline constexpr uint64_t kIdtStart = 0x520;
inline constexpr uint64_t kZeroPageStart = 0x7000;       // boot_params
inline constexpr uint64_t kPml4Start = 0x9000;           // identity page tables: PML4,
inline constexpr uint64_t kPdptStart = 0xa000;           //   PDPT,
inline constexpr uint64_t kPdStart = 0xb000;             //   4 PDs (0xb000..0xf000)
inline constexpr uint64_t kBootStackTop = 0x8ff0;        // rsp at 64-bit entry
inline constexpr uint64_t kCmdlineStart = 0x20000;
inline constexpr uint64_t kCmdlineMaxSize = 0x10000;     // hard cap; the kernel may allow less
inline constexpr uint64_t kEbdaStart = 0x9fc00;          // MP table lives here
inline constexpr uint64_t kLowRamEnd = 0x9fc00;
inline constexpr uint64_t kHighMemoryStart = 0x100000;   // 1 MiB: where kernels load
inline constexpr uint64_t kMmioGapStart = 0xd0000000;    // 3.25 GiB
inline constexpr uint64_t kMmioGapEnd = 0x100000000;     // 4 GiB
inline constexpr uint64_t kIoapicStart = 0xfec00000;
inline constexpr uint64_t kLapicStart = 0xfee00000;
// Guest-physical addresses below this are identity-mapped at 64-bit entry.
inline constexpr uint64_t kIdentityMappedSize = 4ull << 30;

}  // namespace hull::vmm::layout
