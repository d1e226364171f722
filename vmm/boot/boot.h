// Prepares guest memory and the boot vCPU's state for entering a Linux x86-64 kernel
// through the 64-bit boot protocol (Documentation/arch/x86/boot.rst): loads the kernel
// and initrd, writes the command line, zero page, e820 map, identity page tables,
// GDT/IDT and MP table. The entry point of vmm/boot; the machine assembly calls it
// once, before any vCPU runs, then hands BootResult::cpu to vmm/kvm.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "devices/guest_memory.h"
#include "vmm/boot/cpu_state.h"

namespace hull::vmm::boot {

struct BootInputs {
  std::span<const uint8_t> kernel;  // ELF64 vmlinux or bzImage
  std::span<const uint8_t> initrd;  // empty: none
  std::string cmdline;
  uint32_t vcpu_count = 1;
};

struct BootResult {
  BootCpuState cpu;  // for the BSP; application processors start in the SIPI state
  uint64_t kernel_entry = 0;
  uint64_t kernel_end = 0;
  uint64_t initrd_addr = 0;  // 0 with initrd_size 0: no initrd
  uint64_t initrd_size = 0;
  bool bzimage = false;
};

// Writes everything into `mem`. Errors (one line, naming the problem) for a corrupt
// or unsupported kernel, a bad command line, a vCPU count outside 1..254, or guest
// memory too small for the boot structures, kernel and initrd.
[[nodiscard]] base::Result<BootResult> PrepareBoot(const BootInputs& inputs,
                                                   const devices::GuestMemory& mem);

}  // namespace hull::vmm::boot
