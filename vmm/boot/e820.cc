#include "vmm/boot/e820.h"

#include <asm/e820.h>

#include <string>

#include "vmm/boot/error_text.h"
#include "vmm/boot/low_ram.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {

base::Result<std::vector<boot_e820_entry>> BuildE820Map(const devices::GuestMemory& mem) {
  RETURN_IF_ERROR(LowRamEnd(mem).status());
  for (const devices::GuestRegion& region : mem.regions()) {
    if (region.guest_base < layout::kMmioGapEnd && region.end() > layout::kMmioGapStart) {
      return base::Status::Error("guest RAM region [" + Hex(region.guest_base) + ", " +
                                 Hex(region.end()) + ") overlaps the MMIO gap [" +
                                 Hex(layout::kMmioGapStart) + ", " + Hex(layout::kMmioGapEnd) +
                                 ")");
    }
  }
  const std::vector<devices::GuestRegion>& regions = mem.regions();  // sorted; [0] is at 0
  std::vector<boot_e820_entry> map = {
      {0, layout::kLowRamEnd, E820_RAM},
      {layout::kEbdaStart, layout::kHighMemoryStart - layout::kEbdaStart, E820_RESERVED},
  };
  if (regions[0].end() > layout::kHighMemoryStart) {
    map.push_back({layout::kHighMemoryStart, regions[0].end() - layout::kHighMemoryStart, E820_RAM});
  }
  for (size_t i = 1; i < regions.size(); ++i) {
    if (regions[i].size == 0) continue;
    map.push_back({regions[i].guest_base, regions[i].size, E820_RAM});
  }
  if (map.size() > E820_MAX_ENTRIES_ZEROPAGE) {
    return base::Status::Error("guest memory has " + std::to_string(regions.size()) +
                               " regions; the e820 map in the zero page holds at most " +
                               std::to_string(E820_MAX_ENTRIES_ZEROPAGE) + " entries");
  }
  return map;
}

}  // namespace hull::vmm::boot
