// Fills struct boot_params, the "zero page" of the Linux x86 boot protocol
// (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol" and "Details of Header
// Fields"; Documentation/arch/x86/zero-page.rst), and writes it at
// layout::kZeroPageStart, where %rsi points at the 64-bit entry. Called by PrepareBoot.
#pragma once

#include <asm/bootparam.h>

#include <cstdint>
#include <span>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "vmm/boot/kernel_loader.h"

namespace hull::vmm::boot {

struct ZeroPageInputs {
  uint64_t cmdline_addr = 0;
  uint32_t cmdline_length = 0;  // without the terminating NUL
  uint64_t initrd_addr = 0;     // 0 with initrd_size 0: no initrd
  uint64_t initrd_size = 0;
  std::span<const boot_e820_entry> e820;
};

// A zeroed boot_params with, for a bzImage, the image's setup header copied in, then
// the loader's fields set: type_of_loader 0xff ("undefined"), LOADED_HIGH, cmd_line_ptr
// and cmdline_size, ramdisk_image/ramdisk_size with their ext_* high halves, boot_flag
// 0xAA55, header "HdrS", and the e820 table. Everything else stays as the kernel's
// header has it, or zero.
[[nodiscard]] base::Result<boot_params> BuildBootParams(const LoadedKernel& kernel,
                                                        const ZeroPageInputs& inputs);

// Writes `params` at layout::kZeroPageStart.
[[nodiscard]] base::Status WriteBootParams(const boot_params& params,
                                           const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
