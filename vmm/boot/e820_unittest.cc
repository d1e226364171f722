#include "vmm/boot/e820.h"

#include <asm/e820.h>
#include <gtest/gtest.h>

#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kGiB = 1ull << 30;

// BuildE820Map reads only region metadata, so these regions need no host memory.
devices::GuestMemory Regions(std::vector<devices::GuestRegion> regions) {
  return devices::GuestMemory(std::move(regions));
}

void ExpectEntry(const boot_e820_entry& e, uint64_t addr, uint64_t size, uint32_t type) {
  EXPECT_EQ(e.addr, addr);
  EXPECT_EQ(e.size, size);
  EXPECT_EQ(e.type, type);
}

TEST(E820, SingleRegionGivesLowRamReservedHoleAndHighRam) {
  base::Result<std::vector<boot_e820_entry>> map = BuildE820Map(Regions({{0, 64 * kMiB, nullptr}}));
  ASSERT_TRUE(map.ok()) << map.status().message();
  ASSERT_EQ(map->size(), 3u);
  ExpectEntry((*map)[0], 0, 0x9fc00, E820_RAM);
  ExpectEntry((*map)[1], 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED);
  ExpectEntry((*map)[2], 0x100000, 63 * kMiB, E820_RAM);
}

TEST(E820, RegionAbove4GiBGetsItsOwnRamEntry) {
  base::Result<std::vector<boot_e820_entry>> map = BuildE820Map(Regions(
      {{4 * kGiB, 2 * kGiB, nullptr}, {0, layout::kMmioGapStart, nullptr}}));
  ASSERT_TRUE(map.ok()) << map.status().message();
  ASSERT_EQ(map->size(), 4u);
  ExpectEntry((*map)[2], 0x100000, layout::kMmioGapStart - 0x100000, E820_RAM);
  ExpectEntry((*map)[3], 4 * kGiB, 2 * kGiB, E820_RAM);
}

TEST(E820, RejectsMemoryThatDoesNotCoverTheFirstMiB) {
  base::Result<std::vector<boot_e820_entry>> map = BuildE820Map(Regions({{0, 512 << 10, nullptr}}));
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().message(),
            "guest memory (512 KiB) is too small for the boot structures: it must cover "
            "guest-physical [0, 1 MiB) in one region");
  EXPECT_FALSE(BuildE820Map(Regions({{kMiB, 64 * kMiB, nullptr}})).ok());
}

TEST(E820, RejectsRamInTheMmioGap) {
  base::Result<std::vector<boot_e820_entry>> map = BuildE820Map(Regions({{0, 3584 * kMiB, nullptr}}));
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.status().message().find("overlaps the MMIO gap"), std::string::npos);
}

TEST(E820, RejectsMoreRegionsThanTheZeroPageHolds) {
  std::vector<devices::GuestRegion> regions = {{0, 64 * kMiB, nullptr}};
  for (uint64_t i = 0; i < 125; ++i) regions.push_back({4 * kGiB + i * kGiB, kMiB, nullptr});
  EXPECT_TRUE(BuildE820Map(Regions(regions)).ok());  // 3 + 125 = 128 entries
  regions.push_back({300 * kGiB, kMiB, nullptr});
  base::Result<std::vector<boot_e820_entry>> map = BuildE820Map(Regions(regions));
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.status().message().find("at most 128 entries"), std::string::npos);
}

}  // namespace
}  // namespace hull::vmm::boot
