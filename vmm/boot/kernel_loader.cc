#include "vmm/boot/kernel_loader.h"

#include "vmm/boot/bzimage_loader.h"
#include "vmm/boot/elf_loader.h"

namespace hull::vmm::boot {

base::Result<LoadedKernel> LoadKernel(std::span<const uint8_t> image,
                                      const devices::GuestMemory& mem) {
  if (IsElf(image)) return LoadElfKernel(image, mem);
  if (IsBzImage(image)) return LoadBzImage(image, mem);
  return base::Status::Error(
      "kernel image (" + std::to_string(image.size()) +
      " bytes) is neither an ELF vmlinux (no ELF magic) nor a bzImage (no \"HdrS\" at 0x202)");
}

}  // namespace hull::vmm::boot
