#include "vmm/boot/low_ram.h"

#include <algorithm>

#include "vmm/boot/error_text.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {

base::Result<uint64_t> LowRamEnd(const devices::GuestMemory& mem) {
  if (!mem.Contains(0, layout::kHighMemoryStart)) {
    return base::Status::Error("guest memory (" + SizeText(mem.total_size()) +
                               ") is too small for the boot structures: it must cover "
                               "guest-physical [0, 1 MiB) in one region");
  }
  for (const devices::GuestRegion& region : mem.regions()) {
    if (region.guest_base == 0) return std::min(region.end(), layout::kMmioGapStart);
  }
  return base::Status::Error("guest memory has no region at address 0");  // unreachable
}

}  // namespace hull::vmm::boot
