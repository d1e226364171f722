// Synthetic kernel images and guest memory for vmm/boot's unit tests: minimal ELF64
// executables and bzImages whose every header field a test can change before building.
#pragma once

#include <asm/bootparam.h>
#include <elf.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/guest_memory.h"
#include "vmm/boot/kernel_loader.h"

namespace hull::vmm::boot::testing {

// Zeroed guest RAM over host buffers: `low_size` bytes at 0, and optionally
// `high_size` bytes at 4 GiB. calloc'ed, so untouched pages cost nothing.
class TestGuestMemory {
 public:
  explicit TestGuestMemory(uint64_t low_size, uint64_t high_size = 0);
  const devices::GuestMemory& mem() const { return mem_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> low_;
  std::unique_ptr<uint8_t, Free> high_;
  devices::GuestMemory mem_;
};

// A fixture for kernel-loader tests: 64 MiB of guest RAM, and LoadKernel's error text.
class KernelLoaderTest : public ::testing::Test {
 protected:
  TestGuestMemory ram_{64ull << 20};
  const devices::GuestMemory& mem() { return ram_.mem(); }

  std::string LoadError(const std::vector<uint8_t>& image) {
    base::Result<LoadedKernel> kernel = LoadKernel(image, mem());
    return kernel.ok() ? "(loaded)" : kernel.status().message();
  }
};

struct TestSegment {
  uint64_t paddr = 0;
  std::vector<uint8_t> data;
  uint64_t mem_size = 0;  // 0: data.size()
};

// An ELF64 ET_EXEC x86-64 image: header, program headers right after it, then each
// segment's bytes in order.
std::vector<uint8_t> MakeElfImage(const std::vector<TestSegment>& segments, uint64_t entry);

// Read-modify-write of the headers of an image MakeElfImage built.
Elf64_Ehdr GetEhdr(const std::vector<uint8_t>& image);
void SetEhdr(std::vector<uint8_t>& image, const Elf64_Ehdr& ehdr);
Elf64_Phdr GetPhdr(const std::vector<uint8_t>& image, size_t index);
void SetPhdr(std::vector<uint8_t>& image, size_t index, const Elf64_Phdr& phdr);

// A bzImage with setup_sects of setup, then `protected_mode_size` bytes of
// protected-mode kernel filled with a counting pattern. `header` is written at 0x1f1
// after the builder sets boot_flag, the jump (covering the whole struct) and "HdrS".
struct BzImageSpec {
  setup_header header = DefaultHeader();
  uint64_t protected_mode_size = 0x2000;
  static setup_header DefaultHeader();
};
std::vector<uint8_t> MakeBzImage(const BzImageSpec& spec);

}  // namespace hull::vmm::boot::testing
