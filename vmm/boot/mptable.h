// Writes an Intel MP Specification 1.4 table (floating pointer, then the configuration
// table) at layout::kEbdaStart, where Linux scans for "_MP_" (the last KiB of base
// memory): one enabled processor per vCPU (APIC ID = index, vCPU 0 the BSP), an ISA
// bus, one IOAPIC (id = vCPU count) at layout::kIoapicStart with identity-mapped
// pins, ExtINT on LINT0 and NMI on LINT1. Called by PrepareBoot.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "devices/guest_memory.h"

namespace hull::vmm::boot {

// APIC IDs are 8 bits, 0xff is broadcast, and the IOAPIC takes the id after the last vCPU.
inline constexpr uint32_t kMpMaxVcpus = 254;
// Pins of KVM's in-kernel IOAPIC; each gets an I/O interrupt entry (ISA IRQ n -> pin n),
// as Firecracker does, so devices on IRQs above 15 are connected too.
inline constexpr uint32_t kMpIoApicPins = 24;

// Bytes the floating pointer and configuration table take for `vcpu_count` vCPUs.
uint64_t MpTableSize(uint32_t vcpu_count);

// Errors if vcpu_count is outside 1..kMpMaxVcpus. The table starts in the EBDA and,
// beyond 37 vCPUs, continues into the legacy hole above 0xa0000; all of it is e820
// reserved memory below 1 MiB.
[[nodiscard]] base::Status WriteMpTable(uint32_t vcpu_count, const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
