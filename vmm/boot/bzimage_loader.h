// Loads a bzImage for the 64-bit boot protocol (Documentation/arch/x86/boot.rst): reads
// its setup header, copies the protected-mode kernel to 1 MiB and reports the 64-bit
// entry at load address + 0x200. The real-mode setup code is not run and not loaded.
// Part of kernel_loader.h; see there for who calls it.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "vmm/boot/kernel_loader.h"

namespace hull::vmm::boot {

// Whether `image` carries the "HdrS" setup-header magic at offset 0x202.
bool IsBzImage(std::span<const uint8_t> image);

// Loads a bzImage with boot protocol 2.12 or newer and XLF_KERNEL_64 set.
[[nodiscard]] base::Result<LoadedKernel> LoadBzImage(std::span<const uint8_t> image,
                                                     const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
