#include "vmm/boot/boot.h"

#include <asm/bootparam.h>
#include <gtest/gtest.h>

#include <cstring>

#include "vmm/boot/test_kernel_images.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

using testing::BzImageSpec;
using testing::MakeBzImage;
using testing::MakeElfImage;
using testing::TestGuestMemory;

constexpr uint64_t kMiB = 1 << 20;

class PrepareBootTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> elf_ = MakeElfImage({{16 * kMiB, std::vector<uint8_t>(4096, 0x90)}},
                                           16 * kMiB);
  std::vector<uint8_t> initrd_ = std::vector<uint8_t>(3 * kMiB + 5, 0x42);

  BootInputs Inputs(const std::vector<uint8_t>& kernel) {
    BootInputs in;
    in.kernel = kernel;
    in.initrd = initrd_;
    in.cmdline = "console=ttyS0 reboot=k panic=1";
    in.vcpu_count = 2;
    return in;
  }
};

TEST_F(PrepareBootTest, BootsAnElfKernelWithInitrd) {
  TestGuestMemory ram(64 * kMiB);
  base::Result<BootResult> r = PrepareBoot(Inputs(elf_), ram.mem());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->bzimage);
  EXPECT_EQ(r->kernel_entry, 16 * kMiB);
  EXPECT_EQ(r->cpu.rip, 16 * kMiB);
  EXPECT_EQ(r->cpu.rsi, layout::kZeroPageStart);
  EXPECT_EQ(r->initrd_size, initrd_.size());
  EXPECT_EQ(r->initrd_addr % 4096, 0u);
  EXPECT_LE(r->initrd_addr + r->initrd_size, 64 * kMiB);
  EXPECT_GE(r->initrd_addr, r->kernel_end);

  const devices::GuestMemory& mem = ram.mem();
  auto params = *mem.ReadObject<boot_params>(layout::kZeroPageStart);
  EXPECT_EQ(params.hdr.boot_flag, 0xaa55);
  EXPECT_EQ(params.hdr.cmd_line_ptr, layout::kCmdlineStart);
  EXPECT_EQ(params.hdr.ramdisk_image, r->initrd_addr);
  EXPECT_EQ(params.hdr.ramdisk_size, initrd_.size());
  EXPECT_EQ(params.e820_entries, 3);
  char cmdline[31];
  ASSERT_TRUE(mem.Read(params.hdr.cmd_line_ptr, cmdline, sizeof(cmdline)).ok());
  EXPECT_STREQ(cmdline, "console=ttyS0 reboot=k panic=1");
  EXPECT_EQ(*mem.ReadObject<uint8_t>(r->initrd_addr + initrd_.size() - 1), 0x42);
  EXPECT_EQ(*mem.ReadObject<uint8_t>(16 * kMiB), 0x90);
  EXPECT_EQ(*mem.ReadObject<uint32_t>(layout::kEbdaStart), 0x5f504d5fu);  // "_MP_"
  EXPECT_NE(*mem.ReadObject<uint64_t>(layout::kPml4Start), 0u);
  EXPECT_NE(*mem.ReadObject<uint64_t>(layout::kGdtStart + 0x10), 0u);
}

TEST_F(PrepareBootTest, BootsABzImageWithItsHeaderInTheZeroPage) {
  TestGuestMemory ram(64 * kMiB);
  std::vector<uint8_t> bz = MakeBzImage(BzImageSpec{});
  base::Result<BootResult> r = PrepareBoot(Inputs(bz), ram.mem());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->bzimage);
  EXPECT_EQ(r->cpu.rip, 0x100200u);
  EXPECT_GE(r->initrd_addr, 24 * kMiB);  // above pref_address + init_size
  auto params = *ram.mem().ReadObject<boot_params>(layout::kZeroPageStart);
  EXPECT_EQ(params.hdr.version, 0x020f);
  EXPECT_EQ(params.hdr.init_size, 8 * kMiB);
  EXPECT_EQ(params.hdr.type_of_loader, 0xff);
}

TEST_F(PrepareBootTest, WorksWithoutAnInitrd) {
  TestGuestMemory ram(32 * kMiB);
  BootInputs in = Inputs(elf_);
  in.initrd = {};
  base::Result<BootResult> r = PrepareBoot(in, ram.mem());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->initrd_addr, 0u);
  EXPECT_EQ(ram.mem().ReadObject<boot_params>(layout::kZeroPageStart)->hdr.ramdisk_size, 0u);
}

TEST_F(PrepareBootTest, ListsRamAbove4GiBInTheZeroPageE820Map) {
  TestGuestMemory ram(64 * kMiB, 16 * kMiB);
  base::Result<BootResult> r = PrepareBoot(Inputs(elf_), ram.mem());
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto params = *ram.mem().ReadObject<boot_params>(layout::kZeroPageStart);
  ASSERT_EQ(params.e820_entries, 4);
  EXPECT_EQ(params.e820_table[3].addr, 4ull << 30);
  EXPECT_EQ(params.e820_table[3].size, 16 * kMiB);
  EXPECT_LE(r->initrd_addr + r->initrd_size, 64 * kMiB);  // the initrd stays in low RAM
}

TEST_F(PrepareBootTest, ReportsMemoryTooSmallForBootStructures) {
  TestGuestMemory ram(512 << 10);
  base::Result<BootResult> r = PrepareBoot(Inputs(elf_), ram.mem());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("guest memory (512 KiB) is too small for", 0), 0u)
      << r.status().message();
}

TEST_F(PrepareBootTest, ReportsMemoryTooSmallForTheKernel) {
  TestGuestMemory ram(8 * kMiB);
  base::Result<BootResult> r = PrepareBoot(Inputs(elf_), ram.mem());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("loading the kernel: guest memory (8 MiB) is too small for this kernel", 0), 0u)
      << r.status().message();
}

TEST_F(PrepareBootTest, ReportsMemoryTooSmallForKernelAndInitrd) {
  TestGuestMemory ram(18 * kMiB);
  base::Result<BootResult> r = PrepareBoot(Inputs(elf_), ram.mem());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "guest memory (18 MiB) is too small for the kernel and a 3145733 bytes initrd: they "
            "need 20 MiB of RAM below the MMIO gap");
}

TEST_F(PrepareBootTest, RejectsBadVcpuCountAndCmdline) {
  TestGuestMemory ram(64 * kMiB);
  BootInputs in = Inputs(elf_);
  in.vcpu_count = 0;
  EXPECT_FALSE(PrepareBoot(in, ram.mem()).ok());
  in.vcpu_count = 255;
  EXPECT_FALSE(PrepareBoot(in, ram.mem()).ok());
  in.vcpu_count = 1;
  in.cmdline = std::string(2048, 'x');
  base::Result<BootResult> r = PrepareBoot(in, ram.mem());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("accepts at most 2047"), std::string::npos);
}

}  // namespace
}  // namespace hull::vmm::boot
