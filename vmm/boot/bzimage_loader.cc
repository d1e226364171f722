#include "vmm/boot/bzimage_loader.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "vmm/boot/error_text.h"
#include "vmm/boot/low_ram.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

using base::Result;
using base::Status;

constexpr size_t kSetupHeaderOffset = 0x1f1;
constexpr size_t kJumpDisplacementOffset = 0x201;
constexpr size_t kHeaderMagicOffset = 0x202;
constexpr char kHeaderMagic[4] = {'H', 'd', 'r', 'S'};
constexpr uint64_t kSectorSize = 512;
// setup_sects == 0 means 4, for compatibility with ancient images.
constexpr uint64_t kDefaultSetupSects = 4;
// xloadflags and the 64-bit entry arrived with protocol 2.12.
constexpr uint16_t kMinVersion = 0x020c;
// The 64-bit entry point is 0x200 past the start of the protected-mode kernel.
constexpr uint64_t kEntry64Offset = 0x200;
// Protocol default for images that leave initrd_addr_max zero.
constexpr uint64_t kDefaultInitrdAddrMax = 0x37ffffff;

std::string Version(uint16_t v) {
  std::string minor = std::to_string(v & 0xff);
  return std::to_string(v >> 8) + "." + (minor.size() < 2 ? "0" + minor : minor);
}

// Copies the setup header as far as the image declares it: it ends at 0x202 plus the
// byte at 0x201 (the displacement of the short jump that precedes the magic).
// Fields past that end stay zero.
setup_header ReadSetupHeader(std::span<const uint8_t> image) {
  uint64_t declared_end = kHeaderMagicOffset + image[kJumpDisplacementOffset];
  uint64_t end = std::min<uint64_t>({declared_end, image.size(),
                                     kSetupHeaderOffset + sizeof(setup_header)});
  setup_header header{};
  std::memcpy(&header, image.data() + kSetupHeaderOffset, end - kSetupHeaderOffset);
  return header;
}

Status CheckHeader(const setup_header& header) {
  if (header.version < kMinVersion) {
    return Status::Error("bzImage uses boot protocol " + Version(header.version) +
                         "; hull needs 2.12 or newer (the 64-bit entry point)");
  }
  if ((header.xloadflags & XLF_KERNEL_64) == 0) {
    return Status::Error("bzImage has no 64-bit entry point (XLF_KERNEL_64 is not set)");
  }
  if (header.relocatable_kernel != 0 &&
      (header.kernel_alignment == 0 ||
       (header.kernel_alignment & (header.kernel_alignment - 1)) != 0)) {
    return Status::Error("bzImage kernel_alignment " + Hex(header.kernel_alignment) +
                         " is not a power of two");
  }
  return Status::Ok();
}

// Where the kernel runs after startup_64 moves itself (arch/x86/boot/compressed/
// head_64.S): the load address aligned up to kernel_alignment if relocatable, but
// never below LOAD_PHYSICAL_ADDR, which the header publishes as pref_address. It then
// needs init_size bytes from there.
Result<uint64_t> KernelEnd(const setup_header& header, uint64_t load_addr, uint64_t load_size) {
  uint64_t runtime_start = header.pref_address;
  if (header.relocatable_kernel != 0) {
    uint64_t align = header.kernel_alignment;
    runtime_start = std::max(runtime_start, (load_addr + align - 1) & ~(align - 1));
  }
  if (runtime_start > layout::kMmioGapStart) {
    return Status::Error("bzImage wants to run at " + Hex(runtime_start) +
                         ", above the 32-bit MMIO gap");
  }
  return std::max(load_addr + load_size, runtime_start + header.init_size);
}

}  // namespace

bool IsBzImage(std::span<const uint8_t> image) {
  return image.size() >= kHeaderMagicOffset + sizeof(kHeaderMagic) &&
         std::memcmp(image.data() + kHeaderMagicOffset, kHeaderMagic, sizeof(kHeaderMagic)) == 0;
}

Result<LoadedKernel> LoadBzImage(std::span<const uint8_t> image,
                                 const devices::GuestMemory& mem) {
  setup_header header = ReadSetupHeader(image);
  RETURN_IF_ERROR(CheckHeader(header));

  uint64_t setup_sects = header.setup_sects != 0 ? header.setup_sects : kDefaultSetupSects;
  uint64_t setup_size = (setup_sects + 1) * kSectorSize;
  if (image.size() <= setup_size + kEntry64Offset) {
    return Status::Error("bzImage is truncated: " + std::to_string(image.size()) +
                         " bytes, but its setup code alone takes " + std::to_string(setup_size));
  }
  std::span<const uint8_t> protected_mode = image.subspan(setup_size);
  const uint64_t load_addr = layout::kHighMemoryStart;

  LoadedKernel kernel;
  ASSIGN_OR_RETURN(kernel.end, KernelEnd(header, load_addr, protected_mode.size()));
  ASSIGN_OR_RETURN(uint64_t low_end, LowRamEnd(mem));
  if (kernel.end > low_end) {
    return Status::Error("guest memory (" + SizeText(mem.total_size()) +
                         ") is too small for this kernel: it needs memory up to " +
                         Hex(kernel.end) + " (" + MiB(kernel.end) + ")");
  }
  RETURN_IF_ERROR(mem.Write(load_addr, protected_mode.data(), protected_mode.size()));

  kernel.entry = load_addr + kEntry64Offset;
  kernel.bzimage = true;
  kernel.header = header;
  kernel.cmdline_max_length = header.cmdline_size;
  kernel.initrd_addr_max =
      header.initrd_addr_max != 0 ? header.initrd_addr_max : kDefaultInitrdAddrMax;
  return kernel;
}

}  // namespace hull::vmm::boot
