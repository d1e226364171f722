#include "vmm/boot/boot_params.h"

#include <asm/e820.h>
#include <gtest/gtest.h>

#include <cstddef>

#include "vmm/boot/test_kernel_images.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

TEST(BootParams, UapiStructHasTheBootProtocolOffsets) {
  // Documentation/arch/x86/zero-page.rst and boot.rst: the offsets the kernel reads.
  EXPECT_EQ(sizeof(boot_params), 4096u);
  EXPECT_EQ(offsetof(boot_params, ext_ramdisk_image), 0x0c0u);
  EXPECT_EQ(offsetof(boot_params, ext_ramdisk_size), 0x0c4u);
  EXPECT_EQ(offsetof(boot_params, ext_cmd_line_ptr), 0x0c8u);
  EXPECT_EQ(offsetof(boot_params, e820_entries), 0x1e8u);
  EXPECT_EQ(offsetof(boot_params, sentinel), 0x1efu);
  EXPECT_EQ(offsetof(boot_params, hdr), 0x1f1u);
  EXPECT_EQ(offsetof(boot_params, hdr.boot_flag), 0x1feu);
  EXPECT_EQ(offsetof(boot_params, hdr.header), 0x202u);
  EXPECT_EQ(offsetof(boot_params, hdr.version), 0x206u);
  EXPECT_EQ(offsetof(boot_params, hdr.type_of_loader), 0x210u);
  EXPECT_EQ(offsetof(boot_params, hdr.loadflags), 0x211u);
  EXPECT_EQ(offsetof(boot_params, hdr.ramdisk_image), 0x218u);
  EXPECT_EQ(offsetof(boot_params, hdr.ramdisk_size), 0x21cu);
  EXPECT_EQ(offsetof(boot_params, hdr.cmd_line_ptr), 0x228u);
  EXPECT_EQ(offsetof(boot_params, hdr.kernel_alignment), 0x230u);
  EXPECT_EQ(offsetof(boot_params, hdr.xloadflags), 0x236u);
  EXPECT_EQ(offsetof(boot_params, hdr.cmdline_size), 0x238u);
  EXPECT_EQ(offsetof(boot_params, hdr.init_size), 0x260u);
  EXPECT_EQ(offsetof(boot_params, e820_table), 0x2d0u);
  EXPECT_EQ(sizeof(boot_e820_entry), 20u);
}

ZeroPageInputs Inputs(const std::vector<boot_e820_entry>& e820) {
  ZeroPageInputs in;
  in.cmdline_addr = layout::kCmdlineStart;
  in.cmdline_length = 42;
  in.initrd_addr = 0x3f00000;
  in.initrd_size = 0x80000;
  in.e820 = e820;
  return in;
}

const std::vector<boot_e820_entry> kE820 = {{0, 0x9fc00, E820_RAM},
                                           {0x100000, 0x3f00000, E820_RAM}};

TEST(BootParams, CopiesBzImageHeaderAndSetsLoaderFields) {
  LoadedKernel kernel;
  kernel.bzimage = true;
  kernel.header = testing::BzImageSpec::DefaultHeader();
  kernel.header.loadflags = 0;
  base::Result<boot_params> p = BuildBootParams(kernel, Inputs(kE820));
  ASSERT_TRUE(p.ok()) << p.status().message();

  EXPECT_EQ(p->hdr.version, 0x020f);
  EXPECT_EQ(p->hdr.init_size, 8u << 20);
  EXPECT_EQ(p->hdr.kernel_alignment, 0x200000u);  // the 64-bit entry reads it
  EXPECT_EQ(p->hdr.type_of_loader, 0xff);
  EXPECT_EQ(p->hdr.loadflags & LOADED_HIGH, LOADED_HIGH);
  EXPECT_EQ(p->hdr.boot_flag, 0xaa55);
  EXPECT_EQ(p->hdr.header, 0x53726448u);
  EXPECT_EQ(p->hdr.cmd_line_ptr, layout::kCmdlineStart);
  EXPECT_EQ(p->ext_cmd_line_ptr, 0u);
  EXPECT_EQ(p->hdr.cmdline_size, 42u);
  EXPECT_EQ(p->hdr.ramdisk_image, 0x3f00000u);
  EXPECT_EQ(p->hdr.ramdisk_size, 0x80000u);
  EXPECT_EQ(p->ext_ramdisk_image, 0u);
  EXPECT_EQ(p->e820_entries, 2);
  EXPECT_EQ(p->e820_table[1].addr, 0x100000u);
  EXPECT_EQ(p->e820_table[1].size, 0x3f00000u);
  EXPECT_EQ(p->e820_table[1].type, static_cast<uint32_t>(E820_RAM));
  EXPECT_EQ(p->sentinel, 0);
}

TEST(BootParams, ElfKernelGetsOnlyTheLoaderFields) {
  LoadedKernel kernel;  // ELF: header all zero
  base::Result<boot_params> p = BuildBootParams(kernel, Inputs(kE820));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->hdr.version, 0);
  EXPECT_EQ(p->hdr.setup_sects, 0);
  EXPECT_EQ(p->hdr.header, 0x53726448u);
  EXPECT_EQ(p->hdr.boot_flag, 0xaa55);
  EXPECT_EQ(p->hdr.cmd_line_ptr, layout::kCmdlineStart);
}

TEST(BootParams, InitrdAbove4GiBUsesTheExtFields) {
  ZeroPageInputs in = Inputs(kE820);
  in.initrd_addr = 0x123456000;
  in.initrd_size = 0x100000000;
  base::Result<boot_params> p = BuildBootParams(LoadedKernel{}, in);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->hdr.ramdisk_image, 0x23456000u);
  EXPECT_EQ(p->ext_ramdisk_image, 1u);
  EXPECT_EQ(p->hdr.ramdisk_size, 0u);
  EXPECT_EQ(p->ext_ramdisk_size, 1u);
}

TEST(BootParams, RejectsMoreE820EntriesThanTheZeroPageHolds) {
  std::vector<boot_e820_entry> e820(E820_MAX_ENTRIES_ZEROPAGE + 1);
  EXPECT_FALSE(BuildBootParams(LoadedKernel{}, Inputs(e820)).ok());
}

TEST(BootParams, WritesTheZeroPageAtItsLayoutAddress) {
  testing::TestGuestMemory ram(1 << 20);
  base::Result<boot_params> p = BuildBootParams(LoadedKernel{}, Inputs(kE820));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(WriteBootParams(*p, ram.mem()).ok());
  EXPECT_EQ(*ram.mem().ReadObject<uint16_t>(layout::kZeroPageStart + 0x1fe), 0xaa55);
  EXPECT_EQ(*ram.mem().ReadObject<uint32_t>(layout::kZeroPageStart + 0x228),
            layout::kCmdlineStart);
  EXPECT_EQ(*ram.mem().ReadObject<uint8_t>(layout::kZeroPageStart + 0x1e8), 2);
  EXPECT_EQ(*ram.mem().ReadObject<uint64_t>(layout::kZeroPageStart + 0x2d0 + 20), 0x100000u);
}

}  // namespace
}  // namespace hull::vmm::boot
