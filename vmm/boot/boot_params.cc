#include "vmm/boot/boot_params.h"

#include <cstddef>
#include <cstring>
#include <string>

#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

// The offsets the boot protocol fixes (zero-page.rst); the uapi struct must agree.
static_assert(sizeof(boot_params) == 4096);
static_assert(offsetof(boot_params, ext_ramdisk_image) == 0x0c0);
static_assert(offsetof(boot_params, ext_cmd_line_ptr) == 0x0c8);
static_assert(offsetof(boot_params, e820_entries) == 0x1e8);
static_assert(offsetof(boot_params, hdr) == 0x1f1);
static_assert(offsetof(boot_params, e820_table) == 0x2d0);

constexpr uint8_t kTypeOfLoaderUndefined = 0xff;
constexpr uint16_t kBootFlag = 0xaa55;
constexpr uint32_t kHeaderMagic = 0x53726448;  // "HdrS"

uint32_t Low32(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t High32(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

}  // namespace

base::Result<boot_params> BuildBootParams(const LoadedKernel& kernel,
                                          const ZeroPageInputs& inputs) {
  if (inputs.e820.size() > E820_MAX_ENTRIES_ZEROPAGE) {
    return base::Status::Error("e820 map has " + std::to_string(inputs.e820.size()) +
                               " entries; the zero page holds at most " +
                               std::to_string(E820_MAX_ENTRIES_ZEROPAGE));
  }
  boot_params params;
  std::memset(&params, 0, sizeof(params));
  if (kernel.bzimage) params.hdr = kernel.header;

  params.hdr.type_of_loader = kTypeOfLoaderUndefined;
  // The protected-mode kernel is at 1 MiB. CAN_USE_HEAP/heap_end_ptr describe the
  // real-mode setup's heap, and the 64-bit entry skips the real-mode setup.
  params.hdr.loadflags |= LOADED_HIGH;
  params.hdr.boot_flag = kBootFlag;
  params.hdr.header = kHeaderMagic;

  params.hdr.cmd_line_ptr = Low32(inputs.cmdline_addr);
  params.ext_cmd_line_ptr = High32(inputs.cmdline_addr);
  params.hdr.cmdline_size = inputs.cmdline_length;

  params.hdr.ramdisk_image = Low32(inputs.initrd_addr);
  params.ext_ramdisk_image = High32(inputs.initrd_addr);
  params.hdr.ramdisk_size = Low32(inputs.initrd_size);
  params.ext_ramdisk_size = High32(inputs.initrd_size);

  params.e820_entries = static_cast<uint8_t>(inputs.e820.size());
  std::memcpy(params.e820_table, inputs.e820.data(), inputs.e820.size_bytes());
  return params;
}

base::Status WriteBootParams(const boot_params& params, const devices::GuestMemory& mem) {
  return mem.WriteObject(layout::kZeroPageStart, params);
}

}  // namespace hull::vmm::boot
