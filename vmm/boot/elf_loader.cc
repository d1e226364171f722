#include "vmm/boot/elf_loader.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "vmm/boot/error_text.h"
#include "vmm/boot/low_ram.h"
#include "vmm/memory/layout.h"

namespace hull::vmm::boot {
namespace {

using base::Result;
using base::Status;

// Linux's x86 COMMAND_LINE_SIZE (2048) counts the terminating NUL.
constexpr uint32_t kElfCmdlineMaxLength = 2048 - 1;
// What a bzImage header declares for initrd_addr_max on x86-64 kernels.
constexpr uint64_t kElfInitrdAddrMax = 0x7fffffff;

struct Segment {
  uint64_t file_offset = 0;
  uint64_t file_size = 0;
  uint64_t paddr = 0;
  uint64_t mem_size = 0;
  uint64_t end() const { return paddr + mem_size; }
};

std::string Range(uint64_t begin, uint64_t end) { return "[" + Hex(begin) + ", " + Hex(end) + ")"; }

Result<Elf64_Ehdr> ReadElfHeader(std::span<const uint8_t> image) {
  if (image.size() < EI_NIDENT) {
    return Status::Error("ELF kernel is truncated: " + std::to_string(image.size()) + " bytes");
  }
  if (image[EI_CLASS] != ELFCLASS64) {
    return Status::Error("ELF kernel is not ELF64 (EI_CLASS " + std::to_string(image[EI_CLASS]) +
                         "); hull boots only 64-bit x86-64 kernels");
  }
  if (image.size() < sizeof(Elf64_Ehdr)) {
    return Status::Error("ELF kernel is truncated: " + std::to_string(image.size()) +
                         " bytes, shorter than the 64-byte ELF64 header");
  }
  Elf64_Ehdr ehdr;
  std::memcpy(&ehdr, image.data(), sizeof(ehdr));
  if (ehdr.e_ident[EI_DATA] != ELFDATA2LSB) {
    return Status::Error("ELF kernel is not little-endian");
  }
  if (ehdr.e_machine != EM_X86_64) {
    return Status::Error("ELF kernel is for machine " + std::to_string(ehdr.e_machine) +
                         ", not x86-64 (EM_X86_64 = 62)");
  }
  if (ehdr.e_type != ET_EXEC) {
    return Status::Error("ELF kernel has type " + std::to_string(ehdr.e_type) +
                         ", not ET_EXEC (link it -static -no-pie)");
  }
  if (ehdr.e_phentsize != sizeof(Elf64_Phdr)) {
    return Status::Error("ELF kernel has program header size " +
                         std::to_string(ehdr.e_phentsize) + ", expected 56");
  }
  return ehdr;
}

Result<Segment> CheckLoadSegment(std::span<const uint8_t> image, const Elf64_Phdr& phdr,
                                 size_t index) {
  std::string name = "ELF segment " + std::to_string(index);
  if (phdr.p_filesz > phdr.p_memsz) {
    return Status::Error(name + " has more file bytes (" + std::to_string(phdr.p_filesz) +
                         ") than memory bytes (" + std::to_string(phdr.p_memsz) + ")");
  }
  if (phdr.p_offset > image.size() || phdr.p_filesz > image.size() - phdr.p_offset) {
    return Status::Error(name + " (file bytes at " + Hex(phdr.p_offset) + ", " +
                         std::to_string(phdr.p_filesz) + " long) extends past the end of the " +
                         std::to_string(image.size()) + "-byte image");
  }
  if (phdr.p_memsz > UINT64_MAX - phdr.p_paddr) {
    return Status::Error(name + " at " + Hex(phdr.p_paddr) + " wraps around the address space");
  }
  if (phdr.p_paddr < layout::kHighMemoryStart) {
    return Status::Error(name + " loads at " + Hex(phdr.p_paddr) +
                         ", below 1 MiB where hull keeps the boot structures");
  }
  return Segment{phdr.p_offset, phdr.p_filesz, phdr.p_paddr, phdr.p_memsz};
}

Result<std::vector<Segment>> ReadLoadSegments(std::span<const uint8_t> image,
                                              const Elf64_Ehdr& ehdr) {
  uint64_t table_size = uint64_t{ehdr.e_phnum} * sizeof(Elf64_Phdr);
  if (ehdr.e_phoff > image.size() || table_size > image.size() - ehdr.e_phoff) {
    return Status::Error("ELF program header table (" + std::to_string(ehdr.e_phnum) +
                         " entries at " + Hex(ehdr.e_phoff) + ") extends past the end of the " +
                         std::to_string(image.size()) + "-byte image");
  }
  std::vector<Segment> segments;
  for (size_t i = 0; i < ehdr.e_phnum; ++i) {
    Elf64_Phdr phdr;
    std::memcpy(&phdr, image.data() + ehdr.e_phoff + i * sizeof(Elf64_Phdr), sizeof(phdr));
    if (phdr.p_type != PT_LOAD || phdr.p_memsz == 0) continue;
    ASSIGN_OR_RETURN(Segment segment, CheckLoadSegment(image, phdr, i));
    segments.push_back(segment);
  }
  if (segments.empty()) return Status::Error("ELF kernel has no PT_LOAD segment");
  return segments;
}

Status CheckSegmentsFit(const std::vector<Segment>& segments, const devices::GuestMemory& mem) {
  ASSIGN_OR_RETURN(uint64_t low_end, LowRamEnd(mem));
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.end() <= low_end) continue;
    if (s.end() <= layout::kMmioGapStart) {
      return Status::Error("guest memory (" + SizeText(mem.total_size()) +
                           ") is too small for this kernel: it loads up to " + Hex(s.end()) +
                           " (" + MiB(s.end()) + ")");
    }
    return Status::Error("ELF PT_LOAD segment " + Range(s.paddr, s.end()) +
                         " is not in guest RAM below the MMIO gap at " +
                         Hex(layout::kMmioGapStart));
  }
  return Status::Ok();
}

}  // namespace

bool IsElf(std::span<const uint8_t> image) {
  return image.size() >= SELFMAG && std::memcmp(image.data(), ELFMAG, SELFMAG) == 0;
}

Result<LoadedKernel> LoadElfKernel(std::span<const uint8_t> image,
                                   const devices::GuestMemory& mem) {
  ASSIGN_OR_RETURN(Elf64_Ehdr ehdr, ReadElfHeader(image));
  ASSIGN_OR_RETURN(std::vector<Segment> segments, ReadLoadSegments(image, ehdr));
  RETURN_IF_ERROR(CheckSegmentsFit(segments, mem));

  LoadedKernel kernel;
  kernel.entry = ehdr.e_entry;
  bool entry_loaded = false;
  for (const Segment& s : segments) {
    kernel.end = std::max(kernel.end, s.end());
    if (ehdr.e_entry >= s.paddr && ehdr.e_entry < s.end()) entry_loaded = true;
  }
  if (!entry_loaded) {
    return Status::Error("ELF entry point " + Hex(ehdr.e_entry) + " is in no PT_LOAD segment");
  }
  for (const Segment& s : segments) {
    RETURN_IF_ERROR(mem.Write(s.paddr, image.data() + s.file_offset, s.file_size));
    if (s.mem_size == s.file_size) continue;
    // The rest of the segment (.bss) must read as zeros, whatever was there before.
    ASSIGN_OR_RETURN(std::span<uint8_t> bss,
                     mem.Slice(s.paddr + s.file_size, s.mem_size - s.file_size));
    std::memset(bss.data(), 0, bss.size());
  }
  kernel.bzimage = false;
  kernel.cmdline_max_length = kElfCmdlineMaxLength;
  kernel.initrd_addr_max = kElfInitrdAddrMax;
  return kernel;
}

}  // namespace hull::vmm::boot
