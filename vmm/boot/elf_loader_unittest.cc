#include <gtest/gtest.h>

#include <cstring>

#include "vmm/boot/kernel_loader.h"
#include "vmm/boot/test_kernel_images.h"

namespace hull::vmm::boot {
namespace {

using testing::GetEhdr;
using testing::GetPhdr;
using testing::MakeElfImage;
using testing::SetEhdr;
using testing::SetPhdr;
using testing::TestGuestMemory;

constexpr uint64_t kMiB = 1 << 20;

std::vector<uint8_t> Bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i);
  return v;
}

using ElfLoaderTest = testing::KernelLoaderTest;

TEST_F(ElfLoaderTest, LoadsSegmentsAtPhysicalAddressesAndZeroesBss) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(300, 1)}, {17 * kMiB, Bytes(100, 9), 0x3000}},
                            16 * kMiB + 8);
  auto bss = mem().Slice(17 * kMiB, 0x3000);
  ASSERT_TRUE(bss.ok());
  std::memset(bss->data(), 0xcc, bss->size());

  base::Result<LoadedKernel> kernel = LoadKernel(image, mem());
  ASSERT_TRUE(kernel.ok()) << kernel.status().message();
  EXPECT_FALSE(kernel->bzimage);
  EXPECT_EQ(kernel->entry, 16 * kMiB + 8);
  EXPECT_EQ(kernel->end, 17 * kMiB + 0x3000);
  EXPECT_EQ(kernel->cmdline_max_length, 2047u);  // COMMAND_LINE_SIZE 2048 with the NUL
  EXPECT_EQ(kernel->initrd_addr_max, 0x7fffffffu);

  std::vector<uint8_t> first(300);
  ASSERT_TRUE(mem().Read(16 * kMiB, first.data(), first.size()).ok());
  EXPECT_EQ(first, Bytes(300, 1));
  EXPECT_EQ(*mem().ReadObject<uint8_t>(17 * kMiB + 99), static_cast<uint8_t>(9 + 99));
  EXPECT_EQ(*mem().ReadObject<uint8_t>(17 * kMiB + 100), 0);
  EXPECT_EQ(*mem().ReadObject<uint8_t>(17 * kMiB + 0x2fff), 0);
}

TEST_F(ElfLoaderTest, AcceptsSegmentEndingExactlyAtEndOfRam) {
  auto image = MakeElfImage({{63 * kMiB, Bytes(16, 0), kMiB}}, 63 * kMiB);
  EXPECT_EQ(LoadError(image), "(loaded)");
}

TEST_F(ElfLoaderTest, RejectsImageThatIsNeitherFormat) {
  EXPECT_NE(LoadError(Bytes(4096, 0)).find("neither an ELF vmlinux"), std::string::npos);
  EXPECT_NE(LoadError({}).find("neither"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsTruncatedHeader) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(16, 0)}}, 16 * kMiB);
  image.resize(40);
  EXPECT_NE(LoadError(image).find("truncated"), std::string::npos) << LoadError(image);
  image.resize(6);
  EXPECT_NE(LoadError(image).find("truncated"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsElf32) {
  std::vector<uint8_t> image(sizeof(Elf32_Ehdr));
  std::memcpy(image.data(), ELFMAG, SELFMAG);
  image[EI_CLASS] = ELFCLASS32;
  EXPECT_NE(LoadError(image).find("not ELF64"), std::string::npos) << LoadError(image);
}

TEST_F(ElfLoaderTest, RejectsWrongMachine) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(16, 0)}}, 16 * kMiB);
  Elf64_Ehdr ehdr = GetEhdr(image);
  ehdr.e_machine = EM_AARCH64;
  SetEhdr(image, ehdr);
  EXPECT_NE(LoadError(image).find("not x86-64"), std::string::npos) << LoadError(image);
}

TEST_F(ElfLoaderTest, RejectsPositionIndependentExecutable) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(16, 0)}}, 16 * kMiB);
  Elf64_Ehdr ehdr = GetEhdr(image);
  ehdr.e_type = ET_DYN;
  SetEhdr(image, ehdr);
  EXPECT_NE(LoadError(image).find("not ET_EXEC"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsProgramHeaderTablePastEndOfFile) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(16, 0)}}, 16 * kMiB);
  Elf64_Ehdr ehdr = GetEhdr(image);
  ehdr.e_phnum = 1000;
  SetEhdr(image, ehdr);
  EXPECT_NE(LoadError(image).find("program header table"), std::string::npos);
  ehdr.e_phnum = 1;
  ehdr.e_phoff = UINT64_MAX - 8;
  SetEhdr(image, ehdr);
  EXPECT_NE(LoadError(image).find("program header table"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsSegmentPastEndOfFile) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(64, 0)}}, 16 * kMiB);
  Elf64_Phdr phdr = GetPhdr(image, 0);
  phdr.p_filesz = phdr.p_memsz = 65;
  SetPhdr(image, 0, phdr);
  EXPECT_NE(LoadError(image).find("extends past the end"), std::string::npos) << LoadError(image);
  phdr.p_offset = UINT64_MAX;
  SetPhdr(image, 0, phdr);
  EXPECT_NE(LoadError(image).find("extends past the end"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsFileSizeLargerThanMemorySize) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(64, 0)}}, 16 * kMiB);
  Elf64_Phdr phdr = GetPhdr(image, 0);
  phdr.p_memsz = 32;
  SetPhdr(image, 0, phdr);
  EXPECT_NE(LoadError(image).find("more file bytes"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsSegmentBeyondGuestMemoryAsTooSmall) {
  auto image = MakeElfImage({{60 * kMiB, Bytes(64, 0), 8 * kMiB}}, 60 * kMiB);
  EXPECT_EQ(LoadError(image),
            "guest memory (64 MiB) is too small for this kernel: it loads up to 0x4400000 (68 MiB)");
}

TEST_F(ElfLoaderTest, RejectsSegmentOutsideLowRam) {
  auto image = MakeElfImage({{5ull << 30, Bytes(64, 0)}}, 5ull << 30);
  EXPECT_NE(LoadError(image).find("not in guest RAM below the MMIO gap"), std::string::npos)
      << LoadError(image);
}

TEST_F(ElfLoaderTest, RejectsSegmentThatWrapsAround) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(64, 0)}}, 16 * kMiB);
  Elf64_Phdr phdr = GetPhdr(image, 0);
  phdr.p_paddr = UINT64_MAX - 16;
  SetPhdr(image, 0, phdr);
  EXPECT_NE(LoadError(image).find("wraps around"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsSegmentBelowOneMiB) {
  auto image = MakeElfImage({{0x8000, Bytes(64, 0)}}, 0x8000);
  EXPECT_NE(LoadError(image).find("below 1 MiB"), std::string::npos);
}

TEST_F(ElfLoaderTest, RejectsEntryOutsideEverySegment) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(64, 0)}}, 32 * kMiB);
  EXPECT_EQ(LoadError(image), "ELF entry point 0x2000000 is in no PT_LOAD segment");
}

TEST_F(ElfLoaderTest, RejectsImageWithoutLoadSegments) {
  auto image = MakeElfImage({}, 16 * kMiB);
  EXPECT_EQ(LoadError(image), "ELF kernel has no PT_LOAD segment");
}

TEST_F(ElfLoaderTest, WritesNothingWhenALaterSegmentIsBad) {
  auto image = MakeElfImage({{16 * kMiB, Bytes(64, 1)}, {0x1000, Bytes(64, 1)}}, 16 * kMiB);
  EXPECT_NE(LoadError(image).find("below 1 MiB"), std::string::npos);
  EXPECT_EQ(*mem().ReadObject<uint8_t>(16 * kMiB), 0);
}

}  // namespace
}  // namespace hull::vmm::boot
