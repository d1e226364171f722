// Loads an uncompressed ELF64 x86-64 vmlinux (or a freestanding test guest linked the
// same way) at its PT_LOAD segments' physical addresses; its e_entry is the physical
// 64-bit entry point. Part of kernel_loader.h; see there for who calls it.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "vmm/boot/kernel_loader.h"

namespace hull::vmm::boot {

// Whether `image` starts with the ELF magic.
bool IsElf(std::span<const uint8_t> image);

// Loads an ELF64 ET_EXEC x86-64 image. Rejects segments below 1 MiB (hull's boot
// structures live there) and any that do not lie wholly in low RAM.
[[nodiscard]] base::Result<LoadedKernel> LoadElfKernel(std::span<const uint8_t> image,
                                                       const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
