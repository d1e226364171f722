#include <gtest/gtest.h>

#include <cstring>

#include "vmm/boot/kernel_loader.h"
#include "vmm/boot/test_kernel_images.h"

namespace hull::vmm::boot {
namespace {

using testing::BzImageSpec;
using testing::MakeBzImage;
using testing::TestGuestMemory;

constexpr uint64_t kMiB = 1 << 20;

using BzImageLoaderTest = testing::KernelLoaderTest;

TEST_F(BzImageLoaderTest, LoadsProtectedModeKernelAtOneMiBWithEntryAt0x200) {
  BzImageSpec spec;
  std::vector<uint8_t> image = MakeBzImage(spec);
  base::Result<LoadedKernel> kernel = LoadKernel(image, mem());
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();

  EXPECT_TRUE(kernel->bzimage);
  EXPECT_EQ(kernel->entry, 0x100200u);
  // Relocatable: runs at max(align_up(1 MiB, 2 MiB), pref_address 16 MiB) for init_size.
  EXPECT_EQ(kernel->end, 16 * kMiB + 8 * kMiB);
  EXPECT_EQ(kernel->cmdline_max_length, 2047u);
  EXPECT_EQ(kernel->initrd_addr_max, 0x7fffffffu);
  EXPECT_EQ(kernel->header.version, 0x020f);
  EXPECT_EQ(kernel->header.init_size, 8 * kMiB);
  EXPECT_EQ(kernel->header.boot_flag, 0xaa55);

  std::vector<uint8_t> loaded(spec.protected_mode_size);
  ASSERT_TRUE(mem().Read(kMiB, loaded.data(), loaded.size()).ok());
  EXPECT_TRUE(std::equal(loaded.begin(), loaded.end(), image.begin() + 5 * 512));
  EXPECT_EQ(*mem().ReadObject<uint8_t>(kMiB + spec.protected_mode_size), 0);
}

TEST_F(BzImageLoaderTest, KernelEndCoversALargeProtectedModePart) {
  BzImageSpec spec;
  spec.header.init_size = 0;
  spec.header.pref_address = 0;
  spec.header.relocatable_kernel = 0;
  spec.protected_mode_size = 3 * kMiB;
  base::Result<LoadedKernel> kernel = LoadKernel(MakeBzImage(spec), mem());
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  EXPECT_EQ(kernel->end, 4 * kMiB);
}

TEST_F(BzImageLoaderTest, SetupSectsZeroMeansFour) {
  BzImageSpec spec;
  spec.header.setup_sects = 0;
  std::vector<uint8_t> image = MakeBzImage(spec);
  ASSERT_EQ(image.size(), 5 * 512 + spec.protected_mode_size);
  ASSERT_EQ(LoadError(image), "(loaded)");
  EXPECT_EQ(*mem().ReadObject<uint8_t>(kMiB), image[5 * 512]);
}

TEST_F(BzImageLoaderTest, RejectsImageTruncatedInsideSetup) {
  BzImageSpec spec;
  spec.header.setup_sects = 30;
  std::vector<uint8_t> image = MakeBzImage(spec);
  image.resize(0x1000);
  EXPECT_EQ(LoadError(image),
            "bzImage is truncated: 4096 bytes, but its setup code alone takes 15872");
}

TEST_F(BzImageLoaderTest, TreatsSetupHeaderFieldsCutOffByTheFileEndAsZero) {
  std::vector<uint8_t> image = MakeBzImage(BzImageSpec{});
  image.resize(0x210);  // magic present, version present, xloadflags cut off
  EXPECT_NE(LoadError(image).find("XLF_KERNEL_64"), std::string::npos) << LoadError(image);
}

TEST_F(BzImageLoaderTest, RejectsBadMagic) {
  std::vector<uint8_t> image = MakeBzImage(BzImageSpec{});
  image[0x205] = 'X';
  EXPECT_NE(LoadError(image).find("no \"HdrS\" at 0x202"), std::string::npos);
}

TEST_F(BzImageLoaderTest, RejectsOldBootProtocol) {
  BzImageSpec spec;
  spec.header.version = 0x0205;
  EXPECT_EQ(LoadError(MakeBzImage(spec)),
            "bzImage uses boot protocol 2.05; hull needs 2.12 or newer (the 64-bit entry point)");
}

TEST_F(BzImageLoaderTest, RejectsKernelWithout64BitEntry) {
  BzImageSpec spec;
  spec.header.xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
  EXPECT_NE(LoadError(MakeBzImage(spec)).find("XLF_KERNEL_64"), std::string::npos);
}

TEST_F(BzImageLoaderTest, IgnoresHeaderFieldsPastTheDeclaredEnd) {
  std::vector<uint8_t> image = MakeBzImage(BzImageSpec{});
  image[0x201] = 0x30;  // header ends at 0x232, before xloadflags (0x236)
  EXPECT_NE(LoadError(image).find("XLF_KERNEL_64"), std::string::npos);
}

TEST_F(BzImageLoaderTest, RejectsKernelAlignmentThatIsNotAPowerOfTwo) {
  BzImageSpec spec;
  spec.header.kernel_alignment = 0x300000;
  EXPECT_NE(LoadError(MakeBzImage(spec)).find("not a power of two"), std::string::npos);
  spec.header.kernel_alignment = 0;
  EXPECT_NE(LoadError(MakeBzImage(spec)).find("not a power of two"), std::string::npos);
}

TEST_F(BzImageLoaderTest, RejectsInitSizeBeyondGuestMemory) {
  BzImageSpec spec;
  spec.header.init_size = 60 * kMiB;
  EXPECT_EQ(LoadError(MakeBzImage(spec)),
            "guest memory (64 MiB) is too small for this kernel: it needs memory up to 0x4c00000 "
            "(76 MiB)");
}

TEST_F(BzImageLoaderTest, RejectsPreferredAddressAboveTheMmioGap) {
  BzImageSpec spec;
  spec.header.pref_address = UINT64_MAX - 0x1000;
  EXPECT_NE(LoadError(MakeBzImage(spec)).find("above the 32-bit MMIO gap"), std::string::npos);
}

}  // namespace
}  // namespace hull::vmm::boot
