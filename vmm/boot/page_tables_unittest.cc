#include "vmm/boot/page_tables.h"

#include <gtest/gtest.h>

#include "vmm/boot/test_kernel_images.h"

namespace hull::vmm::boot {
namespace {

constexpr uint64_t kAddressMask = 0x000ffffffffff000;

// Translates `virt` the way the MMU does with 4-level paging (SDM Vol. 3A §4.5),
// requiring present and writable at every level.
base::Result<uint64_t> Walk(const devices::GuestMemory& mem, uint64_t cr3, uint64_t virt) {
  uint64_t table = cr3 & kAddressMask;
  for (int shift : {39, 30, 21}) {
    uint64_t index = (virt >> shift) & 0x1ff;
    ASSIGN_OR_RETURN(uint64_t entry, mem.ReadObject<uint64_t>(table + index * 8));
    if ((entry & kPtePresent) == 0) return base::Status::Error("not present");
    if ((entry & kPteWritable) == 0) return base::Status::Error("read-only");
    if (shift == 21) {
      if ((entry & kPtePageSize) == 0) return base::Status::Error("PD entry is not a 2 MiB page");
      return (entry & 0x000fffffffe00000) | (virt & 0x1fffff);
    }
    if ((entry & kPtePageSize) != 0) return base::Status::Error("unexpected large page");
    table = entry & kAddressMask;
  }
  return base::Status::Error("unreachable");
}

TEST(PageTables, IdentityMapsTheFirstFourGiBWith2MiBPages) {
  testing::TestGuestMemory ram(1 << 20);
  ASSERT_TRUE(WriteIdentityPageTables(ram.mem()).ok());
  for (uint64_t addr : {0x0ull, 0x7000ull, 0x100000ull, 0x1234567ull, 0x3fffffffull,
                        0x40000000ull, 0xc0012345ull, 0xd0000000ull, 0xfee00000ull,
                        0xffffffffull}) {
    base::Result<uint64_t> phys = Walk(ram.mem(), layout::kPml4Start, addr);
    ASSERT_TRUE(phys.ok()) << std::hex << addr << ": " << phys.status().message();
    EXPECT_EQ(*phys, addr);
  }
}

TEST(PageTables, LeavesEverythingAbove4GiBUnmapped) {
  testing::TestGuestMemory ram(1 << 20);
  ASSERT_TRUE(WriteIdentityPageTables(ram.mem()).ok());
  EXPECT_FALSE(Walk(ram.mem(), layout::kPml4Start, 0x100000000).ok());
  EXPECT_FALSE(Walk(ram.mem(), layout::kPml4Start, 1ull << 39).ok());
}

TEST(PageTables, OverwritesStaleEntries) {
  testing::TestGuestMemory ram(1 << 20);
  ASSERT_TRUE(ram.mem().WriteObject<uint64_t>(layout::kPml4Start + 8, 0xabc003).ok());
  ASSERT_TRUE(WriteIdentityPageTables(ram.mem()).ok());
  EXPECT_EQ(*ram.mem().ReadObject<uint64_t>(layout::kPml4Start + 8), 0u);
}

TEST(PageTables, FailsCleanlyWithoutMemoryForTheTables) {
  testing::TestGuestMemory ram(0x8000);
  EXPECT_FALSE(WriteIdentityPageTables(ram.mem()).ok());
}

}  // namespace
}  // namespace hull::vmm::boot
