// Writes the identity page tables the 64-bit boot protocol requires at entry
// (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol": the kernel, zero page and
// command line must be identity-mapped): guest-physical [0, kIdentityMappedSize) with
// 2 MiB pages, one PML4 at kPml4Start, one PDPT at kPdptStart and one PD per GiB from
// kPdStart (Intel SDM Vol. 3A §4.5, 4-level paging). Called by PrepareBoot; CR3 points
// at the PML4 (cpu_state.h).
#pragma once

#include <cstdint>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {

inline constexpr uint64_t kPtePresent = 1ull << 0;
inline constexpr uint64_t kPteWritable = 1ull << 1;
inline constexpr uint64_t kPtePageSize = 1ull << 7;  // in a PD entry: maps a 2 MiB page
inline constexpr uint64_t kPageTableEntries = 512;
inline constexpr uint64_t kPageTableSize = 4096;
inline constexpr uint64_t kIdentityPdCount = layout::kIdentityMappedSize >> 30;  // 1 GiB each

static_assert(layout::kIdentityMappedSize % (1ull << 30) == 0);
static_assert(kIdentityPdCount <= kPageTableEntries);
static_assert(layout::kPdptStart >= layout::kPml4Start + kPageTableSize);
static_assert(layout::kPdStart >= layout::kPdptStart + kPageTableSize);
static_assert(layout::kPdStart + kIdentityPdCount * kPageTableSize <= layout::kCmdlineStart);

// Writes the PML4, the PDPT and the PDs (whole 4 KiB tables, unused entries zero).
[[nodiscard]] base::Status WriteIdentityPageTables(const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
