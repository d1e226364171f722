// The test guest's two images have the layout hull-vmm's loaders expect: an ELF whose
// PT_LOAD segments start at 1 MiB with the 64-bit entry at +0x200, and a bzImage whose
// setup_header follows boot protocol 2.15 and whose protected-mode part is those same
// segments. Runs everywhere; no QEMU or KVM needed.
#include <asm/bootparam.h>
#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hull::tests {
namespace {

constexpr uint64_t kLoadAddress = 0x100000;
constexpr uint64_t kSetupHeaderOffset = 0x1f1;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct ElfSegment {
  uint64_t paddr;
  uint64_t memsz;
  std::string bytes;  // the file part
};

std::vector<ElfSegment> LoadSegments(const std::string& file, uint64_t* entry) {
  Elf64_Ehdr ehdr;
  if (file.size() < sizeof(ehdr)) return {};
  std::memcpy(&ehdr, file.data(), sizeof(ehdr));
  *entry = ehdr.e_entry;
  std::vector<ElfSegment> segments;
  for (int i = 0; i < ehdr.e_phnum; i++) {
    Elf64_Phdr phdr;
    if (ehdr.e_phoff + (i + 1) * sizeof(phdr) > file.size()) return {};
    std::memcpy(&phdr, file.data() + ehdr.e_phoff + i * sizeof(phdr), sizeof(phdr));
    if (phdr.p_type == PT_LOAD) {
      segments.push_back({phdr.p_paddr, phdr.p_memsz, file.substr(phdr.p_offset, phdr.p_filesz)});
    }
  }
  return segments;
}

setup_header ReadSetupHeader(const std::string& image) {
  setup_header hdr = {};
  if (image.size() >= kSetupHeaderOffset + sizeof(hdr)) {
    std::memcpy(&hdr, image.data() + kSetupHeaderOffset, sizeof(hdr));
  }
  return hdr;
}

TEST(TestGuestImages, ElfLoadsAtOneMebibyteAndEntersAt0x200) {
  std::string elf = ReadFile(HULL_TEST_GUEST_ELF_PATH);
  ASSERT_GE(elf.size(), sizeof(Elf64_Ehdr));
  ASSERT_EQ(elf.compare(0, SELFMAG, ELFMAG), 0);
  EXPECT_EQ(elf[EI_CLASS], ELFCLASS64);
  uint64_t entry = 0;
  std::vector<ElfSegment> segments = LoadSegments(elf, &entry);
  ASSERT_FALSE(segments.empty());
  EXPECT_EQ(segments.front().paddr, kLoadAddress);
  for (const ElfSegment& segment : segments) EXPECT_GE(segment.paddr, kLoadAddress);
  EXPECT_EQ(entry, kLoadAddress + 0x200);
}

TEST(TestGuestImages, BzImageHeaderFollowsBootProtocol215) {
  std::string image = ReadFile(HULL_TEST_GUEST_BZIMAGE_PATH);
  ASSERT_GT(image.size(), kSetupHeaderOffset + sizeof(setup_header));
  setup_header hdr = ReadSetupHeader(image);
  EXPECT_EQ(hdr.boot_flag, 0xaa55);
  EXPECT_EQ(hdr.header, 0x53726448u);  // "HdrS"
  EXPECT_EQ(hdr.version, 0x020f);
  EXPECT_EQ(hdr.jump & 0xff, 0xeb);  // jmp rel8 to the setup code
  EXPECT_EQ(hdr.loadflags & LOADED_HIGH, LOADED_HIGH);
  EXPECT_EQ(hdr.code32_start, kLoadAddress);
  EXPECT_EQ(hdr.xloadflags & XLF_KERNEL_64, XLF_KERNEL_64);
  EXPECT_EQ(hdr.cmdline_size, 2048u);
  EXPECT_EQ(hdr.initrd_addr_max, 0x7fffffffu);
  EXPECT_NE(hdr.kernel_alignment, 0u);
  uint64_t setup_size = (hdr.setup_sects + 1) * 512ull;
  EXPECT_EQ(image.size(), setup_size + hdr.syssize * 16ull);
}

TEST(TestGuestImages, BzImageCarriesTheElfSegmentsAsItsProtectedModePart) {
  std::string image = ReadFile(HULL_TEST_GUEST_BZIMAGE_PATH);
  setup_header hdr = ReadSetupHeader(image);
  ASSERT_EQ(hdr.header, 0x53726448u);
  std::string protected_part = image.substr((hdr.setup_sects + 1) * 512ull);
  uint64_t entry = 0;
  uint64_t mem_end = kLoadAddress;
  for (const ElfSegment& segment : LoadSegments(ReadFile(HULL_TEST_GUEST_ELF_PATH), &entry)) {
    EXPECT_EQ(protected_part.substr(segment.paddr - kLoadAddress, segment.bytes.size()),
              segment.bytes)
        << "segment at " << std::hex << segment.paddr;
    mem_end = std::max(mem_end, segment.paddr + segment.memsz);
  }
  // init_size covers what the segments occupy in memory, .bss and stack included.
  EXPECT_GE(hdr.init_size, mem_end - kLoadAddress);
}

}  // namespace
}  // namespace hull::tests
