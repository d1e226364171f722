// The guest's low RAM: the region that starts at guest-physical 0, clipped at the
// 32-bit MMIO gap (vmm/memory/layout.h). The kernel, the initrd and every boot
// structure of the Linux x86 boot protocol must live there; vmm/boot's loaders ask
// this unit where it ends.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "devices/guest_memory.h"

namespace hull::vmm::boot {

// The exclusive end of low RAM, or an error if guest memory does not cover the first
// 1 MiB (where the boot structures live) in one region.
[[nodiscard]] base::Result<uint64_t> LowRamEnd(const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
