// Places the initial ramdisk in guest memory as the Linux x86 boot protocol asks
// (Documentation/arch/x86/boot.rst, "initrd_addr_max" and "ramdisk_image"): page-aligned,
// as high as possible in low RAM, above the kernel and at or below the kernel's
// initrd_addr_max. Called by PrepareBoot (boot.h).
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "vmm/boot/kernel_loader.h"

namespace hull::vmm::boot {

struct InitrdPlacement {
  uint64_t addr = 0;  // guest-physical; 0 when there is no initrd
  uint64_t size = 0;
};

// Where an initrd of `size` bytes goes for `kernel` (pure: writes nothing).
[[nodiscard]] base::Result<uint64_t> ChooseInitrdAddress(uint64_t size, const LoadedKernel& kernel,
                                                         const devices::GuestMemory& mem);

// Chooses the address and copies `initrd` there. An empty initrd is "none": {0, 0}.
[[nodiscard]] base::Result<InitrdPlacement> LoadInitrd(std::span<const uint8_t> initrd,
                                                       const LoadedKernel& kernel,
                                                       const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
