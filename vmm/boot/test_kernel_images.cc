#include "vmm/boot/test_kernel_images.h"

#include <cstring>

namespace hull::vmm::boot::testing {

TestGuestMemory::TestGuestMemory(uint64_t low_size, uint64_t high_size)
    : low_(static_cast<uint8_t*>(std::calloc(low_size, 1))),
      high_(static_cast<uint8_t*>(std::calloc(high_size != 0 ? high_size : 1, 1))) {
  if (!low_ || !high_) std::abort();  // a test machine without a few MiB to spare
  std::vector<devices::GuestRegion> regions = {{0, low_size, low_.get()}};
  if (high_size != 0) regions.push_back({4ull << 30, high_size, high_.get()});
  mem_ = devices::GuestMemory(std::move(regions));
}

std::vector<uint8_t> MakeElfImage(const std::vector<TestSegment>& segments, uint64_t entry) {
  Elf64_Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_type = ET_EXEC;
  ehdr.e_machine = EM_X86_64;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_entry = entry;
  ehdr.e_phoff = sizeof(Elf64_Ehdr);
  ehdr.e_ehsize = sizeof(Elf64_Ehdr);
  ehdr.e_phentsize = sizeof(Elf64_Phdr);
  ehdr.e_phnum = static_cast<uint16_t>(segments.size());

  std::vector<uint8_t> image(sizeof(Elf64_Ehdr) + segments.size() * sizeof(Elf64_Phdr));
  SetEhdr(image, ehdr);
  for (size_t i = 0; i < segments.size(); ++i) {
    const TestSegment& s = segments[i];
    Elf64_Phdr phdr{};
    phdr.p_type = PT_LOAD;
    phdr.p_flags = PF_R | PF_W | PF_X;
    phdr.p_offset = image.size();
    phdr.p_vaddr = phdr.p_paddr = s.paddr;
    phdr.p_filesz = s.data.size();
    phdr.p_memsz = s.mem_size != 0 ? s.mem_size : s.data.size();
    phdr.p_align = 0x1000;
    SetPhdr(image, i, phdr);
    image.insert(image.end(), s.data.begin(), s.data.end());
  }
  return image;
}

Elf64_Ehdr GetEhdr(const std::vector<uint8_t>& image) {
  Elf64_Ehdr ehdr;
  std::memcpy(&ehdr, image.data(), sizeof(ehdr));
  return ehdr;
}

void SetEhdr(std::vector<uint8_t>& image, const Elf64_Ehdr& ehdr) {
  std::memcpy(image.data(), &ehdr, sizeof(ehdr));
}

Elf64_Phdr GetPhdr(const std::vector<uint8_t>& image, size_t index) {
  Elf64_Phdr phdr;
  std::memcpy(&phdr, image.data() + sizeof(Elf64_Ehdr) + index * sizeof(Elf64_Phdr),
              sizeof(phdr));
  return phdr;
}

void SetPhdr(std::vector<uint8_t>& image, size_t index, const Elf64_Phdr& phdr) {
  std::memcpy(image.data() + sizeof(Elf64_Ehdr) + index * sizeof(Elf64_Phdr), &phdr,
              sizeof(phdr));
}

setup_header BzImageSpec::DefaultHeader() {
  setup_header h{};
  h.setup_sects = 4;
  h.version = 0x020f;
  h.loadflags = LOADED_HIGH;
  h.code32_start = 0x100000;
  h.initrd_addr_max = 0x7fffffff;
  h.kernel_alignment = 0x200000;
  h.relocatable_kernel = 1;
  h.min_alignment = 21;
  h.xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
  h.cmdline_size = 2047;
  h.pref_address = 0x1000000;
  h.init_size = 8 << 20;
  return h;
}

std::vector<uint8_t> MakeBzImage(const BzImageSpec& spec) {
  uint64_t setup_sects = spec.header.setup_sects != 0 ? spec.header.setup_sects : 4;
  std::vector<uint8_t> image((setup_sects + 1) * 512 + spec.protected_mode_size);
  setup_header h = spec.header;
  h.boot_flag = 0xaa55;
  // A short jump (0xeb) over the rest of the header: its displacement ends the header.
  h.jump = static_cast<uint16_t>(0xeb | ((0x1f1 + sizeof(setup_header) - 0x202) << 8));
  h.header = 0x53726448;  // "HdrS"
  std::memcpy(image.data() + 0x1f1, &h, sizeof(h));
  for (uint64_t i = 0; i < spec.protected_mode_size; ++i) {
    image[(setup_sects + 1) * 512 + i] = static_cast<uint8_t>(i * 7 + 1);
  }
  return image;
}

}  // namespace hull::vmm::boot::testing
