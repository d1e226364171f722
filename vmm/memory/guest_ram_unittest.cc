#include "vmm/memory/guest_ram.h"

#include <gtest/gtest.h>

#include "vmm/memory/layout.h"

namespace hull::vmm {
namespace {

TEST(PlanGuestRam, SmallGuestIsOneRegionFromZero) {
  auto regions = PlanGuestRam(128ull << 20);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].guest_base, 0u);
  EXPECT_EQ(regions[0].size, 128ull << 20);
}

TEST(PlanGuestRam, LargeGuestIsSplitAroundTheMmioGap) {
  auto regions = PlanGuestRam(8ull << 30);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].end(), layout::kMmioGapStart);
  EXPECT_EQ(regions[1].guest_base, layout::kMmioGapEnd);
  EXPECT_EQ(regions[0].size + regions[1].size, 8ull << 30);
}

TEST(GuestRam, AnonymousMemoryIsReadableAndWritableEverywhere) {
  auto ram = GuestRam::Allocate({.size_bytes = 16ull << 20});
  ASSERT_TRUE(ram.ok()) << ram.status().message();
  EXPECT_EQ(ram->size(), 16ull << 20);
  EXPECT_FALSE(ram->memfd() >= 0);
  ASSERT_TRUE(ram->memory().WriteObject<uint64_t>((16ull << 20) - 8, 42).ok());
  EXPECT_EQ(*ram->memory().ReadObject<uint64_t>((16ull << 20) - 8), 42u);
  EXPECT_FALSE(ram->memory().ReadObject<uint8_t>(16ull << 20).ok());
}

TEST(GuestRam, MemfdBackingSplitsAcrossTheGapWithoutTouchingMemory) {
  // 4 GiB of guest RAM: reserved lazily, so this costs nothing until touched.
  auto ram = GuestRam::Allocate({.size_bytes = 4ull << 30, .memfd = true});
  ASSERT_TRUE(ram.ok()) << ram.status().message();
  EXPECT_GE(ram->memfd(), 0);
  ASSERT_EQ(ram->memory().regions().size(), 2u);
  uint64_t above = layout::kMmioGapEnd + 4096;
  ASSERT_TRUE(ram->memory().WriteObject<uint32_t>(above, 7).ok());
  EXPECT_EQ(*ram->memory().ReadObject<uint32_t>(above), 7u);
  EXPECT_FALSE(ram->memory().ReadObject<uint32_t>(layout::kMmioGapStart).ok());
}

TEST(GuestRam, RejectsSizesThatAreNotPageMultiples) {
  EXPECT_FALSE(GuestRam::Allocate({.size_bytes = 0}).ok());
  EXPECT_FALSE(GuestRam::Allocate({.size_bytes = 4097}).ok());
  EXPECT_FALSE(GuestRam::Allocate({.size_bytes = 3ull << 20, .huge_pages = true}).ok());
}

}  // namespace
}  // namespace hull::vmm
