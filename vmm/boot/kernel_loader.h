// Loads a guest kernel image into guest memory for the Linux x86-64 64-bit boot
// protocol (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"). Detects the
// format: an uncompressed ELF64 vmlinux (elf_loader.h) or a bzImage (bzimage_loader.h).
// Called by PrepareBoot (boot.h). Images are untrusted: every offset and size is
// checked against the file and guest memory, and nothing is written unless the whole
// image fits.
#pragma once

#include <asm/bootparam.h>

#include <cstdint>
#include <span>

#include "base/status.h"
#include "devices/guest_memory.h"

namespace hull::vmm::boot {

struct LoadedKernel {
  // Guest-physical address of the 64-bit entry point (startup_64).
  uint64_t entry = 0;
  // Exclusive guest-physical end of everything the kernel occupies before it reads
  // its memory map (for a bzImage, including init_size from its runtime address).
  // The initrd goes above this.
  uint64_t end = 0;
  bool bzimage = false;
  // bzImage only: the image's setup header, to be copied into boot_params.hdr as the
  // boot protocol requires. All zero for an ELF vmlinux.
  setup_header header{};
  // Longest command line the kernel accepts, not counting the terminating NUL.
  uint32_t cmdline_max_length = 0;
  // Highest guest-physical address an initrd byte may occupy (inclusive).
  uint64_t initrd_addr_max = 0;
};

// Detects the format of `image`, checks it and copies it into `mem`.
[[nodiscard]] base::Result<LoadedKernel> LoadKernel(std::span<const uint8_t> image,
                                                    const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
