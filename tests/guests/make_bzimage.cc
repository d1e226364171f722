// make_bzimage: builds hull-test-guest.bzImage, a bzImage (Linux boot protocol 2.15,
// Documentation/arch/x86/boot.rst) from two ELF images built in this directory:
//   - the setup ELF (setup.S): real-mode code linked at 0 whose e_entry the header's
//     `jump` at 0x200 leads to; its bytes become the setup sectors;
//   - the guest ELF (guest.ld): PT_LOAD segments at physical 0x100000, flattened into
//     the protected-mode part, so that the bzImage runs byte-identical code.
// This tool writes struct setup_header (<asm/bootparam.h>) into the setup sectors.
//
// Usage: make_bzimage SETUP_ELF GUEST_ELF OUTPUT
#include <asm/bootparam.h>
#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/status.h"

namespace hull::tests {
namespace {

using base::Result;
using base::Status;

constexpr uint64_t kSectorSize = 512;
constexpr uint64_t kSetupHeaderOffset = 0x1f1;
constexpr uint64_t kJumpOffset = 0x200;        // setup_header.jump
constexpr uint64_t kProtectedModeBase = 0x100000;
constexpr uint64_t kEntry64Offset = 0x200;     // 64-bit entry: load address + 0x200
constexpr uint16_t kBootFlag = 0xaa55;
constexpr uint32_t kHeaderMagic = 0x53726448;  // "HdrS"
constexpr uint16_t kProtocolVersion = 0x020f;
constexpr uint32_t kKernelAlignment = 0x200000;
constexpr uint32_t kCmdlineSize = 2048;
constexpr uint32_t kInitrdAddrMax = 0x7fffffff;
constexpr uint64_t kPageSize = 4096;

// setup.S copies this many bytes from 0x1f1 into boot_params.hdr.
static_assert(sizeof(setup_header) == 0x7b);
static_assert(offsetof(boot_params, hdr) == kSetupHeaderOffset);

// An ELF image's PT_LOAD segments laid out flat from their lowest physical address.
struct FlatImage {
  uint64_t base = 0;
  uint64_t entry = 0;
  uint64_t mem_end = 0;        // highest p_paddr + p_memsz, .bss included
  std::vector<uint8_t> bytes;  // file contents only, gaps zero-filled
};

Result<std::vector<uint8_t>> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Errno("opening " + path);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Errno("reading " + path);
  return data;
}

Result<FlatImage> Flatten(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> file, ReadFile(path));
  Elf64_Ehdr ehdr;
  if (file.size() < sizeof(ehdr)) return Status::Error(path + ": too short for an ELF header");
  std::memcpy(&ehdr, file.data(), sizeof(ehdr));
  if (std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0 || ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
      ehdr.e_machine != EM_X86_64 || ehdr.e_phentsize != sizeof(Elf64_Phdr)) {
    return Status::Error(path + ": not an x86-64 ELF64 image");
  }
  std::vector<Elf64_Phdr> loads;
  for (uint64_t i = 0; i < ehdr.e_phnum; i++) {
    uint64_t at = ehdr.e_phoff + i * sizeof(Elf64_Phdr);
    if (at + sizeof(Elf64_Phdr) > file.size()) return Status::Error(path + ": truncated phdrs");
    Elf64_Phdr phdr;
    std::memcpy(&phdr, file.data() + at, sizeof(phdr));
    if (phdr.p_type != PT_LOAD) continue;
    if (phdr.p_offset + phdr.p_filesz > file.size() || phdr.p_filesz > phdr.p_memsz) {
      return Status::Error(path + ": PT_LOAD segment outside the file");
    }
    loads.push_back(phdr);
  }
  if (loads.empty()) return Status::Error(path + ": no PT_LOAD segment");
  FlatImage image;
  image.entry = ehdr.e_entry;
  image.base = std::min_element(loads.begin(), loads.end(), [](auto& a, auto& b) {
                 return a.p_paddr < b.p_paddr;
               })->p_paddr;
  for (const Elf64_Phdr& phdr : loads) {
    uint64_t offset = phdr.p_paddr - image.base;
    if (offset + phdr.p_filesz > image.bytes.size()) image.bytes.resize(offset + phdr.p_filesz);
    std::copy_n(file.begin() + phdr.p_offset, phdr.p_filesz, image.bytes.begin() + offset);
    image.mem_end = std::max(image.mem_end, phdr.p_paddr + phdr.p_memsz);
  }
  return image;
}

uint64_t RoundUp(uint64_t value, uint64_t to) { return (value + to - 1) / to * to; }

Result<std::vector<uint8_t>> BuildBzImage(const FlatImage& setup, const FlatImage& guest) {
  if (setup.base != 0) return Status::Error("setup ELF must be linked at 0");
  if (setup.entry <= kJumpOffset + 2 || setup.entry > kJumpOffset + 2 + 127) {
    return Status::Error("setup entry must be a short jump past the setup_header");
  }
  for (uint64_t i = kSetupHeaderOffset; i < setup.entry && i < setup.bytes.size(); i++) {
    if (setup.bytes[i] != 0) return Status::Error("setup ELF has code in the setup_header");
  }
  if (guest.base != kProtectedModeBase || guest.entry != kProtectedModeBase + kEntry64Offset) {
    return Status::Error("guest ELF must load at 0x100000 with its entry at 0x100200");
  }

  // Boot sector + setup sectors; at least 4 setup sectors, as old loaders assume.
  uint64_t setup_size = std::max(RoundUp(setup.bytes.size(), kSectorSize), 5 * kSectorSize);
  std::vector<uint8_t> out(setup_size, 0);
  std::copy(setup.bytes.begin(), setup.bytes.end(), out.begin());

  setup_header hdr = {};
  hdr.setup_sects = static_cast<uint8_t>(setup_size / kSectorSize - 1);
  hdr.vid_mode = 0xffff;  // "normal"
  hdr.boot_flag = kBootFlag;
  hdr.jump = static_cast<uint16_t>(0xeb | (setup.entry - (kJumpOffset + 2)) << 8);  // jmp rel8
  hdr.header = kHeaderMagic;
  hdr.version = kProtocolVersion;
  hdr.loadflags = LOADED_HIGH;
  hdr.code32_start = kProtectedModeBase;
  hdr.kernel_alignment = kKernelAlignment;
  hdr.min_alignment = 21;  // log2(kernel_alignment); the image is not relocatable anyway
  hdr.xloadflags = XLF_KERNEL_64;
  hdr.cmdline_size = kCmdlineSize;
  hdr.initrd_addr_max = kInitrdAddrMax;
  hdr.pref_address = kProtectedModeBase;
  // Memory the image needs from 0x100000 on, .bss, page tables and stack included.
  hdr.init_size = static_cast<uint32_t>(RoundUp(guest.mem_end - kProtectedModeBase, kPageSize));
  uint64_t protected_size = RoundUp(guest.bytes.size(), 16);
  hdr.syssize = static_cast<uint32_t>(protected_size / 16);
  if (setup_size / kSectorSize - 1 > 0xff) return Status::Error("setup too large");
  std::memcpy(out.data() + kSetupHeaderOffset, &hdr, sizeof(hdr));

  out.insert(out.end(), guest.bytes.begin(), guest.bytes.end());
  out.resize(setup_size + protected_size, 0);
  return out;
}

Status WriteFile(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Errno("creating " + path);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Status::Errno("writing " + path);
  return Status::Ok();
}

Status Run(const std::string& setup_path, const std::string& guest_path,
           const std::string& out_path) {
  ASSIGN_OR_RETURN(FlatImage setup, Flatten(setup_path));
  ASSIGN_OR_RETURN(FlatImage guest, Flatten(guest_path));
  ASSIGN_OR_RETURN(std::vector<uint8_t> image, BuildBzImage(setup, guest));
  return WriteFile(out_path, image);
}

}  // namespace
}  // namespace hull::tests

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s SETUP_ELF GUEST_ELF OUTPUT\n", argv[0]);
    return 2;
  }
  hull::base::Status status = hull::tests::Run(argv[1], argv[2], argv[3]);
  if (!status.ok()) {
    std::fprintf(stderr, "make_bzimage: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
