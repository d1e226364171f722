#include "vmm/boot/initrd.h"

#include <gtest/gtest.h>

#include "vmm/boot/test_kernel_images.h"

namespace hull::vmm::boot {
namespace {

constexpr uint64_t kMiB = 1 << 20;

LoadedKernel KernelEndingAt(uint64_t end, uint64_t initrd_addr_max = 0x7fffffff) {
  LoadedKernel kernel;
  kernel.end = end;
  kernel.initrd_addr_max = initrd_addr_max;
  return kernel;
}

TEST(Initrd, PlacesPageAlignedAtTheTopOfLowRam) {
  testing::TestGuestMemory ram(64 * kMiB);
  std::vector<uint8_t> initrd(10000);
  for (size_t i = 0; i < initrd.size(); ++i) initrd[i] = static_cast<uint8_t>(i * 13);

  base::Result<InitrdPlacement> placed = LoadInitrd(initrd, KernelEndingAt(2 * kMiB), ram.mem());
  ASSERT_TRUE(placed.ok()) << placed.status().message();
  EXPECT_EQ(placed->addr, (64 * kMiB - 10000) & ~uint64_t{0xfff});
  EXPECT_EQ(placed->size, 10000u);
  std::vector<uint8_t> back(initrd.size());
  ASSERT_TRUE(ram.mem().Read(placed->addr, back.data(), back.size()).ok());
  EXPECT_EQ(back, initrd);
}

TEST(Initrd, StaysAtOrBelowInitrdAddrMax) {
  testing::TestGuestMemory ram(64 * kMiB);
  base::Result<uint64_t> addr =
      ChooseInitrdAddress(0x1800, KernelEndingAt(2 * kMiB, 32 * kMiB - 1), ram.mem());
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(*addr, 32 * kMiB - 0x2000);
}

TEST(Initrd, StaysBelowTheMmioGap) {
  // Metadata only: ChooseInitrdAddress never touches guest bytes.
  devices::GuestMemory mem({{0, 0xd0000000, nullptr}, {4ull << 30, 1ull << 30, nullptr}});
  base::Result<uint64_t> addr = ChooseInitrdAddress(kMiB, KernelEndingAt(2 * kMiB, 0xffffffff), mem);
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(*addr, 0xd0000000 - kMiB);
}

TEST(Initrd, FitsExactlyBetweenKernelAndTopOfRam) {
  testing::TestGuestMemory ram(64 * kMiB);
  base::Result<uint64_t> addr = ChooseInitrdAddress(62 * kMiB, KernelEndingAt(2 * kMiB), ram.mem());
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(*addr, 2 * kMiB);
}

TEST(Initrd, ReportsAnInitrdThatDoesNotFit) {
  testing::TestGuestMemory ram(64 * kMiB);
  base::Result<uint64_t> addr =
      ChooseInitrdAddress(62 * kMiB + 1, KernelEndingAt(2 * kMiB), ram.mem());
  ASSERT_FALSE(addr.ok());
  EXPECT_EQ(addr.status().message(),
            "initrd (65011713 bytes) does not fit in guest memory between the kernel's end "
            "(0x200000) and 0x4000000");
  EXPECT_FALSE(ChooseInitrdAddress(UINT64_MAX, KernelEndingAt(2 * kMiB), ram.mem()).ok());
}

TEST(Initrd, EmptyInitrdIsNone) {
  testing::TestGuestMemory ram(2 * kMiB);
  base::Result<InitrdPlacement> placed = LoadInitrd({}, KernelEndingAt(2 * kMiB), ram.mem());
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->addr, 0u);
  EXPECT_EQ(placed->size, 0u);
}

}  // namespace
}  // namespace hull::vmm::boot
