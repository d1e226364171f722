#include "vmm/boot/initrd.h"

#include <algorithm>
#include <string>

#include "vmm/boot/error_text.h"
#include "vmm/boot/low_ram.h"

namespace hull::vmm::boot {
namespace {

constexpr uint64_t kPageSize = 4096;

}  // namespace

base::Result<uint64_t> ChooseInitrdAddress(uint64_t size, const LoadedKernel& kernel,
                                           const devices::GuestMemory& mem) {
  ASSIGN_OR_RETURN(uint64_t low_end, LowRamEnd(mem));
  // initrd_addr_max is inclusive and at most 32 bits wide, so the +1 cannot overflow.
  uint64_t limit = std::min(low_end, std::min<uint64_t>(kernel.initrd_addr_max, UINT32_MAX) + 1);
  uint64_t floor = (kernel.end + kPageSize - 1) & ~(kPageSize - 1);
  if (size > limit || ((limit - size) & ~(kPageSize - 1)) < floor) {
    return base::Status::Error("initrd (" + std::to_string(size) +
                               " bytes) does not fit in guest memory between the kernel's end (" +
                               Hex(floor) + ") and " + Hex(limit));
  }
  return (limit - size) & ~(kPageSize - 1);
}

base::Result<InitrdPlacement> LoadInitrd(std::span<const uint8_t> initrd,
                                         const LoadedKernel& kernel,
                                         const devices::GuestMemory& mem) {
  if (initrd.empty()) return InitrdPlacement{};
  ASSIGN_OR_RETURN(uint64_t addr, ChooseInitrdAddress(initrd.size(), kernel, mem));
  RETURN_IF_ERROR(mem.Write(addr, initrd.data(), initrd.size()));
  return InitrdPlacement{addr, initrd.size()};
}

}  // namespace hull::vmm::boot
