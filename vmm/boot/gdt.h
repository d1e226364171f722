// The GDT and the (empty) IDT the boot vCPU starts with, written at layout::kGdtStart
// and layout::kIdtStart. The 64-bit boot protocol (Documentation/arch/x86/boot.rst)
// requires flat descriptors for __BOOT_CS (0x10, execute/read) and __BOOT_DS (0x18,
// read/write); descriptor format per Intel SDM Vol. 3A §3.4.5. Called by PrepareBoot;
// cpu_state.cc decodes the same descriptors into the segment registers.
#pragma once

#include <array>
#include <cstdint>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "vmm/boot/cpu_state.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {

inline constexpr uint16_t kBootCodeSelector = 0x10;  // Linux __BOOT_CS
inline constexpr uint16_t kBootDataSelector = 0x18;  // Linux __BOOT_DS

// Index = selector / 8: two null entries (Linux's boot GDT layout), 64-bit code
// (L=1, execute/read), flat 4 GiB data (read/write).
inline constexpr std::array<uint64_t, 4> kBootGdt = {
    0,
    0,
    0x00af9b000000ffff,
    0x00cf93000000ffff,
};
inline constexpr uint16_t kBootGdtLimit = sizeof(kBootGdt) - 1;

// TR has no GDT entry: the boot protocol does not need one and the layout leaves room
// for four descriptors before the IDT. TR is the architectural reset value instead
// (selector 0, busy 64-bit TSS, base 0, limit 0xffff), which VM entry accepts.
inline constexpr uint64_t kResetTrDescriptor = 0x00008b000000ffff;

// One zero (not-present) 8-byte slot: any interrupt or exception before the kernel
// loads its own IDT ends in a triple fault, which the VMM sees as a shutdown.
inline constexpr uint16_t kBootIdtLimit = sizeof(uint64_t) - 1;

static_assert(layout::kGdtStart + sizeof(kBootGdt) <= layout::kIdtStart,
              "the boot GDT must end before the IDT");
static_assert(kBootGdt[kBootCodeSelector / 8] != 0 && kBootGdt[kBootDataSelector / 8] != 0);

// Decodes a segment descriptor into the segment-register state it loads.
SegmentState DecodeSegmentDescriptor(uint64_t descriptor, uint16_t selector);

// Writes kBootGdt at kGdtStart and the empty IDT at kIdtStart.
[[nodiscard]] base::Status WriteGdtAndIdt(const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
