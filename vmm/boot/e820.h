// Builds the BIOS e820 memory map that boot_params hands the kernel (Linux x86 boot
// protocol, zero page "e820_table"; ACPI "System Address Map Interfaces") from the
// GuestMemory regions laid out by vmm/memory. Called by PrepareBoot (boot.h).
#pragma once

#include <asm/bootparam.h>

#include <vector>

#include "base/status.h"
#include "devices/guest_memory.h"

namespace hull::vmm::boot {

// RAM [0, kLowRamEnd); reserved [kEbdaStart, 1 MiB) (EBDA with the MP table, legacy
// VGA/BIOS hole); RAM from 1 MiB to the end of the region at 0; and one RAM entry per
// further region. Errors if the first region does not cover the first 1 MiB, a region
// overlaps the MMIO gap, or there are more than E820_MAX_ENTRIES_ZEROPAGE entries.
[[nodiscard]] base::Result<std::vector<boot_e820_entry>> BuildE820Map(
    const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
